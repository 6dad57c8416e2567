"""The housekeeper: one retention pass on demand, or on a schedule while the app serves.

A pass re-reads the settings (an admin's edits apply without a restart), runs the four
retention steps in order and reports what each did. A step that fails is logged with
its traceback and recorded; the steps after it still run. Passes never overlap.

The schedule is an APScheduler 3.x ``AsyncIOScheduler`` on the app's own loop: the first
pass shortly after start, then one every ``interval_hours``. A pass with a failed step (a
full disk, too many open files, a locked database) is tried again after
``retry_seconds``, then after twice that each time it fails again, up to the interval; a
cause is logged with its traceback once, and repeats of it as one line. Leaving the context shuts
the scheduler down without waiting and cancels a pass in flight, so shutdown is quick.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from ..db import Database
from ..runtime import Runtime
from ..settings import Settings, SettingsError, SettingsSource
from .retention import (
    EVENT_LOG,
    MESSAGE_AGE,
    MESSAGE_CAP,
    UPLOAD_AGE,
    UPLOAD_CAP,
    StepReport,
    enforce_message_db_cap,
    enforce_upload_cap,
    prune_event_log,
    purge_old_messages,
    purge_old_uploads,
)

log = logging.getLogger(__name__)

JOB_ID = "housekeeping"
SHUTDOWN_TIMEOUT_SECONDS = 5.0
DEFAULT_RETRY_SECONDS = 300.0


@dataclass
class PassReport:
    """One pass: the settings problem if the admin file was invalid, and each step."""

    now: float
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    settings_error: str | None = None
    skipped_reason: str | None = None
    steps: list[StepReport] = field(default_factory=list)

    def step(self, name: str) -> StepReport:
        for report in self.steps:
            if report.step == name:
                return report
        raise KeyError(name)

    @property
    def failed(self) -> list[StepReport]:
        return [report for report in self.steps if not report.ok]


@contextmanager
def deployment_lock(path: Path | None) -> Iterator[bool]:
    """Hold an exclusive lock on ``path`` if free; yield whether this process holds it.

    Every worker (or host sharing the data root) schedules passes, but only the one
    holding the lock runs a pass, so two never purge the same files at once.
    """
    if path is None:
        yield True
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


class Housekeeper:
    """Runs retention passes over one data root and its ``messages.db``."""

    def __init__(
        self,
        *,
        uploads_dir: Path,
        users_dir: Path,
        messages: Database,
        settings_source: SettingsSource,
        startup_settings: Settings,
        lock_path: Path | None = None,
    ) -> None:
        self.uploads_dir = uploads_dir
        self.lock_path = lock_path
        self.users_dir = users_dir
        self.messages = messages
        self.settings_source = settings_source
        self.startup_settings = startup_settings
        self.scheduler: AsyncIOScheduler | None = None
        self.last_report: PassReport | None = None
        self.runs_started = 0
        self.runs_completed = 0
        self._pass_lock = asyncio.Lock()
        self._progress = asyncio.Condition()
        self._job_tasks: set[asyncio.Task[object]] = set()
        self._stopping = False
        self._interval_seconds = 0.0
        self._retry_seconds = DEFAULT_RETRY_SECONDS
        self._retry_delay: float | None = None  # set while passes keep failing
        self._failures: dict[str, str] = {}  # step -> error of the last pass, if it failed

    @classmethod
    def from_runtime(cls, runtime: Runtime) -> Housekeeper:
        return cls(
            uploads_dir=runtime.data_root.uploads_dir,
            users_dir=runtime.data_root.users_dir,
            messages=runtime.stores.messages,
            settings_source=runtime.settings_source,
            startup_settings=runtime.settings,
            lock_path=runtime.data_root.path / "housekeeping.lock",
        )

    # ------------------------------------------------------------------ one pass

    async def run_once(self, now: float | None = None) -> PassReport:
        """Run one full pass (waiting for a pass in progress to finish first)."""
        async with self._pass_lock:
            await self._count("runs_started")
            report = PassReport(now=time.time() if now is None else now)
            with deployment_lock(self.lock_path) as held:
                if held:
                    settings, report.settings_error = await self._current_settings()
                    for name, step in self._steps(settings, report.now):
                        report.steps.append(await self._run_step(name, step))
                    self._failures = {step.step: step.error or "" for step in report.failed}
                else:
                    report.skipped_reason = "another MiniMost process is running housekeeping"
                    log.info("housekeeping: %s; skipping this pass", report.skipped_reason)
            report.finished = time.monotonic()
            self.last_report = report
            await self._count("runs_completed")
        return report

    async def _current_settings(self) -> tuple[Settings, str | None]:
        try:
            return await asyncio.to_thread(self.settings_source.load), None
        except SettingsError as error:
            log.error(
                "housekeeping: settings are invalid (%s); using the settings validated at "
                "startup until the file is fixed",
                error,
            )
            return self.startup_settings, str(error)

    def _steps(
        self, settings: Settings, now: float
    ) -> list[tuple[str, Callable[[], Awaitable[StepReport]]]]:
        return [
            (
                UPLOAD_AGE,
                lambda: purge_old_uploads(
                    self.uploads_dir,
                    image_retention_days=settings.image_retention_days,
                    file_retention_days=settings.file_retention_days,
                    now=now,
                ),
            ),
            (
                UPLOAD_CAP,
                lambda: enforce_upload_cap(
                    self.uploads_dir,
                    self.messages,
                    max_upload_dir_size_mb=settings.max_upload_dir_size_mb,
                ),
            ),
            (
                MESSAGE_AGE,
                lambda: purge_old_messages(
                    self.messages,
                    self.users_dir,
                    message_retention_days=settings.message_retention_days,
                    now=now,
                ),
            ),
            (
                MESSAGE_CAP,
                lambda: enforce_message_db_cap(
                    self.messages, max_message_db_size_mb=settings.max_message_db_size_mb
                ),
            ),
            (EVENT_LOG, lambda: prune_event_log(self.messages, now=now)),
        ]

    async def _run_step(self, name: str, step: Callable[[], Awaitable[StepReport]]) -> StepReport:
        try:
            return await step()
        except Exception as error:
            cause = f"{type(error).__name__}: {error}"
            if self._failures.get(name) != cause:
                log.exception("housekeeping: step %s failed; carrying on with the next", name)
            return StepReport(name, error=cause)

    # --------------------------------------------------------------- progress

    async def _count(self, counter: str) -> None:
        async with self._progress:
            setattr(self, counter, getattr(self, counter) + 1)
            self._progress.notify_all()

    async def wait_for_runs(self, count: int) -> int:
        """Wait until ``count`` passes have completed; return the number completed."""
        async with self._progress:
            await self._progress.wait_for(lambda: self.runs_completed >= count)
            return self.runs_completed

    async def wait_for_started(self, count: int) -> int:
        """Wait until ``count`` passes have started; return the number started."""
        async with self._progress:
            await self._progress.wait_for(lambda: self.runs_started >= count)
            return self.runs_started

    # --------------------------------------------------------------- schedule

    @asynccontextmanager
    async def scheduled(
        self,
        *,
        first_run_seconds: float,
        interval_hours: float,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
    ) -> AsyncIterator[Housekeeper]:
        """Run passes on a schedule for as long as the context is open."""
        if interval_hours <= 0:
            raise ValueError(f"housekeeping interval must be > 0 hours (got {interval_hours})")
        if retry_seconds <= 0:
            raise ValueError(f"housekeeping retry must be > 0 seconds (got {retry_seconds})")
        self._stopping = False
        self._interval_seconds = interval_hours * 3600
        self._retry_seconds = retry_seconds
        self._retry_delay = None
        scheduler = AsyncIOScheduler(timezone=UTC)
        first_run = datetime.now(UTC) + timedelta(seconds=max(first_run_seconds, 0.0))
        scheduler.add_job(
            self._scheduled_pass,
            "interval",
            hours=interval_hours,
            id=JOB_ID,
            name="housekeeping pass",
            next_run_time=first_run,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,  # a late pass (loop busy, machine asleep) still runs
        )
        scheduler.start()  # binds to the running loop, so it must start in here
        self.scheduler = scheduler
        log.info(
            "housekeeping scheduled: first pass in %.3g s, then every %g h",
            first_run_seconds,
            interval_hours,
        )
        try:
            yield self
        finally:
            await self._stop(scheduler)

    async def _scheduled_pass(self) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._job_tasks.add(task)
        try:
            self._plan_next(await self.run_once())
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            # Cancelled by our own shutdown: end quietly rather than let APScheduler log
            # the cancellation as a failed job.
            log.info("housekeeping pass cancelled by shutdown")
        finally:
            self._job_tasks.discard(task)

    def _plan_next(self, report: PassReport) -> None:
        """After a failed pass, bring the next one forward (backing off); else keep the interval."""
        if not report.failed:
            if self._retry_delay is not None:
                log.info("housekeeping: pass succeeded again; next one in %g h", self._interval_h)
            self._retry_delay = None
            return
        doubled = self._retry_seconds if self._retry_delay is None else self._retry_delay * 2
        delay = min(doubled, self._interval_seconds)
        self._retry_delay = delay
        causes = "; ".join(f"{step.step}: {step.error}" for step in report.failed)
        log.error("housekeeping: pass failed (%s); trying again in %g s", causes, delay)
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.modify_job(
                JOB_ID, next_run_time=datetime.now(UTC) + timedelta(seconds=delay)
            )

    @property
    def _interval_h(self) -> float:
        return self._interval_seconds / 3600

    async def _stop(self, scheduler: AsyncIOScheduler) -> None:
        self._stopping = True
        if scheduler.running:
            stopped = asyncio.Event()
            scheduler.add_listener(lambda _event: stopped.set(), EVENT_SCHEDULER_SHUTDOWN)
            # AsyncIOScheduler.shutdown only queues the work on the loop; the listener
            # tells us when it has really happened.
            scheduler.shutdown(wait=False)
            try:
                await asyncio.wait_for(stopped.wait(), SHUTDOWN_TIMEOUT_SECONDS)
            except TimeoutError:
                log.warning("housekeeping scheduler did not confirm its shutdown")
        in_flight = [task for task in self._job_tasks if not task.done()]
        for task in in_flight:
            task.cancel()
        if in_flight:
            await asyncio.gather(*in_flight, return_exceptions=True)
        log.info("housekeeping stopped")
