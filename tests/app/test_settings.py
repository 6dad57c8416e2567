"""Settings: shipped defaults, admin overrides key by key, loud failure on bad values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minimost import create_app
from minimost.paths import DataRoot, resource_dir
from minimost.settings import FORM_ALLOWANCE_BYTES, RULES, SettingsError, SettingsSource


def source(data_dir: Path, overrides: dict | None = None) -> SettingsSource:
    return SettingsSource.for_data_root(DataRoot.resolve(data_dir), overrides)


def test_shipped_file_holds_every_setting_and_is_valid(tmp_path: Path) -> None:
    shipped = json.loads((resource_dir() / "settings.json").read_text())
    assert set(shipped) == set(RULES)
    settings = source(tmp_path).load()
    assert settings.channels == ("general", "software", "firmware", "systems", "off-topic")
    assert settings.max_upload_size_mb == 25
    assert settings.stun_port == 3478
    assert settings.session_idle_minutes == 20160
    assert settings.rate_limits["login"] == (60, 60.0)


def test_admin_file_in_data_root_overrides_key_by_key(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text(
        json.dumps({"stun_port": 4000, "rate_limits": {"send": [10, 5]}})
    )
    settings = source(tmp_path).load()
    assert settings.stun_port == 4000
    assert settings.rate_limits["send"] == (10, 5.0)
    assert settings.rate_limits["login"] == (60, 60.0), "other actions keep their defaults"
    assert settings.max_upload_size_mb == 25, "keys not named keep the shipped value"


def test_minimost_settings_env_names_the_admin_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "etc" / "minimost.json"
    elsewhere.parent.mkdir()
    elsewhere.write_text(json.dumps({"image_retention_days": 7}))
    (tmp_path / "settings.json").write_text(json.dumps({"image_retention_days": 99}))
    monkeypatch.setenv("MINIMOST_SETTINGS", str(elsewhere))
    assert source(tmp_path).load().image_retention_days == 7


def test_missing_file_named_by_env_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINIMOST_SETTINGS", str(tmp_path / "nope.json"))
    with pytest.raises(SettingsError, match=r"cannot read settings file .*nope\.json"):
        source(tmp_path).load()


def test_overrides_win_over_the_admin_file(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text(json.dumps({"stun_port": 4000}))
    assert source(tmp_path, {"stun_port": 0}).load().stun_port == 0


@pytest.mark.parametrize(
    ("key", "value", "accepted"),
    [
        ("stun_port", 70000, "a whole number from 0 to 65535"),
        ("stun_port", "3478", "a whole number from 0 to 65535"),
        ("image_retention_days", 0, "a whole number ≥ 1"),
        ("image_retention_days", 1.5, "a whole number ≥ 1"),
        ("message_retention_days", True, "a whole number ≥ 1"),
        ("max_upload_size_mb", 0, "a number > 0"),
        ("max_upload_dir_size_mb", -1, "a number ≥ 0"),
        ("password_min_length", 8, "a whole number from 15 to 1024"),
        ("rate_limit_enabled", "yes", "true or false"),
        ("calls_enabled", "no", "true or false"),
        ("channels", [], "a non-empty list of distinct channel names"),
        ("channels", ["general", "General"], "a non-empty list of distinct channel names"),
        ("channels", ["dm:alice"], "without ':'"),
        ("channels", ["ops/alerts"], "'/'"),
        ("rate_limits", {"login": [0, 60]}, "[max requests > 0, window seconds > 0]"),
        ("rate_limits", {"teleport": [1, 1]}, "an object mapping any of login"),
        ("session_idle_minutes", float("nan"), "a number ≥ 0"),
    ],
)
def test_invalid_value_names_the_key_and_accepted_range(
    tmp_path: Path, key: str, value: object, accepted: str
) -> None:
    (tmp_path / "settings.json").write_text(json.dumps({key: value}))
    with pytest.raises(SettingsError) as caught:
        source(tmp_path).load()
    message = str(caught.value)
    assert f'setting "{key}"' in message
    assert str(tmp_path / "settings.json") in message
    assert accepted in message


def test_unknown_key_is_refused_with_the_known_ones_listed(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text(json.dumps({"stun_prot": 1}))
    with pytest.raises(SettingsError, match=r'unknown setting "stun_prot".*stun_port'):
        source(tmp_path).load()


def test_broken_json_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text('{\n  "stun_port": 3478,\n}')
    with pytest.raises(SettingsError, match=r"settings\.json is not valid JSON \(line 3"):
        source(tmp_path).load()


def test_invalid_setting_stops_create_app(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match='"max_upload_size_mb"'):
        create_app(data_dir=tmp_path, settings={"max_upload_size_mb": -5}, tls=False)


def test_upload_limit_follows_the_setting(tmp_path: Path) -> None:
    app = create_app(data_dir=tmp_path, settings={"max_upload_size_mb": 30}, tls=False)
    assert app.config["MAX_CONTENT_LENGTH"] == 30 * 1024 * 1024 + FORM_ALLOWANCE_BYTES
