"""Whether code may run on this machine: ``workbench serve`` switches it off for its tabs.

A simulated board is real CPython and the local interpreter a MicroPython process: code typed
into either runs on the machine that serves the app. On a non-local bind without
``--allow-host-code``, ``workbench serve`` starts each tab's app with ``WORKBENCH_NO_HOST_CODE=1``;
then neither is offered (the devices list) nor opened (every port is opened through
:func:`workbench.transports.open_port`, which asks here). A leaf module: the device listing
must not import the transports for it.
"""

from __future__ import annotations

import os

#: Set by ``workbench serve`` for its tabs' apps on a non-local bind without --allow-host-code:
#: simulated boards (real CPython) and the local interpreter would run a browser user's code on
#: the serving machine, so they are neither offered nor opened.
NO_HOST_CODE_ENV = "WORKBENCH_NO_HOST_CODE"
HOST_CODE_REFUSED = (
    "simulated boards and the local interpreter are switched off on this server: code run on them "
    "would run on the serving machine (workbench serve --allow-host-code allows it)"
)


def host_code_refused(url: str) -> bool:
    """Whether ``url`` runs code on this machine (sim://, spawn://) where that is switched off."""
    return os.environ.get(NO_HOST_CODE_ENV) == "1" and url.lower().startswith(("sim://", "spawn://"))
