"""The ``workbench`` command: the app with no arguments, headless commands otherwise.

Exit status: 0 ok; 1 the code raised on the device (its traceback on stderr); 2 usage or
unreadable input; 3 could not connect, protocol error or timeout. With several devices
(``exec``/``run``), the highest of the devices' codes. Errors are one line starting with
``workbench:``; a traceback from our own code never reaches the user.

Text from a device or a file (trace notes, probe reports, port descriptions, the several-devices
output and summary, error messages quoting a board) goes through
:func:`workbench.trace.render.visible`: a terminal escape sequence in it is shown, not obeyed.
The one exception is ``exec``/``run`` on one device, whose stdout and stderr are the device's
bytes, untouched, as the user asked.

A device is a URL, an mpremote shortcut (``a0``) or a name from the settings file's
``[devices]`` (:mod:`workbench.discovery.names`); without one, ``exec``/``run``/``probe`` use the
app's default (:func:`workbench.discovery.devices.pick_default_device`) and say which on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, cast

from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.discovery.names import DeviceRef
    from workbench.discovery.ports import PortInfo
    from workbench.engine import Profile, Session
    from workbench.manager import ManagedSession, RunOutcome, SessionManager
    from workbench.profiles import ProfileChoice, ProfileStore
    from workbench.profiles.learned import LearnedStore

EXIT_OK = 0
EXIT_RAISED = 1
EXIT_USAGE = 2
EXIT_DEVICE = 3

URL_HELP = """devices:
  /dev/ttyACM0, COM3          a serial port
  a0 .. a99, u0 .., c0 ..     mpremote's shortcuts: /dev/ttyACM0 .., /dev/ttyUSB0 .., COM0 ..
  NAME                        a named device: [devices] in the config folder's settings.toml,
                              e.g. lab = "rfc2217://lab-pi:4000"
  socket://HOST:PORT          raw TCP (ser2net raw mode, an ESP32 telnet bridge)
  rfc2217://HOST:PORT         RFC 2217 (ser2net telnet(rfc2217)): baud rate and DTR/RTS too
  sim://esp32?drop=0.001      a simulated board (generic, esp32, esp8266, rp2040, stm32,
                              circuitpython, legacy) with optional fault injection
  spawn://micropython         the local MicroPython unix port on a pty (any command on PATH)
  spawn:///path/to/micropython  a given interpreter executable
  loop://                     pyserial's loopback (for testing only)
without a device: the one board plugged in, else sim://generic (a simulated board); the
command says on stderr which it used.
"""

SEVERAL_HELP = """several devices:
  -d DEVICE (repeatable, before or after the command) and commas (-d A,B) name several
  devices; a DEVICE before the code comes first, then each -d. The code runs on all of them
  at once; every output line is prefixed with its device ("[sim://generic] hello", or the
  device's name), stdout to stdout, tracebacks to stderr, then one summary line per device
  goes to stderr. A device that cannot be opened counts as failed; the others still run.
  Exit status: the highest of the devices' codes (0 ok, 1 the code raised, 3 failed: not
  opened, timeout, lost). Ctrl-C interrupts the code on every device. --trace FILE.jsonl
  writes FILE.1.jsonl, FILE.2.jsonl...

"""

_DEVICE_COMMANDS = ("exec", "run", "probe")


class _WorkbenchParser(argparse.ArgumentParser):
    """The top-level parser: after parsing, a ``-d`` given before the command joins the
    command's devices (a subcommand's parser cannot see the top-level options)."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        _settle_devices(self, parsed)
        return parsed, extras


class _SubcommandParser(argparse.ArgumentParser):
    """A subcommand's parser: options and arguments in any order, then an optional check.

    ``exec [DEVICE] CODE`` has an optional positional before a required one; plain argparse
    settles positionals at the first option, so ``exec URL --timeout 1 CODE`` would fail.
    Intermixed parsing reads the options first; for the other subcommands, with one
    positional at most, it changes nothing.
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
    parser = _WorkbenchParser(
        prog="workbench",
        description="A terminal workbench for MicroPython boards (raw REPL / raw-paste). "
        "Without a command, starts the app.",
        epilog=URL_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=_version())
    parser.add_argument(
        "-d", "--device", dest="top_devices", action="append", metavar="DEVICE",
        help="the device for the app, exec, run and probe: a URL, a shortcut (a0) or a name "
        "(see below; default: the one board plugged in, else sim://generic); the app given several "
        "starts on the first that no other program has open",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_SubcommandParser)

    def add_device_command(name: str, help_text: str, operand: str) -> _SubcommandParser:
        cmd = sub.add_parser(name, help=help_text, description=help_text, epilog=SEVERAL_HELP + URL_HELP,
                             formatter_class=argparse.RawDescriptionHelpFormatter,
                             usage=f"workbench {name} [options] [DEVICE] {operand}")
        cmd.add_argument("url", metavar="DEVICE", nargs="?",
                         help="the device (see below); when left out, the -d devices, else the one board "
                         "plugged in, else sim://generic")
        cmd.add_argument("-d", "--device", dest="devices", action="append", metavar="DEVICE",
                         help="a device to run on; repeat it, or separate devices with commas, for several")
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
        cmd.check = lambda parser, ns: _check_operand(parser, ns, operand)
        return cmd

    exec_cmd = add_device_command("exec", "run a piece of code on the device(s)", "CODE")
    exec_cmd.add_argument("code", metavar="CODE", nargs="?", help="Python code, e.g. \"print(1+1)\"")
    run_cmd = add_device_command("run", "run a local .py file on the device(s)", "FILE.py")
    run_cmd.add_argument("file", metavar="FILE.py", nargs="?",
                         help="the script to send; its tracebacks name it instead of <stdin>")

    ports = sub.add_parser("ports", help="list serial ports (with a board guess), simulated boards, local interpreter")
    ports.add_argument("--json", action="store_true", help="machine-readable output")

    probe = sub.add_parser(
        "probe",
        help="measure a device and propose a protocol profile",
        description="Adaptive detection: raw REPL test, response timing, raw-paste and window, "
        "flow-control validation, and a proposed profile. Nothing is stored without --save. "
        "What the workbench learned about the device (its firmware, whether raw-paste works, "
        "plain raw pacing) is shown, and kept for the next connection; --forget drops it.",
        epilog=URL_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    probe.add_argument("url", metavar="DEVICE", nargs="?",
                       help="the device (see below; default: the one board plugged in, else sim://generic)")
    probe.add_argument("-d", "--device", dest="devices", action="append", metavar="DEVICE",
                       help="the device, as an option (the same as DEVICE)")
    probe.add_argument("--json", action="store_true", help="machine-readable output")
    probe.add_argument("--save", action="store_true", help="store the proposed profile for this device")
    probe.add_argument("--forget", action="store_true",
                       help="forget what the workbench learned about this device (after reflashing it), "
                       "without probing")
    probe.add_argument("--round-trips", type=int, default=20, metavar="N", help="timing samples (default 20)")

    trace = sub.add_parser("trace", help="print a saved trace or transcript, annotated")
    trace.add_argument("file", metavar="FILE.jsonl")
    trace.add_argument("--hex", action="store_true", help="a hex dump instead of one line per record")
    trace.add_argument("--stats", action="store_true",
                       help="a summary instead of the records: execs by mode, round trips, raw-paste "
                       "throughput, bytes each way, the longest gap, errors and timeouts")
    trace.add_argument("--json", action="store_true", help="with --stats: one JSON object, for scripts")

    lesson = sub.add_parser(
        "lesson",
        help="guided lessons on the raw REPL, on simulated boards",
        description="Without NAME, lists the lessons. With NAME, runs that lesson on its simulated "
        "board and prints a handout: each step's explanation, the bytes exchanged and the outcome.",
    )
    lesson.add_argument("name", metavar="NAME", nargs="?", help="the lesson to run (see the list)")

    # fs has actions of its own (ls, cp, sync ...), each with its options, parsed by
    # workbench.cli.fs (imported only to run it): here every word after `fs` is handed on
    # as it is, so no option ("-r", "--help") is taken for one of this parser's.
    fs = sub.add_parser("fs", help="list, copy, remove and sync files on the board (`workbench fs --help`)",
                        add_help=False, prefix_chars="\0")
    fs.add_argument("words", nargs="*")

    # serve's options are checked by workbench.cli.serve (imported only to run it: aiohttp
    # and textual-serve are for this command alone).
    serve = sub.add_parser(
        "serve",
        help="serve the app to web browsers (labs and classrooms): one app process per tab",
        description="Serve the app to web browsers with textual-serve: each browser tab gets its own "
        "app process on this machine. Bound to 127.0.0.1 unless --host is given; any other host "
        "requires an access token, printed in the URL to open. Ctrl-C stops it.",
    )
    serve.add_argument("--host", metavar="H",
                       help="the address to listen on (default 127.0.0.1; 0.0.0.0: every network)")
    serve.add_argument("--port", metavar="P", help="the TCP port (default 8765)")
    serve.add_argument("-d", "--device", dest="devices", action="append", metavar="DEVICE",
                       help="the device each tab's app starts on (see `workbench --help`); several "
                       "(-d a0 -d a1, or a0,a1): each tab starts on the first one no other tab has")
    serve.add_argument("--token", metavar="T",
                       help="the access token (default on a non-local host: a random one); given with "
                       "a local host, it is required there too")
    serve.add_argument("--allow-host-code", action="store_true",
                       help="on a non-local host, offer simulated boards and the local interpreter: code "
                       "from any browser with the token then runs on this machine as this user")
    serve.add_argument("--root", metavar="DIR",
                       help="the folder the tabs' open / save / upload / download dialogs may use (default on "
                       "a non-local host: the current folder; on 127.0.0.1: no limit)")
    serve.add_argument("--max-tabs", metavar="N",
                       help="how many tabs may be open at once (default 30; each is an app process of about "
                       "60 MB); the next one is told the server is full")
    return parser


def _check_operand(parser: argparse.ArgumentParser, ns: argparse.Namespace, operand: str) -> None:
    """``exec X`` / ``run X``: one positional is the code (the file), the device being optional.

    argparse hands a lone positional to DEVICE (the first); it moves to CODE / FILE.py here.
    Unless it can only be a device (``exec sim://generic``, ``run a0`` with no such file):
    then the code was forgotten, and running the device's name as code would only puzzle.
    """
    attr = "code" if operand == "CODE" else "file"
    if getattr(ns, attr) is None:
        lone = ns.url
        if lone is None:
            parser.error(f"the following arguments are required: {operand}")
        if (attr == "code" or not Path(lone).is_file()) and _names_a_device(lone):
            what = "code" if attr == "code" else "file"
            parser.error(f"the following arguments are required: {operand} "
                         f"({lone!r} is a device; the {what} goes after it)")
        setattr(ns, attr, lone)
        ns.url = None
    ns.urls = _device_tokens(parser, [ns.url] if ns.url is not None else [], ns.devices)


def _names_a_device(text: str) -> bool:
    """A URL, port, shortcut or (reading the settings file only then) a named device."""
    from workbench.discovery.names import load_named_devices, looks_like_device

    return looks_like_device(text) or looks_like_device(text, load_named_devices().names)


def _device_tokens(parser: argparse.ArgumentParser, *groups: Sequence[str] | None) -> list[str]:
    """The devices given, in order: commas split, blanks dropped, each once. Only commas is an error."""
    given = [text for group in groups for text in group or ()]
    tokens = list(dict.fromkeys(part.strip() for text in given for part in text.split(",") if part.strip()))
    if given and not tokens:
        parser.error("no device given (only commas)")
    return tokens


def _settle_devices(parser: argparse.ArgumentParser, ns: argparse.Namespace) -> None:
    """Join a ``-d`` given before the command to the command's devices (``ns.urls``): the
    positional device first, then the top-level -d, then the command's own -d. Empty
    ``ns.urls``: none given, the command picks the default."""
    top = getattr(ns, "top_devices", None)
    command = getattr(ns, "command", None)
    if command in _DEVICE_COMMANDS:
        positional = [ns.url] if ns.url is not None else []
        ns.urls = _device_tokens(parser, positional, top, ns.devices)
        if command == "probe" and len(ns.urls) > 1:
            parser.error(f"probe measures one device at a time, not {len(ns.urls)}: {', '.join(ns.urls)}")
    elif command is None:
        ns.device = _device_tokens(parser, top)  # several: the app starts on the first free one


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
    as_program = argv is None
    if as_program and args.command in ("exec", "run"):
        # A one-shot command spends most of its life importing: objects that live until exit.
        # The collector would walk them again and again meanwhile; it is back on before the
        # code runs (_collect_again), and at exit it skips them (gc.freeze).
        gc.disable()
    try:
        return _main(args)
    finally:
        if as_program:
            gc.freeze()


def _collect_again() -> None:
    """The collector back on (see main) before a run that may last, and make garbage."""
    gc.enable()


def _main(args: argparse.Namespace) -> int:
    try:
        if args.command is None:
            from workbench.app.main import run_app

            return run_app(args.device)  # resolves shortcuts and names itself
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
        if args.command == "fs":
            from workbench.cli.fs import cmd_fs

            return cmd_fs(args)
        if args.command == "serve":
            from workbench.cli.serve import cmd_serve

            return cmd_serve(args)
    except WorkbenchError as exc:
        _error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    return EXIT_USAGE


def _error(message: str) -> None:
    """One line on stderr; control characters in the message (it may quote a device or a
    file) are shown, not sent to the terminal, which also keeps it one line."""
    from workbench.trace.render import visible

    print(f"workbench: {visible(message)}", file=sys.stderr, flush=True)


def _show(text: str, *, file: TextIO | None = None) -> None:
    """Print a report of several lines whose words came from a device or a file, inert."""
    from workbench.trace.render import visible

    print(visible(text, keep_lines=True), file=file or sys.stdout, flush=True)


def _command_devices(tokens: list[str]) -> list[DeviceRef]:
    """What the command runs on: the devices given (shortcuts and names resolved, each URL
    once), or the default device, named on stderr so a simulated board is never taken for
    the user's. Problems with the settings file's ``[devices]`` are reported, not fatal."""
    from workbench.discovery.names import DeviceRef, load_named_devices, resolve_device

    if not tokens:
        # Only here: listing ports and simulated boards costs imports a named device never needs.
        from workbench.discovery.devices import pick_default_device

        default = pick_default_device()
        _error(f"no device given; using {default.url} ({default.reason})")
        return [DeviceRef(default.url)]
    named = load_named_devices()
    for problem in named.problems:
        _error(problem)
    refs: dict[str, DeviceRef] = {}
    for token in tokens:
        ref = resolve_device(token, named.names)
        refs.setdefault(ref.url, ref)
    return list(refs.values())


def _cmd_exec(args: argparse.Namespace) -> int:
    source_name = None
    if args.command == "run":
        try:
            code = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            _error(f"cannot read {args.file}: {exc}")
            return EXIT_USAGE
        source_name = args.file
    else:
        code = args.code
        problem = _undecodable(code)
        if problem is not None:
            _error(f"the code is not valid text: {problem}")
            return EXIT_USAGE
    devices = _command_devices(args.urls)
    if len(devices) == 1:
        return _exec_one(args, devices[0].url, code, source_name)
    return _exec_several(args, devices, code, source_name)


def _undecodable(code: str) -> str | None:
    """Why code from the command line cannot be sent, or None when it can.

    The shell hands over bytes; Python decodes them with the locale's encoding and keeps
    any that do not decode as lone surrogates. MicroPython reads source as UTF-8, so such a
    byte names no character the board could be given: sending it raw would make a ``str`` on
    the board that is not text, and guessing an encoding could change what the user meant.
    So it is refused, as ``run`` refuses a file that is not UTF-8, saying where it is and how
    to write the byte in Python instead.
    """
    for index, char in enumerate(code):
        if 0xDC80 <= ord(char) <= 0xDCFF:
            byte = ord(char) - 0xDC00
            return (
                f"byte 0x{byte:02x} at position {index} is not UTF-8 (MicroPython reads code as UTF-8); "
                f"write the character itself, or the escape \\x{byte:02x} inside a string"
            )
    return None


def _exec_one(args: argparse.Namespace, url: str, code: str, source_name: str | None = None) -> int:
    """One device: its output passes through untouched, as it arrives (tracebacks of a
    ``run`` name the file instead of ``<stdin>``)."""
    from workbench.engine import connect

    profile, choice = _command_profile(args, url)

    def on_output(stream: str, text: str) -> None:
        out = sys.stdout if stream == "stdout" else sys.stderr
        out.write(text)
        out.flush()

    with connect(url, profile) as session:
        try:
            _use_platform_preset(args, url, choice, session.set_profile, session)
            _collect_again()
            with _ctrl_c_interrupts(session.interrupt, "the code on the device"):
                result = session.exec(code, timeout=args.timeout, on_output=on_output, source_name=source_name)
            _leave_raw(session)
        finally:
            _remember_findings(url, session.findings())
            if args.trace:
                _save_trace(session, args.trace)
    return EXIT_OK if result.ok else EXIT_RAISED


def _leave_raw(session: Session) -> None:
    """Back to the friendly REPL when done, as a person at a terminal expects the board (and
    as mpremote leaves it): the next command then finds the prompt at once, where a board left
    in the raw REPL answers CTRL-C with nothing and costs the interrupt delay twice. Best
    effort: the run's result is what counts."""
    with contextlib.suppress(WorkbenchError):
        session.leave_raw()


@functools.cache
def _learned_store() -> LearnedStore:
    """What was learned about the boards, read once per command; its problems are said once."""
    from workbench.profiles.learned import LearnedStore

    store = LearnedStore()
    for problem in store.take_problems():
        _error(problem)
    return store


def _remember_findings(url: str, findings: dict[str, object]) -> None:
    """Keep what the session found out about the board (raw-paste works, absent, broken)."""
    from workbench.profiles.learned import learned_key, remember_findings

    store = _learned_store()
    remember_findings(store, learned_key(url, _port_for(url)), findings)
    for problem in store.take_problems():
        _error(problem)


def _command_profile(
    args: argparse.Namespace, url: str, *, label: str = "", report_problems: bool = True
) -> tuple[Profile, ProfileChoice]:
    """The device's profile before connecting, with the command line's overrides, and the
    choice behind it (:func:`workbench.profiles.choose_before_connect`). A device with nothing
    saved starts on the generic preset until :func:`_use_platform_preset` has asked the
    firmware what it is; ``-v`` then says which profile won and why."""
    choice = _matched_profile(url, report_problems=report_problems)
    if args.verbose and choice.users_own:
        _error(f"{label}profile {choice.describe()}")
        _say_learned(url, label)
    return _with_overrides(args, choice.profile.to_engine_profile()), choice


def _say_learned(url: str, label: str = "") -> None:
    """``-v``: what was learned about the board, one line per fact."""
    from workbench.profiles.learned import learned_key

    learned = _learned_store().get(learned_key(url, _port_for(url)))
    for line in learned.describe() if learned is not None else ():
        _error(f"{label}learned: {line}")


def _with_overrides(args: argparse.Namespace, profile: Profile) -> Profile:
    """The command line's -o style flags (--raw-paste, --response-timeout) on top of a profile."""
    if args.raw_paste is not None:
        profile = profile.with_changes(raw_paste=args.raw_paste)
    if args.response_timeout is not None:
        profile = profile.with_changes(response_timeout_s=args.response_timeout)
    return profile


def _use_platform_preset(
    args: argparse.Namespace,
    url: str,
    choice: ProfileChoice,
    set_profile: Callable[[Profile], None],
    session: Session,
    *,
    label: str = "",
) -> None:
    """Nothing saved for this device: one small exec asks the firmware its platform, and that
    platform's preset applies from the user's code on (as in the app), the command line's
    overrides still on top. The user's own profile is left alone. Never fatal: a board that
    does not say keeps the generic preset."""
    from workbench.profiles.choice import refine_by_fingerprint

    if choice.users_own:
        return
    from workbench.errors import RawPasteBroken

    try:
        chosen = refine_by_fingerprint(choice, _profile_store(), url, _port_for(url), session, _learned_store())
    except RawPasteBroken:
        raise  # the board now answers nothing: this is the user's answer
    except WorkbenchError:
        return  # the user's code will meet the same problem and report it properly
    set_profile(_with_overrides(args, chosen.profile.to_engine_profile()))
    if args.verbose:
        _error(f"{label}profile {chosen.describe()}")
        _say_learned(url, label)


def _exec_several(
    args: argparse.Namespace, devices: list[DeviceRef], code: str, source_name: str | None = None
) -> int:
    """Several devices at once through one manager; prefixed output, a summary, the worst code.

    Output is prefixed with each device's label (its name when it has one, else its URL).
    Profiles are matched here, in order, before anything opens: ``-v`` then reads in device
    order, and a broken profiles file is reported once, not once per device.
    """
    from workbench.manager import SessionManager

    urls = [device.url for device in devices]
    labels = {device.url: device.label for device in devices}
    matched = {
        url: _command_profile(args, url, label=f"[{labels[url]}] ", report_problems=index == 0)
        for index, url in enumerate(urls)
    }
    profiles = {url: profile for url, (profile, _choice) in matched.items()}
    printer = PrefixedLines(sys.stdout, sys.stderr)

    def on_output(url: str, stream: str, text: str) -> None:
        printer.write(labels[url], stream, text)

    with SessionManager(profile_for=profiles.__getitem__) as manager:
        failed_opens = _open_all(manager, urls)
        opened = [url for url in urls if url not in failed_opens]
        for url in list(opened):
            managed = manager.get(url)
            if managed is not None and managed.session is not None:
                try:
                    _use_platform_preset(
                        args, url, matched[url][1], managed.set_profile, managed.session, label=f"[{labels[url]}] "
                    )
                except WorkbenchError as exc:  # a broken raw-paste: this board is out of the run
                    from workbench.manager import RunOutcome

                    _remember_findings(url, managed.session.findings())
                    failed_opens[url] = (RunOutcome(url, None, str(exc), 0.0), exc.exit_code)
                    opened.remove(url)
        _collect_again()
        try:
            with _ctrl_c_interrupts(lambda: _interrupt_running(manager), "the code on every device"):
                outcomes = manager.run_on(
                    opened, code, timeout=args.timeout, on_output=on_output, source_name=source_name
                )
        finally:
            printer.flush([labels[url] for url in urls])
            for url in opened:
                managed = manager.get(url)
                if managed is not None and managed.session is not None:
                    _remember_findings(url, managed.session.findings())
                    _leave_raw(managed.session)
            if args.trace:
                for index, url in enumerate(urls, start=1):
                    managed = manager.get(url)
                    if managed is not None:
                        _save_trace(managed, _numbered_path(args.trace, index))
    by_url = {outcome.url: outcome for outcome in outcomes}
    by_url.update((url, outcome) for url, (outcome, _code) in failed_opens.items())
    codes = {url: failed_opens[url][1] if url in failed_opens else _outcome_code(by_url[url]) for url in urls}
    for url in urls:
        _error(_summary_line(by_url[url], labels[url]))
    return max(codes.values())


def _open_all(manager: SessionManager, urls: list[str]) -> dict[str, tuple[RunOutcome, int]]:
    """Open every device at once (boot waits overlap); the failures, each with its exit code."""
    from concurrent.futures import ThreadPoolExecutor  # with logging, ~4 ms; one device needs no pool

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


def _summary_line(outcome: RunOutcome, label: str | None = None) -> str:
    """``[DEVICE] STATUS in N ms`` and, when it did not go well, why (for :func:`_error`)."""
    line = f"[{label or outcome.url}] {outcome.status} in {outcome.duration_s * 1000:.0f} ms"
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
        """Whole lines, prefixed; control characters shown (one board's ESC [2J or CR must
        not wipe or overwrite the lines of the others), tabs kept."""
        from workbench.trace.render import visible

        out = self._outs.get(stream, self._outs["stderr"])
        prefix = f"[{visible(url)}] "
        out.write("".join(prefix + visible(line.removesuffix("\r"), keep_lines=True) + "\n" for line in lines))
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


def _matched_profile(url: str, *, report_problems: bool = True) -> ProfileChoice:
    """The profile to connect with (saved for this device by USB serial, VID:PID or URL,
    else the generic preset) and why.

    A problem with the profiles file is reported and the defaults are used: a broken
    settings file must not stop anyone from running code.
    """
    from workbench.profiles.choice import choose_before_connect
    from workbench.profiles.learned import learned_key

    store = _profile_store()
    for problem in store.problems if report_problems else ():
        _error(problem)
    port = _port_for(url)
    return choose_before_connect(store, url, port, learned=_learned_store().get(learned_key(url, port)))


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
    import json  # here and in probe only: exec and run print no JSON

    from workbench.discovery.devices import available_devices, format_devices_table
    from workbench.discovery.names import load_named_devices

    for problem in load_named_devices().problems:
        _error(problem)
    entries = available_devices()
    if args.json:
        print(json.dumps([entry.to_json() for entry in entries], indent=2))
    else:
        _show(format_devices_table(entries))  # USB descriptions come from the devices
    return EXIT_OK


def _cmd_probe(args: argparse.Namespace) -> int:
    import json

    from workbench.profiles.probe import probe

    def on_step(step: str) -> None:
        if not args.json:
            _show(f"  {step} ...", file=sys.stderr)

    from workbench.profiles.learned import learned_key, remember_probe

    url = _command_devices(args.urls)[0].url
    key = learned_key(url, _port_for(url))
    store = _learned_store()
    if args.forget:
        known = store.get(key)
        if not store.forget(key):
            print(f"nothing was learned about {url}")
        else:
            print(f"forgot what was learned about {url} ({key}):")
            for line in known.describe() if known is not None else ():
                _show(f"  {line}")
        problems = store.take_problems()
        for problem in problems:
            _error(problem)
        return EXIT_DEVICE if problems else EXIT_OK
    report = probe(url, round_trips=max(1, args.round_trips), on_step=on_step)
    saved = _save_probed_profile(url, report) if args.save else None
    learned = remember_probe(store, key, report)
    for problem in store.take_problems():
        _error(problem)
    if args.json:
        data = report.to_json()
        if saved is not None:
            data["saved_as"] = saved
        data["learned"] = {"key": key, **learned.to_table()}
        print(json.dumps(data, indent=2))
    else:
        _show(report.format_text())  # quotes the board: its banner, platform, answers
        if saved is not None:
            print(f"saved as {saved!r} in the profiles file")
        print(f"learned about this device ({key}; `workbench probe --forget` drops it):")
        for line in learned.describe():
            _show(f"  {line}")
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

    if args.json and not args.stats:
        _error("--json goes with --stats (the records themselves are the file: print it)")
        return EXIT_USAGE
    if args.stats:
        if args.hex:
            _error("--hex and --stats: one or the other")
            return EXIT_USAGE
        from workbench.cli.trace_stats import print_stats, stats_of_file

        try:
            stats = stats_of_file(args.file)
        except TraceFileError as exc:
            _error(str(exc))
            return EXIT_USAGE
        print_stats(stats, as_json=args.json, show=_show)
        return EXIT_OK
    try:
        records, meta = load_jsonl(args.file)
    except TraceFileError as exc:
        _error(str(exc))
        return EXIT_USAGE
    records = annotate(records)
    if meta.get("dropped_records"):
        _show(f"# {meta['dropped_records']} older records were dropped by the ring buffer")
    print(render_hex(records) if args.hex else render_text(records))  # notes made visible there
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
