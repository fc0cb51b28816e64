"""Keep pyserial's RFC 2217 reader thread from printing a traceback when the far end hangs up.

pyserial's ``rfc2217://`` client reads the socket on a thread of its own; when ser2net closes
the connection during the option negotiation (the usual way it refuses a second client of a
port it allows one connection to), that thread dies with ``BrokenPipeError`` /
``ConnectionResetError`` and Python prints the traceback to stderr: over a command's one-line
error, or across the app's screen. The open itself fails too and the session reports it in
words (``workbench.engine.session``), so that thread's socket errors are dropped here; every
other thread's exceptions go to the hook that was there before.
"""

from __future__ import annotations

import threading

#: pyserial names the thread "pySerial RFC 2217 reader thread for <url>".
READER_THREAD_PREFIX = "pySerial RFC 2217 reader thread"
_installed = False


def install() -> None:
    """Wrap ``threading.excepthook`` once per process."""
    global _installed
    if _installed:
        return
    _installed = True
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        thread = args.thread
        if (thread is not None and thread.name.startswith(READER_THREAD_PREFIX)
                and isinstance(args.exc_value, OSError)):
            return
        previous(args)

    threading.excepthook = hook
