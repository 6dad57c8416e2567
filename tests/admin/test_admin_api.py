"""The administration API: only admins see it; promotions and demotions reach every client."""

from __future__ import annotations

from quart import Quart

from tests.conftest import AppFactory, browser_for, sign_up
from tests.helpers.sockets import frame_of, hello, socket

NOT_FOUND = {"error": {"code": "not_found", "message": "The requested resource was not found."}}
LAST_ADMIN = "alice is the last admin; make someone else an admin first."
ADMIN_ROUTES = [
    ("GET", "/api/admin/people"),
    ("PUT", "/api/admin/people/bob/admin"),
    ("DELETE", "/api/admin/people/alice/admin"),
]


async def test_members_get_not_found_and_anonymous_callers_must_sign_in(app: Quart) -> None:
    await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    anonymous = await browser_for(app)
    for method, path in ADMIN_ROUTES:
        refused = await bob.api(method, path)
        assert refused.status_code == 404, (method, path)
        assert await refused.get_json() == NOT_FOUND
        outside = await anonymous.api(method, path)
        assert outside.status_code == 401, (method, path)
        assert (await outside.get_json())["error"]["code"] == "unauthorized"
    assert (await (await bob.api("GET", "/api/account")).get_json())["role"] == "member"


async def test_an_admin_lists_people_with_roles_and_open_sessions(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    await sign_up(app, "bob")
    response = await alice.api("GET", "/api/admin/people")
    assert response.status_code == 200
    people = (await response.get_json())["people"]
    assert [(p["username"], p["role"], p["open_sessions"]) for p in people] == [
        ("alice", "admin", 1),
        ("bob", "member", 1),
    ]
    assert all(isinstance(person["last_seen"], float) for person in people)


async def test_an_admin_promotes_and_demotes_and_others_hear_it(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    async with socket(bob) as ws:
        await hello(ws)
        promoted = await alice.api("PUT", "/api/admin/people/BOB/admin")
        assert promoted.status_code == 200
        assert await promoted.get_json() == {"username": "bob", "role": "admin"}
        event = await frame_of(ws, "event")
        while event["name"] != "user.role_changed":
            event = await frame_of(ws, "event")
        assert event["data"] == {"username": "bob", "role": "admin"}
        people = (await (await bob.api("GET", "/api/admin/people")).get_json())["people"]
        assert [person["role"] for person in people] == ["admin", "admin"]

        demoted = await bob.api("DELETE", "/api/admin/people/alice/admin")
        assert await demoted.get_json() == {"username": "alice", "role": "member"}
        event = await frame_of(ws, "event")
        while event["name"] != "user.role_changed":
            event = await frame_of(ws, "event")
        assert event["data"] == {"username": "alice", "role": "member"}
    assert (await alice.api("GET", "/api/admin/people")).status_code == 404


async def test_the_last_admin_cannot_be_demoted(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    refused = await alice.api("DELETE", "/api/admin/people/alice/admin")
    assert refused.status_code == 409
    assert await refused.get_json() == {"error": {"code": "conflict", "message": LAST_ADMIN}}
    assert (await (await alice.api("GET", "/api/account")).get_json())["role"] == "admin"


async def test_unknown_people_and_missing_csrf_are_refused(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    unknown = await alice.api("PUT", "/api/admin/people/nobody/admin")
    assert unknown.status_code == 404
    assert (await unknown.get_json())["error"]["message"] == "user 'nobody' does not exist"
    forged = await alice.api(
        "PUT", "/api/admin/people/alice/admin", headers={"X-CSRF-Token": "0" * 64}
    )
    assert forged.status_code == 403


async def test_role_changes_are_rate_limited(make_app: AppFactory) -> None:
    app = make_app(rate_limits={"admin": [1, 3600]})
    async with app.test_app():
        alice = await sign_up(app, "alice")
        await sign_up(app, "bob")
        assert (await alice.api("PUT", "/api/admin/people/bob/admin")).status_code == 200
        limited = await alice.api("PUT", "/api/admin/people/bob/admin")
        assert limited.status_code == 429
        assert "Retry-After" in limited.headers
