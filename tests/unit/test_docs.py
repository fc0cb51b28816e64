"""The documentation shows what the code does now, and its links lead somewhere.

The traces in docs/ come from :mod:`tools.docs_traces`. Regenerating them here and
comparing with the committed files turns a change in the engine, the protocol core or a
simulated board into a failing test with a diff, instead of a document that quietly keeps
describing the old behaviour. If the new trace is right, run
``python -m tools.docs_traces`` and commit the result.
"""

from __future__ import annotations

import difflib
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import requires_micropython
from tools import docs_traces
from tools.docs_traces import BY_NAME, MARKER, SCENARIOS, render, splice

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
TRACES = DOCS / "traces"
MARKDOWN = [*sorted(DOCS.glob("*.md")), ROOT / "README.md"]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
INLINE_CODE = re.compile(r"`[^`\n]*`")


def _param(name: str) -> pytest.ParameterSet:
    marks = [requires_micropython] if BY_NAME[name].needs_micropython else []
    return pytest.param(name, marks=marks, id=name)


def _markers(text: str) -> list[str]:
    return [m.group(1) for line in text.splitlines() if (m := MARKER.match(line))]


@pytest.mark.parametrize("name", [_param(s.name) for s in SCENARIOS])
def test_trace_file_matches_what_the_code_does_now(name: str) -> None:
    committed = (TRACES / f"{name}.txt").read_text(encoding="utf-8")
    fresh = render(BY_NAME[name])
    diff = "".join(difflib.unified_diff(
        committed.splitlines(keepends=True), fresh.splitlines(keepends=True), "committed", "now"
    ))
    assert fresh == committed, f"docs/traces/{name}.txt is stale; if this is right, run " \
        f"`python -m tools.docs_traces {name}`:\n{diff}"


@pytest.mark.parametrize("doc", sorted(DOCS.glob("*.md")), ids=lambda p: p.name)
def test_every_marker_names_a_trace_file_and_shows_it(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    for name in _markers(text):
        trace = TRACES / f"{name}.txt"
        assert trace.is_file(), f"{doc.name}: <!-- trace: {name} --> but there is no docs/traces/{name}.txt"
        shown = splice(text, {name: trace.read_text(encoding="utf-8")})
        assert shown == text, f"{doc.name}: the block after <!-- trace: {name} --> differs from {trace.name}"


def test_every_trace_comes_from_a_scenario_and_is_shown_somewhere() -> None:
    files = {path.stem for path in TRACES.glob("*.txt")}
    shown = {name for doc in DOCS.glob("*.md") for name in _markers(doc.read_text(encoding="utf-8"))}
    assert files == set(BY_NAME), "trace files and scenarios differ"
    assert shown == set(BY_NAME), f"scenarios no document shows: {sorted(set(BY_NAME) - shown)}"


def _anchors(doc: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    text = FENCE.sub("", doc.read_text(encoding="utf-8"))
    headings = re.findall(r"^#+ +(.+?) *$", text, re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("doc", MARKDOWN, ids=lambda p: p.name)
def test_relative_links_point_at_files(doc: Path) -> None:
    text = INLINE_CODE.sub("", FENCE.sub("", doc.read_text(encoding="utf-8")))
    missing = []
    for target in LINK.findall(text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):
            continue  # a web address or mailto:
        path, _, anchor = target.partition("#")
        linked = doc.parent / path if path else doc
        heading_missing = anchor and linked.suffix == ".md" and linked.is_file() and anchor not in _anchors(linked)
        if not linked.exists() or heading_missing:
            missing.append(target)
    assert not missing, f"{doc.name} links to files or headings that do not exist: {missing}"


def test_splice_replaces_a_block_adds_a_missing_one_and_leaves_others_alone() -> None:
    text = "a\n<!-- trace: one -->\n```text\nold\n```\nb\n<!-- trace: two -->\nc\n<!-- trace: other -->\n"
    assert splice(text, {"one": "new 1\n", "two": "new 2\n"}) == (
        "a\n<!-- trace: one -->\n```text\nnew 1\n```\nb\n"
        "<!-- trace: two -->\n```text\nnew 2\n```\nc\n<!-- trace: other -->\n"
    )


def test_check_lists_a_stale_file_and_a_run_repairs_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(DOCS, docs)
    stale = docs / "traces" / "soft-reset.txt"
    stale.write_text("# edited by hand\n", encoding="utf-8")
    assert docs_traces.main(["--check", "--docs", str(docs), "soft-reset"]) == 1
    assert f"stale: {stale}" in capsys.readouterr().out
    assert docs_traces.main(["--docs", str(docs), "soft-reset"]) == 0
    assert stale.read_text(encoding="utf-8") == (TRACES / "soft-reset.txt").read_text(encoding="utf-8")
