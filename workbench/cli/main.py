"""The ``workbench`` command: the app with no arguments, headless commands otherwise.

Exit status: 0 ok; 1 the code raised on the device (its traceback on stderr); 2 usage or
unreadable input; 3 could not connect, protocol error or timeout. Errors are one line
starting with ``workbench:``; a traceback from our own code never reaches the user.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.engine import Profile, Session

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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add_device_command(name: str, help_text: str) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=help_text, description=help_text, epilog=URL_HELP,
                             formatter_class=argparse.RawDescriptionHelpFormatter)
        cmd.add_argument("url", metavar="URL", help="device URL (see below)")
        cmd.add_argument("--timeout", type=_positive_float, metavar="S",
                         help="stop the code (CTRL-C) if it runs longer than S seconds")
        cmd.add_argument("--trace", metavar="FILE.jsonl", help="save every byte of the exchange")
        cmd.add_argument("--raw-paste", choices=("auto", "always", "never"),
                         help="raw-paste use (default: the device's profile, usually auto)")
        cmd.add_argument("--response-timeout", type=_positive_float, metavar="S",
                         help="longest wait for any protocol reply (default: the device's profile)")
        cmd.add_argument("-v", "--verbose", action="store_true",
                         help="say which protocol profile was chosen for the device, and why")
        return cmd

    exec_cmd = add_device_command("exec", "run a piece of code on the device")
    exec_cmd.add_argument("code", metavar="CODE", help="Python code, e.g. \"print(1+1)\"")
    run_cmd = add_device_command("run", "run a local .py file on the device")
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
    from workbench.engine import connect

    if args.command == "run":
        try:
            code = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            _error(f"cannot read {args.file}: {exc}")
            return EXIT_USAGE
    else:
        code = args.code
    profile, why = _matched_profile(args.url)
    if args.raw_paste is not None:
        profile = profile.with_changes(raw_paste=args.raw_paste)
    if args.response_timeout is not None:
        profile = profile.with_changes(response_timeout_s=args.response_timeout)
    if args.verbose:
        print(f"workbench: profile {why}", file=sys.stderr, flush=True)

    def on_output(stream: str, text: str) -> None:
        out = sys.stdout if stream == "stdout" else sys.stderr
        out.write(text)
        out.flush()

    with connect(args.url, profile) as session:
        try:
            with _ctrl_c_interrupts(session):
                result = session.exec(code, timeout=args.timeout, on_output=on_output)
        finally:
            if args.trace:
                _save_trace(session, args.trace)
    return EXIT_OK if result.ok else EXIT_RAISED


@contextlib.contextmanager
def _ctrl_c_interrupts(session: Session) -> Iterator[None]:
    """First Ctrl-C here stops the code on the device; a second one gives up waiting."""
    presses = 0

    def handler(signum: int, frame: object) -> None:
        nonlocal presses
        presses += 1
        if presses > 1:
            raise KeyboardInterrupt
        _error("interrupting the code on the device (Ctrl-C again to give up)")
        session.interrupt()

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _matched_profile(url: str) -> tuple[Profile, str]:
    """The stored profile for this device (USB serial, VID:PID, URL) or a preset, and why.

    A problem with the profiles file is reported and the defaults are used: a broken
    settings file must not stop anyone from running code.
    """
    from workbench.profiles import ProfileStore, choose_profile, find_port

    store = ProfileStore.load()
    for problem in store.problems:
        _error(problem)
    chosen, why = choose_profile(store, url=url, port=find_port(url))
    return chosen.to_engine_profile(), f"{chosen.name!r}: {why}"


def _save_trace(session: Session, path: str) -> None:
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
