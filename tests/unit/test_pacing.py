"""The probe's plain-raw pacing search (workbench.profiles.pacing), against boards made of rules.

Each fake board says which pacings it takes without loss; the search must climb until a loss,
propose a margin below the fastest lossless pacing, confirm it with one more payload, and stay
within its time budget. The search on a simulated board is in tests/unit/test_probe.py.
"""

from __future__ import annotations

from collections.abc import Callable

from workbench.engine.verify import stage_code
from workbench.profiles.pacing import (
    CONFIRM_PAYLOAD,
    LADDER,
    START,
    Attempt,
    Pacing,
    find_pacing,
    known_payload,
    payload_size,
    with_margin,
)


class RuleBoard:
    """A board that takes a pacing when ``takes(pacing)`` says so; it records every attempt."""

    def __init__(self, takes: Callable[[Pacing], bool]) -> None:
        self.takes = takes
        self.tried: list[tuple[Pacing, int]] = []

    def attempt(self, pacing: Pacing, size: int) -> Attempt:
        self.tried.append((pacing, size))
        if self.takes(pacing):
            return Attempt(pacing, True, "", pacing.chunk_size / pacing.chunk_delay_s)
        return Attempt(pacing, False, "3 bytes lost on the way to the board")


def fifo_board(size: int, service_s: float = 0.01) -> RuleBoard:
    """A receive buffer of ``size`` bytes emptied every ``service_s``: a chunk (plus the CTRL-D
    that may ride on it) must fit, and the writes must not come faster than it is emptied."""
    return RuleBoard(lambda p: p.chunk_size + 1 <= size and p.chunk_delay_s >= service_s)


def test_climbs_until_a_loss_and_proposes_a_margin_below_the_edge() -> None:
    board = fifo_board(64)
    found = find_pacing(board.attempt, budget_s=60)
    assert [p for p, _ in board.tried] == [Pacing(32, 0.01), Pacing(48, 0.01), Pacing(64, 0.01), Pacing(36, 0.01)]
    assert found.edge == Pacing(48, 0.01)
    assert found.proposed == Pacing(36, 0.01) == with_margin(found.edge)
    assert board.tried[-1][1] == CONFIRM_PAYLOAD  # the confirmation is a program-sized payload
    assert found.bytes_per_s == 3600
    assert "36 B every 10 ms" in found.summary() and "a margin below 48 B every 10 ms" in found.summary()
    assert "64 B every 10 ms LOST (3 bytes lost" in found.summary()


def test_a_board_that_takes_everything_gets_the_top_of_the_ladder() -> None:
    board = RuleBoard(lambda p: True)
    found = find_pacing(board.attempt, budget_s=60)
    assert [p for p, _ in board.tried] == [*LADDER[START:], LADDER[-1]]
    assert found.proposed == LADDER[-1] == Pacing(256, 0.001) and found.edge is None
    assert "no loss at any pacing tried" in found.summary()


def test_a_loss_while_shrinking_the_delay_keeps_that_delay_with_a_smaller_chunk() -> None:
    board = RuleBoard(lambda p: p.chunk_delay_s >= 0.005)
    found = find_pacing(board.attempt, budget_s=60)
    assert found.edge == Pacing(256, 0.005)
    assert found.proposed == Pacing(192, 0.005)


def test_a_start_that_loses_goes_more_cautious() -> None:
    board = fifo_board(20, service_s=0.02)
    found = find_pacing(board.attempt, budget_s=60)
    assert [p for p, _ in board.tried][:2] == [LADDER[START], LADDER[START - 1]]
    assert found.edge == LADDER[0] and found.proposed == Pacing(12, 0.02)


def test_nothing_lossless_proposes_nothing() -> None:
    board = RuleBoard(lambda p: False)
    found = find_pacing(board.attempt, budget_s=60)
    assert found.proposed is None and found.bytes_per_s is None
    assert len(board.tried) == 2  # the start, then the most cautious rung
    assert found.summary().startswith("every pacing tried lost bytes")


def test_a_lost_confirmation_steps_back_and_confirms_again() -> None:
    refused = {Pacing(36, 0.01)}  # the margin itself fails once (a busy moment)
    board = RuleBoard(lambda p: p.chunk_size <= 48 and p not in refused)
    found = find_pacing(board.attempt, budget_s=60)
    assert found.proposed == Pacing(27, 0.015)
    assert [p for p, _ in board.tried][-2:] == [Pacing(36, 0.01), Pacing(27, 0.015)]


def test_no_rung_starts_after_the_budget() -> None:
    now = [0.0]

    def attempt(pacing: Pacing, size: int) -> Attempt:
        now[0] += 1.0  # every payload takes a second
        return Attempt(pacing, True, "", 100.0)

    found = find_pacing(attempt, budget_s=2.5, clock=lambda: now[0])
    assert found.out_of_time
    assert found.proposed == LADDER[START + 2]  # three rungs started within 2.5 s, then confirmed
    assert now[0] == 4.0
    assert "within the time budget" in found.summary()


def test_payloads_cover_several_chunks_and_travel_as_they_are() -> None:
    assert payload_size(Pacing(32, 0.01)) == 512
    assert payload_size(Pacing(256, 0.001)) == 6 * 256
    payload = known_payload(600, salt=3)
    assert len(payload) == 600 and payload.isalnum()
    assert payload != known_payload(600, salt=4)
    # Letters and digits need no escape: the code is as long as the payload plus a fixed part.
    assert len(stage_code(payload)) - len(stage_code(b"")) == 600
