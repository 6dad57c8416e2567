"""Housekeeping: retention of uploads and messages (reference §8.3) on a schedule.

Off when ``app.config["HOUSEKEEPING"]`` is false (``MINIMOST_SKIP_CLEANUP``). Otherwise
the :class:`Housekeeper` is available as ``runtime.services["housekeeping"]`` and its
scheduler runs while the app serves: the first pass ``HOUSEKEEPING_FIRST_RUN_SECONDS``
after start, then every ``HOUSEKEEPING_INTERVAL_HOURS``. A pass with a failed step is
tried again after ``HOUSEKEEPING_RETRY_SECONDS`` (5 minutes unless set), the delay
doubling on each further failure up to the interval.

Whether housekeeping runs or not, partial uploads an interrupted server left in
``uploads/`` are deleted before serving starts (see :mod:`.leftovers`).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from quart import Quart

from ..features import Feature
from ..runtime import Runtime
from .leftovers import cleared_at_start
from .retention import StepReport
from .scheduler import DEFAULT_RETRY_SECONDS, Housekeeper, PassReport

__all__ = ["FEATURE", "Housekeeper", "PassReport", "StepReport", "register"]


def register(app: Quart, runtime: Runtime) -> None:
    uploads_dir = runtime.data_root.uploads_dir
    runtime.while_serving("partial uploads", lambda: cleared_at_start(uploads_dir))
    if not app.config.get("HOUSEKEEPING", False):
        return
    housekeeper = Housekeeper.from_runtime(runtime)
    runtime.services["housekeeping"] = housekeeper

    def serving() -> AbstractAsyncContextManager[Housekeeper]:
        # Read at start, so config changed after create_app() still counts.
        return housekeeper.scheduled(
            first_run_seconds=float(app.config["HOUSEKEEPING_FIRST_RUN_SECONDS"]),
            interval_hours=float(app.config["HOUSEKEEPING_INTERVAL_HOURS"]),
            retry_seconds=float(
                app.config.get("HOUSEKEEPING_RETRY_SECONDS", DEFAULT_RETRY_SECONDS)
            ),
        )

    runtime.while_serving("housekeeping", serving)


FEATURE = Feature("housekeeping", register)
