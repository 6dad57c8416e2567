"""Building preview cards and serving their images (the actions of this feature)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import aiofiles
from itsdangerous import BadSignature, URLSafeSerializer

from .cache import TtlCache
from .content import (
    HTML_TYPES,
    RawSource,
    code_preview,
    decode_text,
    is_text_filename,
    is_textual,
    og_preview,
    page_meta,
    raw_source,
)
from .fetch import GuardedFetcher
from .guard import PreviewRefusedError, parse_link
from .images import ACCEPTED_MEDIA_TYPES, MAX_SOURCE_BYTES, PreviewImage, reencode

log = logging.getLogger(__name__)

HTML_BYTES = 64 * 1024
CODE_BYTES = 512 * 1024
PAGE_ACCEPT = "text/html,application/xhtml+xml,text/*;q=0.9,*/*;q=0.5"
IMAGE_ACCEPT = ", ".join(sorted(ACCEPTED_MEDIA_TYPES))
IMAGE_ROUTE = "/api/previews/image"

Preview = dict[str, Any]


class PreviewService:
    """Link previews through the guarded fetcher, cached; images through our own route."""

    def __init__(
        self,
        fetcher: GuardedFetcher,
        secret_key: str,
        *,
        previews: TtlCache[Preview] | None = None,
        images: TtlCache[PreviewImage] | None = None,
    ) -> None:
        self.fetcher = fetcher
        self.signer = URLSafeSerializer(secret_key, salt="minimost.preview-image")
        self.previews: TtlCache[Preview] = previews or TtlCache(
            max_weight=512, ttl=3600, negative_ttl=300
        )
        self.images: TtlCache[PreviewImage] = images or TtlCache(
            max_weight=32 * 1024 * 1024,
            ttl=6 * 3600,
            negative_ttl=300,
            weigh=lambda image: len(image.data) + 1 if image else 1,
        )

    async def link_preview(self, url: str) -> Preview | None:
        """The card for ``url``, or None; raises MalformedLinkError for text that is no URL."""
        parse_link(url)
        return await self.previews.get(url, lambda: self._build(url))

    def image_path(self, image_url: str) -> str:
        """Our own address for an image a page names; the browser never fetches it itself."""
        return f"{IMAGE_ROUTE}?u={quote(self.signer.dumps(image_url))}"

    async def image(self, token: str) -> PreviewImage | None:
        """The re-encoded image a signed token stands for, or None."""
        try:
            image_url = self.signer.loads(token)
        except BadSignature:
            return None
        if not isinstance(image_url, str):
            return None
        return await self.images.get(image_url, lambda: self._fetch_image(image_url))

    async def close(self) -> None:
        await self.previews.close()
        await self.images.close()

    async def _build(self, url: str) -> Preview | None:
        source = raw_source(url)
        if source is not None:
            try:
                return await self._raw_file(url, source)
            except PreviewRefusedError as reason:
                log.debug("no raw-file preview for %s: %s", url, reason)
        try:
            return await self._page(url)
        except PreviewRefusedError as reason:
            log.debug("no preview for %s: %s", url, reason)
            return None

    async def _raw_file(self, url: str, source: RawSource) -> Preview:
        fetched = await self.fetcher.fetch(
            source.api_url, accept="text/plain,*/*;q=0.5", body_limit=lambda _type: CODE_BYTES
        )
        text = decode_text(fetched.body, fetched.charset)
        if text is None:
            raise PreviewRefusedError("binary file")
        return code_preview(text, source.filepath, url, source.line_start, source.line_end)

    async def _page(self, url: str) -> Preview | None:
        path = urlsplit(url).path
        filename = path.rstrip("/").rsplit("/", 1)[-1]

        def body_limit(media_type: str) -> int | None:
            if media_type in HTML_TYPES:
                return HTML_BYTES
            return CODE_BYTES if is_textual(media_type, filename) else None

        fetched = await self.fetcher.fetch(url, accept=PAGE_ACCEPT, body_limit=body_limit)
        text = decode_text(fetched.body, fetched.charset)
        if text is None:
            return None
        if fetched.media_type not in HTML_TYPES:
            return code_preview(text, path.lstrip("/") or filename, url)
        meta = page_meta(text)
        image_url = urljoin(fetched.url, meta.image) if meta.image else ""
        usable = urlsplit(image_url).scheme in ("http", "https")
        return og_preview(meta, url, self.image_path(image_url) if usable else "")

    async def _fetch_image(self, image_url: str) -> PreviewImage | None:
        def body_limit(media_type: str) -> int | None:
            accepted = media_type in ACCEPTED_MEDIA_TYPES | {"application/octet-stream"}
            return MAX_SOURCE_BYTES if accepted else None

        try:
            fetched = await self.fetcher.fetch(
                image_url, accept=IMAGE_ACCEPT, body_limit=body_limit, whole=True
            )
        except PreviewRefusedError as reason:
            log.debug("no preview image %s: %s", image_url, reason)
            return None
        return await asyncio.to_thread(reencode, fetched.body)


async def file_preview(path: Path, stored_name: str, display_name: str) -> Preview | None:
    """A code card for an uploaded text file (its first lines), else None."""
    if not is_text_filename(display_name):
        return None
    async with aiofiles.open(path, "rb") as handle:
        head = await handle.read(CODE_BYTES)
    text = decode_text(head, None)
    if text is None:
        return None
    return code_preview(text, display_name, f"/api/files/{quote(stored_name)}")
