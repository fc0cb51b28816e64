"""MicroPython's ``str()``/``repr()`` for builtin types whose text differs, in the simulated board's code process.

``print(e)``, ``repr(e)``, ``'%r' % e``, a string inside a printed list: all of these go
through the C slots ``tp_str`` and ``tp_repr`` of the object's type, which Python code cannot
replace on builtin types (they are immutable). Where MicroPython's answer differs from
CPython's, a simulated board must print MicroPython's:

* exceptions: ``KeyError('k')`` prints ``k``, an OSError ``[Errno 2] ENOENT``, the repr is
  ``ValueError('x',)`` (``micro_errors.exception_str`` / ``exception_repr``);
* ``repr()`` of a ``str``: MicroPython escapes every character beyond ASCII (``'caf\\xe9'``,
  ``'\\u20ac'``; ``py/objstrunicode.c``, ``uni_print_quoted``), CPython prints the printable
  ones as they are (:func:`str_repr`).

So this module points those slots at Python functions, through ``_ctypes``:

* The layout of ``PyTypeObject`` up to ``tp_str`` is the same from CPython 3.8 to 3.13 on
  64-bit builds with the normal object header; :func:`install` checks that header on the
  running interpreter first (``tp_name``, ``tp_basicsize``, ``tp_itemsize`` where they must
  be) and does nothing when it differs (a free-threaded build): the board then shows
  CPython's text, which the differential test would report.
* Types created later (the user's subclasses) do not copy a base's slot: CPython takes the C
  function inside the base's ``__str__``/``__repr__`` wrapper descriptor. So the function
  inside those descriptors (``d_wrapped``) is replaced too, after checking that it is the
  slot's original value; that also makes ``Exception.__str__(e)`` answer as MicroPython does.
* After patching, the new text is checked; if it is not what was asked for, every original
  value is put back.
* A slot function must return a new reference and cannot raise through ctypes, so an error
  inside it (a user's argument whose ``__str__`` raises) gives the type's name instead.

Loaded by path into the child process only; imports nothing beyond builtin modules.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

_POINTER = 8
_TP_NAME = 3 * _POINTER  # after ob_refcnt, ob_type, ob_size
_TP_BASICSIZE = 4 * _POINTER
_TP_ITEMSIZE = 5 * _POINTER
_TP_REPR = 11 * _POINTER  # tp_dealloc, tp_vectorcall_offset, tp_getattr, tp_setattr, tp_as_async before it
_TP_STR = 17 * _POINTER  # tp_as_number, tp_as_sequence, tp_as_mapping, tp_hash, tp_call before it
#: ``PyWrapperDescrObject.d_wrapped``: after the object header, d_type, d_name, d_qualname, d_base.
_D_WRAPPED = 6 * _POINTER
_SLOTS = {"__str__": _TP_STR, "__repr__": _TP_REPR}

#: Kept alive for as long as the process runs: the slots point into these.
_keep: list[object] = []


def str_repr(text: str) -> str:
    """MicroPython's ``repr()`` of a string: ASCII as it is, everything else escaped."""
    quote = '"' if "'" in text and '"' not in text else "'"
    out = [quote]
    for char in text:
        code = ord(char)
        if char == quote or char == "\\":
            out.append("\\" + char)
        elif 32 <= code <= 126:
            out.append(char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append(quote)
    return "".join(out)


def install(patches: Iterable[tuple[Iterable[type], str, Callable[[object], str]]],
            check: Callable[[], bool]) -> bool:
    """Point ``slot`` (``"__str__"`` or ``"__repr__"``) of each type at its function; False when not possible here.

    ``patches`` holds (types, slot name, function) triples. ``check`` is called once all is
    in place and must say whether the new text is right; if not, everything is put back.
    """
    try:
        import _ctypes
    except ImportError:
        return False
    if sys.maxsize != 2**63 - 1 or getattr(sys, "_is_gil_enabled", lambda: True)() is False:
        return False

    class PyObject(_ctypes._SimpleCData):  # type: ignore[misc,name-defined]
        _type_ = "O"

    class Pointer(_ctypes._SimpleCData):  # type: ignore[misc,name-defined]
        _type_ = "P"

    class CharPointer(_ctypes._SimpleCData):  # type: ignore[misc,name-defined]
        _type_ = "z"

    class Slot(_ctypes.CFuncPtr):  # type: ignore[misc,name-defined]
        _argtypes_ = (PyObject,)
        _restype_ = PyObject
        _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_PYTHONAPI

    def word(address: int) -> Pointer:
        return Pointer.from_address(address)

    def guarded(function: Callable[[object], str]) -> Callable[[object], str]:
        def slot(value: object) -> str:
            try:
                return function(value)
            except BaseException:  # noqa: BLE001 - nothing may escape through a C slot
                return type(value).__name__
        return slot

    _keep.extend((Pointer, PyObject, CharPointer, Slot))
    wrapper_type = type(object.__dict__["__repr__"])
    changes: list[tuple[int, int, int]] = []  # (address, original, new)
    for types, name, function in patches:
        pointer = Slot(guarded(function))
        _keep.append(pointer)
        address = word(_ctypes.addressof(pointer)).value
        for cls in types:
            base = id(cls)
            if (CharPointer.from_address(base + _TP_NAME).value != cls.__name__.encode()
                    or word(base + _TP_BASICSIZE).value != cls.__basicsize__
                    or (word(base + _TP_ITEMSIZE).value or 0) != cls.__itemsize__):
                return False
            original = word(base + _SLOTS[name]).value
            changes.append((base + _SLOTS[name], original, address))
            descriptor = cls.__dict__.get(name)
            if type(descriptor) is wrapper_type:
                if word(id(descriptor) + _D_WRAPPED).value != original:
                    return False
                changes.append((id(descriptor) + _D_WRAPPED, original, address))
    for address, _, new in changes:
        word(address).value = new
    try:
        works = check()
    except BaseException:  # noqa: BLE001 - any failure means: put the originals back
        works = False
    if not works:
        for address, original, _ in changes:
            word(address).value = original
    return works
