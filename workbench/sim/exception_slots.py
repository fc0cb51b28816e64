"""MicroPython's ``str()`` and ``repr()`` for every builtin exception, in the simulated board's code process.

``print(e)``, ``repr(e)``, ``'%r' % e``, an exception inside a printed list: all of these go
through the C slots ``tp_str`` and ``tp_repr`` of the exception's type, which Python code
cannot replace on builtin types (they are immutable). MicroPython's answers differ from
CPython's (``KeyError('k')`` prints ``k``, an OSError ``[Errno 2] ENOENT``, the repr is
``ValueError('x',)``), and a simulated board must print what a board prints. So this module
points those two slots of each builtin exception type at Python functions, through
``_ctypes``:

* The layout of ``PyTypeObject`` up to ``tp_str`` is the same from CPython 3.8 to 3.13 on
  64-bit builds with the normal object header; :func:`install` checks that header on the
  running interpreter first (``tp_name``, ``tp_basicsize``, ``tp_itemsize`` where they must
  be) and does nothing when it differs (a free-threaded build): the board then shows
  CPython's words, which the differential test would report.
* The original slot values are kept, and after patching, a check that ``repr()`` gives the
  expected text; if not, the originals are restored.
* A slot function must return a new reference and cannot raise through ctypes, so errors
  inside it (a user's argument whose ``__str__`` raises) fall back to a plain text.

Types created later (the user's exception classes) do not copy a base's slot: CPython takes
the C function inside the base's ``__str__``/``__repr__`` wrapper descriptor. So the function
inside those descriptors (``d_wrapped``) is replaced too, after checking that it is the slot's
original value; that also makes ``Exception.__str__(e)`` answer as MicroPython does.

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

#: Kept alive for as long as the process runs: the slots point into these.
_keep: list[object] = []


def install(types: Iterable[type], str_of: Callable[[BaseException], str],
            repr_of: Callable[[BaseException], str]) -> bool:
    """Point ``tp_str``/``tp_repr`` of ``types`` at ``str_of``/``repr_of``; False when not possible here."""
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

    types = list(types)
    for cls in types:
        base = id(cls)
        if (CharPointer.from_address(base + _TP_NAME).value != cls.__name__.encode()
                or word(base + _TP_BASICSIZE).value != cls.__basicsize__
                or (word(base + _TP_ITEMSIZE).value or 0) != cls.__itemsize__):
            return False

    def guarded(function: Callable[[BaseException], str]) -> Callable[[BaseException], str]:
        def slot(exc: BaseException) -> str:
            try:
                return function(exc)
            except BaseException:  # noqa: BLE001 - nothing may escape through a C slot
                return type(exc).__name__
        return slot

    str_slot, repr_slot = Slot(guarded(str_of)), Slot(guarded(repr_of))
    _keep.extend((str_slot, repr_slot, Pointer, PyObject, CharPointer, Slot))
    str_address = word(_ctypes.addressof(str_slot)).value
    repr_address = word(_ctypes.addressof(repr_slot)).value
    wrapper_type = type(object.__dict__["__repr__"])
    patches: list[tuple[int, int, int]] = []  # (address, original, new)
    for cls in types:
        base = id(cls)
        for offset, name, address in ((_TP_STR, "__str__", str_address), (_TP_REPR, "__repr__", repr_address)):
            original = word(base + offset).value
            patches.append((base + offset, original, address))
            descriptor = cls.__dict__.get(name)
            if type(descriptor) is wrapper_type:
                if word(id(descriptor) + _D_WRAPPED).value != original:
                    return False
                patches.append((id(descriptor) + _D_WRAPPED, original, address))
    for address, _, new in patches:
        word(address).value = new
    try:
        class Probe(Exception):
            pass

        works = (repr(ValueError("x")) == repr_of(ValueError("x")) and str(KeyError("k")) == str_of(KeyError("k"))
                 and repr(Probe(1)) == repr_of(Probe(1)))
    except BaseException:  # noqa: BLE001 - any failure means: put the originals back
        works = False
    if not works:
        for address, original, _ in patches:
            word(address).value = original
    return works
