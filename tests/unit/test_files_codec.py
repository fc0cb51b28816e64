"""The transfer's escaping: every byte value survives, and no byte the link acts on is sent."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.files.codec import (
    DOWN_ESCAPED,
    UP_ESCAPED,
    board_escape_expr,
    board_unescape_expr,
    escape,
    host_hash,
    unescape,
)

# Runs of the escape byte and the bytes it pairs with are where a chain of replaces goes wrong.
_tricky = st.lists(st.sampled_from([b"\x10", b"P", b"C", b"D", b"J", b"\x03", b"\x04", b"\n", b"\x01", b"x"]), max_size=40)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.binary(max_size=300), _tricky.map(b"".join)))
def test_every_byte_sequence_survives_both_ways(data: bytes) -> None:
    for escaped in (UP_ESCAPED, DOWN_ESCAPED):
        coded = escape(data, escaped)
        assert unescape(coded, escaped) == data
        # What the board runs gives the same bytes as the host's functions.
        assert eval(board_unescape_expr("coded", escaped), {"coded": coded}) == data
        assert eval(board_escape_expr("data", escaped), {"data": data}) == coded


def test_no_byte_the_link_acts_on_is_sent_as_it_is() -> None:
    every = bytes(range(256))
    up = escape(every, UP_ESCAPED)
    assert not set(up) & {0x01, 0x02, 0x03, 0x04, 0x05}  # CTRL-C interrupts, the raw REPL's commands
    down = escape(every, DOWN_ESCAPED)
    assert 0x04 not in down and 0x0A not in down  # the end of stdout; a line a banner could start


def test_the_fallback_checksum_counts_length_and_bytes() -> None:
    assert host_hash(b"\x01\x02", "sum") == "sum:2:3"
    assert host_hash(b"", "sha256") == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
