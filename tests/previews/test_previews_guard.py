"""The SSRF guard on its own: addresses, ports, schemes, allow-lists, one resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from minimost.paths import DataRoot
from minimost.previews.guard import (
    MalformedLinkError,
    PreviewRefusedError,
    TargetPolicy,
    checked_addresses,
    parse_link,
    system_resolve,
    target_of,
)
from minimost.previews.pinned import PinnedResolver
from minimost.settings import Settings, SettingsError, SettingsSource

PUBLIC_V4 = "93.184.216.34"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "100.64.0.1",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.1",
        "198.18.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "2001:db8::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::127.0.0.1",
        "2002:7f00:1::1",
        "64:ff9b::a00:1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        "not-an-address",
    ],
)
def test_non_public_addresses_are_refused_by_default(address: str) -> None:
    assert not TargetPolicy().address_allowed("example.com", address)


@pytest.mark.parametrize(
    "address", [PUBLIC_V4, "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert TargetPolicy().address_allowed("example.com", address)


def test_a_listed_host_name_may_use_lan_addresses_but_not_loopback_or_link_local() -> None:
    policy = TargetPolicy.from_lists(["git.lan", "*.corp.lan"], [])
    assert policy.address_allowed("git.lan", "10.1.2.3")
    assert policy.address_allowed("GIT.LAN.", "192.168.0.9")
    assert policy.address_allowed("build.corp.lan", "fd00::5")
    assert not policy.address_allowed("git.lan", "127.0.0.1")
    assert not policy.address_allowed("git.lan", "169.254.169.254")
    assert not policy.address_allowed("other.lan", "10.1.2.3")
    assert not policy.address_allowed("corp.lan.evil.com", "10.1.2.3")


def test_a_listed_network_allows_exactly_its_addresses_for_any_host() -> None:
    policy = TargetPolicy.from_lists(["127.0.0.1/32", "10.5.0.0/16"], [])
    assert policy.address_allowed("anything.example", "127.0.0.1")
    assert policy.address_allowed("anything.example", "::ffff:127.0.0.1")
    assert policy.address_allowed("x", "10.5.200.1")
    assert not policy.address_allowed("x", "127.0.0.2")
    assert not policy.address_allowed("x", "10.6.0.1")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "example.com",
        "ftp://example.com/x",
        "javascript:alert(1)",
        "http://",
        "http:///x",
        "http://example.com:99999/",
        "http://exa mple.com/",
        "https://" + "a" * 2100 + ".com",
    ],
)
def test_text_that_is_no_absolute_http_link_is_malformed(text: str) -> None:
    with pytest.raises(MalformedLinkError):
        parse_link(text)


def test_only_ports_80_and_443_unless_the_admin_adds_more() -> None:
    default = TargetPolicy()
    default.check_target(target_of("http://example.com/"))
    default.check_target(target_of("https://example.com:443/"))
    with pytest.raises(PreviewRefusedError):
        default.check_target(target_of("http://example.com:8080/"))
    with pytest.raises(PreviewRefusedError):
        default.check_target(target_of("https://example.com:22/"))
    TargetPolicy.from_lists([], [8080]).check_target(target_of("http://example.com:8080/"))


def test_the_request_target_drops_user_info_and_fragment() -> None:
    target = target_of("https://user:secret@Example.COM:8443/a/b?q=1#frag")
    assert (target.host, target.port) == ("example.com", 8443)
    assert target.url == "https://example.com:8443/a/b?q=1"
    assert target_of("http://bücher.example/").host == "xn--bcher-kva.example"


class ScriptedResolver:
    """Answers each lookup with the next scripted list, as a rebinding DNS server would."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.calls = 0

    async def __call__(self, host: str, port: int) -> list[str]:
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        return answer


async def test_every_resolved_address_must_pass() -> None:
    resolver = ScriptedResolver([PUBLIC_V4, "10.0.0.1"])
    with pytest.raises(PreviewRefusedError):
        await checked_addresses(TargetPolicy(), resolver, target_of("http://mixed.example/"))


async def test_the_connection_uses_the_checked_answer_and_never_asks_dns_again() -> None:
    """Public first, private second: the connector only ever sees the checked public one."""
    resolver = ScriptedResolver([PUBLIC_V4], ["127.0.0.1"])
    target = target_of("http://rebind.example/")
    addresses = await checked_addresses(TargetPolicy(), resolver, target)
    pinned = PinnedResolver(target.host, addresses)
    for _ in range(3):
        answers = await pinned.resolve("rebind.example", 80)
        assert [answer["host"] for answer in answers] == [PUBLIC_V4]
    assert resolver.calls == 1
    with pytest.raises(OSError, match="not checked"):
        await pinned.resolve("elsewhere.example", 80)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://127.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
    ],
)
async def test_loopback_in_any_spelling_is_refused(url: str) -> None:
    with pytest.raises(PreviewRefusedError):
        await checked_addresses(TargetPolicy(), system_resolve, target_of(url))


def settings_with(tmp_path: Path, **overrides: object) -> Settings:
    return SettingsSource.for_data_root(DataRoot.resolve(tmp_path), overrides).load()


def test_preview_settings_ship_empty_and_accept_names_and_networks(tmp_path: Path) -> None:
    shipped = settings_with(tmp_path)
    assert shipped.link_preview_private_hosts == ()
    assert shipped.link_preview_ports == ()
    assert shipped.rate_limits["link_preview"] == (240, 60.0)
    assert shipped.rate_limits["preview_image"] == (240, 60.0)
    chosen = settings_with(
        tmp_path,
        link_preview_private_hosts=["git.lan", "*.corp.example", "10.2.0.0/16", "fd00::/8"],
        link_preview_ports=[7990, 8443],
    )
    assert chosen.link_preview_private_hosts == (
        "git.lan",
        "*.corp.example",
        "10.2.0.0/16",
        "fd00::/8",
    )
    assert chosen.link_preview_ports == (7990, 8443)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("link_preview_private_hosts", "git.lan"),
        ("link_preview_private_hosts", ["http://git.lan/"]),
        ("link_preview_private_hosts", ["git lan"]),
        ("link_preview_private_hosts", [""]),
        ("link_preview_private_hosts", [10]),
        ("link_preview_ports", [0]),
        ("link_preview_ports", [65536]),
        ("link_preview_ports", [True]),
        ("link_preview_ports", 8080),
    ],
)
def test_bad_preview_settings_stop_startup_naming_the_key(
    tmp_path: Path, key: str, value: object
) -> None:
    with pytest.raises(SettingsError, match=f'setting "{key}"'):
        settings_with(tmp_path, **{key: value})
