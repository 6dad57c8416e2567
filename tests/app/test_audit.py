"""The audit log: exact line format, scrubbing, caps, reopen, rotation, locking, no raising."""

from __future__ import annotations

import logging
import os
import re
import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from minimost import audit
from minimost.audit import AuditLog

NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z
STAMP = "2023-11-14T22:13:20Z"
ARCHIVE = "audit.log.20231114T221320Z"
MIB = 1024 * 1024
DAY = 86400.0
TIMESTAMP = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"


class FakeClock:
    """A settable time source, handed to AuditLog through its ``clock`` parameter."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


MakeLog = Callable[..., AuditLog]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "audit.log"


@pytest.fixture
def make_log(log_path: Path, clock: FakeClock) -> Iterator[MakeLog]:
    """Build AuditLogs (rotation off unless asked) and close every one after the test."""
    made: list[AuditLog] = []

    def factory(path: Path | None = None, **options: Any) -> AuditLog:
        settings: dict[str, Any] = {
            "max_size_mb": 0,
            "max_age_days": 0,
            "backups": 0,
            "clock": clock,
        }
        settings.update(options)
        instance = AuditLog(path or log_path, **settings)
        made.append(instance)
        return instance

    yield factory
    for instance in made:
        instance.close()


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def archives(directory: Path) -> list[str]:
    pattern = re.compile(r"audit\.log\.\d{8}T\d{6}Z(\.\d+)?")
    return sorted(p.name for p in directory.iterdir() if pattern.fullmatch(p.name))


def line_bytes(**fields: Any) -> int:
    """Size on disk of one record written at NOW, to place the size threshold exactly."""
    return len((audit.format_line(NOW, **fields) + "\n").encode("utf-8"))


# -- line format ---------------------------------------------------------------------------


def test_line_format_with_real_clock(log_path: Path) -> None:
    log = AuditLog(log_path, max_size_mb=0, max_age_days=0, backups=0)
    try:
        log.record("login", "success", user="alice", src="10.0.0.5", detail="account locked")
    finally:
        log.close()
    raw = log_path.read_bytes().decode("utf-8")
    assert re.fullmatch(
        TIMESTAMP
        + re.escape(' event=login outcome=success user=alice src=10.0.0.5 detail="account locked"')
        + "\n",
        raw,
    )


def test_timestamp_is_utc_from_the_clock(
    make_log: MakeLog, log_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Asia/Kolkata")  # +05:30: a local-time stamp would differ
    time.tzset()
    try:
        make_log().record("logout", "success", user="bob", src="::1")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert lines(log_path) == [f"{STAMP} event=logout outcome=success user=bob src=::1"]


@pytest.mark.parametrize("missing", [None, ""])
def test_missing_user_and_src_are_dashes_and_detail_is_omitted(
    make_log: MakeLog, log_path: Path, missing: str | None
) -> None:
    make_log().record("server_error", "failure", user=missing, src=missing, detail=missing)
    assert lines(log_path) == [f"{STAMP} event=server_error outcome=failure user=- src=-"]


def test_control_characters_become_spaces(make_log: MakeLog, log_path: Path) -> None:
    make_log().record(
        "log\nin",
        "fail\x00ure",
        user="eve\r\n2023-01-01T00:00:00Z event=login",
        src="1.2.3.4\t\x1b",
        detail="a\x7fb\x1fc",
    )
    assert lines(log_path) == [
        f"{STAMP} event=log in outcome=fail ure user=eve  2023-01-01T00:00:00Z event=login "
        'src=1.2.3.4   detail="a b c"'
    ]


@pytest.mark.parametrize(
    ("field", "cap"),
    [("event", 64), ("outcome", 16), ("user", 64), ("src", 64), ("detail", 256)],
)
def test_each_field_is_capped_with_ellipsis(
    make_log: MakeLog, log_path: Path, field: str, cap: int
) -> None:
    log = make_log()
    for length in (cap, cap + 1):
        fields = {"event": "e", "outcome": "o", "user": "u", "src": "s", "detail": "d"}
        fields[field] = "x" * (length - 1) + "y"
        log.record(fields.pop("event"), fields.pop("outcome"), **fields)
    exact, over = lines(log_path)
    key = f'{field}="' if field == "detail" else f"{field}="
    assert key + "x" * (cap - 1) + "y" in exact
    assert "..." not in exact
    assert key + "x" * cap + "..." in over
    assert "y" not in over.split(key, 1)[1].split(" ", 1)[0]


def test_quotes_and_backslashes_in_detail_cannot_break_the_quoting(
    make_log: MakeLog, log_path: Path
) -> None:
    detail = 'he said "hi" \\ and left\\'
    make_log().record("access_denied", "failure", detail=detail)
    (line,) = lines(log_path)
    assert line.endswith(r' detail="he said \"hi\" \\ and left\\"')
    match = re.search(r' detail="((?:[^"\\]|\\.)*)"$', line)
    assert match is not None
    assert re.sub(r"\\(.)", r"\1", match.group(1)) == detail


def test_quote_escaping_happens_after_the_cap(make_log: MakeLog, log_path: Path) -> None:
    make_log().record("e", "o", detail='"' * 300)
    (line,) = lines(log_path)
    assert line.endswith(' detail="' + '\\"' * 256 + '..."')


def test_unencodable_text_is_escaped_not_lost(make_log: MakeLog, log_path: Path) -> None:
    make_log().record("login", "failure", user="bad\udcffname")
    assert lines(log_path) == [f"{STAMP} event=login outcome=failure user=bad\\udcffname src=-"]


# -- file handling -------------------------------------------------------------------------


def test_construction_touches_nothing_on_disk(make_log: MakeLog, tmp_path: Path) -> None:
    make_log(max_size_mb=1, max_age_days=1, backups=1)
    assert list(tmp_path.iterdir()) == []


def test_appends_across_instances(make_log: MakeLog, log_path: Path) -> None:
    log_path.write_text("earlier line\n", encoding="utf-8")
    first = make_log()
    first.record("login", "success", user="a")
    first.close()
    make_log().record("logout", "success", user="a")
    assert lines(log_path) == [
        "earlier line",
        f"{STAMP} event=login outcome=success user=a src=-",
        f"{STAMP} event=logout outcome=success user=a src=-",
    ]


def test_close_then_record_reopens(make_log: MakeLog, log_path: Path) -> None:
    log = make_log()
    log.record("a", "success")
    log.close()
    log.record("b", "success")
    assert [line.split()[1] for line in lines(log_path)] == ["event=a", "event=b"]


def test_reopens_after_the_file_is_moved_away(
    make_log: MakeLog, log_path: Path, tmp_path: Path
) -> None:
    log = make_log()
    log.record("first", "success")
    moved = tmp_path / "elsewhere.log"
    os.rename(log_path, moved)
    log.record("second", "success")
    assert [line.split()[1] for line in lines(moved)] == ["event=first"]
    assert [line.split()[1] for line in lines(log_path)] == ["event=second"]


def test_concurrent_threads_lose_and_mangle_nothing(make_log: MakeLog, tmp_path: Path) -> None:
    size = line_bytes(event="t00", outcome="success", user="u00", detail="n00")
    log = make_log(max_size_mb=size * 7 / MIB)

    def worker(n: int) -> None:
        for i in range(40):
            log.record(f"t{n:02d}", "success", user=f"u{i:02d}", detail=f"n{i:02d}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    written = [line for name in archives(tmp_path) for line in lines(tmp_path / name)]
    if (tmp_path / "audit.log").exists():
        written += lines(tmp_path / "audit.log")
    assert len(written) == 320
    assert all(
        re.fullmatch(STAMP + r' event=t\d\d outcome=success user=u\d\d src=- detail="n\d\d"', x)
        for x in written
    )


# -- rotation ------------------------------------------------------------------------------


def test_size_rotation_archives_and_next_write_recreates(
    make_log: MakeLog, log_path: Path, tmp_path: Path
) -> None:
    size = line_bytes(event="login", outcome="success")
    log = make_log(max_size_mb=(2 * size) / MIB)
    log.record("login", "success")
    assert archives(tmp_path) == []  # below the threshold
    log.record("login", "success")  # now exactly at the threshold: >= rotates
    assert archives(tmp_path) == [ARCHIVE]
    assert not log_path.exists()
    assert len(lines(tmp_path / ARCHIVE)) == 2
    log.record("logout", "success")
    assert lines(log_path) == [f"{STAMP} event=logout outcome=success user=- src=-"]


def test_zero_disables_size_and_age_rotation(
    make_log: MakeLog, log_path: Path, tmp_path: Path
) -> None:
    log = make_log(max_size_mb=0, max_age_days=0)
    log_path.write_bytes(b"x" * (2 * MIB) + b"\n")
    log.record("login", "success")
    assert archives(tmp_path) == []
    assert not (tmp_path / "audit.log.rotated_at").exists()


def test_age_rotation_follows_the_marker_mtime(
    make_log: MakeLog, clock: FakeClock, log_path: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "audit.log.rotated_at"
    log = make_log(max_age_days=1)
    log.record("first", "success")
    assert marker.exists()  # created on the first check, starting the age clock
    assert marker.stat().st_mtime == pytest.approx(NOW)
    assert archives(tmp_path) == []

    os.utime(marker, (NOW - DAY + 5, NOW - DAY + 5))
    log.record("second", "success")
    assert archives(tmp_path) == []

    clock.now = NOW + 5  # exactly one day since the marker
    log.record("third", "success")
    assert archives(tmp_path) == ["audit.log.20231114T221325Z"]
    assert marker.stat().st_mtime == pytest.approx(NOW + 5)
    assert not log_path.exists()

    log.record("fourth", "success")
    assert archives(tmp_path) == ["audit.log.20231114T221325Z"]
    assert [line.split()[1] for line in lines(log_path)] == ["event=fourth"]


def test_same_second_rotations_get_numeric_suffixes(make_log: MakeLog, tmp_path: Path) -> None:
    log = make_log(max_size_mb=1 / MIB)  # every write rotates
    for event in ("a", "b", "c", "d"):
        log.record(event, "success")
    assert archives(tmp_path) == [ARCHIVE, f"{ARCHIVE}.1", f"{ARCHIVE}.2", f"{ARCHIVE}.3"]
    assert [lines(tmp_path / n)[0].split()[1] for n in archives(tmp_path)] == [
        "event=a",
        "event=b",
        "event=c",
        "event=d",
    ]


def test_pruning_keeps_the_newest_archives_by_mtime(make_log: MakeLog, tmp_path: Path) -> None:
    real_now = time.time()
    ages = {  # name order deliberately disagrees with mtime order
        "audit.log.20200101T000000Z": 100,
        "audit.log.20300101T000000Z": 300,
        "audit.log.20250101T000000Z.1": 200,
    }
    for name, age in ages.items():
        (tmp_path / name).write_text("old\n", encoding="utf-8")
        os.utime(tmp_path / name, (real_now - age, real_now - age))
    bystanders = ["audit.log.bak", "audit.log.2020", "other.log"]
    for name in bystanders:
        (tmp_path / name).write_text("keep\n", encoding="utf-8")
        os.utime(tmp_path / name, (real_now - 9999, real_now - 9999))

    make_log(max_size_mb=1 / MIB, backups=2).record("login", "success")

    assert archives(tmp_path) == sorted([ARCHIVE, "audit.log.20200101T000000Z"])
    assert all((tmp_path / name).exists() for name in bystanders)


def test_backups_zero_keeps_every_archive(
    make_log: MakeLog, clock: FakeClock, tmp_path: Path
) -> None:
    log = make_log(max_size_mb=1 / MIB, backups=0)
    for _ in range(6):
        log.record("login", "success")
        clock.now += 1
    assert len(archives(tmp_path)) == 6


def test_rotation_holds_a_0600_lock_and_releases_it(
    make_log: MakeLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = tmp_path / "audit.log.lock"
    seen: list[int] = []
    real_rename = os.rename

    def spying_rename(src: Any, dst: Any) -> None:
        seen.append(stat.S_IMODE(lock.stat().st_mode))
        real_rename(src, dst)

    monkeypatch.setattr(audit.os, "rename", spying_rename)
    make_log(max_size_mb=1 / MIB).record("login", "success")
    assert seen == [0o600]
    assert not lock.exists()
    assert archives(tmp_path) == [ARCHIVE]


def test_fresh_lock_blocks_rotation_but_the_write_lands(
    make_log: MakeLog, log_path: Path, tmp_path: Path
) -> None:
    lock = tmp_path / "audit.log.lock"
    lock.write_text("", encoding="utf-8")
    os.utime(lock, (NOW - 59, NOW - 59))
    make_log(max_size_mb=1 / MIB).record("login", "success")
    assert archives(tmp_path) == []
    assert lines(log_path) == [f"{STAMP} event=login outcome=success user=- src=-"]
    assert lock.exists()  # someone else's lock is not ours to remove


def test_stale_lock_is_cleared_and_rotation_happens(
    make_log: MakeLog, log_path: Path, tmp_path: Path
) -> None:
    lock = tmp_path / "audit.log.lock"
    lock.write_text("", encoding="utf-8")
    os.utime(lock, (NOW - 61, NOW - 61))
    make_log(max_size_mb=1 / MIB).record("login", "success")
    assert archives(tmp_path) == [ARCHIVE]
    assert not log_path.exists()
    assert not lock.exists()


def test_another_process_rotating_is_followed(
    make_log: MakeLog, log_path: Path, tmp_path: Path
) -> None:
    size = line_bytes(event="a", outcome="success")
    mine = make_log(max_size_mb=3 * size / MIB)
    theirs = make_log(max_size_mb=3 * size / MIB)
    mine.record("a", "success")
    theirs.record("a", "success")
    theirs.record("a", "success")  # theirs rotates the shared file away
    assert archives(tmp_path) == [ARCHIVE]
    mine.record("b", "success")  # mine must not write into the archive
    assert len(lines(tmp_path / ARCHIVE)) == 3
    assert [line.split()[1] for line in lines(log_path)] == ["event=b"]


def test_rotation_rechecks_after_taking_the_lock(
    make_log: MakeLog, log_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "audit.log.rotated_at"
    log = make_log(max_age_days=1)
    log.record("mine", "success")  # creates the marker
    os.utime(marker, (NOW - DAY, NOW - DAY))
    real_open = os.open
    theirs = "audit.log.20231114T221319Z"

    def other_process_rotates_first(path: Any, flags: int, mode: int = 0o777) -> int:
        if Path(path).name == "audit.log.lock" and not (tmp_path / theirs).exists():
            os.rename(log_path, tmp_path / theirs)
            log_path.write_text("their fresh line\n", encoding="utf-8")
            os.utime(marker, (NOW, NOW))
        return real_open(path, flags, mode)

    monkeypatch.setattr(audit.os, "open", other_process_rotates_first)
    log.record("mine", "success")
    monkeypatch.undo()
    assert archives(tmp_path) == [theirs]
    assert lines(log_path)[0] == "their fresh line"


# -- failures never raise ------------------------------------------------------------------


def test_unwritable_path_does_not_raise_and_is_logged_once(
    make_log: MakeLog, log_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log_path.mkdir()
    log = make_log(max_size_mb=1 / MIB, max_age_days=1, backups=1)
    with caplog.at_level(logging.ERROR, logger="minimost.audit"):
        log.record("login", "failure", user="alice")
    errors = [r for r in caplog.records if r.name == "minimost.audit"]
    assert len(errors) == 1
    assert str(log_path) in errors[0].getMessage()


def test_missing_directory_and_bad_clock_do_not_raise(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_clock() -> float:
        raise RuntimeError("clock gone")

    missing = AuditLog(tmp_path / "nope" / "audit.log", max_size_mb=0, max_age_days=0, backups=0)
    broken = AuditLog(
        tmp_path / "audit.log", max_size_mb=0, max_age_days=0, backups=0, clock=broken_clock
    )
    with caplog.at_level(logging.ERROR, logger="minimost.audit"):
        missing.record("login", "success")
        broken.record("login", "success")
    missing.close()
    broken.close()
    assert len([r for r in caplog.records if r.name == "minimost.audit"]) == 2
