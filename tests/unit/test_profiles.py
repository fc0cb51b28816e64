"""Device profiles: validation, presets, the TOML store, matching a device to its profile."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from pathlib import Path

import pytest

from workbench.discovery.ports import PortInfo
from workbench.engine.profile import Profile
from workbench.profiles import (
    FIELD_NAMES,
    PRESETS,
    DeviceProfile,
    ProfileError,
    ProfileStore,
    choose_profile,
    export_profile,
    from_seed_settings,
    import_profile,
    normalise_key,
    preset_for_platform,
    profiles_path,
    validate_field,
)
from workbench.sim.boards import BOARDS


@pytest.fixture(autouse=True)
def isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never touch the real user configuration."""
    directory = tmp_path / "config"
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(directory))
    return directory


def leftovers(directory: Path) -> list[str]:
    """Temporary files an interrupted or failed save could leave behind."""
    return sorted(path.name for path in directory.iterdir() if path.name.endswith(".tmp"))


def port(serial: str | None = "E6605838835B2A2F", vid: int | None = 0x2E8A, pid: int | None = 0x0005) -> PortInfo:
    return PortInfo("/dev/ttyACM0", vid, pid, serial, "Board in FS mode", None, None, None, None)


def mine(name: str, **changes: object) -> DeviceProfile:
    return DeviceProfile(name=name, **changes)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- schema


def test_defaults_match_the_engine_defaults() -> None:
    assert DeviceProfile().to_engine_profile() == Profile()


def test_every_preset_converts_to_a_valid_engine_profile() -> None:
    for preset in PRESETS.values():
        engine = preset.profile.to_engine_profile()
        assert isinstance(engine, Profile)
        engine_fields = {field.name for field in dataclasses.fields(Profile)}
        for name in FIELD_NAMES:
            if name in engine_fields:
                assert getattr(engine, name) == getattr(preset.profile, name), name
        assert engine.with_changes() == engine


def test_every_setting_reaches_the_engine() -> None:
    engine_fields = {field.name for field in dataclasses.fields(Profile)}
    assert set(FIELD_NAMES) - engine_fields == {"name", "description"}
    changed = mine("x", window_size_override=64, soft_reset_before_run=True, verbose_trace=True)
    engine = changed.to_engine_profile()
    assert (engine.window_size_override, engine.soft_reset_before_run, engine.verbose_trace) == (64, True, True)


def test_to_dict_from_dict_round_trip() -> None:
    profile = mine("x", exec_timeout_s=30, window_size_override=64, dtr=True, soft_reset_before_run=True)
    assert DeviceProfile.from_dict(profile.to_dict(), source="test") == profile
    assert isinstance(profile.exec_timeout_s, float)  # int seconds normalised


# One declaration: the engine's Profile holds the settings; the profiles layer adds a rule,
# a help line and a documented row per field. Adding a setting to the engine without those
# fails here, and so does one that cannot survive the store, an export or a preset override.
ENGINE_FIELDS = tuple(field.name for field in dataclasses.fields(Profile))


def test_device_profile_declares_only_name_and_description_of_its_own() -> None:
    own = {field.name for field in dataclasses.fields(DeviceProfile)} - set(ENGINE_FIELDS)
    assert own == {"name", "description"}
    for field in dataclasses.fields(Profile):  # same default, same type: inherited, not copied
        device_field = next(f for f in dataclasses.fields(DeviceProfile) if f.name == field.name)
        assert (device_field.default, device_field.type) == (field.default, field.type), field.name


@pytest.mark.parametrize("name", ENGINE_FIELDS)
def test_every_engine_setting_has_a_rule_a_help_line_and_a_documented_row(name: str) -> None:
    from workbench.profiles import FIELD_HELP
    from workbench.profiles.schema import _RULES

    assert name in _RULES and name in FIELD_NAMES and FIELD_HELP.get(name)
    doc = (Path(__file__).resolve().parents[2] / "docs" / "profiles.md").read_text(encoding="utf-8")
    assert any(line.startswith("| `") and f"`{name}`" in line.split("|")[1] for line in doc.splitlines()), name


def test_field_names_cover_every_field_once() -> None:
    assert sorted(FIELD_NAMES) == sorted({field.name for field in dataclasses.fields(DeviceProfile)})
    assert len(FIELD_NAMES) == len(set(FIELD_NAMES))
    assert FIELD_NAMES[:2] == ("name", "description")  # forms and files start with the name


#: Values tried, in order, for a setting that differs from its default and passes its rule.
_CANDIDATES: tuple[object, ...] = (1.5, 0.25, 30, 3, 9600, True, None, "never", "latin-1")


def other_value(name: str) -> object:
    """A valid value of the setting ``name`` other than its default."""
    default = getattr(DeviceProfile(), name)
    for candidate in _CANDIDATES:
        try:
            value = getattr(DeviceProfile(name="x", **{name: candidate}), name)  # type: ignore[arg-type]
        except ProfileError:
            continue
        if value != default:
            return value
    raise AssertionError(f"add a valid non-default value of {name} to _CANDIDATES")


@pytest.mark.parametrize("name", ENGINE_FIELDS)
def test_every_setting_survives_the_store_an_export_and_a_preset(name: str, isolated_config: Path) -> None:
    value = other_value(name)
    profile = mine("x", **{name: value})
    assert getattr(profile.to_engine_profile(), name) == value
    assert DeviceProfile.from_engine_profile(profile.to_engine_profile(), name="x") == profile
    store = ProfileStore.load()
    assert store.save("url:/dev/ttyACM0", profile), store.problems
    assert store.save("preset:generic", PRESETS["generic"].profile.with_changes(**{name: value}))
    again = ProfileStore.load()
    assert again.problems == []
    assert again.get("url:/dev/ttyACM0") == profile
    assert getattr(again.preset("generic"), name) == value
    export_profile(profile, isolated_config / "x.toml")
    assert import_profile(isolated_config / "x.toml") == profile


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("chunk_sise", 3, "unknown field (did you mean 'chunk_size'?)"),
        ("retries", "2", "must be a whole number, not a string"),
        ("retries", True, "must be a whole number, not a boolean"),
        ("retries", 21, "between 0 and 20"),
        ("response_timeout_s", 0, "more than 0"),
        ("response_timeout_s", 3601, "at most 3600"),
        ("exec_timeout_s", -1, "more than 0"),
        ("startup_delay_s", -0.1, "between 0 and 60"),
        ("interrupt_delay_s", 61, "between 0 and 60"),
        ("chunk_delay_s", float("nan"), "finite"),
        ("chunk_size", 0, "between 1 and 65536"),
        ("chunk_size", 65537, "between 1 and 65536"),
        ("window_size_override", 7, "at least 8"),
        ("baudrate", 299, "standard rate"),
        ("encoding", "klingon", "not a known text encoding"),
        ("encoding", "rot13", "not a text encoding"),
        ("raw_paste", "sometimes", "one of auto, always, never"),
        ("dtr", "yes", "true or false or none, not a string"),
        ("name", "  ", "must not be empty"),
    ],
)
def test_from_dict_refuses_bad_values_naming_source_field_and_reason(field: str, value: object, reason: str) -> None:
    data = {"name": "bad", field: value}
    with pytest.raises(ProfileError) as caught:
        DeviceProfile.from_dict(data, source="my.toml")
    message = str(caught.value)
    assert message.startswith("my.toml: ")
    assert f"{field}: " in message
    assert reason in message
    assert caught.value.field == field
    assert caught.value.source == "my.toml"


def test_from_dict_reports_every_problem_at_once() -> None:
    with pytest.raises(ProfileError) as caught:
        DeviceProfile.from_dict({"name": "x", "retries": -1, "chunk_size": 0}, source="s")
    assert [field for field, _ in caught.value.issues] == ["retries", "chunk_size"]


def test_from_dict_needs_a_name_and_a_table() -> None:
    with pytest.raises(ProfileError, match="name: missing"):
        DeviceProfile.from_dict({"retries": 1}, source="s")
    with pytest.raises(ProfileError, match="expected a table"):
        DeviceProfile.from_dict([1, 2], source="s")  # type: ignore[arg-type]


def test_from_dict_takes_missing_fields_from_a_base() -> None:
    esp32 = PRESETS["esp32"].profile
    profile = DeviceProfile.from_dict({"retries": 9}, source="s", base=esp32)
    assert profile == dataclasses.replace(esp32, retries=9)


def test_baudrates_accept_standard_low_rates_and_anything_sane() -> None:
    for rate in (110, 300, 9600, 74880, 115200, 921600, 3_000_000):
        assert mine("b", baudrate=rate).baudrate == rate
    for rate in (0, 100, 299, 20_000_000):
        with pytest.raises(ProfileError, match="baudrate"):
            mine("b", baudrate=rate)


def test_construction_validates_too() -> None:
    with pytest.raises(ProfileError, match=r"profile 'x': chunk_size"):
        mine("x", chunk_size=0)
    with pytest.raises(ProfileError, match="retries"):
        PRESETS["generic"].profile.with_changes(retries=99)


@pytest.mark.parametrize(
    ("field", "text", "value"),
    [
        ("startup_delay_s", "2.5", 2.5),
        ("startup_delay_s", " 2 ", 2.0),
        ("startup_delay_s", "0", 0.0),
        ("exec_timeout_s", "none", None),
        ("exec_timeout_s", "None", None),
        ("exec_timeout_s", "", None),
        ("exec_timeout_s", "30", 30.0),
        ("window_size_override", "none", None),
        ("window_size_override", "64", 64),
        ("raw_paste", "auto", "auto"),
        ("raw_paste", "Never", "never"),
        ("soft_reset_before_run", "true", True),
        ("soft_reset_before_run", "off", False),
        ("dtr", "yes", True),
        ("dtr", "none", None),
        ("baudrate", "115200", 115200),
        ("baudrate", "115_200", 115200),
        ("encoding", "latin-1", "latin-1"),
        ("name", " pico ", "pico"),
        ("description", "anything at all", "anything at all"),
        ("retries", "0", 0),
    ],
)
def test_validate_field_accepts(field: str, text: str, value: object) -> None:
    assert validate_field(field, text) == (value, None)


@pytest.mark.parametrize(
    ("field", "text", "reason"),
    [
        ("startup_delay_s", "", "required"),
        ("startup_delay_s", "none", "not a number"),
        ("startup_delay_s", "2,5", "not a number"),
        ("startup_delay_s", "-1", "between 0 and 60"),
        ("startup_delay_s", "nan", "finite"),
        ("response_timeout_s", "0", "more than 0"),
        ("response_timeout_s", "inf", "finite"),
        ("exec_timeout_s", "forever", "not a number"),
        ("chunk_size", "2.5", "not a whole number"),
        ("chunk_size", "0", "between 1 and 65536"),
        ("window_size_override", "4", "at least 8"),
        ("retries", "many", "not a whole number"),
        ("soft_reset_before_run", "maybe", "not true or false"),
        ("soft_reset_before_run", "none", "not true or false"),
        ("raw_paste", "sometimes", "one of auto, always, never"),
        ("encoding", "nope-8", "not a known text encoding"),
        ("name", "", "must not be empty"),
        ("no_such_field", "1", "unknown field"),
    ],
)
def test_validate_field_refuses(field: str, text: str, reason: str) -> None:
    value, error = validate_field(field, text)
    assert value is None
    assert error is not None and reason in error


def test_validate_field_knows_every_field() -> None:
    profile = PRESETS["esp32"].profile
    for name, value in profile.to_dict().items():
        text = "none" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        assert validate_field(name, text) == (value, None), name


# --------------------------------------------------------------------------- seed settings

# The four example settings of the .NET library's documentation (ESP, STM32, RP2040, CircuitPython).
SEEDS = {
    "esp": {"StartupDelayMs": 3000, "InterruptDelayMs": 200, "PreferredWindowSize": 64, "MaxRetryAttempts": 5},
    "stm32": {
        "StartupDelayMs": 1000,
        "InterruptDelayMs": 50,
        "PreferredWindowSize": 256,
        "EnableRawPasteAutoDetection": True,
    },
    "rp2040": {
        "StartupDelayMs": 1500,
        "InterruptDelayMs": 75,
        "PreferredWindowSize": 128,
        "EnableAdaptiveTiming": True,
    },
    "circuitpython": {
        "EnableRawPasteAutoDetection": False,
        "StartupDelayMs": 2500,
        "InterruptDelayMs": 300,
        "MaxRetryAttempts": 5,
        "EnableVerboseLogging": True,
    },
}


def test_seed_settings_map_onto_profile_fields() -> None:
    esp, notes = from_seed_settings({"Protocol": {"RawRepl": SEEDS["esp"]}}, name="esp")
    assert (esp.name, esp.startup_delay_s, esp.interrupt_delay_s) == ("esp", 3.0, 0.2)
    assert (esp.window_size_override, esp.retries, notes) == (64, 5, [])

    stm32, _ = from_seed_settings(SEEDS["stm32"])
    assert (stm32.startup_delay_s, stm32.interrupt_delay_s, stm32.window_size_override) == (1.0, 0.05, 256)
    assert stm32.raw_paste == "auto"

    rp2040, notes = from_seed_settings({"RawRepl": SEEDS["rp2040"]})
    assert (rp2040.startup_delay_s, rp2040.interrupt_delay_s, rp2040.window_size_override) == (1.5, 0.075, 128)
    assert len(notes) == 1 and "EnableAdaptiveTiming" in notes[0]

    circuitpython, _ = from_seed_settings(SEEDS["circuitpython"])
    assert circuitpython.raw_paste == "never"
    assert circuitpython.verbose_trace is True
    assert (circuitpython.startup_delay_s, circuitpython.interrupt_delay_s, circuitpython.retries) == (2.5, 0.3, 5)


def test_every_seed_converts_to_an_engine_profile() -> None:
    for seed in SEEDS.values():
        profile, _ = from_seed_settings(seed)
        assert isinstance(profile.to_engine_profile(), Profile)


def test_seed_settings_keep_the_base_for_what_they_do_not_say() -> None:
    profile, _ = from_seed_settings({"MaxRetryAttempts": 7}, base=PRESETS["esp32"].profile, name="e")
    assert profile == dataclasses.replace(PRESETS["esp32"].profile, name="e", retries=7, description=profile.description)


@pytest.mark.parametrize(
    ("seed", "fragment"),
    [
        ({"StartupDelayMillis": 5}, "StartupDelayMillis: unknown seed setting (did you mean 'StartupDelayMs'?)"),
        ({"PreferredWindowSize": 4}, "PreferredWindowSize: as window_size_override: must be at least 8"),
        ({"MaxRetryAttempts": 50}, "MaxRetryAttempts: as retries"),
        ({"StartupDelayMs": "3000"}, "StartupDelayMs: must be a number"),
        ({"EnableVerboseLogging": "yes"}, "EnableVerboseLogging: must be true or false"),
        ({"InterruptDelayMs": 120_000}, "InterruptDelayMs: as interrupt_delay_s: must be between 0 and 60"),
    ],
)
def test_seed_settings_refuse_what_they_cannot_carry_over(seed: dict[str, object], fragment: str) -> None:
    with pytest.raises(ProfileError) as caught:
        from_seed_settings(seed, source="appsettings.json")
    assert str(caught.value).startswith("appsettings.json: ")
    assert fragment in str(caught.value)


# --------------------------------------------------------------------------- presets


def test_presets_exist_with_reasons() -> None:
    assert list(PRESETS) == ["generic", "esp32", "esp8266", "rp2040", "stm32", "circuitpython"]
    for name, preset in PRESETS.items():
        assert preset.profile.name == name
        assert len(preset.reason) > 40
        assert preset.profile.description
    assert "bridge" in PRESETS["esp32"].reason and "reset" in PRESETS["esp32"].reason
    assert "native usb" in PRESETS["rp2040"].reason.lower() and "native usb" in PRESETS["stm32"].reason.lower()
    assert "banner" in PRESETS["circuitpython"].reason and "reload" in PRESETS["circuitpython"].reason


@pytest.mark.parametrize("esp", ["esp32", "esp8266"])
def test_esp_presets_are_slower_than_stm32(esp: str) -> None:
    slow, fast = PRESETS[esp].profile, PRESETS["stm32"].profile
    for field in ("startup_delay_s", "interrupt_delay_s", "response_timeout_s", "reset_timeout_s", "chunk_delay_s"):
        assert getattr(slow, field) > getattr(fast, field), field
    assert slow.retries > fast.retries
    assert slow.chunk_size < fast.chunk_size


def test_presets_wait_longer_than_the_simulated_boards_take_to_boot() -> None:
    for name in ("esp32", "esp8266", "rp2040", "stm32", "circuitpython"):
        assert PRESETS[name].profile.reset_timeout_s > BOARDS[name].boot_time_s * 5


def test_presets_are_documented_in_a_table() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "profiles.md").read_text(encoding="utf-8")
    for name, preset in PRESETS.items():
        row = next(line for line in doc.splitlines() if line.startswith(f"| {name} "))
        for value in (preset.profile.startup_delay_s, preset.profile.response_timeout_s, preset.profile.chunk_size):
            assert f" {value:g} " in row, (name, value)


# --------------------------------------------------------------------------- store


def test_missing_file_means_presets_only(isolated_config: Path) -> None:
    store = ProfileStore.load()
    assert store.path == isolated_config / "profiles.toml" == profiles_path()
    assert store.problems == [] and len(store) == 0
    assert store.preset("esp32") == PRESETS["esp32"].profile
    assert set(store.presets()) == set(PRESETS)


def test_save_then_load_round_trips(isolated_config: Path) -> None:
    store = ProfileStore.load()
    desk = mine("desk pico", startup_delay_s=0.2, dtr=True, exec_timeout_s=None, window_size_override=64)
    assert store.save("serial:E6605838835B2A2F", desk)
    assert store.save("usb:2E8A:5", mine("all picos"))
    assert store.save("url:/dev/ttyUSB0", mine("that port", rts=False))
    assert store.save("preset:esp32", dataclasses.replace(PRESETS["esp32"].profile, retries=9))
    text = (isolated_config / "profiles.toml").read_text(encoding="utf-8")
    assert '["usb:2e8a:0005"]' in text
    assert "exec_timeout_s" not in text  # None is absence in TOML
    again = ProfileStore.load()
    assert again.problems == []
    assert again.profiles == store.profiles
    assert again.get("serial:E6605838835B2A2F") == desk
    assert again.preset("esp32").retries == 9  # type: ignore[union-attr]
    assert again.is_customised_preset("esp32") and not again.is_customised_preset("stm32")
    assert leftovers(isolated_config) == []


def test_remove_forgets_and_writes(isolated_config: Path) -> None:
    store = ProfileStore.load()
    store.save("url:sim://esp32", mine("a"))
    store.save("url:sim://stm32", mine("b"))
    assert store.remove("url:sim://esp32")
    assert store.remove("url:never-saved")
    assert list(ProfileStore.load().profiles) == ["url:sim://stm32"]


@pytest.mark.parametrize("key", ["nope", "usb:zz:0001", "usb:2e8a", "serial:", "url:  ", "preset:bad name", "usb:12345:1"])
def test_bad_keys_are_refused(key: str) -> None:
    with pytest.raises(ValueError):
        normalise_key(key)
    with pytest.raises(ValueError):
        ProfileStore.load().save(key, mine("x"))


def test_atomic_write_keeps_the_old_file_when_replace_fails(
    isolated_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_replace = os.replace
    store = ProfileStore.load()
    assert store.save("url:a", mine("old"))
    path = isolated_config / "profiles.toml"
    before = path.read_bytes()

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    assert not store.save("url:b", mine("new"))
    assert path.read_bytes() == before
    assert leftovers(isolated_config) == []
    assert any("No space left on device" in problem and str(path) in problem for problem in store.problems)
    assert store.get("url:b") is None  # the store is unchanged when the write failed
    monkeypatch.setattr(os, "replace", real_replace)
    assert ProfileStore.load().profiles == {"url:a": mine("old")}


def write(path: Path, text: str) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path.read_bytes()


def test_bad_toml_gives_a_problem_and_the_file_is_never_overwritten(isolated_config: Path) -> None:
    path = isolated_config / "profiles.toml"
    before = write(path, '["url:a"\nname = "unterminated\n')
    store = ProfileStore.load()
    assert len(store.problems) == 1
    assert str(path) in store.problems[0] and "not valid TOML" in store.problems[0]
    assert len(store) == 0 and store.preset("esp32") == PRESETS["esp32"].profile
    assert not store.can_save
    assert not store.save("url:b", mine("b"))
    assert path.read_bytes() == before
    assert any("not saved" in problem for problem in store.problems)
    assert leftovers(isolated_config) == []


def test_a_wrong_type_names_file_table_and_field(isolated_config: Path) -> None:
    path = isolated_config / "profiles.toml"
    before = write(
        path,
        '["url:good"]\nname = "good"\nretries = 4\n\n'
        '["serial:ABC"]\nname = "bad"\nresponse_timeout_s = "slow"\n',
    )
    store = ProfileStore.load()
    assert len(store.problems) == 1
    problem = store.problems[0]
    assert str(path) in problem and '["serial:ABC"]' in problem and "response_timeout_s" in problem
    assert "not a string" in problem
    # The good table is still used; the bad one falls back to presets.
    assert store.get("url:good") == mine("good", retries=4)
    assert store.get("serial:ABC") is None
    profile, why = choose_profile(store, url="/dev/ttyACM0", port=port(serial="ABC"), platform="rp2")
    assert profile == PRESETS["rp2040"].profile and why.startswith("preset rp2040")
    # Saving would drop the bad table: refused, file untouched.
    assert not store.save("url:other", mine("other"))
    assert not store.remove("url:good")
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('["usb:xyz"]\nname = "x"\n', "usb:<vid>:<pid>"),
        ('["url:a"]\nname = "x"\nchunk_sise = 1\n', "chunk_sise: unknown field"),
        ('["url:a"]\nretries = 1\n', "name: missing"),
        ('stray = 1\n', "must start with one of"),
        ('["usb:2E8A:0005"]\nname = "a"\n\n["usb:2e8a:0005"]\nname = "b"\n', "same device"),
    ],
)
def test_other_malformed_tables(isolated_config: Path, text: str, fragment: str) -> None:
    path = isolated_config / "profiles.toml"
    write(path, text)
    store = ProfileStore.load()
    assert len(store.problems) == 1
    assert str(path) in store.problems[0] and fragment in store.problems[0]
    assert not store.can_save


def test_unreadable_file_gives_a_problem(isolated_config: Path) -> None:
    (isolated_config / "profiles.toml").mkdir(parents=True)  # a directory cannot be read as a file
    store = ProfileStore.load()
    assert len(store.problems) == 1 and "could not read profiles file" in store.problems[0]
    assert not store.save("url:a", mine("a"))


def test_non_utf8_file_gives_a_problem(isolated_config: Path) -> None:
    path = isolated_config / "profiles.toml"
    path.parent.mkdir(parents=True)
    path.write_bytes(b'["url:a"]\nname = "\xff"\n')
    store = ProfileStore.load()
    assert len(store.problems) == 1 and str(path) in store.problems[0]


# --------------------------------------------------------------------------- export / import


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_round_trips_through_a_toml_file(tmp_path: Path, name: str) -> None:
    profile = PRESETS[name].profile
    target = tmp_path / f"{name}.toml"
    ProfileStore.export_profile(profile, target)
    assert tomllib.loads(target.read_text(encoding="utf-8"))["name"] == name
    assert ProfileStore.import_profile(target) == profile
    assert leftovers(tmp_path) == []


def test_a_full_profile_round_trips_through_a_toml_file(tmp_path: Path) -> None:
    profile = mine(
        'odd "name" \\ é',
        description="line\twith tab",
        exec_timeout_s=12.5,
        window_size_override=32,
        soft_reset_before_run=True,
        dtr=True,
        rts=False,
        encoding="latin-1",
        verbose_trace=True,
        raw_paste="never",
    )
    export_profile(profile, tmp_path / "p.toml")
    assert import_profile(tmp_path / "p.toml") == profile


def test_import_errors_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    with pytest.raises(ProfileError, match="could not be read") as caught:
        import_profile(missing)
    assert str(missing) in str(caught.value)
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n", encoding="utf-8")
    with pytest.raises(ProfileError, match="not valid TOML"):
        import_profile(bad)
    bad.write_text('name = "x"\nchunk_size = 0\n', encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        import_profile(bad)
    assert str(bad) in str(caught.value) and caught.value.field == "chunk_size"


# --------------------------------------------------------------------------- matching


@pytest.fixture
def full_store() -> ProfileStore:
    store = ProfileStore.load()
    assert store.save("serial:E6605838835B2A2F", mine("by-serial"))
    assert store.save("usb:2e8a:0005", mine("by-usb"))
    assert store.save("url:/dev/ttyACM0", mine("by-url"))
    return store


def test_serial_number_wins_over_everything(full_store: ProfileStore) -> None:
    profile, why = choose_profile(full_store, url="/dev/ttyACM0", port=port(), platform="esp32")
    assert profile.name == "by-serial"
    assert why == "USB serial number E6605838835B2A2F: saved profile 'by-serial'"


def test_vid_pid_wins_over_url_and_platform(full_store: ProfileStore) -> None:
    profile, why = choose_profile(full_store, url="/dev/ttyACM0", port=port(serial="OTHER"), platform="esp32")
    assert profile.name == "by-usb" and why == "USB ID 2e8a:0005: saved profile 'by-usb'"
    profile, _ = choose_profile(full_store, url="/dev/ttyACM0", port=port(serial=None), platform="esp32")
    assert profile.name == "by-usb"


def test_url_wins_over_platform(full_store: ProfileStore) -> None:
    other = port(serial="OTHER", vid=0x10C4, pid=0xEA60)
    profile, why = choose_profile(full_store, url="/dev/ttyACM0", port=other, platform="esp32")
    assert profile.name == "by-url" and why == "URL /dev/ttyACM0: saved profile 'by-url'"
    profile, _ = choose_profile(full_store, url="/dev/ttyACM0", port=None, platform="esp32")
    assert profile.name == "by-url"


def test_platform_preset_wins_over_generic(full_store: ProfileStore) -> None:
    other = port(serial="OTHER", vid=0x10C4, pid=0xEA60)
    profile, why = choose_profile(full_store, url="/dev/ttyUSB1", port=other, platform="esp32")
    assert profile == PRESETS["esp32"].profile and why == "preset esp32 for platform 'esp32'"


def test_generic_is_the_last_resort(full_store: ProfileStore) -> None:
    profile, why = choose_profile(full_store, url="/dev/ttyUSB1", port=port(serial="X", vid=1, pid=2))
    assert profile == PRESETS["generic"].profile
    assert why == "preset generic: no saved profile for this device and no platform detected"
    profile, why = choose_profile(full_store, url="sim://x", platform="zephyr")
    assert profile.name == "generic" and "no preset for platform 'zephyr'" in why


@pytest.mark.parametrize(
    ("platform", "implementation", "preset"),
    [
        ("esp32", None, "esp32"),
        ("esp8266", None, "esp8266"),
        ("rp2", None, "rp2040"),
        ("pyboard", None, "stm32"),
        ("RP2040", None, "circuitpython"),
        ("circuitpython", None, "circuitpython"),
        ("rp2", "circuitpython", "circuitpython"),
        ("Espressif", "circuitpython", "circuitpython"),
        (None, "circuitpython", "circuitpython"),
        ("ESP32", None, "esp32"),
        ("linux", None, None),
        (None, None, None),
        ("esp32", "micropython", "esp32"),
    ],
)
def test_platform_to_preset(platform: str | None, implementation: str | None, preset: str | None) -> None:
    assert preset_for_platform(platform, implementation) == preset


def test_simulated_boards_map_to_their_presets() -> None:
    store = ProfileStore.load()
    for name in ("esp32", "esp8266", "rp2040", "stm32", "circuitpython"):
        board = BOARDS[name]
        profile, why = choose_profile(store, url=f"sim://{name}", platform=board.platform, implementation=board.implementation)
        assert profile.name == name, why


def test_implementation_reason_and_saved_preset_versions() -> None:
    store = ProfileStore.load()
    assert store.save("preset:circuitpython", dataclasses.replace(PRESETS["circuitpython"].profile, retries=8))
    profile, why = choose_profile(store, url="sim://x", platform="Espressif", implementation="circuitpython")
    assert profile.retries == 8
    assert why == "preset circuitpython (your saved version) for implementation 'circuitpython'"
    assert store.save("preset:generic", mine("generic", retries=0))
    profile, why = choose_profile(store, url="sim://x")
    assert profile.retries == 0 and why.startswith("preset generic (your saved version):")


def test_matching_uses_a_broken_store_without_raising(isolated_config: Path) -> None:
    write(isolated_config / "profiles.toml", "this is not toml")
    profile, why = choose_profile(ProfileStore.load(), url="/dev/ttyUSB0", port=port(), platform="pyboard")
    assert profile == PRESETS["stm32"].profile and why == "preset stm32 for platform 'pyboard'"


def test_saving_for_a_device_uses_the_key_matching_looks_up_first(tmp_path: Path) -> None:
    from workbench.profiles import saved_profile, serial_key, storage_key, url_key, usb_key

    store = ProfileStore.load(tmp_path / "profiles.toml")
    with_serial = port("E6605838")
    assert storage_key("/dev/ttyACM0", with_serial) == serial_key("E6605838")
    assert storage_key("/dev/ttyACM0", port(None)) == usb_key(0x2E8A, 0x0005)
    assert storage_key("socket://lab:4000", None) == url_key("socket://lab:4000")
    assert saved_profile(store, url="/dev/ttyACM0", port=with_serial) is None
    assert store.save(storage_key("/dev/ttyACM0", with_serial), mine("desk pico"))
    found = saved_profile(ProfileStore.load(tmp_path / "profiles.toml"), url="/dev/ttyUSB9", port=with_serial)
    assert found is not None and found[0].name == "desk pico"  # follows the board to another port
    assert found[1] == "USB serial number E6605838: saved profile 'desk pico'"


def test_a_probe_proposal_becomes_a_named_profile() -> None:
    proposed = Profile(response_timeout_s=0.7, raw_paste="never", chunk_size=64)
    profile = DeviceProfile.from_engine_profile(proposed, name="probed sim://x", description="by probe")
    assert (profile.name, profile.response_timeout_s, profile.raw_paste, profile.chunk_size) == (
        "probed sim://x", 0.7, "never", 64,
    )


# --------------------------------------------------------------------------- issue 12: files that are not profiles


NESTED_TOML = '["url:a"]\nname = "a"\nx = ' + "[" * 5000 + "]" * 5000 + "\n"


def test_deeply_nested_profiles_are_a_problem_not_a_crash(isolated_config: Path) -> None:
    path = isolated_config / "profiles.toml"
    before = write(path, NESTED_TOML)
    store = ProfileStore.load()
    assert len(store.problems) == 1
    assert str(path) in store.problems[0] and "nested too deeply" in store.problems[0]
    assert not store.save("url:b", mine("b"))
    assert path.read_bytes() == before


def test_importing_a_deeply_nested_profile_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "deep.toml"
    write(path, 'name = "x"\n' + "[" + ".".join(["t"] * 2000) + "]\n")
    with pytest.raises(ProfileError, match="nested too deeply") as caught:
        import_profile(path)
    assert str(path) in str(caught.value)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_profiles_file_that_is_a_fifo_is_refused(isolated_config: Path) -> None:
    isolated_config.mkdir(parents=True, exist_ok=True)
    path = isolated_config / "profiles.toml"
    os.mkfifo(path)
    # Opened non-blocking, so a FIFO without a writer cannot hang this test (it did hang start-up).
    store = ProfileStore.load()
    assert len(store.problems) == 1 and "not a regular file (a FIFO)" in store.problems[0]
    assert not store.save("url:b", mine("b"))
    with pytest.raises(ProfileError, match="not a regular file"):
        import_profile(path)
