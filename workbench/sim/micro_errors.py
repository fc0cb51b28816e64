"""MicroPython's words for exceptions, for the simulated board's code process.

The user's code runs on CPython, so CPython raises the exceptions and words them. A board
says it differently (``divide by zero``, ``name 'x' isn't defined``, ``[Errno 2] ENOENT``),
and a learner sees those words both in the traceback of an uncaught exception and in
``print(e)`` inside ``except ... as e:``. This module has one set of rules for both:

* :func:`translate` rewrites an exception's ``args`` in place to MicroPython's message. The
  child calls it where the exception is reported, and the rewritten code calls it at the
  start of every ``except ... as name:`` handler (see ``code_rewrite.py``). Exceptions the
  user raised with a ``raise`` statement keep their words: only CPython's own messages are
  translated.
* :func:`exception_str` and :func:`exception_repr` are MicroPython's ``str()`` and ``repr()``
  of an exception (``py/objexcept.c``: ``mp_obj_exception_print``): the one argument alone,
  the args tuple when there are several, ``[Errno 2] ENOENT`` for an OSError with a known
  errno, and ``Name('x',)`` as the repr. ``builtin_slots.py`` makes them the real
  ``str()``/``repr()`` of every builtin exception type.

The messages were measured on the MicroPython unix port (``.venv/bin/micropython``). The rules
cover the errors a learner meets every day; a message without a rule keeps CPython's words
(docs/simulated-boards.md lists that difference).

Loaded by path into the child process only; builtin modules at import time (``re``,
``opcode`` and ``ast`` only once an exception needs them), so the child starts fast.
"""

from __future__ import annotations

import builtins

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import CodeType, FrameType, TracebackType
    from typing import Any

STDIN = "<stdin>"
STRING = "<string>"  # code the user's code ran with exec() or eval()
#: Where the user's own code lives: what the host sent, and the board's files it imported
#: (``"/lib/x.py"``, added by ``micro_files.BoardLoader``). Their frames show in tracebacks and
#: a ``raise`` in them keeps its words.
USER_FILES: set[str] = {STDIN}

#: Every exception class CPython defines in ``builtins``: the ones whose words are CPython's.
BUILTIN_EXCEPTIONS: frozenset[type] = frozenset(
    value for value in vars(builtins).values() if isinstance(value, type) and issubclass(value, BaseException)
)

#: CPython names MicroPython does not have, mapped to what MicroPython raises instead.
_TYPE_NAMES = {
    "RecursionError": "RuntimeError", "ModuleNotFoundError": "ImportError",
    "UnboundLocalError": "NameError", "UnicodeDecodeError": "UnicodeError",
    "UnicodeEncodeError": "UnicodeError", "IndentationError": "IndentationError",
    "TabError": "IndentationError", "FloatingPointError": "ArithmeticError",
}

#: ``MP_QSTR_E*`` of MicroPython's errno module (``py/moderrno.c``): the names it prints.
ERRNO_NAMES = {
    1: "EPERM", 2: "ENOENT", 5: "EIO", 9: "EBADF", 11: "EAGAIN", 12: "ENOMEM", 13: "EACCES",
    17: "EEXIST", 19: "ENODEV", 21: "EISDIR", 22: "EINVAL", 95: "EOPNOTSUPP", 98: "EADDRINUSE",
    103: "ECONNABORTED", 104: "ECONNRESET", 105: "ENOBUFS", 107: "ENOTCONN", 110: "ETIMEDOUT",
    111: "ECONNREFUSED", 113: "EHOSTUNREACH", 114: "EALREADY", 115: "EINPROGRESS",
}

#: CircuitPython words the common errno values (``mp_common_errno_to_str``): ``[Errno 30]
#: Read-only filesystem``; other numbers by name as MicroPython does.
CIRCUITPYTHON_ERRNO_WORDS = {
    1: "Operation not permitted", 2: "No such file/directory", 5: "Input/output error", 13: "Permission denied",
    17: "File exists", 19: "No such device", 22: "Invalid argument", 28: "No space left on device",
    30: "Read-only filesystem",
}
_errno_words: dict[int, str] = {}


def use_circuitpython_words() -> None:
    """This board runs CircuitPython: its OSErrors read as CircuitPython's."""
    _errno_words.update(CIRCUITPYTHON_ERRNO_WORDS)


#: Source text of the user's code objects, for the rules that need to see an operand.
_sources: dict[CodeType, str] = {}
_MAX_SOURCES = 4096


def remember_source(code: CodeType, source: str) -> None:
    """Keep ``source`` for ``code`` and every function in it (oldest forgotten first)."""
    stack = [code]
    while stack:
        item = stack.pop()
        _sources[item] = source
        stack.extend(const for const in item.co_consts if isinstance(const, type(code)))
    while len(_sources) > _MAX_SOURCES:
        del _sources[next(iter(_sources))]


def forget_sources() -> None:
    _sources.clear()


# ---------------------------------------------------------------------------- names and text
def type_name(exc: BaseException) -> str:
    """The exception's name as MicroPython prints it (it has one OSError, no RecursionError...)."""
    cls = type(exc)
    if cls not in BUILTIN_EXCEPTIONS:
        return cls.__name__
    if isinstance(exc, OSError):
        return "OSError"
    return _TYPE_NAMES.get(cls.__name__, cls.__name__)


def _text(value: object) -> str:
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - a user's __str__ may raise anything; a report must still print
        return f"<{type(value).__name__} object>"


def _errno_text(exc: BaseException) -> str | None:
    """``[Errno 2] ENOENT`` (``: detail`` with a second argument) for an OSError MicroPython names."""
    args = exc.args
    if not isinstance(exc, OSError) or type(exc) not in BUILTIN_EXCEPTIONS or not 0 < len(args) < 3:
        return None
    number = args[0]
    if type(number) is not int:
        return None
    words = _errno_words.get(number) or ERRNO_NAMES.get(number)
    if words is None:
        return None
    head = f"[Errno {number}] {words}"
    return head if len(args) == 1 else f"{head}: {_text(args[1])}"


def exception_str(exc: BaseException) -> str:
    """MicroPython's ``str(exc)``: empty, the one argument, or the args tuple."""
    args = exc.args
    if not args:
        return ""
    errno_text = _errno_text(exc)
    if errno_text is not None:
        return errno_text
    if len(args) == 1:
        return _text(args[0])
    return repr(args)


def exception_repr(exc: BaseException) -> str:
    """MicroPython's ``repr(exc)``: ``ValueError('x',)``: the name and the args tuple."""
    return type_name(exc) + repr(tuple(exc.args))


def message(exc: BaseException) -> str:
    """The text after ``Type: `` in a traceback (``str`` of the exception, as MicroPython has it)."""
    if type(exc) in BUILTIN_EXCEPTIONS or type(exc).__str__ is BaseException.__str__:
        return exception_str(exc)
    return _text(exc)


# ---------------------------------------------------------------------------- where it was raised
def _innermost(tb: TracebackType | None) -> TracebackType | None:
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb


def _innermost_user(tb: TracebackType | None) -> TracebackType | None:
    found = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == STDIN:
            found = tb
        tb = tb.tb_next
    return found


_co_code: dict[CodeType, bytes] = {}


def _opname(code: CodeType, offset: int) -> str:
    """The name of the instruction at ``offset`` (``co_code`` is a fresh copy each time: kept once)."""
    import opcode

    raw = _co_code.get(code)
    if raw is None:
        if len(_co_code) > _MAX_SOURCES:
            _co_code.clear()
        raw = _co_code[code] = code.co_code
    return opcode.opname[raw[offset]] if 0 <= offset < len(raw) else ""


def raised_by_user(exc: BaseException) -> bool:
    """True when a ``raise`` statement in the user's code raised it: its words are the user's."""
    last = _innermost(exc.__traceback__)
    if last is None:
        return False
    code = last.tb_frame.f_code
    return code.co_filename in USER_FILES and _opname(code, last.tb_lasti) in ("RAISE_VARARGS", "RERAISE")


# ---------------------------------------------------------------------------- operands
_UNKNOWN = object()


def _expression_operands(tb: TracebackType) -> tuple[Any, ...]:
    """The values of a failed operation's operands, where they can be known without running code.

    The instruction's source span (``co_positions``) is parsed again; constants, literals and
    names (looked up in the frame) have values, anything else is unknown.
    """
    code = tb.tb_frame.f_code
    source = _sources.get(code)
    if source is None:
        return ()
    try:
        positions = list(code.co_positions())
        line, end_line, col, end_col = positions[tb.tb_lasti // 2]
    except (IndexError, ValueError, AttributeError):
        return ()
    if None in (line, end_line, col, end_col):
        return ()
    lines = source.splitlines(keepends=True)
    try:
        chunk = [text.encode("utf-8") for text in lines[line - 1 : end_line]]
        chunk[-1] = chunk[-1][:end_col]
        chunk[0] = chunk[0][col:]
        text = b"".join(chunk).decode("utf-8")
    except (IndexError, UnicodeDecodeError):
        return ()
    import ast

    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        try:
            node = ast.parse("(" + text.strip() + ")", mode="eval").body
        except SyntaxError:
            return ()
    if isinstance(node, ast.BinOp):
        parts = [node.left, node.right]
    elif isinstance(node, ast.Compare) and len(node.comparators) == 1:
        parts = [node.left, node.comparators[0]]
    else:
        return ()
    return tuple(_value(part, tb.tb_frame) for part in parts)


def _value(node: Any, frame: FrameType) -> Any:
    import ast

    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        for scope in (frame.f_locals, frame.f_globals, vars(builtins)):
            if node.id in scope:
                return scope[node.id]
        return _UNKNOWN
    literal = {ast.List: [], ast.Tuple: (), ast.Dict: {}, ast.Set: set(), ast.JoinedStr: ""}.get(type(node), _UNKNOWN)
    return literal


def _operands(exc: BaseException) -> tuple[Any, ...]:
    tb = _innermost_user(exc.__traceback__)
    return () if tb is None else _expression_operands(tb)


def _failed_at_call(exc: BaseException) -> bool:
    """The innermost user instruction is a call (``sorted``, ``list.sort``...), not the operator itself."""
    tb = _innermost_user(exc.__traceback__)
    return tb is not None and _opname(tb.tb_frame.f_code, tb.tb_lasti).startswith(("CALL", "PRECALL"))


# ---------------------------------------------------------------------------- the rules
_OPERATORS = {
    "+": "add", "-": "sub", "*": "mul", "@": "matmul", "/": "truediv", "//": "floordiv", "%": "mod",
    "**": "pow", "** or pow()": "pow", "<<": "lshift", ">>": "rshift", "&": "and", "|": "or", "^": "xor",
    "<": "lt", "<=": "le", ">": "gt", ">=": "ge", "divmod()": "divmod",
}
_UNARY = {"unary -": "neg", "unary +": "pos", "unary ~": "invert", "abs()": "abs"}
_SWAPPED = {"lt": "gt", "gt": "lt", "le": "ge", "ge": "le"}


#: The letter the child puts where a UTF-8 BOM was (see ``child.BOM_STAND_IN``).
_BOM_STAND_IN = "\ua000"


def _undefined_name(match: Any, exc: BaseException) -> str:
    return f"name '{match.group(1).replace(_BOM_STAND_IN, chr(0xFEFF))}' isn't defined"


def _binary_op(match: Any, exc: BaseException) -> str:
    op = match.group(1)
    name = _OPERATORS.get(op) or _OPERATORS.get(op.rstrip("="), op)
    left, right = match.group(2), match.group(3)
    if name in _SWAPPED and _failed_at_call(exc):
        left, right = right, left  # CPython's sort compares the later item with the earlier one
    return f"unsupported types for __{name}__: '{left}', '{right}'"


def _unary_op(match: Any, exc: BaseException) -> str:
    return f"unsupported type for __{_UNARY.get(match.group(1), match.group(1))}__: '{match.group(2)}'"


def _repeat(match: Any, exc: BaseException) -> str | None:
    """``'a' * 'b'``: CPython names only the right operand; the left one is looked up."""
    operands = _operands(exc)
    if len(operands) != 2 or operands[0] is _UNKNOWN:
        return None
    return f"unsupported types for __mul__: '{type(operands[0]).__name__}', '{match.group(1)}'"


def _contains(match: Any, exc: BaseException) -> str:
    """``x in y`` with a ``y`` that cannot be iterated; two ints take another path on MicroPython."""
    operands = _operands(exc)
    if len(operands) == 2 and type(operands[0]) is int and type(operands[1]) is int:
        return "unsupported types for : 'int', 'int'"
    return f"'{match.group(1)}' object isn't iterable"


def _bad_integer(match: Any, exc: BaseException) -> str:
    """``int(' 12a ')``: MicroPython names the text without the spaces before it."""
    import re

    text = re.sub(r"""^([bB]?['"])[ \t\n\r\f\v]+""", r"\1", match.group(2))
    return f"invalid syntax for integer with base {match.group(1)}: {text}"


def _missing_positional(match: Any, exc: BaseException) -> str | None:
    """``f() missing 1 required positional argument``: MicroPython counts the required and given ones."""
    function = _find_function(match.group(1), exc)
    code = getattr(function, "__code__", None)
    if code is None:
        return None
    required = code.co_argcount - len(getattr(function, "__defaults__", None) or ())
    given = required - int(match.group(2))
    name = match.group(1).rsplit(".", 1)[-1]
    return f"{name}() takes {required} positional arguments but {given} were given"


def _find_function(qualname: str, exc: BaseException) -> Any:
    """The function a failed call named, from the calling frame (``A.m``, or ``f`` of ``g.<locals>.f``)."""
    tb = _innermost_user(exc.__traceback__)
    if tb is None:
        return None
    frame = tb.tb_frame
    parts = qualname.split(".")
    if "<locals>" in parts:
        parts = parts[parts.index("<locals>") + 1 :]
    value = frame.f_locals.get(parts[0], frame.f_globals.get(parts[0]))
    for part in parts[1:]:
        value = getattr(value, part, None)
    return value


def _builtin_arity(match: Any, exc: BaseException) -> str:
    """``len() takes exactly one argument (0 given)``; a method counts ``self`` on MicroPython."""
    method = "." in match.group(1)
    wanted = {"exactly one": 1, "no": 0}.get(match.group(2), match.group(2))
    given = int(match.group(3))
    return f"function takes {int(wanted) + method} positional arguments but {given + method} were given"


def _at_least(match: Any, exc: BaseException) -> str:
    """``index expected at least 1 argument, got 0``: MicroPython says how many are missing."""
    return f"function missing {int(match.group(1)) - int(match.group(2))} required positional arguments"


Rule = tuple[str, str, "str | Callable[[Any, BaseException], str | None]"]

#: (MicroPython type name, CPython message pattern, MicroPython message or a function making it).
RULES: tuple[Rule, ...] = (
    ("ZeroDivisionError", r".*", "divide by zero"),
    ("NameError", r"name '(.*)' is not defined", _undefined_name),
    ("NameError", r"(cannot access local variable|local variable) .*", "local variable referenced before assignment"),
    ("TypeError", r"'(.*)' object is not (callable|subscriptable|iterable)", r"'\1' object isn't \2"),
    ("TypeError", r"'(.*)' object is not an iterator", r"'\1' object isn't an iterator"),
    ("TypeError", r"cannot unpack non-iterable (\w+) object", r"'\1' object isn't iterable"),
    ("TypeError", r"'(.*)' object does not support item (assignment|deletion)", r"'\1' object doesn't support item \2"),
    ("TypeError", r"unsupported operand type\(s\) for (.+): '(.+)' and '(.+)'", _binary_op),
    ("TypeError", r"'(.+)' not supported between instances of '(.+)' and '(.+)'", _binary_op),
    ("TypeError", r'can only concatenate (\w+) \(not "(\w+)"\) to \w+', r"unsupported types for __add__: '\1', '\2'"),
    ("TypeError", r"can't multiply sequence by non-int of type '(\w+)'", _repeat),
    ("TypeError", r"bad operand type for (.+): '(.+)'", _unary_op),
    ("TypeError", r"unhashable type: '(.+)'", r"unsupported type for __hash__: '\1'"),
    ("TypeError", r"argument of type '(.+)' is not iterable", _contains),
    ("TypeError", r"'in <string>' requires string as left operand, not (\w+)", r"can't convert '\1' object to str implicitly"),
    ("TypeError", r"(\w+) indices must be integers or slices, not (.*)", r"\1 indices must be integers, not \2"),
    ("TypeError", r"string indices must be integers, not '(\w+)'", r"string indices must be integers, not \1"),
    ("TypeError", r"(?:\w+\.)*(\w+)\(\) takes (?:from \d+ to )?(\d+) positional arguments? but (\d+) (?:was|were) given",
     r"\1() takes \2 positional arguments but \3 were given"),
    ("TypeError", r"([\w.<>]+)\(\) missing (\d+) required positional arguments?: .*", _missing_positional),
    ("TypeError", r"[\w.]+\(\) missing \d+ required keyword-only arguments?: .*", "function missing keyword-only argument"),
    ("TypeError", r"[\w.]+\(\) got an unexpected keyword argument '(.*)'", r"unexpected keyword argument '\1'"),
    ("TypeError", r"[\w.]+\(\) got multiple values for argument '(.*)'", r"function got multiple values for argument '\1'"),
    ("TypeError", r"([\w.]+)\(\) takes (exactly one|no|\d+) arguments? \((\d+) given\)", _builtin_arity),
    ("TypeError", r"\w+ expected at least (\d+) arguments?, got (\d+)", _at_least),
    ("TypeError", r"[\w.]+\(\) takes at least (\d+) arguments? \((\d+) given\)", _at_least),
    ("TypeError", r"not enough arguments for format string", "format string needs more arguments"),
    ("TypeError", r"not all arguments converted during string formatting", "format string didn't convert all arguments"),
    ("TypeError", r"%[diouxX] format: an? (?:real number|integer) is required, not (\w+)", r"can't convert \1 to int"),
    ("TypeError", r"must be real number, not (\w+)", r"can't convert \1 to float"),
    ("TypeError", r"int\(\) argument must be a string, a bytes-like object or a real number, not '(\w+)'",
     r"can't convert \1 to int"),
    ("TypeError", r"float\(\) argument must be a string or a real number, not '(\w+)'", r"can't convert \1 to float"),
    ("TypeError", r"'(\w+)' object cannot be interpreted as an integer", r"can't convert \1 to int"),
    ("TypeError", r"sequence item \d+: expected str instance, \w+ found",
     "join expects a list of str/bytes objects consistent with self object"),
    ("ImportError", r"No module named '([^']*)'(?:; .*)?", r"no module named '\1'"),
    ("ImportError", r"cannot import name '(.*)' from .*", r"can't import name \1"),
    ("IndexError", r"Replacement index \d+ out of range for positional args tuple", "tuple index out of range"),
    ("ValueError", r"invalid literal for int\(\) with base (\d+): (.*)", _bad_integer),
    ("ValueError", r"could not convert string to float: .*", "invalid syntax for number"),
    ("ValueError", r"complex\(\) arg is a malformed string", "invalid syntax for number"),
    ("ValueError", r"list\.(remove|index)\(x\): x not in list|.* is not in list|tuple\.index\(x\): x not in tuple",
     "object not in sequence"),
    ("ValueError", r"(?:min|max)\(\) arg is an empty sequence", "arg is an empty sequence"),
    ("ValueError", r"not enough values to unpack \(expected \d+, got (\d+)\)", r"need more than \1 values to unpack"),
    ("ValueError", r"range\(\) arg 3 must not be zero", "zero step"),
    ("ValueError", r"slice step cannot be zero", "slice step can't be zero"),
    ("ValueError", r"Unknown format code '(.)' for object of type '(\w+)'", r"unknown format code '\1' for object of type '\2'"),
    ("ValueError", r"math domain error", "math domain error"),
    ("RuntimeError", r"maximum recursion depth exceeded.*", "maximum recursion depth exceeded"),
)


_compiled: dict[str, list[tuple[Any, Any]]] = {}


def _rules_for(name: str) -> list[tuple[Any, Any]]:
    """The rules for one exception type, their patterns compiled once."""
    rules = _compiled.get(name)
    if rules is None:
        import re

        rules = _compiled[name] = [(re.compile(pattern), replacement)
                                   for rule_name, pattern, replacement in RULES if rule_name == name]
    return rules


def _micropython_message(name: str, text: str, exc: BaseException) -> str | None:
    """The rule's message for CPython's ``text``, or None when no rule knows it."""
    for pattern, replacement in _rules_for(name):
        match = pattern.fullmatch(text)
        if match is None:
            continue
        if callable(replacement):
            return replacement(match, exc)
        return match.expand(replacement)
    return None


def translate(exc: BaseException) -> BaseException:
    """Rewrite a CPython exception's ``args`` in place to MicroPython's; returns it.

    Safe to call more than once (MicroPython's messages match no CPython pattern). Exceptions
    of the user's classes, and those the user raised with a ``raise`` statement, keep their
    words. Never raises.
    """
    try:
        _translate(exc)
    except Exception:  # noqa: BLE001, S110 - a translation must never replace the user's exception
        pass
    return exc


#: Exceptions whose words are the same on both (or carry no words): never translated.
_UNCHANGED = (KeyError, StopIteration, SystemExit, KeyboardInterrupt, GeneratorExit, AttributeError)


def _translate(exc: BaseException) -> None:
    # Cheap tests first: a loop that catches thousands of KeyErrors pays for nothing else.
    if type(exc) not in BUILTIN_EXCEPTIONS or isinstance(exc, _UNCHANGED):
        return
    args = exc.args
    if isinstance(exc, OSError):
        if isinstance(exc.errno, int) and len(args) >= 2 and not raised_by_user(exc):
            exc.args = (exc.errno,)  # MicroPython's OSError carries the number alone
        return
    if isinstance(exc, UnicodeError):
        if not raised_by_user(exc):
            exc.args = ()
        return
    if len(args) != 1 or not isinstance(args[0], str) or raised_by_user(exc):
        return
    text = args[0]
    new = _micropython_message(type_name(exc), text, exc)
    if new is not None and new != text:
        exc.args = (new,)


# ---------------------------------------------------------------------------- tracebacks
def frame_lines(exc: BaseException) -> list[str]:
    """``File "<stdin>", line N, in name`` for the user's frames only (and text it ran with
    ``exec``/``eval``, ``<string>``), outermost first."""
    lines = []
    tb = exc.__traceback__
    last = _innermost_user(tb) if isinstance(exc, KeyboardInterrupt) else None
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename in USER_FILES or code.co_filename == STRING:
            line = tb.tb_lineno or 0
            if tb is last:  # where the CTRL-C landed (the signal handler's frame comes after it)
                line = _interrupted_loop_line(tb) or line
            lines.append(f'  File "{code.co_filename}", line {line}, in {code.co_name}')
        tb = tb.tb_next
    where = getattr(exc, "micropython_where", None)  # a compile error of the code's own compile()
    if isinstance(exc, SyntaxError) and isinstance(where, str):
        lines.append(where)
    return lines


def _interrupted_loop_line(tb: TracebackType) -> int | None:
    """A CTRL-C taken at a ``while`` loop's jump back: MicroPython names the body's last line.

    Both check for a pending interrupt at a loop's jump back. MicroPython's jump carries the
    line of the last statement compiled before it (the body's last); CPython's jump back in
    a ``while`` loop carries the loop's header line (in a ``for`` loop the body's last line,
    as MicroPython).
    """
    code = tb.tb_frame.f_code
    if "JUMP_BACKWARD" not in _opname(code, tb.tb_lasti):  # JUMP_BACKWARD, POP_JUMP_BACKWARD_IF_TRUE...
        return None
    source = _sources.get(code)
    if source is None:
        return None
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    header = tb.tb_lineno
    loops = [node for node in ast.walk(tree) if isinstance(node, ast.While) and node.lineno == header]
    return _last_line(loops[0].body) if len(loops) == 1 else None


def _last_line(body: list[Any]) -> int:
    """The line of the last statement compiled in ``body`` (nested blocks included, not nested functions)."""
    import ast

    last = body[-1]
    inner = [block for block in (getattr(last, "finalbody", None), getattr(last, "orelse", None),
                                 getattr(last, "handlers", None), getattr(last, "body", None))
             if block and not isinstance(last, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    if not inner:
        return last.lineno
    block = inner[0]
    if isinstance(block[-1], ast.ExceptHandler):
        return _last_line(block[-1].body)
    return _last_line(block)


def format_exception(exc: BaseException, always_header: bool = True) -> str:
    """MicroPython's traceback text; the header alone is left out for a never-raised exception."""
    translate(exc)
    lines = frame_lines(exc)
    if not lines and always_header and isinstance(exc, KeyboardInterrupt):
        # CTRL-C landed just before the user's first line ran: a board raises it there.
        lines = [f'  File "{STDIN}", line 1, in <module>']
    head = ["Traceback (most recent call last):"] if lines or always_header else []
    try:
        text = message(exc)
    except Exception:  # noqa: BLE001 - a broken message must not lose the traceback
        text = ""
    return "\n".join([*head, *lines, f"{type_name(exc)}: {text}"]) + "\n"
