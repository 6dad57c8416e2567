"""Authorization matrix: every route, every method, aimed at objects the caller may not see.

Alice and Bob share a private channel and a DM, with messages, a file, a pin, a
reaction, read receipts, a call and a screen share. Carol (signed in, in neither
conversation) and an anonymous client then call every route of the URL map, filled
with the real ids of those objects. A route that addresses one of them answers 404 to
Carol, and 401 (or, for a page, the sign-in redirect) to the anonymous client; no
answer and no frame on Carol's websocket carries anything of them; and nothing of
them changed. A route the matrix does not know fails the test.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from quart import Quart
from quart.datastructures import FileStorage

from tests.conftest import PEER, UserClient, browser_for, sign_up
from tests.helpers.chat import created
from tests.helpers.sockets import frame, hello, socket

SECRET_TEXT = "zz-secret-text-4412"
DM_TEXT = "zz-dm-text-9931"
CHANNEL_NAME = "zz-vault-7781"
FILE_NAME = "zz-file-5521.txt"
FILE_BODY = b"zz-file-body-3307"
END = "zz-end-of-run"


@dataclass(frozen=True)
class Probe:
    """How to call one route: its path with ids filled in, and a body if it takes one.

    ``hidden``: the route addresses one of the pair's objects, so Carol must get 404.
    ``public``: reachable without signing in (sign-in pages, assets).
    """

    path: str
    json: Any = None
    form: dict[str, str] | None = None
    hidden: bool = False
    public: bool = False


def matrix(ids: dict[str, Any]) -> dict[tuple[str, str], list[Probe]]:
    """Every (method, rule) of the app with the probes that fill it."""
    private, dm = ids["private"], "dm:alice:bob"
    message, dm_message = ids["message"], ids["dm_message"]
    call, share, file, reaction = ids["call"], ids["share"], ids["file"], ids["reaction"]
    channel_id = ids["channel_id"]
    both = [private, dm]

    def hidden(path: str, **kwargs: Any) -> Probe:
        return Probe(path, hidden=True, **kwargs)

    def on_messages(suffix: str = "", **kwargs: Any) -> list[Probe]:
        return [hidden(f"/api/messages/{m}{suffix}", **kwargs) for m in (message, dm_message)]

    own = Probe
    return {
        ("GET", "/"): [own("/")],
        ("GET", "/about"): [own("/about", public=True)],
        ("GET", "/account"): [own("/account")],
        ("GET", "/api/account"): [own("/api/account")],
        ("PATCH", "/api/account"): [own("/api/account", json={"bio": "carol's"})],
        ("PUT", "/api/account/avatar"): [own("/api/account/avatar", json={})],
        ("DELETE", "/api/account/avatar"): [own("/api/account/avatar")],
        ("POST", "/api/account/delete"): [own("/api/account/delete", json={"password": "no"})],
        ("POST", "/api/account/password"): [
            own("/api/account/password", json={"current_password": "no", "new_password": "no"})
        ],
        # The administration API: Alice, the first account, is the admin; Carol a member.
        ("GET", "/api/admin/people"): [hidden("/api/admin/people")],
        ("PUT", "/api/admin/people/<username>/admin"): [hidden("/api/admin/people/carol/admin")],
        ("DELETE", "/api/admin/people/<username>/admin"): [hidden("/api/admin/people/alice/admin")],
        ("POST", "/api/calls"): [hidden("/api/calls", json={"channel": c}) for c in both],
        ("GET", "/api/calls/<call_id>"): [hidden(f"/api/calls/{call}")],
        **{
            ("POST", f"/api/calls/<call_id>/{action}"): [
                hidden(f"/api/calls/{call}/{action}", json=body)
            ]
            for action, body in (
                ("accept", None),
                ("heartbeat", None),
                ("invite", {"username": "carol"}),
                ("leave", None),
                ("reject", None),
                ("screenshare", {"on": True}),
            )
        },
        ("GET", "/api/calls/current"): [own("/api/calls/current")],
        ("GET", "/api/calls/mine"): [own("/api/calls/mine")],
        ("GET", "/api/channels"): [own("/api/channels")],
        ("GET", "/api/channels/<channel>/messages"): [
            hidden(f"/api/channels/{c}/messages") for c in both
        ],
        ("POST", "/api/channels/<channel>/messages"): [
            hidden(f"/api/channels/{c}/messages", json={"content": "carol was here"}) for c in both
        ],
        ("GET", "/api/channels/<channel>/pins"): [hidden(f"/api/channels/{c}/pins") for c in both],
        ("POST", "/api/channels/<channel>/read"): [hidden(f"/api/channels/{c}/read") for c in both],
        ("GET", "/api/channels/<channel>/read"): [hidden(f"/api/channels/{c}/read") for c in both],
        ("GET", "/api/dms"): [own("/api/dms")],
        ("POST", "/api/dms/<channel>/hide"): [hidden(f"/api/dms/{dm}/hide")],
        ("GET", "/api/docs"): [own("/api/docs")],
        ("GET", "/api/files/<name>"): [hidden(f"/api/files/{file}")],
        ("GET", "/api/mentions"): [own("/api/mentions")],
        ("GET", "/api/messages/<int:message_id>"): on_messages(),
        ("PATCH", "/api/messages/<int:message_id>"): on_messages(json={"content": "changed"}),
        ("DELETE", "/api/messages/<int:message_id>"): on_messages(),
        ("POST", "/api/messages/<int:message_id>/pin"): on_messages("/pin"),
        ("PUT", "/api/messages/<int:message_id>/reactions/<name>"): on_messages(
            f"/reactions/{reaction}"
        ),
        ("DELETE", "/api/messages/<int:message_id>/reactions/<name>"): on_messages(
            f"/reactions/{reaction}"
        ),
        ("GET", "/api/presence"): [own("/api/presence")],
        ("GET", "/api/presence/override"): [own("/api/presence/override")],
        ("PUT", "/api/presence/override"): [own("/api/presence/override", json={"override": None})],
        ("GET", "/api/previews"): [own("/api/previews?url=http%3A%2F%2F127.0.0.1%3A9%2F")],
        ("GET", "/api/previews/files/<name>"): [hidden(f"/api/previews/files/{file}")],
        ("GET", "/api/previews/image"): [
            own("/api/previews/image?url=http%3A%2F%2F127.0.0.1%3A9%2F")
        ],
        ("GET", "/api/private-channels"): [own("/api/private-channels")],
        ("POST", "/api/private-channels"): [
            own("/api/private-channels", json={"name": "carols-own", "members": []})
        ],
        ("PATCH", "/api/private-channels/<int:channel_id>"): [
            hidden(f"/api/private-channels/{channel_id}", json={"name": "taken"})
        ],
        ("POST", "/api/private-channels/<int:channel_id>/leave"): [
            hidden(f"/api/private-channels/{channel_id}/leave")
        ],
        ("POST", "/api/private-channels/<int:channel_id>/members"): [
            hidden(f"/api/private-channels/{channel_id}/members", json={"username": "carol"})
        ],
        ("GET", "/api/reactions"): [own("/api/reactions")],
        ("GET", "/api/screenshares"): [hidden(f"/api/screenshares?channel={c}") for c in both],
        ("POST", "/api/screenshares"): [
            hidden("/api/screenshares", json={"channel": c}) for c in both
        ],
        ("POST", "/api/screenshares/<share_id>/heartbeat"): [
            hidden(f"/api/screenshares/{share}/heartbeat")
        ],
        ("POST", "/api/screenshares/<share_id>/stop"): [hidden(f"/api/screenshares/{share}/stop")],
        ("GET", "/api/search"): [
            own(f"/api/search?q={word}") for word in (SECRET_TEXT, DM_TEXT, "zz")
        ]
        + [own(f"/api/search?q=zz&channel={c}") for c in both],
        ("GET", "/api/unread"): [own("/api/unread")],
        ("GET", "/api/users"): [own("/api/users")],
        ("GET", "/api/users/<username>/avatar"): [own("/api/users/alice/avatar")],
        ("GET", "/ca.pem"): [own("/ca.pem", public=True)],
        ("GET", "/forgot-password"): [own("/forgot-password", public=True)],
        ("GET", "/login"): [own("/login", public=True)],
        ("POST", "/login"): [
            own("/login", form={"username": "alice", "password": "no"}, public=True)
        ],
        ("GET", "/logout"): [own("/logout")],
        ("POST", "/logout"): [own("/logout")],
        ("GET", "/manifest.webmanifest"): [own("/manifest.webmanifest", public=True)],
        ("GET", "/offline"): [own("/offline", public=True)],
        ("GET", "/openapi.json"): [own("/openapi.json")],
        ("GET", "/reset-password/<token>"): [own("/reset-password/0123abcd", public=True)],
        ("POST", "/reset-password/<token>"): [
            own("/reset-password/0123abcd", form={"password": "x"}, public=True)
        ],
        ("GET", "/signup"): [own("/signup", public=True)],
        ("POST", "/signup"): [own("/signup", form={"username": "x"}, public=True)],
        ("GET", "/static/<path:filename>"): [own("/static/css/app.css", public=True)],
        ("GET", "/sw.js"): [own("/sw.js", public=True)],
        # The websocket: Carol's own socket is read for leaks throughout the run.
        ("GET", "/ws"): [],
    }


def routes_of(app: Quart) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }


def documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in document["paths"].items() for method in item}


def as_openapi(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


async def call(user: UserClient, method: str, probe: Probe, *, token: bool = True) -> Any:
    headers = {"Accept": "application/json"}
    if token:
        headers["X-CSRF-Token"] = user.token
    kwargs: dict[str, Any] = {"headers": headers, "scope_base": PEER}
    if probe.json is not None:
        kwargs["json"] = probe.json
    if probe.form is not None:
        kwargs["form"] = {**probe.form, **({"csrf_token": user.token} if token else {})}
    return await user.client.open(probe.path, method=method, **kwargs)


async def setup_pair(app: Quart) -> tuple[dict[str, Any], UserClient, UserClient]:
    """Alice and Bob's private things, each in the state an outsider must not reach."""
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    vault = await created(alice, CHANNEL_NAME, ["bob"])
    private = vault["channel"]
    sent = await alice.api(
        "POST", f"/api/channels/{private}/messages", json={"content": SECRET_TEXT}
    )
    message = (await sent.get_json())["message"]["id"]
    dm_sent = await bob.api(
        "POST", "/api/channels/dm:alice:bob/messages", json={"content": DM_TEXT}
    )
    dm_message = (await dm_sent.get_json())["message"]["id"]
    upload = FileStorage(io.BytesIO(FILE_BODY), filename=FILE_NAME, content_type="text/plain")
    with_file = await alice.api(
        "POST", f"/api/channels/{private}/messages", form={}, files={"files0": upload}
    )
    assert with_file.status_code == 201, await with_file.get_data(as_text=True)
    file_url = (await with_file.get_json())["messages"][-1]["file"]["url"]
    reaction = (await (await alice.api("GET", "/api/reactions")).get_json())["reactions"][0]["name"]
    for target in (message, dm_message):
        assert (await bob.api("POST", f"/api/messages/{target}/pin")).status_code == 200
        put = await bob.api("PUT", f"/api/messages/{target}/reactions/{reaction}")
        assert put.status_code == 200
    for user in (alice, bob):
        for channel in (private, "dm:alice:bob"):
            assert (await user.api("POST", f"/api/channels/{channel}/read")).status_code == 200
    started = await alice.api("POST", "/api/calls", json={"channel": private})
    assert started.status_code == 201, await started.get_data(as_text=True)
    shared = await bob.api("POST", "/api/screenshares", json={"channel": "dm:alice:bob"})
    assert shared.status_code == 201, await shared.get_data(as_text=True)
    ids = {
        "private": private,
        "channel_id": vault["id"],
        "message": message,
        "dm_message": dm_message,
        "file": file_url.rsplit("/", 1)[1],
        "reaction": reaction,
        "call": (await started.get_json())["call"]["call_id"],
        "share": (await shared.get_json())["share"]["share_id"],
    }
    return ids, alice, bob


async def snapshot(alice: UserClient, ids: dict[str, Any]) -> list[Any]:
    """What the pair sees of their things: must be the same after the outsider's run."""
    paths = [
        f"/api/channels/{ids['private']}/messages",
        "/api/channels/dm:alice:bob/messages",
        f"/api/channels/{ids['private']}/pins",
        f"/api/channels/{ids['private']}/read",
        "/api/private-channels",
        f"/api/calls/{ids['call']}",
        "/api/screenshares?channel=dm:alice:bob",
        "/api/dms",
    ]
    return [(await (await alice.api("GET", path)).get_json()) for path in paths]


def secrets_of(ids: dict[str, Any]) -> list[str]:
    return [
        SECRET_TEXT,
        DM_TEXT,
        CHANNEL_NAME,
        FILE_NAME,
        FILE_BODY.decode(),
        ids["file"],
        ids["call"],
        ids["share"],
        ids["private"],
    ]


async def probe_route(
    key: tuple[str, str],
    probes: list[Probe],
    carol: UserClient,
    anonymous: UserClient,
    secrets: list[str],
    wrong: list[str],
    leaks: list[str],
) -> None:
    """Call one route as Carol and anonymously; note wrong answers and leaked secrets."""
    method, rule = key
    for probe in probes:
        for who, user in (("carol", carol), ("anonymous", anonymous)):
            response = await call(user, method, probe)
            status = response.status_code
            body = await response.get_data(as_text=True)
            where = f"{who} {method} {probe.path} -> {status}"
            leaks += [f"{where}: {secret}" for secret in secrets if secret in body]
            if status >= 500 or (who == "carol" and probe.hidden and status != 404):
                wrong.append(where)
            elif who == "anonymous" and not probe.public:
                to_sign_in = status == 302 and response.headers.get("Location") == "/login"
                if status != 401 and not (to_sign_in and not rule.startswith("/api/")):
                    wrong.append(where)


def test_the_matrix_knows_every_route_and_every_documented_operation(app: Quart) -> None:
    ids = dict.fromkeys(
        ("private", "channel_id", "message", "dm_message", "file", "reaction", "call", "share"), 1
    )
    known = set(matrix(ids))
    assert routes_of(app) - known == set(), "routes the authorization matrix cannot fill"
    assert known - routes_of(app) == set(), "routes in the matrix that no longer exist"


async def test_outsiders_and_anonymous_callers_reach_nothing_of_others(app: Quart) -> None:
    ids, alice, _bob = await setup_pair(app)
    carol = await sign_up(app, "carol")
    anonymous = await browser_for(app)
    secrets = secrets_of(ids)
    probes = matrix(ids)
    document = await (await alice.api("GET", "/openapi.json")).get_json()
    openapi_routes = {(method, as_openapi(rule)) for method, rule in probes}
    assert documented(document) - openapi_routes == set()
    # The ids are real: each hidden object is there for its owner.
    for (method, _rule), route_probes in probes.items():
        for probe in route_probes:
            if method == "GET" and probe.hidden:
                assert (await call(alice, method, probe)).status_code == 200, probe.path
    before = await snapshot(alice, ids)
    wrong: list[str] = []
    leaks: list[str] = []
    outsider_frames: list[str] = []
    # Signing out closes Carol's socket: those two routes go after it.
    sign_out = [key for key in probes if key[1] == "/logout"]
    async with socket(carol) as ws:
        await hello(ws)
        for key in probes:
            if key not in sign_out:
                await probe_route(key, probes[key], carol, anonymous, secrets, wrong, leaks)
        await alice.api("POST", "/api/channels/general/messages", json={"content": END})
        while True:
            received = await frame(ws)
            outsider_frames.append(str(received))
            if END in str(received):
                break
    for key in sign_out:
        await probe_route(key, probes[key], carol, anonymous, secrets, wrong, leaks)
    after = await snapshot(alice, ids)
    assert wrong == []
    assert leaks == []
    assert [f for f in outsider_frames if any(s in f for s in secrets)] == []
    assert after == before
