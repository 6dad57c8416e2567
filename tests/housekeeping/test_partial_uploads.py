"""Partial uploads (``.upload-*.part``): cleared before serving and by housekeeping."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from subprocess import PIPE

import pytest

from minimost.app import create_app
from minimost.housekeeping.retention import DAY_SECONDS, UPLOAD_AGE, UPLOAD_CAP
from tests.helpers.housekeeping import app_with, housekeeper_of, make_file, names


@pytest.fixture(autouse=True)
def no_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MINIMOST_SETTINGS", "MINIMOST_SKIP_CLEANUP", "MINIMOST_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


async def test_housekeeping_clears_abandoned_partial_uploads_and_leaves_them_out_of_the_cap(
    tmp_path: Path,
) -> None:
    app = app_with(
        tmp_path,
        {"max_upload_dir_size_mb": 0.001},  # 1048 bytes
        {"HOUSEKEEPING_FIRST_RUN_SECONDS": 3600},
    )
    housekeeper = housekeeper_of(app)
    uploads = tmp_path / "uploads"

    async with app.test_app():
        make_file(uploads, "kept.pdf", size=500, age_seconds=DAY_SECONDS)
        make_file(uploads, ".upload-abandoned.part", size=4000, age_seconds=2 * 3600)
        make_file(uploads, ".upload-in-progress.part", size=4000, age_seconds=60)

        report = await housekeeper.run_once()

    assert not report.failed
    assert names(uploads) == {"kept.pdf", ".upload-in-progress.part"}
    assert report.step(UPLOAD_AGE).files_deleted == 1
    assert report.step(UPLOAD_CAP).files_deleted == 0


async def test_serving_starts_without_partial_uploads_of_an_earlier_process(
    tmp_path: Path,
) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    make_file(uploads, ".upload-0123abcd.part", size=4000)
    make_file(uploads, "kept.pdf")
    app = create_app(data_dir=tmp_path, settings={"stun_enabled": False}, tls=False)
    assert ".upload-0123abcd.part" in names(uploads)  # building the app (CLI tools) keeps it

    async with app.test_app():
        assert names(uploads) == {"kept.pdf"}


async def test_serving_starts_without_the_partial_uploads_of_gone_processes_only(
    tmp_path: Path,
) -> None:
    """Another worker on the same data root keeps the upload it is receiving."""
    gone = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await gone.wait()
    running = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import sys; sys.stdin.read()", stdin=PIPE
    )
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    try:
        make_file(uploads, f".upload-{gone.pid}-0123abcd.part", size=4000)
        make_file(uploads, f".upload-{os.getpid()}-4567abcd.part", size=4000)
        make_file(uploads, f".upload-{running.pid}-89abcdef.part", size=4000)
        app = create_app(data_dir=tmp_path, settings={"stun_enabled": False}, tls=False)
        async with app.test_app():
            assert names(uploads) == {f".upload-{running.pid}-89abcdef.part"}
    finally:
        await running.communicate(b"")
