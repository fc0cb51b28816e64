"""The ``workbench`` command: the app with no arguments, headless commands otherwise.

Exit status: 0 ok; 1 the code raised on the device (its traceback on stderr); 2 usage or
unreadable input; 3 could not connect, protocol error or timeout. With several devices
(``exec``/``run``), the highest of the devices' codes. Errors are one line starting with
``workbench:``; a traceback from our own code never reaches the user.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, cast

from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.engine import Profile, Session
    from workbench.manager import ManagedSession, RunOutcome, SessionManager
    from workbench.ports import PortInfo
    from workbench.profiles import ProfileStore

EXIT_OK = 0
EXIT_RAISED = 1
EXIT_USAGE = 2
EXIT_DEVICE = 3

DEFAULT_DEVICE = "sim://generic"

URL_HELP = """device URLs:
  /dev/ttyACM0, COM3          a serial port
  socket://HOST:PORT          raw TCP (ser2net raw mode, an ESP32 telnet bridge)
  rfc2217://HOST:PORT         RFC 2217 (ser2net telnet(rfc2217)): baud rate and DTR/RTS too
  sim://esp32?drop=0.001      a simulated board (generic, esp32, esp8266, rp2040, stm32,
                              circuitpython, legacy) with optional fault injection
  spawn://micropython         the local MicroPython unix port on a pty (any command on PATH)
  spawn:///path/to/micropython  a given interpreter executable
  loop://                     pyserial's loopback (for testing only)
"""

SEVERAL_HELP = """several devices:
  -d URL (repeatable) and commas (-d A,B or "A,B" as URL) name several devices; the
  positional URL comes first, then each -d. The code runs on all of them at once; every
  output line is prefixed with its device ("[sim://generic] hello", stdout to stdout,
  tracebacks to stderr), then one summary line per device goes to stderr. A device that
  cannot be opened counts as failed; the others still run. Exit status: the highest of the
  devices' codes (0 ok, 1 the code raised, 3 failed: not opened, timeout, lost). Ctrl-C
  interrupts the code on every device. --trace FILE.jsonl writes FILE.1.jsonl, FILE.2.jsonl...

"""


class _SubcommandParser(argparse.ArgumentParser):
    """A subcommand's parser: options and arguments in any order, then an optional check.

    ``exec [URL] CODE`` has an optional positional before a required one; plain argparse
    settles positionals at the first option, so ``exec URL --timeout 1 CODE`` (which worked
    while URL was required) would fail. Intermixed parsing reads the options first; for the
    other subcommands, with one positional at most, it changes nothing.
    """

    check: Callable[[argparse.ArgumentParser, argparse.Namespace], None] | None = None
    _inner = False

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        if self._inner:  # parse_known_intermixed_args calls back in here (on some Pythons)
            return super().parse_known_args(args, namespace)
        self._inner = True
        try:
            parsed, extras = self.parse_known_intermixed_args(args, namespace)
        finally:
            self._inner = False
        if self.check is not None:
            self.check(self, parsed)
        return parsed, extras


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; ``--help`` of each command lists its options."""
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="A terminal workbench for MicroPython boards (raw REPL / raw-paste). "
        "Without a command, starts the app.",
        epilog=URL_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=_version())
    parser.add_argument(
        "-d", "--device", help=f"device URL for the app (default: one board if found, else {DEFAULT_DEVICE})"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_SubcommandParser)

    def add_device_command(name: str, help_text: str, operand: str) -> _SubcommandParser:
        cmd = sub.add_parser(name, help=help_text, description=help_text, epilog=SEVERAL_HELP + URL_HELP,
                             formatter_class=argparse.RawDescriptionHelpFormatter)
        cmd.add_argument("url", metavar="URL", nargs="?",
                         help="device URL (see below); may be left out when -d names the devices")
        cmd.add_argument("-d", "--device", dest="devices", action="append", metavar="URL",
                         help="a device to run on; repeat it, or separate URLs with commas, for several")
        cmd.add_argument("--timeout", type=_positive_float, metavar="S",
                         help="stop the code (CTRL-C) if it runs longer than S seconds")
        cmd.add_argument("--trace", metavar="FILE.jsonl",
                         help="save every byte of the exchange; with several devices one file each, "
                         "numbered in device order: FILE.1.jsonl, FILE.2.jsonl, ...")
        cmd.add_argument("--raw-paste", choices=("auto", "always", "never"),
                         help="raw-paste use (default: the device's profile, usually auto)")
        cmd.add_argument("--response-timeout", type=_positive_float, metavar="S",
                         help="longest wait for any protocol reply (default: the device's profile)")
        cmd.add_argument("-v", "--verbose", action="store_true",
                         help="say which protocol profile was chosen for the device, and why")
        cmd = cast(_SubcommandParser, cmd)
        cmd.check = lambda parser, ns: _check_devices(parser, ns, operand)
        return cmd

    exec_cmd = add_device_command("exec", "run a piece of code on the device(s)", "CODE")
    exec_cmd.add_argument("code", metavar="CODE", help="Python code, e.g. \"print(1+1)\"")
    run_cmd = add_device_command("run", "run a local .py file on the device(s)", "FILE.py")
    run_cmd.add_argument("file", metavar="FILE.py", help="the script to send")

    ports = sub.add_parser("ports", help="list serial ports (with a board guess), simulated boards, local interpreter")
    ports.add_argument("--json", action="store_true", help="machine-readable output")

    probe = sub.add_parser(
        "probe",
        help="measure a device and propose a protocol profile",
        description="Adaptive detection: raw REPL test, response timing, raw-paste and window, "
        "flow-control validation, and a proposed profile. Nothing is stored without --save.",
        epilog=URL_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    probe.add_argument("url", metavar="URL", help="device URL (see below)")
    probe.add_argument("--json", action="store_true", help="machine-readable output")
    probe.add_argument("--save", action="store_true", help="store the proposed profile for this device")
    probe.add_argument("--round-trips", type=int, default=20, metavar="N", help="timing samples (default 20)")

    trace = sub.add_parser("trace", help="print a saved trace or transcript, annotated")
    trace.add_argument("file", metavar="FILE.jsonl")
    trace.add_argument("--hex", action="store_true", help="a hex dump instead of one line per record")

    lesson = sub.add_parser(
        "lesson",
        help="guided lessons on the raw REPL, on simulated boards",
        description="Without NAME, lists the lessons. With NAME, runs that lesson on its simulated "
        "board and prints a handout: each step's explanation, the bytes exchanged and the outcome.",
    )
    lesson.add_argument("name", metavar="NAME", nargs="?", help="the lesson to run (see the list)")
    return parser


def _check_devices(parser: argparse.ArgumentParser, ns: argparse.Namespace, operand: str) -> None:
    """Settle ``ns.urls``: the positional URL, then each -d, commas splitting, duplicates once.

    Without -d the URL is required, as it always was: argparse hands a lone argument to CODE
    (the required one), but it is the URL, and CODE is what is missing.
    """
    if ns.url is None and not ns.devices:
        parser.error(f"the following arguments are required: {operand}")
    given = ([ns.url] if ns.url is not None else []) + (ns.devices or [])
    urls = [part.strip() for text in given for part in text.split(",")]
    ns.urls = list(dict.fromkeys(url for url in urls if url))
    if not ns.urls:
        parser.error("no device URL given")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0: {text!r}")
    return value


def _version() -> str:
    from workbench import __version__

    return f"workbench {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and ``python -m workbench``."""
    args = build_parser().parse_args(argv)
    try:
        if args.command is None:
            from workbench.app.main import run_app

            return run_app(args.device)
        if args.command in ("exec", "run"):
            return _cmd_exec(args)
        if args.command == "ports":
            return _cmd_ports(args)
        if args.command == "trace":
            return _cmd_trace(args)
        if args.command == "probe":
            return _cmd_probe(args)
        if args.command == "lesson":
            return _cmd_lesson(args)
    except WorkbenchError as exc:
        _error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    return EXIT_USAGE


def _error(message: str) -> None:
    print(f"workbench: {message}", file=sys.stderr, flush=True)


def _cmd_exec(args: argparse.Namespace) -> int:
    if args.command == "run":
        try:
            code = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            _error(f"cannot read {args.file}: {exc}")
            return EXIT_USAGE
    else:
        code = args.code
    if len(args.urls) == 1:
        return _exec_one(args, args.urls[0], code)
    return _exec_several(args, args.urls, code)


def _exec_one(args: argparse.Namespace, url: str, code: str) -> int:
    """One device: its output passes through untouched, as it arrives."""
    from workbench.engine import connect

    profile, saved = _command_profile(args, url)

    def on_output(stream: str, text: str) -> None:
        out = sys.stdout if stream == "stdout" else sys.stderr
        out.write(text)
        out.flush()

    with connect(url, profile) as session:
        if not saved:
            _use_platform_preset(args, url, session.set_profile, session)
        try:
            with _ctrl_c_interrupts(session.interrupt, "the code on the device"):
                result = session.exec(code, timeout=args.timeout, on_output=on_output)
        finally:
            if args.trace:
                _save_trace(session, args.trace)
    return EXIT_OK if result.ok else EXIT_RAISED


def _command_profile(
    args: argparse.Namespace, url: str, *, label: str = "", report_problems: bool = True
) -> tuple[Profile, bool]:
    """The device's matched profile with the command line's overrides, and whether the user
    saved it. An unsaved device starts on the generic preset until :func:`_use_platform_preset`
    has asked the firmware what it is; ``-v`` then says which profile won and why."""
    profile, why, saved = _matched_profile(url, report_problems=report_problems)
    if args.verbose and saved:
        print(f"workbench: {label}profile {why}", file=sys.stderr, flush=True)
    return _with_overrides(args, profile), saved


def _with_overrides(args: argparse.Namespace, profile: Profile) -> Profile:
    if args.raw_paste is not None:
        profile = profile.with_changes(raw_paste=args.raw_paste)
    if args.response_timeout is not None:
        profile = profile.with_changes(response_timeout_s=args.response_timeout)
    return profile


def _use_platform_preset(
    args: argparse.Namespace,
    url: str,
    set_profile: Callable[[Profile], None],
    session: Session,
    *,
    label: str = "",
) -> None:
    """Nothing saved for this device: one small exec asks the firmware its platform, and that
    platform's preset applies from the user's code on (as in the app). Never fatal: a board
    that does not say keeps the generic preset."""
    from workbench.probe import fingerprint
    from workbench.profiles import choose_profile

    try:
        found = fingerprint(session)
    except WorkbenchError:
        return  # the user's code will meet the same problem and report it properly
    chosen, why = choose_profile(
        _profile_store(), url=url, port=_port_for(url), platform=found.platform, implementation=found.implementation
    )
    set_profile(_with_overrides(args, chosen.to_engine_profile()))
    if args.verbose:
        print(f"workbench: {label}profile {chosen.name!r}: {why}", file=sys.stderr, flush=True)


def _exec_several(args: argparse.Namespace, urls: list[str], code: str) -> int:
    """Several devices at once through one manager; prefixed output, a summary, the worst code.

    Profiles are matched here, in order, before anything opens: ``-v`` then reads in device
    order, and a broken profiles file is reported once, not once per device.
    """
    from workbench.manager import SessionManager

    matched = {
        url: _command_profile(args, url, label=f"[{url}] ", report_problems=index == 0)
        for index, url in enumerate(urls)
    }
    profiles = {url: profile for url, (profile, _saved) in matched.items()}
    printer = PrefixedLines(sys.stdout, sys.stderr)
    with SessionManager(profile_for=profiles.__getitem__) as manager:
        failed_opens = _open_all(manager, urls)
        opened = [url for url in urls if url not in failed_opens]
        for url in opened:
            managed = manager.get(url)
            if not matched[url][1] and managed is not None and managed.session is not None:
                _use_platform_preset(args, url, managed.set_profile, managed.session, label=f"[{url}] ")
        try:
            with _ctrl_c_interrupts(lambda: _interrupt_running(manager), "the code on every device"):
                outcomes = manager.run_on(opened, code, timeout=args.timeout, on_output=printer.write)
        finally:
            printer.flush(urls)
            if args.trace:
                for index, url in enumerate(urls, start=1):
                    managed = manager.get(url)
                    if managed is not None:
                        _save_trace(managed, _numbered_path(args.trace, index))
    by_url = {outcome.url: outcome for outcome in outcomes}
    by_url.update((url, outcome) for url, (outcome, _code) in failed_opens.items())
    codes = {url: failed_opens[url][1] if url in failed_opens else _outcome_code(by_url[url]) for url in urls}
    for url in urls:
        print(_summary_line(by_url[url]), file=sys.stderr, flush=True)
    return max(codes.values())


def _open_all(manager: SessionManager, urls: list[str]) -> dict[str, tuple[RunOutcome, int]]:
    """Open every device at once (boot waits overlap); the failures, each with its exit code."""
    from workbench.manager import RunOutcome

    def open_one(url: str) -> tuple[RunOutcome, int] | None:
        started = time.monotonic()
        try:
            manager.open(url)
        except WorkbenchError as exc:
            return RunOutcome(url, None, str(exc), time.monotonic() - started), exc.exit_code
        return None

    with ThreadPoolExecutor(max_workers=len(urls), thread_name_prefix="workbench open") as pool:
        results = list(pool.map(open_one, urls))
    return {url: failure for url, failure in zip(urls, results, strict=True) if failure is not None}


def _interrupt_running(manager: SessionManager) -> None:
    """CTRL-C to every board still running; one that cannot be reached must not stop the rest."""
    from workbench.manager import SessionState

    for managed in manager.sessions():
        if managed.state is SessionState.RUNNING:
            with contextlib.suppress(WorkbenchError):
                managed.interrupt()


def _outcome_code(outcome: RunOutcome) -> int:
    """The exit status the single-device path gives the same result."""
    return {"ok": EXIT_OK, "raised": EXIT_RAISED}.get(outcome.status, EXIT_DEVICE)


def _summary_line(outcome: RunOutcome) -> str:
    """``workbench: [URL] STATUS in N ms`` and, when it did not go well, why."""
    line = f"workbench: [{outcome.url}] {outcome.status} in {outcome.duration_s * 1000:.0f} ms"
    if outcome.result is not None and outcome.result.exception is not None:
        return f"{line}: {outcome.result.exception.summary()}"
    if outcome.error:
        return f"{line}: {outcome.error}"
    return line


def _numbered_path(path: str, index: int) -> str:
    """``run.jsonl`` -> ``run.2.jsonl``: the device's index before the extension."""
    original = Path(path)
    return str(original.with_name(f"{original.stem}.{index}{original.suffix}"))


class PrefixedLines:
    """Output of several devices, each line whole and prefixed with its device.

    Devices print at the same time and their output arrives in pieces that can end
    mid-line; a line goes out only once its newline has arrived (per device and stream), so
    two devices never share a line. ``write`` is called on the devices' threads.
    """

    def __init__(self, stdout: TextIO, stderr: TextIO) -> None:
        self._outs = {"stdout": stdout, "stderr": stderr}
        self._pending: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def write(self, url: str, stream: str, text: str) -> None:
        """Take a piece of one device's output; print the lines it completes."""
        with self._lock:
            *lines, rest = (self._pending.get((url, stream), "") + text).split("\n")
            self._pending[(url, stream)] = rest
            if lines:
                self._emit(url, stream, lines)

    def flush(self, urls: Sequence[str] = ()) -> None:
        """Print what is left without a newline: the given devices first, in that order."""
        with self._lock:
            order = list(dict.fromkeys([*urls, *(url for url, _stream in self._pending)]))
            for (url, stream), rest in sorted(
                self._pending.items(), key=lambda item: (order.index(item[0][0]), item[0][1] != "stdout")
            ):
                if rest:
                    self._emit(url, stream, [rest])
            self._pending.clear()

    def _emit(self, url: str, stream: str, lines: list[str]) -> None:
        out = self._outs.get(stream, self._outs["stderr"])
        prefix = f"[{url}] "
        out.write("".join(prefix + line.removesuffix("\r") + "\n" for line in lines))
        out.flush()


@contextlib.contextmanager
def _ctrl_c_interrupts(interrupt: Callable[[], None], what: str) -> Iterator[None]:
    """First Ctrl-C here stops the code (``interrupt``); a second one gives up waiting."""
    presses = 0

    def handler(signum: int, frame: object) -> None:
        nonlocal presses
        presses += 1
        if presses > 1:
            raise KeyboardInterrupt
        _error(f"interrupting {what} (Ctrl-C again to give up)")
        interrupt()

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@functools.cache
def _profile_store() -> ProfileStore:
    """The profiles file, read once per command (every device of a command uses it)."""
    from workbench.profiles import ProfileStore

    return ProfileStore.load()


@functools.cache
def _port_for(url: str) -> PortInfo | None:
    """The serial port behind ``url``, listed once per command."""
    from workbench.profiles import find_port

    return find_port(url)


def _matched_profile(url: str, *, report_problems: bool = True) -> tuple[Profile, str, bool]:
    """The stored profile for this device (USB serial, VID:PID, URL) or the generic preset,
    why, and whether it was saved by the user.

    A problem with the profiles file is reported and the defaults are used: a broken
    settings file must not stop anyone from running code.
    """
    from workbench.profiles import choose_profile, saved_profile

    store = _profile_store()
    for problem in store.problems if report_problems else ():
        _error(problem)
    port = _port_for(url)
    saved = saved_profile(store, url=url, port=port)
    chosen, why = saved if saved is not None else choose_profile(store, url=url, port=port)
    return chosen.to_engine_profile(), f"{chosen.name!r}: {why}", saved is not None


def _save_trace(session: Session | ManagedSession, path: str) -> None:
    from workbench.trace import save_jsonl

    trace = session.trace
    meta = {
        "device": session.url,
        "dropped_records": trace.dropped_records,
        "dropped_bytes": trace.dropped_bytes,
    }
    try:
        save_jsonl(path, trace.records(), meta)
    except OSError as exc:
        _error(f"cannot save the trace to {path}: {exc}")


def _cmd_ports(args: argparse.Namespace) -> int:
    from workbench.devices import available_devices, format_devices_table

    entries = available_devices()
    if args.json:
        print(json.dumps([entry.to_json() for entry in entries], indent=2))
    else:
        print(format_devices_table(entries))
    return EXIT_OK


def _cmd_probe(args: argparse.Namespace) -> int:
    from workbench.probe import probe

    def on_step(step: str) -> None:
        if not args.json:
            print(f"  {step} ...", file=sys.stderr, flush=True)

    report = probe(args.url, round_trips=max(1, args.round_trips), on_step=on_step)
    saved = _save_probed_profile(args.url, report) if args.save else None
    if args.json:
        data = report.to_json()
        if saved is not None:
            data["saved_as"] = saved
        print(json.dumps(data, indent=2))
    else:
        print(report.format_text())
        if saved is not None:
            print(f"saved as {saved!r} in the profiles file")
    return EXIT_OK


def _save_probed_profile(url: str, report: object) -> str:
    """Store the proposed profile under the strongest key known for this device."""
    from workbench.profiles import DeviceProfile, ProfileStore, find_port, storage_key

    profile = DeviceProfile.from_engine_profile(
        report.proposed,  # type: ignore[attr-defined]
        name=f"probed {url}",
        description="proposed by workbench probe",
    )
    key = storage_key(url, find_port(url))
    store = ProfileStore.load()
    if not store.save(key, profile):
        raise WorkbenchError("; ".join(store.problems) or "the profile could not be saved")
    return key


def _cmd_trace(args: argparse.Namespace) -> int:
    from workbench.trace import TraceFileError, annotate, load_jsonl, render_hex, render_text

    try:
        records, meta = load_jsonl(args.file)
    except TraceFileError as exc:
        _error(str(exc))
        return EXIT_USAGE
    records = annotate(records)
    if meta.get("dropped_records"):
        print(f"# {meta['dropped_records']} older records were dropped by the ring buffer")
    print(render_hex(records) if args.hex else render_text(records))
    return EXIT_OK


def _cmd_lesson(args: argparse.Namespace) -> int:
    from workbench.lessons import LESSONS, get_lesson, iter_walkthrough

    if args.name is None:
        width = max(len(lesson.name) for lesson in LESSONS)
        for lesson in LESSONS:
            print(f"{lesson.name:<{width}}  {lesson.title}")
        return EXIT_OK
    lesson = get_lesson(args.name)  # UnknownLesson: one line naming the known ones, exit 2
    failed = []
    first = True
    # closing(): the lesson's board is released even if printing stops half-way.
    with contextlib.closing(iter_walkthrough(lesson)) as parts:
        try:
            for text, outcome in parts:
                print(text if first else "\n" + text, flush=True)
                first = False
                if outcome is not None and not outcome.ok:
                    failed.append(outcome.index + 1)
        except BrokenPipeError:  # `workbench lesson NAME | head`: the reader left, nothing to say
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_OK
    if failed:
        steps = ", ".join(str(n) for n in failed)
        _error(f"lesson {lesson.name}: step {steps} did not go as the lesson expects (see above)")
        return EXIT_DEVICE
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
