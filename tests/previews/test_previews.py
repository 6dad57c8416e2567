"""Link previews against a real HTTP server on loopback (no internet involved).

The origin server lives on 127.0.0.1, which the guard refuses unless the admin lists it:
the tests that need to reach it list ``127.0.0.1/32``, and others check it is refused
without that.
"""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web
from PIL import Image
from quart import Quart
from quart.datastructures import FileStorage

from minimost.previews.fetch import GuardedFetcher
from minimost.previews.guard import PreviewRefusedError, Resolver, TargetPolicy, system_resolve
from minimost.previews.service import PreviewService
from tests.conftest import AppFactory, sign_up

LOOPBACK = ["127.0.0.1/32"]
HUGE_BYTES = 32 * 1024 * 1024
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def png_bytes(size: tuple[int, int] = (40, 30), colour: str = "teal") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def page(title: str, extra_head: str = "") -> str:
    return (
        f"<!doctype html><html><head><title>{title}</title>{extra_head}</head>"
        "<body><p>Body text</p></body></html>"
    )


OG_PAGE = page(
    "Plain &amp; title",
    '<meta property="og:title" content="Release 2.0 &amp; more">'
    '<meta property="og:description" content="What changed in the new release.">'
    '<meta property="og:site_name" content="Example News">'
    '<meta property="og:image" content="/img.png">',
)


@dataclass
class Origin:
    """A small website on loopback whose every request is counted by path."""

    base: str
    port: int
    hits: Counter[str] = field(default_factory=Counter)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    aborted: asyncio.Event = field(default_factory=asyncio.Event)
    sent_bytes: int = 0
    redirect_target: str = ""

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


def origin_app(origin: Origin, title: str = "") -> web.Application:
    async def count(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin.hits[request.path] += 1
        return await handler(request)

    html = "text/html; charset=utf-8"

    async def og_page(_request: web.Request) -> web.Response:
        return web.Response(text=OG_PAGE if not title else page(title), content_type="text/html")

    async def title_only(_request: web.Request) -> web.Response:
        return web.Response(text=page("Only a title"), headers={"Content-Type": html})

    async def untitled(_request: web.Request) -> web.Response:
        return web.Response(
            text="<html><head></head><body>x</body></html>", content_type="text/html"
        )

    async def image(_request: web.Request) -> web.Response:
        return web.Response(body=png_bytes(), content_type="image/png")

    async def disguised(_request: web.Request) -> web.Response:
        return web.Response(body=b"<script>alert(1)</script>" * 20, content_type="image/png")

    async def oversized_image(_request: web.Request) -> web.Response:
        return web.Response(body=png_bytes() + bytes(6 * 1024 * 1024), content_type="image/png")

    async def not_an_image_type(_request: web.Request) -> web.Response:
        return web.Response(body=png_bytes(), content_type="text/html")

    async def code(_request: web.Request) -> web.Response:
        text = "\n".join(f"line {n}" for n in range(1, 1501))
        return web.Response(text=text, content_type="text/plain")

    async def notes(_request: web.Request) -> web.Response:
        return web.Response(text="first\nsecond\n", content_type="text/plain")

    async def binary(_request: web.Request) -> web.Response:
        return web.Response(body=b"\x00\x01\x02" * 100, content_type="application/octet-stream")

    async def raw_file(request: web.Request) -> web.Response:
        text = "\n".join(f"print({n})" for n in range(1, 41))
        return web.Response(text=text, content_type="text/plain")

    async def redirect_to_page(_request: web.Request) -> web.Response:
        raise web.HTTPFound("/page")

    async def redirect_away(_request: web.Request) -> web.Response:
        raise web.HTTPFound(origin.redirect_target)

    async def redirect_loop(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.path)

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": html})
        await response.prepare(request)
        head = page("Huge page").split("<body>")[0].encode() + b"<body>"
        await response.write(head)
        origin.sent_bytes = len(head)
        chunk = b"<p>" + b"x" * 65536 + b"</p>"
        try:
            while origin.sent_bytes < HUGE_BYTES:
                await response.write(chunk)
                origin.sent_bytes += len(chunk)
        except (ConnectionError, RuntimeError):
            origin.aborted.set()
            raise
        return response

    async def slow(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": html})
        await response.prepare(request)
        await response.write(b"<html><head><title>Slow")
        origin.entered.set()
        await origin.release.wait()
        await response.write(b"</title></head></html>")
        return response

    async def gated(_request: web.Request) -> web.Response:
        origin.entered.set()
        await origin.release.wait()
        return web.Response(text=page("Worth the wait"), content_type="text/html")

    app = web.Application(middlewares=[web.middleware(count)])
    routes = {
        "/page": og_page,
        "/title-only": title_only,
        "/untitled": untitled,
        "/img.png": image,
        "/fake.png": disguised,
        "/typed-html.png": not_an_image_type,
        "/big.png": oversized_image,
        "/src/tool.py": code,
        "/notes": notes,
        "/blob.py": binary,
        "/rest/api/1.0/projects/PRJ/repos/app/raw/src/main.py": raw_file,
        "/hop": redirect_to_page,
        "/away": redirect_away,
        "/loop": redirect_loop,
        "/huge": huge,
        "/slow": slow,
        "/gated": gated,
    }
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    return app


@pytest.fixture
async def origin() -> AsyncIterator[Origin]:
    holder = Origin(base="", port=0)
    runner = web.AppRunner(origin_app(holder), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    holder.base, holder.port = f"http://127.0.0.1:{port}", port
    try:
        yield holder
    finally:
        holder.release.set()
        await runner.cleanup()


@pytest.fixture
async def other_origin(origin: Origin) -> AsyncIterator[Origin]:
    """A second server on 127.0.0.2, same port: the address a rebinding attack would pick."""
    holder = Origin(base=f"http://127.0.0.2:{origin.port}", port=origin.port)
    runner = web.AppRunner(origin_app(holder, title="Second server"), handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.2", origin.port).start()
    try:
        yield holder
    finally:
        holder.release.set()
        await runner.cleanup()


def service_for(
    origin: Origin, *, timeout: float = 5.0, resolve: Resolver = system_resolve
) -> PreviewService:
    policy = TargetPolicy.from_lists(LOOPBACK, [origin.port])
    return PreviewService(GuardedFetcher(policy, resolve=resolve, timeout=timeout), "k" * 64)


# --- the preview service ----------------------------------------------------------------


async def test_opengraph_page_gives_title_description_site_and_proxied_image(
    origin: Origin,
) -> None:
    service = service_for(origin)
    preview = await service.link_preview(origin.url("/page"))
    assert preview is not None
    assert preview["type"] == "og"
    assert preview["title"] == "Release 2.0 & more"
    assert preview["description"] == "What changed in the new release."
    assert preview["site_name"] == "Example News"
    assert preview["domain"] == f"127.0.0.1:{origin.port}"
    assert preview["url"] == origin.url("/page")
    assert preview["image"].startswith("/api/previews/image?u=")
    assert origin.hits["/img.png"] == 0, "the image is fetched only when someone asks for it"


async def test_title_tag_is_the_fallback_and_a_page_without_title_shows_nothing(
    origin: Origin,
) -> None:
    service = service_for(origin)
    preview = await service.link_preview(origin.url("/title-only"))
    assert preview is not None
    assert (preview["title"], preview["description"], preview["image"]) == ("Only a title", "", "")
    assert await service.link_preview(origin.url("/untitled")) is None


async def test_source_file_shows_its_first_lines_with_a_language_hint(origin: Origin) -> None:
    preview = await service_for(origin).link_preview(origin.url("/src/tool.py"))
    assert preview is not None
    assert preview["type"] == "code"
    assert (preview["filename"], preview["filepath"], preview["language"]) == (
        "tool.py",
        "src/tool.py",
        "py",
    )
    assert preview["first_line_num"] == 1
    assert preview["total_lines"] == 1500
    lines = preview["code"].split("\n")
    assert len(lines) == 1000
    assert lines[0] == "line 1"
    assert lines[-1] == "line 1000"
    assert preview["highlight_start"] is None


async def test_plain_text_by_content_type_and_binary_files_get_nothing(origin: Origin) -> None:
    service = service_for(origin)
    notes = await service.link_preview(origin.url("/notes"))
    assert notes is not None
    assert (notes["type"], notes["language"], notes["code"]) == ("code", "", "first\nsecond")
    assert await service.link_preview(origin.url("/blob.py")) is None
    assert await service.link_preview(origin.url("/img.png")) is None


async def test_code_host_browse_link_shows_the_raw_file_around_the_anchor(origin: Origin) -> None:
    link = origin.url("/projects/PRJ/repos/app/browse/src/main.py#12-14")
    preview = await service_for(origin).link_preview(link)
    assert preview is not None
    assert origin.hits["/rest/api/1.0/projects/PRJ/repos/app/raw/src/main.py"] == 1
    assert preview["type"] == "code"
    assert preview["filepath"] == "src/main.py"
    assert (preview["highlight_start"], preview["highlight_end"]) == (12, 14)
    assert preview["code"].split("\n")[11] == "print(12)"
    assert preview["url"] == link


async def test_loopback_is_refused_without_the_allow_list(origin: Origin) -> None:
    service = PreviewService(
        GuardedFetcher(TargetPolicy.from_lists([], [origin.port]), resolve=system_resolve),
        "k" * 64,
    )
    assert await service.link_preview(origin.url("/page")) is None
    assert await service.link_preview(f"http://localhost:{origin.port}/page") is None
    assert sum(origin.hits.values()) == 0, "nothing ever reached the server"


async def test_a_port_nobody_allowed_is_refused(origin: Origin) -> None:
    service = PreviewService(
        GuardedFetcher(TargetPolicy.from_lists(LOOPBACK, []), resolve=system_resolve), "k" * 64
    )
    assert await service.link_preview(origin.url("/page")) is None
    assert sum(origin.hits.values()) == 0


# --- redirects, limits, pinning -----------------------------------------------------------


async def test_redirects_are_followed_and_each_hop_is_checked(
    origin: Origin, other_origin: Origin
) -> None:
    service = service_for(origin)
    followed = await service.link_preview(origin.url("/hop"))
    assert followed is not None
    assert followed["title"] == "Release 2.0 & more"
    assert followed["url"] == origin.url("/hop")

    origin.redirect_target = other_origin.url("/page")
    assert await service.link_preview(origin.url("/away")) is None
    assert origin.hits["/away"] == 1
    assert sum(other_origin.hits.values()) == 0, "the private hop was never requested"


async def test_redirect_loops_stop_at_the_hop_cap(origin: Origin) -> None:
    fetcher = GuardedFetcher(
        TargetPolicy.from_lists(LOOPBACK, [origin.port]), resolve=system_resolve, max_redirects=3
    )
    with pytest.raises(PreviewRefusedError, match="redirects"):
        await fetcher.fetch(origin.url("/loop"), accept="*/*", body_limit=lambda _t: 1024)
    assert origin.hits["/loop"] == 4


async def test_dns_is_pinned_to_the_checked_address(origin: Origin, other_origin: Origin) -> None:
    """The name answers an allowed address, then a forbidden one: only the first is used."""
    answers = [["127.0.0.1"], ["127.0.0.2"]]
    calls: list[str] = []

    async def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return answers[min(len(calls) - 1, 1)]

    service = service_for(origin, resolve=rebinding)
    preview = await service.link_preview(f"http://rebind.test:{origin.port}/page")
    assert preview is not None
    assert preview["title"] == "Release 2.0 & more"
    assert calls == ["rebind.test"]
    assert origin.hits["/page"] == 1
    assert sum(other_origin.hits.values()) == 0

    answers[0] = ["127.0.0.2"]
    calls.clear()
    assert await service.link_preview(f"http://forbidden.test:{origin.port}/page") is None
    assert sum(other_origin.hits.values()) == 0


async def test_a_huge_body_is_cut_at_the_limit_and_the_download_abandoned(
    origin: Origin,
) -> None:
    fetcher = GuardedFetcher(
        TargetPolicy.from_lists(LOOPBACK, [origin.port]), resolve=system_resolve
    )
    fetched = await fetcher.fetch(origin.url("/huge"), accept="*/*", body_limit=lambda _t: 65536)
    assert fetched.truncated
    assert len(fetched.body) == 65536
    await asyncio.wait_for(origin.aborted.wait(), timeout=10)
    assert origin.sent_bytes < HUGE_BYTES

    preview = await service_for(origin).link_preview(origin.url("/huge"))
    assert preview is not None
    assert preview["title"] == "Huge page"


async def test_a_body_that_never_finishes_times_out(origin: Origin) -> None:
    service = service_for(origin, timeout=0.5)
    assert await service.link_preview(origin.url("/slow")) is None
    assert origin.entered.is_set()


# --- cache ----------------------------------------------------------------------------------


async def test_a_cached_preview_is_not_fetched_again_and_neither_is_a_miss(
    origin: Origin,
) -> None:
    service = service_for(origin)
    first = await service.link_preview(origin.url("/page"))
    second = await service.link_preview(origin.url("/page"))
    assert first == second
    assert origin.hits["/page"] == 1
    assert await service.link_preview(origin.url("/untitled")) is None
    assert await service.link_preview(origin.url("/untitled")) is None
    assert origin.hits["/untitled"] == 1


async def test_concurrent_requests_for_one_url_share_one_fetch(origin: Origin) -> None:
    service = service_for(origin)
    first = asyncio.create_task(service.link_preview(origin.url("/gated")))
    second = asyncio.create_task(service.link_preview(origin.url("/gated")))
    await origin.entered.wait()
    origin.release.set()
    results = await asyncio.gather(first, second)
    assert results[0] == results[1]
    assert results[0] is not None
    assert results[0]["title"] == "Worth the wait"
    assert origin.hits["/gated"] == 1


# --- images ---------------------------------------------------------------------------------


async def test_image_proxy_serves_a_reencoded_image_only_for_signed_urls(origin: Origin) -> None:
    service = service_for(origin)
    preview = await service.link_preview(origin.url("/page"))
    assert preview is not None
    token = parse_qs(urlsplit(preview["image"]).query)["u"][0]
    image = await service.image(token)
    assert image is not None
    assert image.media_type == "image/jpeg"
    with Image.open(io.BytesIO(image.data)) as decoded:
        assert decoded.format == "JPEG"
        assert decoded.size == (40, 30)
    assert await service.image(token) == image
    assert origin.hits["/img.png"] == 1

    assert await service.image(token + "x") is None
    assert await service.image("") is None


async def test_image_proxy_refuses_what_is_not_really_an_image(origin: Origin) -> None:
    service = service_for(origin)
    for path in ("/fake.png", "/typed-html.png", "/big.png", "/huge", "/page"):
        token = parse_qs(urlsplit(service.image_path(origin.url(path))).query)["u"][0]
        assert await service.image(token) is None, path


# --- the HTTP API ---------------------------------------------------------------------------


@pytest.fixture
async def preview_app(make_app: AppFactory, origin: Origin) -> AsyncIterator[Quart]:
    application = make_app(link_preview_private_hosts=LOOPBACK, link_preview_ports=[origin.port])
    async with application.test_app():
        yield application


async def test_api_returns_the_preview_and_its_image_through_our_route(
    preview_app: Quart, origin: Origin
) -> None:
    alice = await sign_up(preview_app)
    response = await alice.get("/api/previews", query_string={"url": origin.url("/page")})
    assert response.status_code == 200
    preview = (await response.get_json())["preview"]
    assert preview["title"] == "Release 2.0 & more"

    image = await alice.get(preview["image"])
    assert image.status_code == 200
    assert image.mimetype == "image/jpeg"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age=604800" in image.headers["Cache-Control"]
    assert image.headers["Cache-Control"].startswith("private")
    with Image.open(io.BytesIO(await image.get_data())) as decoded:
        assert decoded.format == "JPEG"

    empty = await alice.get("/api/previews", query_string={"url": origin.url("/untitled")})
    assert (await empty.get_json()) == {"preview": None}


async def test_api_refuses_malformed_links_and_strangers(
    preview_app: Quart, origin: Origin
) -> None:
    alice = await sign_up(preview_app)
    for bad in ("", "not a url", "ftp://example.com/file", "http://"):
        response = await alice.get("/api/previews", query_string={"url": bad})
        assert response.status_code == 400, bad
        assert (await response.get_json())["error"]["code"] == "bad_url"
    missing = await alice.get("/api/previews")
    assert missing.status_code == 400

    stranger = preview_app.test_client()
    anonymous = await stranger.get(
        "/api/previews",
        query_string={"url": origin.url("/page")},
        headers={"Accept": "application/json"},
    )
    assert anonymous.status_code == 401
    image = await stranger.get("/api/previews/image?u=x", headers={"Accept": "application/json"})
    assert image.status_code == 401
    assert sum(origin.hits.values()) == 0

    forged = await alice.get("/api/previews/image", query_string={"u": "forged"})
    assert forged.status_code == 404
    assert (await forged.get_json())["error"]["code"] == "not_found"


async def test_api_without_the_allow_list_never_reaches_loopback(
    app: Quart, origin: Origin
) -> None:
    alice = await sign_up(app)
    for url in (origin.url("/page"), f"http://localhost:{origin.port}/page"):
        response = await alice.get("/api/previews", query_string={"url": url})
        assert (response.status_code, await response.get_json()) == (200, {"preview": None})
    assert sum(origin.hits.values()) == 0


async def test_api_is_rate_limited_per_user(make_app: AppFactory, origin: Origin) -> None:
    application = make_app(
        link_preview_private_hosts=LOOPBACK,
        link_preview_ports=[origin.port],
        rate_limits={"link_preview": [2, 60]},
    )
    async with application.test_app():
        alice = await sign_up(application)
        bob = await sign_up(application, "bob")
        query = {"url": origin.url("/page")}
        statuses = [(await alice.get("/api/previews", query_string=query)).status_code]
        statuses += [(await alice.get("/api/previews", query_string=query)).status_code]
        limited = await alice.get("/api/previews", query_string=query)
        assert statuses == [200, 200]
        assert limited.status_code == 429
        assert "Retry-After" in limited.headers
        assert (await bob.get("/api/previews", query_string=query)).status_code == 200


async def test_uploaded_text_file_preview_follows_the_file_visibility(app: Quart) -> None:
    alice = await sign_up(app)
    bob = await sign_up(app, "bob")
    await sign_up(app, "carol")
    script = FileStorage(
        io.BytesIO(b"#!/bin/sh\necho hi\n"),
        filename="deploy.sh",
        content_type="application/octet-stream",
    )
    sent = await alice.api(
        "POST", "/api/channels/dm:alice:carol/messages", form={}, files={"files0": script}
    )
    assert sent.status_code == 201, await sent.get_data(as_text=True)
    file_url = (await sent.get_json())["messages"][-1]["file"]["url"]
    stored = file_url.rsplit("/", 1)[-1]

    response = await alice.get(f"/api/previews/files/{stored}")
    assert response.status_code == 200
    preview = (await response.get_json())["preview"]
    assert (preview["type"], preview["filename"], preview["language"]) == (
        "code",
        "deploy.sh",
        "sh",
    )
    assert preview["code"] == "#!/bin/sh\necho hi"
    assert preview["url"] == file_url

    assert (await bob.get(f"/api/previews/files/{stored}")).status_code == 404
