"""When a simulated board stops reading a raw-paste: the compile error MicroPython meets on the way.

A real board compiles a raw-paste *while it reads it*: its lexer pulls bytes from the paste
reader one at a time, and the parser asks the lexer for one token after another. When the
parser meets a token that no program can continue from, compiling fails at once: the
board stops reading, answers ``\\x04`` and throws away what the host still sends until
CTRL-D (or CTRL-C); then it reports the SyntaxError. So a syntax error in the first window
of a long program ends the paste early, before the host has sent the rest.

Measured on the unix port (byte by byte, with the pty's input queue as the witness of what
it had read), the board has read exactly **three bytes past the end of the offending
token** when it stops: its lexer keeps three characters of lookahead. Two tokens are
longer than they look: a NEWLINE token takes in the blank and comment-only lines after
it and the next line's indentation (the lexer measures the indent before it hands the
NEWLINE over), and an unterminated ``'...`` string runs to the end of its line. An
unexpected indent is found at the first character of the indented line, an unindent that
matches no outer level likewise, but reported with the line number of the line before.

This module reproduces that with CPython's own parser: a prefix of tokens is *viable*
when ``compile()`` with ``PyCF_ALLOW_INCOMPLETE_INPUT`` accepts it or calls it incomplete;
the offending token is the first one whose prefix is not. CPython's parser is stricter in
places where MicroPython's compiler only complains after the whole program has been read
(``f() = 1``, argument order, f-strings); those errors end nothing early here either, and
the rest of that paste is read to its end as before.
"""

from __future__ import annotations

import ast
import codecs
import codeop
import io
import itertools
import tokenize
import warnings
from dataclasses import dataclass

#: Characters MicroPython's lexer holds beyond the token it has just handed to the parser.
LOOKAHEAD = 3
#: Beyond this many bytes of one unfinished statement, checks are spaced out (see ``check``).
LONG_STATEMENT = 4096
_FLAGS = ast.PyCF_ONLY_AST | codeop.PyCF_ALLOW_INCOMPLETE_INPUT | codeop.PyCF_DONT_IMPLY_DEDENT  # type: ignore[attr-defined]
#: CPython parser errors that MicroPython's parser accepts (its compiler reports them after
#: reading everything): no early end for these.
_LATE_ERRORS = (
    "cannot assign to", "cannot delete", "cannot use starred", "cannot use assignment",
    "assignment to yield", "positional argument follows",
    "iterable argument unpacking", "non-default argument", "named arguments must follow",
    "keyword argument repeated", "f-string", "expression cannot contain assignment",
    "* argument may appear only once",
    "arguments cannot follow var-keyword argument", "var-positional argument cannot have default value",
)
#: MicroPython reads a UTF-8 BOM as part of the identifier after it; CPython refuses it, so it
#: stands in as a letter CPython takes, of the same length (see ``child.BOM_STAND_IN``).
_BOM = b"\xef\xbb\xbf"
_BOM_STAND_IN = "\ua000".encode()
#: f-string errors MicroPython's lexer finds as it reads the string (the paste ends three bytes
#: after it), with its words; the other f-string errors wait for the compiler.
_EARLY_FSTRING_ERRORS = {
    "f-string: empty expression not allowed": "malformed f-string",
    "f-string: invalid conversion character: expected 's', 'r', or 'a'": "invalid syntax",
    "f-string: invalid conversion character 'z': expected 's', 'r', or 'a'": "invalid syntax",
}
#: A statement that starts at column 0 with one of these continues the statement before it.
_CONTINUES = frozenset({"else", "elif", "except", "finally"})
_STRING_PREFIXES = frozenset({"r", "u", "b", "f", "br", "rb", "fr", "rf"})
_SKIPPED = frozenset({tokenize.NL, tokenize.COMMENT, tokenize.DEDENT, tokenize.ENDMARKER})


@dataclass(frozen=True)
class EarlyError:
    """A compile error the board finds while it reads: where it stopped and what it reports."""

    consumed: int  # paste bytes the board had read when it stopped (and answered CTRL-D)
    lineno: int  # the line MicroPython names in the traceback
    name: str  # "SyntaxError" or "IndentationError"
    message: str

    def traceback(self) -> bytes:
        """The error section's text, with board line ends."""
        return (f'Traceback (most recent call last):\r\n  File "<stdin>", line {self.lineno}\r\n'
                f"{self.name}: {self.message}\r\n").encode()


class _Late(Exception):
    """CPython refused something MicroPython's parser accepts (on ``row``): not an early error."""

    def __init__(self, row: int) -> None:
        super().__init__(row)
        self.row = row


@dataclass
class _Token:
    kind: int
    text: str
    start: int  # character offsets into the text
    end: int  # where MicroPython's lexer finishes this token (see the module docstring)
    row: int
    newline: bool = False  # a NEWLINE token: the prefix ends at a line end


class PasteCompiler:
    """Follows one raw-paste as it arrives and says when MicroPython would have stopped reading.

    Call :meth:`check` with everything received so far, as often as is useful (the firmware
    asks before each window credit and after each piece of input); it returns the error once
    the board would have found it. The text before the last complete top-level statement is
    not parsed again, so a long paste costs little more than one compile.
    """

    def __init__(self) -> None:
        self._base = 0  # byte offset of the first statement still being checked
        self._base_row = 1
        self._checked = 0  # len(data) at the last check that parsed

    def check(self, data: bytes, *, force: bool = False) -> EarlyError | None:
        """The error MicroPython has found by the time it could read ``data``, or None.

        One statement longer than :data:`LONG_STATEMENT` (a class of a thousand methods) is
        parsed again only after it has grown by an eighth, so that its cost stays near
        linear; an error in it may then be found up to that many bytes late. ``force``
        checks anyway (the end of the paste).
        """
        pending = len(data) - self._base
        if not force and pending > LONG_STATEMENT and len(data) - self._checked < pending // 8:
            return None
        self._checked = len(data)
        while True:
            chunk = data[self._base :]
            if self._base == 0 and chunk.startswith(_BOM):
                chunk = _BOM_STAND_IN + chunk[len(_BOM):]  # part of the first name, for MicroPython's lexer
            # A character cut in half at the end waits for its other bytes.
            text = codecs.getincrementaldecoder("utf-8")("surrogateescape").decode(chunk, final=False)
            try:
                verdict = _verdict(text, at_newline=True)  # strict: any error short of the very end
                verdict = _first_verdict(text, verdict)
                tokens, _ = _tokens(text)
                # At the end of the input the lexer's lookahead meets the end, not more bytes.
                available = len(chunk) + (LOOKAHEAD if force else 0)
                glued = self._glued_number(text, tokens, available)
                if verdict is None:
                    if glued is None:
                        self._advance(text, tokens=tokens)
                    return glued
                early = self._scan(text, verdict, available)
                if glued is not None and (early is None or glued.consumed < early.consumed):
                    return glued
                return early
            except _Late as late:
                # That statement is the compiler's business (reported once all is read); the
                # statements after it are parsed on their own.
                base = self._base
                self._advance(text, after_row=late.row)
                if self._base == base:
                    return None

    def _error(self, text: str, char_end: int, row: int, name: str, message: str) -> EarlyError:
        consumed = self._base + len(text[:char_end].encode("utf-8", "surrogateescape")) + LOOKAHEAD
        return EarlyError(consumed, self._base_row + row - 1, name, message)

    def _scan(self, text: str, verdict: SyntaxError, available: int) -> EarlyError | None:
        """Find the first token whose prefix no program continues; None while it needs more bytes."""
        tokens, unindent = _tokens(text)
        first = _logical_line_start(tokens, verdict.lineno or 1)
        before = [token.text for token in tokens[:first] if token.kind not in (tokenize.NEWLINE, tokenize.INDENT)]
        previous_significant = before[-1] if before else None
        for token in tokens[first:]:
            if token.end is None:
                return None
            byte_end = len(text[: token.end].encode("utf-8", "surrogateescape")) + LOOKAHEAD
            if byte_end > available:
                return None
            if token.kind == tokenize.INDENT:
                if previous_significant != ":":
                    return self._error(text, token.end, token.row, "IndentationError", "unexpected indent")
                continue
            cut = text[: token.start + 1] if token.newline else text[: token.end]
            refused = _verdict(cut, at_newline=token.newline)
            if refused is not None:
                number = _bad_number(text, token.start)
                if number is not None:
                    end, message = number
                    if len(text[:end].encode("utf-8", "surrogateescape")) + LOOKAHEAD > available:
                        return None
                    return self._error(text, end, token.row, "SyntaxError", message)
                message = _EARLY_FSTRING_ERRORS.get(str(refused.msg), "invalid syntax")
                return self._error(text, token.end, token.row, "SyntaxError", message)
            if token.kind != tokenize.NEWLINE:
                previous_significant = token.text
        if unindent is not None:
            position, row = unindent
            if len(text[:position].encode("utf-8", "surrogateescape")) + LOOKAHEAD <= available:
                return self._error(text, position, row, "IndentationError",
                                   "unindent doesn't match any outer indent level")
        return None

    def _glued_number(self, text: str, tokens: list[_Token], available: int) -> EarlyError | None:
        """A number run into a name (``1if``, ``0x1for``): one bad number token for MicroPython's lexer.

        CPython reads ``1if`` as ``1 if`` (with a warning); MicroPython's lexer takes letters,
        digits, dots and underscores after a digit into the number, and converting that fails.
        """
        for number, following in itertools.pairwise(tokens):
            if number.kind == tokenize.ERRORTOKEN:
                return None  # an unterminated string: what follows is its text, not tokens
            if (number.kind != tokenize.NUMBER or number.end is None or following.start != number.end
                    or following.kind not in (tokenize.NAME, tokenize.NUMBER)):
                continue
            bad = _bad_number(text, following.start)
            if bad is None:
                continue
            end, message = bad
            if len(text[:end].encode("utf-8", "surrogateescape")) + LOOKAHEAD > available:
                return None
            return self._error(text, end, number.row, "SyntaxError", message)
        return None

    def _advance(self, text: str, after_row: int | None = None, tokens: list[_Token] | None = None) -> None:
        """Move the base past the statements that are complete: later checks start after them.

        With ``after_row``, only past the statement on that line (the next one is checked next).
        """
        if tokens is None:
            tokens, _ = _tokens(text)
        boundary: tuple[int, int] | None = None
        after_newline = False
        decorator = False
        line_head = ""
        for token in tokens:
            if token.kind == tokenize.NEWLINE:
                after_newline, decorator = True, line_head == "@"
                line_head = ""
                continue
            if token.kind == tokenize.INDENT:
                after_newline = False
                continue
            if not line_head:
                line_head = token.text
            if (after_newline and not decorator and token.end is not None and token.end < len(text)
                    and _column(text, token.start) == 0 and token.text not in _CONTINUES):
                boundary = (token.start, token.row)
                if after_row is not None and token.row > after_row:
                    break
            after_newline = False
        if boundary is not None:
            start, row = boundary
            self._base += len(text[:start].encode("utf-8", "surrogateescape"))
            self._base_row += row - 1


def _verdict(text: str, *, at_newline: bool) -> SyntaxError | None:
    """The definite syntax error in ``text`` taken as the start of a program, or None when it is viable.

    A text cut in the middle of a line makes CPython complain about what is missing at the
    cut ("expected ':'", "expected 'else'", an error placed at the very end): more input
    could supply it, so those count as viable. Raises :class:`_Late` for errors MicroPython
    leaves to its compiler.
    """
    try:
        _quiet_compile(text, "<stdin>", "exec", _FLAGS)
    except SyntaxError as exc:
        message = str(exc.msg)
        if message == "incomplete input" or isinstance(exc, TabError):
            return None  # TabError: MicroPython expands tabs and takes the mix (the child compiles it so)
        if isinstance(exc, IndentationError):
            return exc
        if not at_newline and message.startswith("expected"):
            return None
        if _offset(text, exc) >= len(text.rstrip(" \t\f")):
            return None
        if message in _EARLY_FSTRING_ERRORS:
            return exc
        if message.startswith(_LATE_ERRORS) or message.endswith(" is an illegal expression for augmented assignment"):
            raise _Late(exc.lineno or 1) from None
        return exc
    except (ValueError, OverflowError, MemoryError, RecursionError):
        raise _Late(len(text.splitlines()) + 1) from None  # NUL bytes, absurd nesting: left to the compile at the end
    return None


def _first_verdict(text: str, verdict: SyntaxError | None) -> SyntaxError | None:
    """The error on the earliest line: CPython reports a tokenizer error at the end of the text
    (a string the cut left open) before a parser error on an earlier line, which MicroPython
    meets first. Raises :class:`_Late` as :func:`_verdict` does."""
    while verdict is not None and (verdict.lineno or 1) > 1:
        line_start = sum(len(line) for line in text.splitlines(keepends=True)[: (verdict.lineno or 1) - 1])
        earlier = _verdict(text[:line_start], at_newline=True)
        if earlier is None:
            break
        verdict = earlier
    return verdict


def _quiet_compile(text: str, filename: str, mode: str, flags: int) -> None:
    """``compile()`` without its SyntaxWarnings (``1if``, ``'\\d'``...) reaching the workbench's stderr."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compile(text, filename, mode, flags, dont_inherit=True)


def _offset(text: str, exc: SyntaxError) -> int:
    """Where CPython places the error, as a character offset into ``text``."""
    lines = text.splitlines(keepends=True)
    row = exc.lineno or 1
    if row > len(lines):
        return len(text)
    return sum(len(line) for line in lines[: row - 1]) + max(0, (exc.offset or 1) - 1)


def _column(text: str, position: int) -> int:
    return position - (text.rfind("\n", 0, position) + 1)


def _tokens(text: str) -> tuple[list[_Token], tuple[int, int] | None]:
    """The tokens of ``text`` with MicroPython's token ends, and an unindent error (position, row).

    A token's ``end`` is None when the bytes that would finish it have not arrived yet.
    """
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def offset(row: int, col: int) -> int:
        return starts[min(row, len(starts)) - 1] + col

    tokens: list[_Token] = []
    unindent: tuple[int, int] | None = None
    last_newline_row = 1
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in _SKIPPED or (tok.type == tokenize.ERRORTOKEN and tok.string.isspace()):
                continue
            start = offset(*tok.start)
            end: int | None = offset(*tok.end)
            newline = tok.type == tokenize.NEWLINE
            if newline:
                if not tok.string:  # the tokenizer's own NEWLINE at end of input: not a byte the board has
                    continue
                end = _next_content(text, start + 1)
                last_newline_row = tok.start[0]
            elif tok.type == tokenize.INDENT:
                start = end
            elif tok.type == tokenize.ERRORTOKEN and tok.string in ("'", '"'):
                line_end = text.find("\n", start)
                end = None if line_end < 0 else line_end  # MicroPython's string runs to the line end
                if tokens and tokens[-1].end == start and tokens[-1].text.lower() in _STRING_PREFIXES:
                    tokens.pop()  # f"..., b'...: the prefix is part of the string
            tokens.append(_Token(tok.type, tok.string, start, end, tok.start[0], newline))
    except IndentationError as exc:
        row = exc.args[1][1] if len(exc.args) > 1 else last_newline_row
        line_start = offset(row, 0)
        position = _next_content(text, line_start)
        if position is not None:
            unindent = (position, last_newline_row)
    except (tokenize.TokenError, SyntaxError):
        pass  # the end of what has arrived: the tokens before it are what counts
    return tokens, unindent


def _next_content(text: str, position: int) -> int | None:
    """The first character of the next line with code on it: where a NEWLINE token ends."""
    in_comment = False
    for index in range(position, len(text)):
        char = text[index]
        if char == "\n":
            in_comment = False
        elif in_comment or char in " \t\f\r":
            continue
        elif char == "#":
            in_comment = True
        else:
            return index
    return None


def _logical_line_start(tokens: list[_Token], row: int) -> int:
    """Index of the first token of the logical line that contains ``row`` (where scanning starts)."""
    first = 0
    for index, token in enumerate(tokens):
        if token.row >= row:
            break
        if token.newline:
            first = index + 1
    return first


_NUMBER_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_.")


def _bad_number(text: str, position: int) -> tuple[int, str] | None:
    """A malformed number literal around ``position``: (where MicroPython's token ends, its message).

    MicroPython's lexer takes a number as one token of letters, digits, dots and an
    exponent's sign, and only the conversion of that text to a number fails, with the
    messages measured on the unix port ("invalid syntax for integer with base 16: 'g1'",
    "... base 0: '09'" for a leading zero, "invalid syntax for number" for floats).
    """
    start = position
    while start > 0 and text[start - 1] in _NUMBER_CHARS:
        start -= 1
    if not (text[start : start + 1].isdigit() or (text[start : start + 1] == "." and text[start + 1 : start + 2].isdigit())):
        return None
    end = start
    while end < len(text) and (text[end] in _NUMBER_CHARS
                               or (text[end] in "+-" and text[end - 1] in "eE" and text[start:start + 2].lower() != "0x")):
        end += 1
    if end <= position:
        return None
    run = text[start:end]
    try:
        _quiet_compile(run.replace("_", "") or run, "<number>", "eval", 0)  # MicroPython skips '_'
    except (SyntaxError, ValueError):
        pass
    else:
        return None
    prefix = run[:2].lower()
    bases = {"0x": 16, "0o": 8, "0b": 2}
    if prefix in bases:
        return end, f"invalid syntax for integer with base {bases[prefix]}: '{run[2:]}'"
    if any(char in run for char in ".eEjJ"):
        return end, "invalid syntax for number"
    base = 0 if run.startswith("0") else 10
    return end, f"invalid syntax for integer with base {base}: '{run}'"


def glued_number_error(source: bytes) -> EarlyError | None:
    """The first number run into a name (``1if``) in a whole program, or None (see ``PasteCompiler``)."""
    text = source.decode("utf-8", "surrogateescape")
    tokens, _ = _tokens(text)
    return PasteCompiler()._glued_number(text, tokens, len(source) + LOOKAHEAD)
