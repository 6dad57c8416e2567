"""bench/compare.py keeps going when a part fails and still writes a complete document."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import pytest
from bench import compare, report


def _phase(delivered: int, p50: float) -> dict[str, Any]:
    return {
        "sent": 40,
        "accepted": 40,
        "send_failures": {},
        "accepted_per_s": 20.0,
        "expected": delivered,
        "cpu": 10.0,
        "started": 0.0,
        "delivered": delivered,
        "missing": 0,
        "deliveries_per_s": 200.0,
        "p50": p50,
        "p95": p50 * 2,
        "p99": p50 * 3,
        "max": p50 * 4,
    }


def _results() -> dict[str, Any]:
    """Ours measured at K = 100 and 1,000; 0.0.4 measured at 100 and crashed at 1,000."""
    ours = [
        {
            "clients": clients,
            "connected": clients,
            "refused": {},
            "idle_cpu": 0.5,
            "rss_mb": 130.0,
            "phases": {"rate": _phase(40 * clients, 9.0), "fast": _phase(40 * clients, 15.0)},
        }
        for clients in (100, 1000)
    ]
    original = [
        {
            "clients": 100,
            "connected": 100,
            "refused": {},
            "idle_cpu": 15.0,
            "rss_mb": 170.0,
            "phases": {"rate": _phase(4000, 120.0), "fast": _phase(4000, 150.0)},
        },
        {"clients": 1000, "error": "RuntimeError: original exited during start-up"},
    ]
    return {
        "fanout": {"ours": ours, "original": original},
        "startup": {"ours": [0.7, 0.8], "original": [0.6, 0.6]},
        "calls": {
            "ours": {"available": False, "reason": "this build has no /api/calls"},
            "original": {
                "available": True,
                "signals": 10,
                "relayed": 10,
                "p50": 360.0,
                "p95": 600.0,
                "max": 620.0,
                "post_p50": 60.0,
                "poll_interval_ms": 600,
            },
        },
        "errors": {"database": "timed out: database ran past its limit of 1500 s"},
        "meta": {
            "date": "2026-11-21",
            "command": "python bench/compare.py",
            "seconds": 600.0,
            "plan": compare.Plan().__dict__,
            "machine": "2 cores, Linux, Python 3.11",
            "private_network": True,
        },
    }


def test_a_crashed_case_and_a_failed_part_still_give_every_section() -> None:
    text = report.markdown(_results())

    assert text.startswith(report.BEGIN)
    assert text.rstrip().endswith(report.END)
    for heading in ("### Fan-out", "### Start-up", "### Call signalling relay", "### STUN"):
        assert heading in text
    assert "| 1000 | 0.0.4 | failed: RuntimeError: original exited during start-up |" in text
    assert "K = 1,000: the case failed (RuntimeError" in text
    assert "- database: timed out: database ran past its limit of 1500 s" in text
    assert "not available on this build (this build has no /api/calls)" in text
    assert "Target: 1,000 open connections cost ours less than 2 % of one core" in text
    assert "met (0.5 % with 1,000 of 1,000 open)" in text


def test_the_readme_summary_is_replaced_between_its_markers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# MiniMost\n\nIntro.\n")
    monkeypatch.setattr(report, "README", readme)

    report.write_readme(_results())
    report.write_readme(_results())

    text = readme.read_text()
    assert text.count("## Performance") == 1
    assert text.count(report.README_BEGIN) == 1
    summary = text.split(report.README_BEGIN)[1].split(report.README_END)[0]
    assert "100 listeners, 20 messages/s: delivery p50 9.0 ms against 120 ms (0.07×)" in summary
    assert "ours not available on this build" in summary
    assert "[docs/benchmarks.md](docs/benchmarks.md)" in summary
    assert 5 <= len([line for line in summary.splitlines() if line.strip()]) <= 8


def test_an_inner_time_limit_stops_its_case_and_the_outer_one_stays_armed() -> None:
    blocked = threading.Event()
    with compare.time_limit(30, "the whole run"):
        with (
            pytest.raises(compare.OutOfTimeError, match="one case ran past its limit"),
            compare.time_limit(0.05, "one case"),
        ):
            blocked.wait(5)  # never set: only the time limit ends this wait
        assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 30
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0
