"""Syntax errors as MicroPython's compiler reports them, for the simulated board's code process.

CPython compiles the user's code; when it refuses it, the board must still answer as a board
does: the same line and the same words. MicroPython reads a program in two stages, and so
does this module:

1. **Parsing**, token by token. The first token no program can continue from is the error,
   ``SyntaxError: invalid syntax`` (or an IndentationError, or a bad number literal) on that
   token's line, with no ``in <module>``. ``paste_compiler.py`` already finds that token (a
   raw-paste ends early there), so it is asked here too, over the whole program.
2. **Compiling** the parsed program: errors found there name the scope they are in
   (``in <module>``, ``in f``) and have MicroPython's own words (``can't assign to
   expression``, ``argument name reused``...). CPython's parser refuses these already, with
   other words; :data:`COMPILER_ERRORS` maps them.

An error at the end of the input (an unclosed bracket, a block that never came) is reported
by MicroPython on the line after the last one: its lexer adds a newline at the end of input
and counts it.

Also here: tabs, which MicroPython expands to the next multiple of eight columns where
CPython refuses an inconsistent mix (:func:`tabs_expanded`), and number literals glued to a
name (``1if``), which CPython accepts with a warning and MicroPython refuses (its lexer takes
``1if`` as one number).

Loaded by path into the child process, only when compiling has failed (it imports the paste
compiler and with it ``tokenize`` and ``dataclasses``).
"""

from __future__ import annotations

import os
import re
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType

STDIN = "<stdin>"

#: (CPython message pattern, MicroPython message, where MicroPython reports it): errors
#: MicroPython's compiler finds after parsing. "enclosing": the scope the statement is in;
#: "defined": the function being defined on that line (its arguments are its own scope).
COMPILER_ERRORS: tuple[tuple[str, str, str], ...] = (
    ((r"cannot assign to .*|'.*' is an illegal expression for augmented assignment"
      r"|cannot use assignment expressions with .*"), "can't assign to expression", "enclosing"),
    (r"cannot delete .*", "can't delete expression", "enclosing"),
    (r"duplicate argument '.*' in function definition", "argument name reused", "defined"),
    (r"non-default argument follows default argument|parameter without a default follows parameter with a default",
     "non-default argument follows default argument", "enclosing"),
    ((r"\* argument may appear only once|arguments cannot follow var-keyword argument"
      r"|var-positional argument cannot have default value|named arguments must follow bare \*"),
     "invalid syntax", "defined"),
    (r'expression cannot contain assignment, perhaps you meant "=="\?', "LHS of keyword arg must be an id",
     "enclosing"),
    (r"positional argument follows keyword argument unpacking", "positional arg after **", "enclosing"),
    (r"positional argument follows keyword argument", "positional arg after keyword arg", "enclosing"),
    (r"iterable argument unpacking follows keyword argument unpacking", "* arg after **", "enclosing"),
    (r"multiple starred expressions in assignment", "multiple *x in assignment", "enclosing"),
    (r"nonlocal declaration not allowed at module level", "can't declare nonlocal in outer code", "enclosing"),
    (r"no binding for nonlocal '.*' found", "no binding for nonlocal found", "enclosing"),
    (r"name '.*' is (?:assigned to|used prior to) (?:before )?global declaration", "identifier redefined as global",
     "enclosing"),
    (r"'break' outside loop|'continue' not properly in loop", "'break'/'continue' outside loop", "enclosing"),
    (r"'return' outside function|'yield' outside function|'await' outside function", "", "enclosing"),
    (r"default 'except:' must be last", "default 'except' must be last", "enclosing"),
    (r"f-string: empty expression not allowed", "malformed f-string", "none"),
)

#: CPython's words for "the input ended before the statement did".
_END_OF_INPUT = re.compile(r"'.' was never closed|unexpected EOF while parsing|expected an indented block.*"
                           r"|incomplete input")
_SCOPE = re.compile(r"[ \t]*(?:async[ \t]+)?(def|class)[ \t]+(\w+)")


#: What MicroPython reports: (type name, message, line, scope name or None for a parser error).
Report = tuple[str, str, int, "str | None"]


def traceback_text(report: Report, filename: str = STDIN) -> str:
    """The traceback a board prints for a compile error."""
    name, text, _, _ = report
    return f"Traceback (most recent call last):\n{where(report, filename)}\n{name}: {text}\n"


def where(report: Report, filename: str = STDIN) -> str:
    """The ``File "<stdin>", line N[, in scope]`` line of a compile error."""
    _, _, line, scope = report
    return f'  File "{filename}", line {line}' + (f", in {scope}" if scope else "")


def analyse(source: bytes, exc: BaseException) -> Report:
    """What MicroPython reports for ``source``, which CPython refused with ``exc``."""
    return _analyse(source, exc)


def _analyse(source: bytes, exc: BaseException) -> tuple[str, str, int, str | None]:
    """(type name, message, line, scope name or None)."""
    if not isinstance(exc, SyntaxError):  # NUL bytes, absurd nesting
        return "SyntaxError", "invalid syntax", 1, None
    early = _paste_compiler().PasteCompiler().check(source, force=True)
    if early is not None:
        return early.name, early.message, early.lineno, None
    message = str(exc.msg or "")
    line = exc.lineno or 1
    lines = _text(source).splitlines()
    for pattern, words, where in COMPILER_ERRORS:
        if re.fullmatch(pattern, message):
            if where == "none":
                return "SyntaxError", words, line, None
            if where == "defined":
                scope, line = _defined_here(lines, line)
            else:
                scope = _enclosing_scope(lines, line)
            return "SyntaxError", words or message, line, scope
    number = _number_at(source, exc)
    if number is not None:
        return "SyntaxError", number, line, None
    if isinstance(exc, IndentationError) and message.startswith("unexpected indent"):
        return "IndentationError", "unexpected indent", line, None
    if "unindent" in message:
        return "IndentationError", "unindent doesn't match any outer indent level", line, None
    if _END_OF_INPUT.fullmatch(message) or (message.startswith("expected") and "block" in message
                                            and _at_end(source, exc)):
        return "SyntaxError", "invalid syntax", end_of_input_line(source), None
    return "SyntaxError", "invalid syntax", line, None


def _offset(source: bytes, exc: SyntaxError) -> int | None:
    """Where CPython places the error, as a character offset into the text."""
    lines = _text(source).splitlines(keepends=True)
    row = exc.lineno or 1
    if not 0 < row <= len(lines):
        return None
    return sum(len(text) for text in lines[: row - 1]) + max(0, (exc.offset or 1) - 1)


def _at_end(source: bytes, exc: SyntaxError) -> bool:
    """The error is at the end of the input (nothing but blanks after it)."""
    offset = _offset(source, exc)
    return offset is None or offset >= len(_text(source).rstrip())


def _number_at(source: bytes, exc: SyntaxError) -> str | None:
    """MicroPython's message for a malformed number literal where CPython stopped (``0x``, ``1e``, ``09``)."""
    offset = _offset(source, exc)
    if offset is None:
        return None
    text = _text(source)
    for position in (offset, offset - 1, offset + 1):
        if 0 <= position < len(text):
            bad = _paste_compiler()._bad_number(text, position)
            if bad is not None:
                return bad[1]
    return None


def end_of_input_line(source: bytes) -> int:
    """The line MicroPython's lexer is on at the end of the input: the last line ends with a newline."""
    text = source.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return 1 + text.count(b"\n") + (0 if text.endswith(b"\n") or not text else 1)


def _text(source: bytes) -> str:
    return source.decode("utf-8", "surrogateescape")


def _indent(line: str) -> int:
    return len(line.expandtabs(8)) - len(line.expandtabs(8).lstrip())


def _enclosing_scope(lines: list[str], line: int) -> str:
    """The function or class whose body holds ``line`` (by indentation), or ``<module>``."""
    if not 0 < line <= len(lines):
        return "<module>"
    depth = _indent(lines[line - 1])
    for number in range(line - 1, 0, -1):
        text = lines[number - 1]
        if not text.strip() or text.lstrip().startswith("#") or _indent(text) >= depth:
            continue
        depth = _indent(text)
        match = _SCOPE.match(text)
        if match:
            return match.group(2)
        if depth == 0:
            break
    return "<module>"


def _defined_here(lines: list[str], line: int) -> tuple[str, int]:
    """The function whose ``def`` holds ``line`` (its arguments may span lines), and the ``def``'s line."""
    for number in range(min(line, len(lines)), 0, -1):
        match = _SCOPE.match(lines[number - 1])
        if match:
            return match.group(2), number
    return "<module>", line


# ---------------------------------------------------------------------------- source fixes
def tabs_expanded(source: bytes) -> bytes | None:
    """The source with each line's leading tabs expanded to multiples of eight, as MicroPython's lexer counts them.

    Only lines that start a statement are changed (not lines inside a triple-quoted string).
    None when there is nothing to change.
    """
    import io
    import tokenize

    text = _text(source)
    starts: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type not in (tokenize.NL, tokenize.COMMENT, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                starts.add(token.start[0])
    except (tokenize.TokenError, SyntaxError):
        return None
    out = []
    changed = False
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        body = line.lstrip(" \t")
        head = line[: len(line) - len(body)]
        if number in starts and "\t" in head:
            line = head.expandtabs(8) + body
            changed = True
        out.append(line)
    return "".join(out).encode("utf-8", "surrogateescape") if changed else None


def glued_number(source: bytes) -> Report | None:
    """What MicroPython reports for a number literal run into a name (``1if``); None when there is none."""
    early = _paste_compiler().glued_number_error(source)
    return None if early is None else (early.name, early.message, early.lineno, None)


def _paste_compiler() -> ModuleType:
    """``paste_compiler.py`` from beside this file (this process has no ``workbench`` package)."""
    name = "_workbench_sim_paste_compiler"
    module = sys.modules.get(name)
    if module is None:
        from importlib.machinery import SourceFileLoader

        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "paste_compiler.py")
        loader = SourceFileLoader(name, path)
        module = type(sys)(name)
        module.__file__ = path
        sys.modules[name] = module  # dataclasses looks the module up while it builds the classes
        try:
            loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return module
