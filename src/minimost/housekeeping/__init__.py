"""Housekeeping: retention of uploads and messages (reference §8.3) on a schedule.

Off when the ``housekeeping`` boot option is false (``MINIMOST_SKIP_CLEANUP``). Otherwise
the :class:`Housekeeper` is available as ``runtime.services.housekeeping`` and its
scheduler runs while the app serves: the first pass ``housekeeping_first_run_seconds``
after start, then every ``housekeeping_interval_hours``. A pass with a failed step is
tried again after ``housekeeping_retry_seconds`` (5 minutes unless set), the delay
doubling on each further failure up to the interval (see :mod:`minimost.boot`).

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
from .scheduler import Housekeeper, PassReport

__all__ = ["FEATURE", "Housekeeper", "PassReport", "StepReport", "register"]


def register(app: Quart, runtime: Runtime) -> None:
    uploads_dir = runtime.data_root.uploads_dir
    runtime.while_serving("partial uploads", lambda: cleared_at_start(uploads_dir))
    boot = runtime.boot
    if not boot.housekeeping:
        return
    housekeeper = Housekeeper.from_runtime(runtime)
    runtime.services.housekeeping = housekeeper

    def serving() -> AbstractAsyncContextManager[Housekeeper]:
        return housekeeper.scheduled(
            first_run_seconds=boot.housekeeping_first_run_seconds,
            interval_hours=boot.housekeeping_interval_hours,
            retry_seconds=boot.housekeeping_retry_seconds,
        )

    runtime.while_serving("housekeeping", serving)


FEATURE = Feature("housekeeping", register)
