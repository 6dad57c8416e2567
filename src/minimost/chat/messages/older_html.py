"""HTML for messages an older MiniMost stored without it.

MiniMost 0.0.4 kept only the text; its rows have no ``content_html``. A message read
before it has HTML is rendered there and then, exactly as a new message of the same
text would be, so upgraded history never shows raw Markdown. After start, a background
pass stores the HTML of every such row, a batch at a time, so startup on a big install
does not wait for it and later reads do not render again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ...api import ApiError
from ...runtime import Runtime
from .markdown import render, render_plain

log = logging.getLogger(__name__)

BATCH_ROWS = 500

UNRENDERED = (
    "SELECT id, content_type, content FROM messages "
    "WHERE content_html IS NULL AND id > ? ORDER BY id LIMIT ?"
)
STORE = "UPDATE messages SET content_html = ? WHERE id = ? AND content_html IS NULL"


def html_for(content_type: str | None, content: str | None) -> str:
    """The HTML a row without any gets: what a new row of that type and text gets."""
    if not content:
        return ""
    if content_type == "system":
        return render_plain(content)
    return render(content)


class OlderHtml:
    """Stores the HTML of rows written without it; ``done`` is set when the pass ends."""

    def __init__(self, runtime: Runtime, batch_rows: int = BATCH_ROWS) -> None:
        self.runtime = runtime
        self.batch_rows = batch_rows
        self.done = asyncio.Event()
        self.stored = 0

    async def run(self) -> None:
        """Store every missing HTML; a failure leaves the rest to be rendered when read."""
        try:
            await self._store_all()
        except (sqlite3.Error, ApiError):
            log.warning("could not store the HTML of older messages", exc_info=True)
        finally:
            self.done.set()

    async def _store_all(self) -> None:
        """Render and store every row without HTML, oldest first, one batch per commit."""
        after = 0
        while True:
            batch = await self.runtime.stores.messages.reading(
                lambda plain, after=after: plain.execute(
                    UNRENDERED, (after, self.batch_rows)
                ).fetchall()
            )
            if not batch:
                break
            rendered = await asyncio.to_thread(_render_batch, batch)
            self.stored += await self.runtime.stores.messages.write(
                lambda changes, rendered=rendered: (
                    changes.connection.executemany(STORE, rendered).rowcount
                )
            )
            after = batch[-1][0]
        if self.stored:
            log.info("stored the HTML of %d messages from an older MiniMost", self.stored)

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[OlderHtml]:
        task = asyncio.create_task(self.run())
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _render_batch(batch: list[sqlite3.Row]) -> list[tuple[str, int]]:
    return [(html_for(content_type, content), row_id) for row_id, content_type, content in batch]


def store_older_html(runtime: Runtime) -> None:
    """Start the background pass with the app (after the stores are open)."""
    older = OlderHtml(runtime)
    runtime.services.older_html = older
    runtime.while_serving("older message html", older.serving)
