"""``workbench trace FILE --stats``: the numbers of :mod:`workbench.trace.stats`, printed.

Text for a person (a block to paste into a bug report under the trace it summarises), or
with ``--json`` one JSON object for scripts (its keys are documented in
:mod:`workbench.trace.stats`). Words that come from the file (notes, the records around the
longest gap) are shown inert by the caller's ``show``, as every text from a file is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from workbench.cli.progress import human_rate
from workbench.trace.stats import TraceStats, percentile

#: Notes and timeouts listed in the text; the JSON has them all.
LIST_AT_MOST = 5


def stats_of_file(path: str) -> TraceStats:
    """Load, annotate (the file's own events kept) and sum up; TraceFileError if unreadable."""
    from workbench.trace import annotate, load_jsonl
    from workbench.trace.stats import compute_stats, with_events

    records, meta = load_jsonl(path)
    return compute_stats(with_events(records, annotate(records)), meta)


def print_stats(stats: TraceStats, *, as_json: bool, show: Callable[[str], None]) -> None:
    """Print ``stats``: ``show`` prints text that may quote the file (made inert)."""
    if as_json:
        print(json.dumps(stats.to_json(), indent=2, ensure_ascii=True), flush=True)
    else:
        show(format_stats(stats))


def format_stats(stats: TraceStats) -> str:
    """The text summary, one fact a line."""
    data = stats.to_json()
    execs = data["execs"]
    lines = [
        f"records      {stats.records} over {seconds(stats.duration_s)}",
        f"bytes        tx {stats.tx_bytes:,} B, rx {stats.rx_bytes:,} B",
        f"execs        {_execs_line(execs)}",
    ]
    if execs["exceptions"]:
        raised = ", ".join(f"{name} {count}" for name, count in execs["exceptions"].items())
        lines.append(f"  raised     {raised}")
    trips = stats.round_trips()
    if trips:
        lines.append(
            f"round trip   median {seconds(percentile(trips, 0.5))}, p95 {seconds(percentile(trips, 0.95))}, "
            f"total {seconds(sum(trips))} ({len(trips)} exec{'s' if len(trips) != 1 else ''}, "
            "from the host's CTRL-D to the raw prompt)"
        )
    rates = stats.throughputs()
    if rates:
        median = percentile(rates, 0.5) or 0.0
        lines.append(
            f"raw-paste    median {human_rate(median)} ({len(rates)} paste{'s' if len(rates) != 1 else ''})"
        )
    gap = stats.longest_gap
    if gap is not None:
        lines.append(f"longest gap  {seconds(gap.seconds)} at {gap.start_t:.6f} s")
        lines.append(f"  after      {gap.before}")
        lines.append(f"  before     {gap.after}")
    lines.append(f"interrupts   {_counts(data['interrupts']['total'], data['interrupts']['by_reason'])}")
    lines.append(f"timeouts     {len(stats.timeouts)}")
    lines.extend(_listed(stats.timeouts))
    unexpected = data["unexpected_bytes"]
    by_state = ", ".join(f"{state} {size:,} B" for state, size in unexpected["by_state"].items())
    lines.append(
        f"unexpected   {unexpected['bytes']:,} B outside a frame" + (f" ({by_state})" if by_state else "")
    )
    extras = [
        (stats.reboots, "reboot"),
        (stats.raw_paste_refused, "raw-paste refused"),
        (stats.paste_ended_early, "paste ended early"),
    ]
    said = [
        f"{count} {what}{'s' if what == 'reboot' and count != 1 else ''}" for count, what in extras if count
    ]
    if said:
        lines.append(f"also         {', '.join(said)}")
    if stats.notes:
        lines.append(f"notes        {len(stats.notes)}")
        lines.extend(_listed(stats.notes))
    lines.append(f"dropped      {_dropped(stats)}")
    return "\n".join(lines)


def seconds(value: float | None) -> str:
    """``0.300 ms``, ``12.5 ms``, ``3.21 s``: precise enough to compare, short enough to read."""
    if value is None:
        return "-"
    if value < 0.01:
        return f"{value * 1000:.3f} ms"
    if value < 1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.2f} s"


def _execs_line(execs: dict[str, Any]) -> str:
    modes = execs["by_mode"]
    parts = [f"{modes['raw_paste']} raw-paste", f"{modes['raw']} raw"]
    if modes["unknown"]:
        parts.append(f"{modes['unknown']} begun before the trace")
    results = [f"{execs['ok']} ok", f"{execs['raised']} raised"]
    if execs["rebooted"]:
        results.append(f"{execs['rebooted']} ended by a reboot")
    if execs["unfinished"]:
        results.append(f"{execs['unfinished']} unfinished")
    return f"{execs['total']} ({', '.join(parts)}); {', '.join(results)}"


def _counts(total: int, by: dict[str, int]) -> str:
    if not total:
        return "0"
    words = (("reason not recorded" if key == "unknown" else key.replace("_", " ")) for key in by)
    return (
        f"{total} ("
        + ", ".join(f"{word} {count}" for word, count in zip(words, by.values(), strict=True))
        + ")"
    )


def _listed(items: list[tuple[float, str]]) -> list[str]:
    lines = [f"  {t:.6f} {text}" for t, text in items[:LIST_AT_MOST]]
    if len(items) > LIST_AT_MOST:
        lines.append(f"  ... {len(items) - LIST_AT_MOST} more (--json lists them all)")
    return lines


def _dropped(stats: TraceStats) -> str:
    if stats.dropped_records is None:
        return "not recorded in the file"
    text = f"{stats.dropped_records} records"
    if stats.dropped_bytes is not None:
        text += f" ({stats.dropped_bytes:,} B)"
    return text
