"""The quiet shutdown's loop error filter: only the cancelled connection tasks are dropped."""

from __future__ import annotations

import asyncio

from minimost.shutdown import install


def test_other_loop_errors_are_still_reported() -> None:
    reported: list[str] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _loop, context: reported.append(context["message"]))
        install(loop)
        loop.call_exception_handler({"message": "disk full", "exception": OSError(28, "full")})
        loop.call_exception_handler(
            {"message": "cancelled elsewhere", "exception": asyncio.CancelledError()}
        )

    asyncio.run(main())
    assert reported == ["disk full", "cancelled elsewhere"]
