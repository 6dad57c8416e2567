"""Settings: the shipped ``settings.json`` overridden key by key by the admin's own file.

Every value is validated; a bad one stops startup with the key and the accepted range
named, because silently falling back to a default has surprised admins before.
"""

from __future__ import annotations

import ipaddress
import json
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .paths import DataRoot, resource_dir

MIB = 1024 * 1024
# Room in a request beside its largest allowed file: the form's text and part headers.
FORM_ALLOWANCE_BYTES = 256 * 1024
RATE_LIMIT_ACTIONS = (
    "login",
    "signup",
    "password_reset",
    "send",
    "avatar",
    "create_channel",
    "link_preview",
    "preview_image",
    "admin",
)


class SettingsError(ValueError):
    """A settings file is unreadable or holds a value outside its accepted range."""


@dataclass(frozen=True)
class Settings:
    channels: tuple[str, ...]
    image_retention_days: int
    file_retention_days: int
    message_retention_days: int
    max_message_db_size_mb: float
    max_upload_dir_size_mb: float
    max_upload_size_mb: float
    max_avatar_size_mb: float
    calls_enabled: bool
    stun_enabled: bool
    stun_port: int
    stun_host: str
    max_login_attempts: int
    lockout_duration_minutes: float
    password_min_length: int
    password_history_count: int
    password_min_age_hours: float
    password_max_age_days: float
    session_idle_minutes: float
    audit_log_max_size_mb: float
    audit_log_max_age_days: float
    audit_log_backups: int
    rate_limit_enabled: bool
    trusted_proxies: tuple[str, ...]
    max_event_streams_per_user: int
    link_preview_private_hosts: tuple[str, ...]
    link_preview_ports: tuple[int, ...]
    rate_limits: Mapping[str, tuple[int, float]]

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_size_mb * MIB)

    @property
    def max_avatar_bytes(self) -> int:
        return int(self.max_avatar_size_mb * MIB)

    @property
    def max_request_bytes(self) -> int:
        """The whole-request cap: a file of exactly either limit must still fit in a form."""
        return max(self.max_upload_bytes, self.max_avatar_bytes) + FORM_ALLOWANCE_BYTES


@dataclass(frozen=True)
class Rule:
    accepted: str
    check: Callable[[Any], bool]
    convert: Callable[[Any], Any] = lambda value: value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _int_range(low: int, high: int | None = None) -> Rule:
    if high is None:
        return Rule(f"a whole number ≥ {low}", lambda v: _is_int(v) and v >= low)
    return Rule(f"a whole number from {low} to {high}", lambda v: _is_int(v) and low <= v <= high)


def _number(*, minimum: float, exclusive: bool = False, note: str = "") -> Rule:
    bound = f"> {minimum:g}" if exclusive else f"≥ {minimum:g}"

    def check(value: Any) -> bool:
        return _is_number(value) and (value > minimum if exclusive else value >= minimum)

    return Rule(f"a number {bound}{note}", check)


def _valid_channel_list(value: Any) -> bool:
    if not isinstance(value, list) or not value:
        return False
    names = [name for name in value if isinstance(name, str)]
    return (
        len(names) == len(value)
        and all(
            0 < len(name) <= 80 and name == name.strip() and not set(name) & {":", "/"}
            for name in names
        )
        and len({name.casefold() for name in names}) == len(names)
    )


def _valid_networks(value: Any) -> bool:
    if not isinstance(value, list):
        return False
    try:
        for entry in value:
            ipaddress.ip_network(entry, strict=False)
    except (TypeError, ValueError):
        return False
    return True


HOST_NAME = re.compile(r"^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_-]{1,63}$")


def _valid_private_entry(entry: Any) -> bool:
    """A host name, ``*.domain``, or an IP address or network."""
    if not isinstance(entry, str) or not entry or len(entry) > 253:
        return False
    try:
        ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return bool(HOST_NAME.match(entry.lower().rstrip(".")))
    return True


def _valid_listen_host(value: Any) -> bool:
    """Empty (follow the serving host), an IP address, or a host name to resolve."""
    if not isinstance(value, str) or len(value) > 253:
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        if value.startswith("*"):
            return False
        return value == "" or bool(HOST_NAME.match(value.lower().rstrip(".")))
    return True


def _valid_preview_hosts(value: Any) -> bool:
    return isinstance(value, list) and all(_valid_private_entry(entry) for entry in value)


def _valid_ports(value: Any) -> bool:
    return isinstance(value, list) and all(_is_int(port) and 1 <= port <= 65535 for port in value)


def _valid_rate_limits(value: Any) -> bool:
    if not isinstance(value, dict) or not set(value) <= set(RATE_LIMIT_ACTIONS):
        return False
    return all(
        isinstance(pair, list)
        and len(pair) == 2
        and _is_int(pair[0])
        and pair[0] > 0
        and _is_number(pair[1])
        and pair[1] > 0
        for pair in value.values()
    )


RULES: dict[str, Rule] = {
    "channels": Rule(
        "a non-empty list of distinct channel names, each 1-80 characters without ':', '/' "
        "or surrounding spaces",
        _valid_channel_list,
        tuple,
    ),
    "image_retention_days": _int_range(1),
    "file_retention_days": _int_range(1),
    "message_retention_days": _int_range(1),
    "max_message_db_size_mb": _number(minimum=0, note=" (0 turns the cap off)"),
    "max_upload_dir_size_mb": _number(minimum=0, note=" (0 turns the cap off)"),
    "max_upload_size_mb": _number(minimum=0, exclusive=True),
    "max_avatar_size_mb": _number(minimum=0, exclusive=True),
    "calls_enabled": Rule("true or false", lambda v: isinstance(v, bool)),
    "stun_enabled": Rule("true or false", lambda v: isinstance(v, bool)),
    "stun_port": _int_range(0, 65535),
    "stun_host": Rule(
        '"" (follow the serving host), an IP address ("0.0.0.0" or "::" for all '
        "interfaces) or a host name",
        _valid_listen_host,
    ),
    "max_login_attempts": _int_range(0),
    "lockout_duration_minutes": _number(minimum=0, exclusive=True),
    "password_min_length": _int_range(15, 1024),
    "password_history_count": _int_range(0, 100),
    "password_min_age_hours": _number(minimum=0, note=" (0 turns it off)"),
    "password_max_age_days": _number(minimum=0, note=" (0 turns it off)"),
    "session_idle_minutes": _number(minimum=0, note=" (0 turns idle logout off)"),
    "audit_log_max_size_mb": _number(minimum=0, note=" (0 turns size rotation off)"),
    "audit_log_max_age_days": _number(minimum=0, note=" (0 turns age rotation off)"),
    "audit_log_backups": _int_range(0),
    "rate_limit_enabled": Rule("true or false", lambda v: isinstance(v, bool)),
    "trusted_proxies": Rule(
        'a list of the reverse proxies\' IP addresses or networks (e.g. "10.0.0.5")',
        _valid_networks,
        tuple,
    ),
    "max_event_streams_per_user": _int_range(1, 1000),
    "link_preview_private_hosts": Rule(
        'a list of host names ("git.lan", "*.corp.lan") or IP networks '
        '("10.1.0.0/16") that link previews may reach on private addresses',
        _valid_preview_hosts,
        tuple,
    ),
    "link_preview_ports": Rule(
        "a list of port numbers (1-65535) link previews may use besides 80 and 443",
        _valid_ports,
        tuple,
    ),
    "rate_limits": Rule(
        "an object mapping any of " + ", ".join(RATE_LIMIT_ACTIONS) + " to [max requests > 0, "
        "window seconds > 0]",
        _valid_rate_limits,
        lambda v: {name: (int(pair[0]), float(pair[1])) for name, pair in v.items()},
    ),
}

assert set(RULES) == {field.name for field in fields(Settings)}


def read_settings_file(path: Path) -> dict[str, Any]:
    """Parse one settings file, naming the file in every error."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SettingsError(f"cannot read settings file {path}: {error.strerror}") from error
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SettingsError(
            f"{path} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from error
    if not isinstance(data, dict):
        raise SettingsError(f"{path} must hold a JSON object of settings")
    return data


def validate(raw: Mapping[str, Any], origins: Mapping[str, str]) -> Settings:
    """Check every key of a merged mapping and build the typed settings."""
    unknown = sorted(set(raw) - set(RULES))
    if unknown:
        key = unknown[0]
        raise SettingsError(
            f'unknown setting "{key}" in {origins.get(key, "overrides")}; '
            f"known settings: {', '.join(RULES)}"
        )
    missing = [key for key in RULES if key not in raw]
    if missing:
        raise SettingsError(f"missing setting {', '.join(missing)} in the shipped settings.json")
    values: dict[str, Any] = {}
    for key, rule in RULES.items():
        value = raw[key]
        if not rule.check(value):
            raise SettingsError(
                f'setting "{key}" in {origins.get(key, "overrides")} must be {rule.accepted} '
                f"(got {json.dumps(value)})"
            )
        values[key] = rule.convert(value)
    return Settings(**values)


@dataclass(frozen=True)
class SettingsSource:
    """Where the settings come from, so jobs can re-read an admin's edits without a restart."""

    defaults_file: Path
    admin_file: Path | None
    overrides: Mapping[str, Any]
    admin_required: bool = False

    @classmethod
    def for_data_root(
        cls, data_root: DataRoot, overrides: Mapping[str, Any] | None = None
    ) -> SettingsSource:
        """Shipped defaults, then ``MINIMOST_SETTINGS`` or the data root's ``settings.json``."""
        defaults = resource_dir() / "settings.json"
        env_file = os.environ.get("MINIMOST_SETTINGS")
        admin = Path(env_file).expanduser() if env_file else data_root.settings_file
        if not env_file and admin.resolve() == defaults.resolve():
            return cls(defaults, None, dict(overrides or {}))
        return cls(defaults, admin, dict(overrides or {}), admin_required=bool(env_file))

    def load(self) -> Settings:
        """Read and validate all layers; raise SettingsError naming the offending key."""
        merged = read_settings_file(self.defaults_file)
        origins = dict.fromkeys(merged, str(self.defaults_file))
        layers: list[tuple[str, Mapping[str, Any]]] = []
        if self.admin_file is not None and (self.admin_required or self.admin_file.exists()):
            layers.append((str(self.admin_file), read_settings_file(self.admin_file)))
        if self.overrides:
            layers.append(("overrides", self.overrides))
        for origin, layer in layers:
            for key, value in layer.items():
                if key == "rate_limits" and isinstance(value, dict) and key in merged:
                    value = {**merged[key], **value}
                merged[key] = value
                origins[key] = origin
        return validate(merged, origins)
