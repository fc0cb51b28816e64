"""MicroPython's board modules in small form, for the simulated board's code process.

Teaching code does ``import machine, time`` and blinks a pin, reads ``gc.mem_free()`` or
checks ``sys.platform``. CPython has none of that, so :func:`install` puts small stand-ins
into ``sys.modules`` before any user code runs: ``machine``, ``micropython``, ``gc``, a
``time`` with the ``ticks_*`` family, ``os.uname()`` of the board, and the ``u``-prefixed
aliases (``utime``, ``ujson``...) that older MicroPython code still imports.

This file is loaded by path into the child process only (see ``child.py``); it imports
nothing beyond builtin modules so that the child stays ready in a few milliseconds.
"""

from __future__ import annotations

import gc as _host_gc
import os
import sys
import time as _host_time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from types import ModuleType
    from typing import Any, NoReturn

#: MicroPython's ``ticks_*`` wrap at this period on 32-bit ports (``MICROPY_PY_TIME_TICKS_PERIOD``).
TICKS_PERIOD = 1 << 30
_TICKS_MASK = TICKS_PERIOD - 1
_TICKS_HALF = TICKS_PERIOD // 2

#: ``sys.implementation._mpy`` needs the native architecture: its number, by ``sys.platform``.
_MPY_ARCH = {"esp32": 10, "esp8266": 9, "rp2": 4, "pyboard": 7, "samd": 6, "mimxrt": 7, "nrf": 6, "linux": 2}
#: mpy format 6, sub-version 2 (MicroPython 1.22).
_MPY_BASE = 6 | (2 << 8)

#: Modules MicroPython also knows under a ``u`` prefix; imported on first use only.
_U_ALIASES = {
    "uarray": "array", "uasyncio": "asyncio", "ubinascii": "binascii", "ucollections": "collections",
    "uerrno": "errno", "uhashlib": "hashlib", "uheapq": "heapq", "uio": "io", "ujson": "json",
    "urandom": "random", "ure": "re", "uselect": "select", "usocket": "socket", "ustruct": "struct",
    "uzlib": "zlib",
}

_ModuleType = type(sys)


class _Board:
    """What the stand-in modules need to know about the board and the code process."""

    def __init__(
        self,
        identity: dict[str, Any],
        namespace: dict[str, Any],
        hard_reset: Callable[[], NoReturn],
        print_exception: Callable[[BaseException, Any], None],
        kbd_intr: Callable[[int], None] | None = None,
    ) -> None:
        self.identity = identity
        self.namespace = namespace
        self.hard_reset = hard_reset
        self.print_exception = print_exception
        self.kbd_intr = kbd_intr
        self.freq_hz = int(identity["freq_hz"])
        self.boot_ns = _host_time.monotonic_ns()
        self.gc_threshold = -1
        self.opt_level = 0


_board: _Board | None = None


def _the_board() -> _Board:
    """The installed board; the modules are useless (and never imported) without one."""
    if _board is None:
        raise RuntimeError("micro_modules.install() has not run")
    return _board


def _module(name: str, doc: str, attrs: dict[str, Any], base: ModuleType | None = None) -> ModuleType:
    """A fresh module: the public names of ``base`` (if any), then ``attrs`` on top."""
    module = _ModuleType(name, doc)
    if base is not None:
        module.__dict__.update((k, v) for k, v in vars(base).items() if not k.startswith("__"))
    module.__dict__.update(attrs)
    return module


# ---------------------------------------------------------------------------- machine
#: Pin levels and pulls by pin id, shared by every Pin object for that id.
_PIN_LEVELS: dict[Any, int] = {}
_PIN_PULLS: dict[Any, int | None] = {}


class Pin:
    """A GPIO pin that remembers its level; two ``Pin(2)`` objects share one pin, as on a board."""

    IN = 1
    OUT = 3
    OPEN_DRAIN = 7
    PULL_UP = 2
    PULL_DOWN = 1
    IRQ_RISING = 1
    IRQ_FALLING = 2

    def __init__(self, id: Any, mode: int = -1, pull: int | None = -1, value: Any = None, **kwargs: Any) -> None:
        self._id = id
        self._mode: int | None = None
        self.init(mode, pull, value)

    def init(self, mode: int = -1, pull: int | None = -1, value: Any = None, **kwargs: Any) -> None:
        """Change mode, pull and level; ``-1`` leaves a setting as it was (MicroPython's convention)."""
        if mode != -1:
            self._mode = mode
        if pull != -1:
            _PIN_PULLS[self._id] = pull
        if value is not None:
            _PIN_LEVELS[self._id] = 1 if value else 0

    def value(self, *args: Any) -> int | None:
        """Read the level, or set it with one argument (then returns None, as MicroPython does)."""
        if args:
            _PIN_LEVELS[self._id] = 1 if args[0] else 0
            return None
        if self._id in _PIN_LEVELS:
            return _PIN_LEVELS[self._id]
        return 1 if _PIN_PULLS.get(self._id) == Pin.PULL_UP else 0

    __call__ = value

    def on(self) -> None:
        self.value(1)

    def off(self) -> None:
        self.value(0)

    high = on
    low = off

    def toggle(self) -> None:
        self.value(not self.value())

    def irq(self, handler: Any = None, trigger: int = 3, **kwargs: Any) -> None:
        """Accepted and ignored: nothing outside drives a simulated pin."""

    def __repr__(self) -> str:
        return f"Pin({self._id})"


PWRON_RESET, HARD_RESET, WDT_RESET, DEEPSLEEP_RESET, SOFT_RESET = 1, 2, 3, 4, 5


def _machine_reset() -> NoReturn:
    """``machine.reset()``: the runner reports a hard reset and the code stops here."""
    _the_board().hard_reset()


def _machine_soft_reset() -> NoReturn:
    """``machine.soft_reset()`` raises SystemExit on MicroPython too; the runner reports it."""
    raise SystemExit


def _unique_id() -> bytes:
    return bytes(_the_board().identity["unique_id"])


def _freq(*hz: int) -> int | None:
    """Get the CPU frequency, or set it (any value is accepted)."""
    board = _the_board()
    if hz:
        board.freq_hz = int(hz[0])
        return None
    return board.freq_hz


def _idle() -> None:
    """Wait for the next interrupt: the 1 ms system tick on most ports (and it keeps a CPU cool)."""
    _host_time.sleep(0.001)


def _lightsleep(ms: int | None = None) -> None:
    if ms is not None:
        _host_time.sleep(max(0, ms) / 1000)


def _deepsleep(ms: int | None = None) -> NoReturn:
    """Deep sleep ends in a reset on every port."""
    _lightsleep(ms)
    _machine_reset()


def _make_machine() -> ModuleType:
    return _module("machine", "Hardware of the simulated board.", {
        "Pin": Pin,
        "reset": _machine_reset,
        "soft_reset": _machine_soft_reset,
        "unique_id": _unique_id,
        "freq": _freq,
        "idle": _idle,
        "lightsleep": _lightsleep,
        "deepsleep": _deepsleep,
        "reset_cause": lambda: PWRON_RESET,
        "disable_irq": lambda: 0,
        "enable_irq": lambda state=0: None,
        "PWRON_RESET": PWRON_RESET,
        "HARD_RESET": HARD_RESET,
        "WDT_RESET": WDT_RESET,
        "DEEPSLEEP_RESET": DEEPSLEEP_RESET,
        "SOFT_RESET": SOFT_RESET,
    })


# ---------------------------------------------------------------------------- time
def _ticks(ns_per_tick: int) -> int:
    """Ticks since this board booted, wrapped like MicroPython's."""
    return ((_host_time.monotonic_ns() - _the_board().boot_ns) // ns_per_tick) & _TICKS_MASK


def ticks_ms() -> int:
    return _ticks(1_000_000)


def ticks_us() -> int:
    return _ticks(1_000)


def ticks_cpu() -> int:
    return _host_time.perf_counter_ns() & _TICKS_MASK


def ticks_add(ticks: int, delta: int) -> int:
    return (ticks + delta) & _TICKS_MASK


def ticks_diff(ticks1: int, ticks2: int) -> int:
    """Signed distance ``ticks1 - ticks2``, correct across one wraparound (MicroPython's definition)."""
    return ((ticks1 - ticks2 + _TICKS_HALF) & _TICKS_MASK) - _TICKS_HALF


def sleep_ms(ms: int) -> None:
    _host_time.sleep(max(0, ms) / 1000)


def sleep_us(us: int) -> None:
    _host_time.sleep(max(0, us) / 1_000_000)


def _board_time() -> int | float:
    """Whole seconds on a board (MicroPython returns an int there); the unix port returns a float."""
    now = _host_time.time()
    return now if _the_board().identity["platform"] == "linux" else int(now)


def _eight(t: Any) -> tuple[int, ...]:
    """MicroPython's time tuples have 8 fields: no ``isdst``."""
    return tuple(t)[:8]


def _localtime(secs: float | None = None) -> tuple[int, ...]:
    return _eight(_host_time.localtime(secs))


def _gmtime(secs: float | None = None) -> tuple[int, ...]:
    return _eight(_host_time.gmtime(secs))


def _mktime(t: Iterable[int]) -> int:
    fields = tuple(t)[:8]
    return int(_host_time.mktime(fields + (0,) * (8 - len(fields)) + (-1,)))


def _make_time() -> ModuleType:
    return _module("time", "The host's time module with MicroPython's additions.", {
        "ticks_ms": ticks_ms,
        "ticks_us": ticks_us,
        "ticks_cpu": ticks_cpu,
        "ticks_add": ticks_add,
        "ticks_diff": ticks_diff,
        "sleep_ms": sleep_ms,
        "sleep_us": sleep_us,
        "time": _board_time,
        "localtime": _localtime,
        "gmtime": _gmtime,
        "mktime": _mktime,
    }, base=_host_time)


# ---------------------------------------------------------------------------- gc
def _mem_alloc() -> int:
    """A plausible heap use: a fresh board's few KB plus a little per global name."""
    board = _the_board()
    total = int(board.identity["mem_total"])
    used = min(total // 12, 9000) + 96 * len(board.namespace)
    return min(used, max(0, total - 1024))


def _mem_free() -> int:
    return int(_the_board().identity["mem_total"]) - _mem_alloc()


def _collect() -> None:
    _host_gc.collect()


def _threshold(*amount: int) -> int | None:
    board = _the_board()
    if amount:
        board.gc_threshold = int(amount[0])
        return None
    return board.gc_threshold


def _make_gc() -> ModuleType:
    return _module("gc", "Garbage collector control, with MicroPython's heap figures.", {
        "collect": _collect,
        "mem_alloc": _mem_alloc,
        "mem_free": _mem_free,
        "threshold": _threshold,
    }, base=_host_gc)


# ---------------------------------------------------------------------------- micropython
def _const(value: Any) -> Any:
    return value


def _opt_level(*level: int) -> int | None:
    board = _the_board()
    if level:
        board.opt_level = int(level[0])
        return None
    return board.opt_level


def _mem_info(verbose: Any = None) -> None:
    """The summary ``micropython.mem_info()`` prints on a board."""
    total, used = int(_the_board().identity["mem_total"]), _mem_alloc()
    print("stack: 736 out of 15360")
    print(f"GC: total: {total}, used: {used}, free: {total - used}")
    print(f" No. of 1-blocks: {used // 64}, 2-blocks: {used // 320}, max blk sz: 32, max free sz: {(total - used) // 16}")


def _qstr_info(verbose: Any = None) -> None:
    count = len(_the_board().namespace)
    print(f"qstr pool: n_pool=1, n_qstr={count}, n_str_data_bytes={count * 8}, n_total_bytes={1024 + count * 8}")


def _schedule(function: Callable[[Any], Any], arg: Any) -> None:
    """Runs the callback at once: there are no interrupt handlers to defer it from."""
    function(arg)


def _identity_decorator(function: Any) -> Any:
    """``@micropython.native`` and friends: the code runs as it is."""
    return function


def _kbd_intr(char: int) -> None:
    """``micropython.kbd_intr(char)``: which byte from the host interrupts the running code
    (-1: none, so CTRL-C is ordinary input, as a file transfer needs); the firmware sets it
    back to CTRL-C when the next run starts, as ``pyexec`` does."""
    char = int(char)
    callback = _the_board().kbd_intr
    if callback is not None:
        callback(char)


def _make_micropython() -> ModuleType:
    return _module("micropython", "MicroPython's interpreter internals, as far as code can see them.", {
        "const": _const,
        "opt_level": _opt_level,
        "mem_info": _mem_info,
        "qstr_info": _qstr_info,
        "stack_use": lambda: 736,
        "alloc_emergency_exception_buf": lambda size: None,
        "schedule": _schedule,
        "kbd_intr": _kbd_intr,
        "heap_lock": lambda: 0,
        "heap_unlock": lambda: 0,
        "heap_locked": lambda: 0,
        "native": _identity_decorator,
        "viper": _identity_decorator,
        "asm_thumb": _identity_decorator,
        "asm_xtensa": _identity_decorator,
    })


# ---------------------------------------------------------------------------- os, sys
class _AttrTuple(tuple):
    """MicroPython's "attrtuple": a tuple with named fields, printed as ``(name=value, ...)``."""

    _fields: tuple[str, ...] = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[self._fields.index(name)]
        except ValueError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return "(" + ", ".join(f"{name}={value!r}" for name, value in zip(self._fields, self)) + ")"


class _UnameResult(_AttrTuple):
    _fields = ("sysname", "nodename", "release", "version", "machine")


def _uname() -> _UnameResult:
    ident = _the_board().identity
    return _UnameResult((ident["platform"], ident["nodename"], ident["release"], ident["version_string"],
                         ident["machine"]))


class _Implementation:
    """``sys.implementation`` of the board, keeping CPython's fields the import system reads."""

    def __init__(self, host: Any, fields: dict[str, Any]) -> None:
        self.__dict__.update(vars(host))
        self.__dict__.update(fields)
        self._shown = tuple(fields)

    def __repr__(self) -> str:
        return "(" + ", ".join(f"{name}={getattr(self, name)!r}" for name in self._shown) + ")"


def _implementation(identity: dict[str, Any]) -> _Implementation:
    version = tuple(identity["version"])
    if identity["implementation"] == "micropython":
        # The release-level fourth element arrived in 1.22, _machine in 1.20 (sim://legacy is 1.12).
        fields: dict[str, Any] = {"name": "micropython", "version": version + ("",) if version >= (1, 22) else version}
        if version >= (1, 20):
            fields["_machine"] = identity["machine"]
    else:
        fields = {"name": identity["implementation"], "version": version, "_machine": identity["machine"]}
    if identity["implementation"] != "micropython" or version >= (1, 19):  # sys.implementation._mpy: 1.19
        fields["_mpy"] = _MPY_BASE | (_MPY_ARCH.get(identity["platform"], 0) << 10)
    return _Implementation(sys.implementation, fields)


def _print_exception(exc: BaseException, file: Any = None) -> None:
    """``sys.print_exception``: MicroPython's way to show a caught exception."""
    _the_board().print_exception(exc, sys.stdout if file is None else file)


# ---------------------------------------------------------------------------- u-aliases
class _AliasLoader:
    """Imports the real module and files it under the alias too (``ujson`` is ``json``)."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        sys.modules[module.__name__] = __import__(self.target)


class _AliasFinder:
    """Answers only for the ``u``-prefixed names; everything else goes to the normal finders."""

    @staticmethod
    def find_spec(name: str, path: Any = None, target: Any = None) -> Any:
        if name not in _U_ALIASES:
            return None
        return type(sys.__spec__)(name, _AliasLoader(_U_ALIASES[name]))


# ---------------------------------------------------------------------------- install
def install(
    identity: dict[str, Any],
    namespace: dict[str, Any],
    hard_reset: Callable[[], NoReturn],
    print_exception: Callable[[BaseException, Any], None],
    kbd_intr: Callable[[int], None] | None = None,
) -> None:
    """Make this process look like the board: call once, before any user code runs.

    ``hard_reset`` reports ``machine.reset()`` to the runner and does not return;
    ``print_exception`` writes an exception in MicroPython's format to a stream;
    ``kbd_intr`` tells the firmware which byte interrupts the code now.
    """
    global _board
    _board = _Board(identity, namespace, hard_reset, print_exception, kbd_intr)
    time_module = _make_time()
    modules = {
        "machine": _make_machine(),
        "micropython": _make_micropython(),
        "gc": _make_gc(),
        "time": time_module,
        "utime": time_module,
        "uos": os,
        "usys": sys,
    }
    sys.modules.update(modules)
    sys.meta_path.insert(0, _AliasFinder())
    os.uname = _uname
    sys.print_exception = _print_exception
    sys.implementation = _implementation(identity)
    sys.platform = identity["platform"]
    sys.argv = []
