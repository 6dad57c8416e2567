"""Housekeeping recovers: a failed pass is tried again soon, backing off to the interval."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from minimost.housekeeping.retention import DAY_SECONDS, UPLOAD_AGE, UPLOAD_CAP
from tests.helpers.housekeeping import app_with, housekeeper_of, make_file, names

BOUND = 10.0  # seconds: generous upper bound for waits that should be near-instant


@pytest.fixture(autouse=True)
def no_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MINIMOST_SETTINGS", "MINIMOST_SKIP_CLEANUP", "MINIMOST_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


def break_uploads_dir(uploads: Path) -> None:
    """A real failure of both upload steps: ``uploads/`` is a plain file."""
    uploads.rmdir()
    uploads.write_text("not a directory")


async def test_a_failed_pass_is_retried_soon_and_succeeds_once_the_cause_is_gone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = app_with(
        tmp_path,
        {},
        {"HOUSEKEEPING_FIRST_RUN_SECONDS": 0, "HOUSEKEEPING_RETRY_SECONDS": 0.2},
    )
    housekeeper = housekeeper_of(app)
    uploads = tmp_path / "uploads"
    break_uploads_dir(uploads)
    caplog.set_level(logging.INFO, logger="minimost")

    async with app.test_app():
        await asyncio.wait_for(housekeeper.wait_for_runs(1), BOUND)
        failed = housekeeper.last_report
        assert failed is not None
        assert [step.step for step in failed.failed] == [UPLOAD_AGE, UPLOAD_CAP]
        uploads.unlink()
        uploads.mkdir()
        make_file(uploads, "expired.pdf", age_seconds=400 * DAY_SECONDS)
        make_file(uploads, "fresh.pdf")

        await asyncio.wait_for(housekeeper.wait_for_runs(2), BOUND)

        recovered = housekeeper.last_report
        assert recovered is not None
        assert not recovered.failed
        assert names(uploads) == {"fresh.pdf"}

    summaries = [r.getMessage() for r in caplog.records if "pass failed" in r.getMessage()]
    assert len(summaries) == 1
    assert "NotADirectoryError" in summaries[0]
    assert "trying again in 0.2 s" in summaries[0]
    assert "pass succeeded again" in caplog.text


async def test_a_lasting_failure_backs_off_to_the_interval_and_logs_its_traceback_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = app_with(
        tmp_path,
        {},
        {
            "HOUSEKEEPING_FIRST_RUN_SECONDS": 0,
            "HOUSEKEEPING_RETRY_SECONDS": 0.1,
            "HOUSEKEEPING_INTERVAL_HOURS": 0.35 / 3600,
        },
    )
    housekeeper = housekeeper_of(app)
    break_uploads_dir(tmp_path / "uploads")
    caplog.set_level(logging.ERROR, logger="minimost.housekeeping")

    async with app.test_app():
        await asyncio.wait_for(housekeeper.wait_for_runs(4), BOUND)

    summaries = [r.getMessage() for r in caplog.records if "pass failed" in r.getMessage()]
    delays = [summary.rsplit("trying again in ", 1)[1] for summary in summaries[:4]]
    assert delays == ["0.1 s", "0.2 s", "0.35 s", "0.35 s"]
    tracebacks = [r for r in caplog.records if r.exc_info is not None]
    assert sorted(r.getMessage().split()[2] for r in tracebacks) == [UPLOAD_AGE, UPLOAD_CAP]
