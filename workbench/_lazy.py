"""Package attributes imported on first use (PEP 562), so a package's names cost nothing until read.

Why: ``workbench exec`` starts a whole Python process per call, and a package ``__init__``
that imports every submodule makes each command pay for layers it never touches (the
``workbench`` package alone used to pull the engine, the protocol core and the trace
tools). A package lists its public names and the submodule of each; ``from workbench
import connect`` still works and loads ``workbench.engine`` only then.

A name that is also a submodule's name (``workbench.trace.annotate``) cannot be lazy:
importing that submodule would bind the module over the name. Such a package imports that
name eagerly instead.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: each name in ``exports`` is read from
    its module (a full dotted name) on first access and kept in ``namespace`` (the package's
    ``globals()``), so later reads are plain attribute lookups."""

    def __getattr__(name: str) -> Any:
        module_name = exports.get(name)
        if module_name is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        # __import__, not importlib.import_module: the C import path, which ``python -X
        # importtime`` reports (importlib's own path is invisible there).
        __import__(module_name)
        value = getattr(sys.modules[module_name], name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *exports})

    return __getattr__, __dir__
