"""Channel ids: what each spelling names, and which spellings name nothing."""

from __future__ import annotations

import pytest

from minimost.channel_ids import MAX_PRIVATE_ID, ChannelId, dm_participants, parse
from minimost.realtime.access import Access
from minimost.realtime.events import Audience


def test_public_names_parse_as_themselves() -> None:
    channel = parse("general")
    assert channel == ChannelId("general", "public")
    assert channel is not None
    assert channel.canonical
    assert str(channel) == "general"


def test_a_dm_lists_its_participants_and_builds_one_name() -> None:
    channel = parse("dm:alice:bob:carol")
    assert channel is not None
    assert channel.is_dm
    assert channel.participants == ("alice", "bob", "carol")
    assert ChannelId.dm("carol", "alice", "bob", "alice") == channel
    assert channel.canonical


def test_dm_names_keep_case_and_sort_by_code_point() -> None:
    assert ChannelId.dm("carol", "Dave").text == "dm:Dave:carol"
    assert parse("dm:Dave:carol") == ChannelId.dm("Dave", "carol")
    assert parse("dm:dave:carol") != parse("dm:Dave:carol")


@pytest.mark.parametrize("text", ["dm:bob:alice", "dm:alice:alice", "dm:alice:bob:alice"])
def test_out_of_order_or_repeated_dm_names_parse_but_are_not_canonical(text: str) -> None:
    channel = parse(text)
    assert channel is not None
    assert channel.is_dm
    assert not channel.canonical


@pytest.mark.parametrize("names", [("alice",), ("alice", "alice"), ("alice", ""), ("a:b", "c")])
def test_the_dm_builder_refuses_fewer_than_two_names_and_empty_or_colon_names(
    names: tuple[str, ...],
) -> None:
    with pytest.raises(ValueError, match="two or more distinct names"):
        ChannelId.dm(*names)


def test_private_channels_carry_their_number() -> None:
    channel = parse("private:42")
    assert channel == ChannelId.private(42)
    assert channel is not None
    assert channel.private_id == 42
    assert channel.is_private
    assert parse(f"private:{MAX_PRIVATE_ID}") == ChannelId.private(MAX_PRIVATE_ID)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "dm:",
        "dm:alice",
        "dm:alice:",
        "dm::bob",
        "dm:alice::bob",
        "private:",
        "private:007",
        "private:-1",
        "private:+1",
        "private: 1",
        "private:1.0",
        "private:x",
        "private:١٢",
        f"private:{MAX_PRIVATE_ID + 1}",
        "private:" + "9" * 5000,
        "a:b",
        "ops/alerts",
        " general",
        "x" * 81,
    ],
)
def test_junk_names_no_channel(text: str) -> None:
    assert parse(text) is None
    assert dm_participants(text) == ()


def test_the_private_builder_refuses_ids_sqlite_cannot_hold() -> None:
    with pytest.raises(ValueError, match="Private channel ids"):
        ChannelId.private(MAX_PRIVATE_ID + 1)


def test_nobody_reads_or_receives_a_junk_dm() -> None:
    access = Access(("general",))
    for text in ("dm:alice:", "dm::alice", "dm:alice"):
        assert not access.can_read("alice", text)
        assert list(access.readers(Audience(channel=text))) == []
    assert access.can_read("alice", "dm:alice:bob")
    assert not access.can_read("carol", "dm:alice:bob")
