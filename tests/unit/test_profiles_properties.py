"""Property tests: every valid profile survives TOML, the store and form input unchanged."""

from __future__ import annotations

import string
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.engine.profile import Profile
from workbench.profiles import (
    FIELD_NAMES,
    DeviceProfile,
    ProfileStore,
    export_profile,
    import_profile,
    validate_field,
)

seconds = st.floats(min_value=0, max_value=60, allow_nan=False)
timeouts = st.floats(min_value=0.001, max_value=3600, allow_nan=False)
names = st.text(st.characters(min_codepoint=0x20, blacklist_categories=("Cs",)), min_size=1, max_size=64).filter(
    str.strip
)

#: One strategy per profile field (test_every_field_has_a_strategy keeps it complete).
FIELD_STRATEGIES: dict[str, st.SearchStrategy[object]] = {
    "name": names,
    "description": st.text(max_size=200).filter(lambda text: "\x00" not in text),
    "startup_delay_s": seconds,
    "interrupt_delay_s": seconds,
    "response_timeout_s": timeouts,
    "reset_timeout_s": timeouts,
    "exec_timeout_s": st.none() | timeouts,
    "raw_paste": st.sampled_from(["auto", "always", "never"]),
    "window_size_override": st.none() | st.integers(8, 65536),
    "chunk_size": st.integers(1, 65536),
    "file_block_size": st.none() | st.integers(16, 500_000),
    "chunk_delay_s": seconds,
    "retries": st.integers(0, 20),
    "soft_reset_before_run": st.booleans(),
    "verify_code": st.booleans(),
    "dtr": st.none() | st.booleans(),
    "rts": st.none() | st.booleans(),
    "baudrate": st.sampled_from([300, 9600, 74880, 115200, 921600]) | st.integers(300, 12_000_000),
    "encoding": st.sampled_from(["utf-8", "latin-1", "ascii", "cp1252", "utf-16"]),
    "verbose_trace": st.booleans(),
    "trace_budget_bytes": st.integers(0, 1024**3),
}
profiles = st.builds(DeviceProfile, **FIELD_STRATEGIES)



def test_every_field_has_a_strategy() -> None:
    """A new setting is round-tripped below only once it has a strategy here."""
    assert sorted(FIELD_STRATEGIES) == sorted(FIELD_NAMES)


SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SLOW
@given(profile=profiles)
def test_export_import_round_trip(tmp_path: Path, profile: DeviceProfile) -> None:
    target = tmp_path / "p.toml"
    export_profile(profile, target)
    assert import_profile(target) == profile


@SLOW
@given(profile=profiles, url=st.text(string.printable, min_size=1, max_size=40).filter(str.strip))
def test_store_round_trip_with_any_url_key(tmp_path: Path, profile: DeviceProfile, url: str) -> None:
    path = tmp_path / "profiles.toml"
    path.unlink(missing_ok=True)
    store = ProfileStore.load(path)
    assert store.save(f"url:{url}", profile), store.problems
    again = ProfileStore.load(path)
    assert again.problems == []
    assert again.get(f"url:{url}") == profile


@SLOW
@given(profile=profiles)
def test_form_input_round_trip_and_engine_profile(profile: DeviceProfile) -> None:
    for name, value in profile.to_dict().items():
        if value is None:
            text = "none"
        elif isinstance(value, bool):
            text = str(value).lower()
        elif isinstance(value, float):
            text = repr(value)
        else:
            text = str(value)
        parsed, error = validate_field(name, text)
        assert error is None, (name, text, error)
        if name not in ("name",):
            assert parsed == value, name
    assert isinstance(profile.to_engine_profile(), Profile)
