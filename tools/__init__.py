"""Developer tools that make the repository's docs (doc traces, README screenshots).

They are not part of the installed package: run them from a checkout with
``python -m tools.docs_traces`` and ``python -m tools.docs_screenshots``."""
