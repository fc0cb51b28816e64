"""The session-to-UI bridge: batches, at most one message in flight, bounded, ordered."""

from __future__ import annotations

import threading

from workbench.app import bridge as bridge_module
from workbench.app.bridge import BridgeFlush, SessionBridge
from workbench.trace.record import TraceRecord


def test_one_flush_in_flight_and_everything_arrives_in_order() -> None:
    posted: list[object] = []
    bridge = SessionBridge(posted.append)
    for i in range(1000):
        bridge.add_output("stdout", f"{i}\n")
        bridge.add_trace(TraceRecord(float(i), "rx", b"x"))
    bridge.add_output("stderr", "Traceback\n")
    assert len(posted) == 1 and isinstance(posted[0], BridgeFlush)
    drained = bridge.drain()
    assert drained.output[0] == ("stdout", "".join(f"{i}\n" for i in range(1000)))
    assert drained.output[1] == ("stderr", "Traceback\n")
    assert [r.t for r in drained.records] == [float(i) for i in range(1000)]
    bridge.add_output("stdout", "again")
    assert len(posted) == 2  # a new flush after the drain


def test_pending_output_is_bounded_and_drops_are_counted(monkeypatch) -> None:
    monkeypatch.setattr(bridge_module, "MAX_PENDING_OUTPUT_CHARS", 1000)
    bridge = SessionBridge(lambda message: None)
    for _ in range(100):
        bridge.add_output("stdout", "x" * 100)
    drained = bridge.drain()
    kept = sum(len(text) for _, text in drained.output)
    assert kept <= 1000
    assert kept + drained.dropped_output_chars == 100 * 100


def test_many_threads_lose_nothing() -> None:
    bridge = SessionBridge(lambda message: None)

    def produce(tag: str) -> None:
        for i in range(2000):
            bridge.add_output("stdout", f"{tag}{i};")

    threads = [threading.Thread(target=produce, args=(t,)) for t in "abcd"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    text = "".join(t for _, t in bridge.drain().output)
    for tag in "abcd":
        assert text.count(tag) == 2000
