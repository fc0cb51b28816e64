"""What a person types for a device, turned into the URL to open.

Why a module of its own: the CLI (``exec``/``run``/``probe``/``-d``), the app's ``-d`` and the
devices pane's URL field must all read ``a0`` or ``lab`` the same way, and the rule is small
enough to state (and test) in one place:

1. mpremote's shortcuts: ``a0``..``a99`` are ``/dev/ttyACM0``.., ``u0``..``u99``
   ``/dev/ttyUSB0``.., ``c0``..``c99`` ``COM0``.. (people who know mpremote type them);
2. a name from the ``[devices]`` table of the settings file (``lab = "rfc2217://lab-pi:4000"``),
   whose value may itself be a shortcut;
3. anything else is already a URL (or a port path) and passes through unchanged: pyserial
   says what is wrong with it when it is opened.

The name is kept beside the URL (:class:`DeviceRef`) so output can say ``lab`` rather than a
long URL. A malformed table entry becomes a problem message (the entry is left out); reading
never raises.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path

from workbench.protocol.records import Record, record

__all__ = [
    "DeviceRef",
    "NamedDevices",
    "expand_shortcut",
    "load_named_devices",
    "looks_like_device",
    "parse_device_table",
    "resolve_device",
]

#: mpremote's shortcuts: letter -> the port name its number is appended to.
SHORTCUT_PREFIXES = {"a": "/dev/ttyACM", "u": "/dev/ttyUSB", "c": "COM"}
_SHORTCUT = re.compile(r"([auc])(0|[1-9][0-9]?)")
#: A name usable on a command line: no spaces, no commas (they separate devices), no "://".
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_URL_WITH_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S*")
_PORT_PATH = re.compile(r"/dev/\S+|COM[0-9]+", re.IGNORECASE)


@record
class DeviceRef(Record):
    """A device as the user named it: the URL to open and, for a named device, its name."""

    url: str
    name: str | None = None

    @property
    def label(self) -> str:
        """What to call the device in output: its name when it has one, else its URL."""
        return self.name or self.url

    def describe(self) -> str:
        """``lab (rfc2217://lab-pi:4000)``, or just the URL: for lines that must be exact."""
        return f"{self.name} ({self.url})" if self.name else self.url


@record
class NamedDevices(Record):
    """The ``[devices]`` table as read: the usable names, and what was wrong with the rest."""

    names: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def expand_shortcut(text: str) -> str | None:
    """The port an mpremote shortcut stands for (``a0`` -> ``/dev/ttyACM0``), else None."""
    match = _SHORTCUT.fullmatch(text.strip())
    if match is None:
        return None
    return SHORTCUT_PREFIXES[match[1]] + match[2]


def resolve_device(text: str, names: Mapping[str, str] | None = None) -> DeviceRef:
    """The device ``text`` means: a shortcut, a name from ``names``, or a URL as it is."""
    given = text.strip()
    port = expand_shortcut(given)
    if port is not None:
        return DeviceRef(port)
    if names and given in names:
        return DeviceRef(names[given], given)
    return DeviceRef(given)


def looks_like_device(text: str, names: Mapping[str, str] | None = None) -> bool:
    """Whether ``text`` can only be meant as a device (``exec sim://generic`` with the code
    forgotten), not as code or a file: a URL with a scheme, a port path, a shortcut or a name."""
    given = text.strip()
    if _URL_WITH_SCHEME.fullmatch(given) or _PORT_PATH.fullmatch(given) or expand_shortcut(given):
        return True
    return names is not None and given in names


def parse_device_table(value: object, where: str) -> tuple[dict[str, str], list[str]]:
    """Check a ``[devices]`` table read from TOML: the good entries, and one problem per bad one.

    ``where`` names the file in the messages. A name must be one word a shell passes as is
    (letters, digits, ``_ . -``) and not one of the shortcuts; a value must be a device URL
    (a string without spaces); a value that is a shortcut is expanded.
    """
    if not isinstance(value, Mapping):
        problem = (
            f"{where}: 'devices' must be a table of names and URLs ([devices] then lines such as "
            f'lab = "rfc2217://lab-pi:4000"), not {value!r}; no named devices'
        )
        return {}, [problem]
    names: dict[str, str] = {}
    problems: list[str] = []
    for name, url in value.items():
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            problems.append(
                f"{where}: [devices] name {name!r} must be one word of letters, digits, '_', '.' "
                "or '-'; that entry is ignored"
            )
        elif expand_shortcut(name) is not None:
            problems.append(
                f"{where}: [devices] name {name!r} is already the shortcut for {expand_shortcut(name)}; "
                "pick another name (that entry is ignored)"
            )
        elif not isinstance(url, str) or not url.strip() or any(char.isspace() for char in url.strip()):
            problems.append(
                f'{where}: [devices] {name!r} must be a device URL such as "rfc2217://lab-pi:4000" or '
                f'"/dev/ttyACM0", not {url!r}; that entry is ignored'
            )
        else:
            names[name] = expand_shortcut(url) or url.strip()
    return names, problems


def load_named_devices(path: Path | None = None) -> NamedDevices:
    """The ``[devices]`` table of the settings file (default: the config folder's); never raises.

    A file that cannot be read or parsed gives one problem and no names: a broken settings
    file must not stop anyone from opening a device by URL.
    """
    from workbench.config import settings_path
    from workbench.tomlfiles import read_toml_file

    file = Path(path) if path is not None else settings_path()
    data, problem = read_toml_file(file, "settings file")
    if problem is not None:
        return NamedDevices({}, [f"{problem}; no named devices"])
    if data is None or "devices" not in data:
        return NamedDevices()
    names, problems = parse_device_table(data["devices"], f"settings file {file}")
    return NamedDevices(names, problems)
