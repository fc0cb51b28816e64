"""``workbench serve``: the app in browser tabs, for labs and classrooms (issue 18).

Each browser tab gets its own app process (``python -m workbench [-d DEVICE]``), started by
textual-serve when the tab's websocket connects. Safety, because that process can read and
write the serving user's files and run code on every board:

- bound to 127.0.0.1 unless ``--host`` is given; any other host requires an access token
  (``--token``, else a random one), printed in the URL; a request without it gets 403 and no
  process (:mod:`workbench.serve.server`);
- simulated boards and the local interpreter (``sim://``, ``spawn://``) are real processes of
  this machine: on a non-local bind, ``-d`` naming one is refused without ``--allow-host-code``,
  and the tabs' processes get ``WORKBENCH_NO_HOST_CODE=1`` so the app offers none.

Each tab's opening and closing is a line on stdout (for the teacher); ``--max-tabs`` bounds how
many app processes run at once (the next tab is told the server is full).

Exit status: 0 stopped with Ctrl-C; 2 bad host or options; 3 could not listen (port in use).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import ipaddress
import os
import secrets
import shlex
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from workbench.host_code import NO_HOST_CODE_ENV
from workbench.host_root import ROOT_ENV

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_LISTEN = 3

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
#: A class's worth of tabs; each is an app process of ~57 MB (plus ~11 MB for a simulated
#: board), so 30 fit in the 2 GB of a small Raspberry Pi with room to spare.
DEFAULT_MAX_TABS = 30
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
#: Refused with -d on a non-local bind without --allow-host-code (see workbench/host_code.py).
HOST_CODE_SCHEMES = ("sim://", "spawn://")


def port_number(text: str) -> int:
    """``--port``'s type: a TCP port, 1-65535 (a typo is a usage error, not a traceback)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"not a port number (1-65535): {text!r}")
    return value


def tab_count(text: str) -> int:
    """``--max-tabs``'s type: a positive number of tabs."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of tabs: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"at least 1 tab: {text!r}")
    return value


def is_local(host: str) -> bool:
    """Only this machine can connect: the loopback names the brief allows, nothing looser."""
    return host in LOCAL_HOSTS


def app_command(devices: Sequence[str]) -> str:
    """The shell command each tab runs (textual-serve starts it with a shell). ``exec``: the
    shell becomes the app, so ending the tab's process ends the app, not a shell above it.
    Several devices: each tab's app starts on the first that is free."""
    words = [sys.executable, "-m", "workbench"]
    for device in devices:
        words += ["-d", device]
    return "exec " + shlex.join(words)


def open_url(host: str, port: int, token: str | None) -> str:
    """The URL to print. A wildcard bind is reached by this machine's name."""
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    query = f"?token={token}" if token is not None else ""
    return f"http://{shown}:{port}/{query}"


def cmd_serve(args: argparse.Namespace) -> int:
    """Check the options, then serve until Ctrl-C."""
    from workbench.cli.main import _error

    devices = _devices(args)
    host = (args.host if args.host is not None else DEFAULT_HOST).strip().strip("[]")
    try:
        port = DEFAULT_PORT if args.port is None else port_number(args.port)
    except argparse.ArgumentTypeError as exc:
        _error(f"--port: {exc}")
        return EXIT_USAGE
    try:
        max_tabs = DEFAULT_MAX_TABS if getattr(args, "max_tabs", None) is None else tab_count(args.max_tabs)
    except argparse.ArgumentTypeError as exc:
        _error(f"--max-tabs: {exc}")
        return EXIT_USAGE
    problem = _host_problem(host, port)
    if problem is not None:
        _error(problem)
        return EXIT_USAGE
    local = is_local(host)
    if args.token is not None and not args.token.strip():
        _error("--token is empty")
        return EXIT_USAGE
    token = args.token if args.token is not None else (None if local else secrets.token_urlsafe(24))
    if not local and not args.allow_host_code:
        for device in devices:
            if _runs_on_host(device):
                _error(f"{device} runs code as a process of this machine: on a non-local host "
                       f"({host}) it needs --allow-host-code")
                return EXIT_USAGE
        os.environ[NO_HOST_CODE_ENV] = "1"  # inherited by every tab's app process

    root = args.root if args.root is not None else (None if local else ".")
    if root is not None:
        folder = Path(root).expanduser().resolve()
        if not folder.is_dir():
            _error(f"--root {root}: not a folder")
            return EXIT_USAGE
        os.environ[ROOT_ENV] = str(folder)  # every tab's dialogs stay inside it (workbench/host_root.py)

    from workbench.serve.server import TokenServer

    url = open_url(host, port, token)

    def ready() -> None:
        print(f"workbench serve: open {url}  (Ctrl-C to stop)", flush=True)

    def say(line: str) -> None:
        with contextlib.suppress(BrokenPipeError):  # stdout gone: the tabs go on regardless
            print(f"workbench serve: {line}", flush=True)

    server = TokenServer(app_command(devices), host=host, port=port, token=token, local_only=local,
                         on_ready=ready, max_tabs=max_tabs, report=say)
    try:
        server.run()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            _error(f"port {port} is in use on {host}: choose another with --port")
            return EXIT_LISTEN
        if exc.errno == errno.EADDRNOTAVAIL:
            _error(f"{host} is not an address of this machine")
            return EXIT_USAGE
        _error(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
        return EXIT_LISTEN
    with contextlib.suppress(BrokenPipeError):  # stdout gone (a pipe's reader left): nothing to say
        print("workbench serve: stopped", flush=True)
    return EXIT_OK


def _devices(args: argparse.Namespace) -> list[str]:
    """``-d`` before ``serve`` and after it; commas split; each once."""
    given: Sequence[str] = [*(getattr(args, "top_devices", None) or ()), *(args.devices or ())]
    return list(dict.fromkeys(part.strip() for text in given for part in text.split(",") if part.strip()))


def _host_problem(host: str, port: int) -> str | None:
    """Why ``host`` cannot be listened on, found before anything starts (None: it looks fine)."""
    if not host:
        return "--host is empty"
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return f"unknown host: {host!r}"
    return None


def _runs_on_host(device: str) -> bool:
    """Whether the device (a URL, shortcut or name) is a simulated board or the local interpreter."""
    from workbench.discovery.names import load_named_devices, resolve_device

    url = resolve_device(device, load_named_devices().names).url
    return url.lower().startswith(HOST_CODE_SCHEMES)
