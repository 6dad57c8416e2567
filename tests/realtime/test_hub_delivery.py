"""The hub: a commit's events reach each connection in order, each to whoever may see it;
heartbeats go out in parts."""

from __future__ import annotations

from minimost.realtime import Audience, Event
from minimost.realtime.access import Access
from minimost.realtime.hub import CLOSE_HEARTBEAT, Connection, Hub


def hub_with(*usernames: str) -> tuple[Hub, dict[str, Connection]]:
    access = Access(("general",))
    access.set_private_members("private:1", {"alice": None, "bob": 100.0})
    hub = Hub(access, queue_size=100, max_per_user=5)
    connections = {}
    for name in usernames:
        connection = hub.register(name, f"sid-{name}")
        assert connection is not None
        connections[name] = connection
    return hub, connections


def queued_ids(connection: Connection) -> list[int]:
    ids = []
    while not connection.queue.empty():
        ids.append(connection.queue.get_nowait().id)
    return ids


BATCH = [
    Event(1, "message.created", Audience(channel="general"), {}, 50.0),
    Event(2, "message.created", Audience(channel="general"), {}, 51.0),
    Event(3, "message.created", Audience(channel="private:1"), {}, 60.0),
    Event(4, "message.created", Audience(channel="private:1"), {}, 150.0),
    Event(5, "user.updated", Audience(username="carol"), {}, 151.0),
    Event(6, "message.created", Audience(channel="general"), {}, 160.0),
    Event(7, "message.created", Audience(channel="dm:alice:carol"), {}, 161.0),
    Event(8, "user.updated", Audience.everyone(), {}, 162.0),
]
EXPECTED = {
    "alice": [1, 2, 3, 4, 6, 7, 8],
    "bob": [1, 2, 4, 6, 8],  # joined the private channel at 100: not event 3
    "carol": [1, 2, 5, 6, 7, 8],
}


async def test_a_commits_events_reach_each_reader_once_in_order() -> None:
    hub, connections = hub_with("alice", "bob", "carol")
    hub.deliver(BATCH)
    assert {name: queued_ids(c) for name, c in connections.items()} == EXPECTED


async def test_delivering_together_or_one_by_one_gives_everyone_the_same() -> None:
    hub, connections = hub_with("alice", "bob", "carol")
    for event in BATCH:
        hub.deliver([event])
    assert {name: queued_ids(c) for name, c in connections.items()} == EXPECTED


async def test_a_heartbeat_in_parts_pings_each_connection_once_a_round() -> None:
    hub, connections = hub_with("alice", "bob", "carol")
    for part in range(2):
        hub.beat(part, 2)
    pings = {name: connection.queue.qsize() for name, connection in connections.items()}
    assert pings == {"alice": 1, "bob": 1, "carol": 1}
    # No pong comes back: after two more rounds every connection is closed.
    for _ in range(2):
        for part in range(2):
            hub.beat(part, 2)
    assert all(connection.close_code == CLOSE_HEARTBEAT for connection in connections.values())


async def test_the_readers_of_an_item_are_exactly_those_allowed_to_see_it() -> None:
    access = Access(("general",))
    access.set_private_members("private:1", {"alice": None, "bob": 100.0})
    access.set_private_members("private:2", {"carol": 20.0})
    users = ["alice", "bob", "carol", "dave"]
    audiences = [
        Audience(channel="general"),
        Audience(channel="private:1"),
        Audience(channel="private:2"),
        Audience(channel="private:3"),
        Audience(channel="dm:alice:carol"),
        Audience(channel="dm:alice:bob:dave"),
        Audience(channel="dm:alice"),
        Audience(channel="retired"),
        Audience(username="bob"),
        Audience.everyone(),
    ]
    for audience in audiences:
        for ts in (None, 10.0, 20.0, 99.9, 100.0, 150.0):
            readers = access.readers(audience, ts)
            allowed = {name for name in users if access.can_see(name, audience, ts)}
            named = set(users) if readers is None else set(readers) & set(users)
            assert named == allowed, (audience, ts)
    # A late joiner's start decides from when a run of items has one set of readers.
    assert access.readers_fixed_from(Audience(channel="private:1")) == 100.0
    assert access.readers_fixed_from(Audience(channel="general")) == float("-inf")
    access.set_private_members("private:1", {"alice": None})
    assert access.readers_fixed_from(Audience(channel="private:1")) == float("-inf")
