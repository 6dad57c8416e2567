"""CPU time and memory of a server's process tree, read from /proc, and latency percentiles."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def proc_status(pid: int) -> dict[str, str]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (all its threads)."""
    parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / CLOCK_TICKS


def descendants(pid: int) -> list[int]:
    found = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except FileNotFoundError:
        return found
    for task in tasks:
        try:
            children = (task / "children").read_text().split()
        except FileNotFoundError:
            continue
        for child in children:
            found += [int(child), *descendants(int(child))]
    return found


def tree(pid: int) -> list[int]:
    """The process and everything it started (a server's master and workers)."""
    return [pid, *descendants(pid)]


def tree_cpu_seconds(pid: int) -> float:
    total = 0.0
    for member in tree(pid):
        try:
            total += cpu_seconds(member)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def _kilobytes(pid: int, field: str) -> int:
    try:
        return int(proc_status(pid).get(field, "0 kB").split()[0])
    except (FileNotFoundError, ProcessLookupError):
        return 0


def tree_peak_rss_mb(pid: int) -> float:
    """Sum of every process's peak resident set (shared pages count once per process)."""
    return sum(_kilobytes(member, "VmHWM") for member in tree(pid)) / 1024


def largest_process(pid: int) -> int:
    """The process of the tree holding the most memory: the one serving requests."""
    return max(tree(pid), key=lambda member: _kilobytes(member, "VmRSS"))


class CpuMeter:
    """CPU use of a process tree over a window, as a share of one core."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.cpu = tree_cpu_seconds(pid)
        self.wall = time.perf_counter()

    def share(self) -> float:
        elapsed = time.perf_counter() - self.wall
        return (tree_cpu_seconds(self.pid) - self.cpu) / elapsed if elapsed > 0 else 0.0


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted ``values`` (0 when there are none)."""
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(fraction * len(values)))]


def machine_speed_ms() -> float:
    """CPU ms for a fixed pure-Python workload (dicts and JSON), the fastest of three.

    This machine's speed drifts by half and more over minutes, so a figure is only
    comparable with others measured at a similar reference time (lower is faster).
    """
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        table: dict[int, str] = {}
        for number in range(100_000):
            table[number % 1000] = json.dumps({"a": number, "b": str(number)})
        best = min(best, time.process_time() - started)
    return best * 1000


_WATCH_LOOP = """
import sys, time
threshold = float(sys.argv[1])
last = time.perf_counter()
while True:
    time.sleep(0.001)
    now = time.perf_counter()
    if now - last > threshold:
        print(f"{last:.6f} {now - last:.6f}", flush=True)
    last = now
"""


class StallWatch:
    """Moments when the whole machine stood still, seen from a process of its own.

    The watcher sleeps a millisecond at a time and notes every wake-up that came more
    than ``threshold_ms`` late. It does nothing else, so such a gap is time the machine
    did not give it: this virtual machine is sometimes paused for tens of milliseconds
    (or every core was busy). A delivery that was late across one of these was late for
    every process, the server included. The watcher costs about 1 % of a core.
    """

    def __init__(self, threshold_ms: float = 10.0) -> None:
        self.threshold = threshold_ms / 1000
        self.process: subprocess.Popen[str] | None = None
        self.found: list[tuple[float, float]] = []
        self.reader: threading.Thread | None = None

    def __enter__(self) -> StallWatch:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _WATCH_LOOP, str(self.threshold)],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        return self

    def _read(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        for line in self.process.stdout:
            start, length = line.split()
            self.found.append((float(start), float(length)))

    def __exit__(self, *exc_info: object) -> None:
        assert self.process is not None
        assert self.reader is not None
        self.process.terminate()
        self.process.wait()
        self.reader.join()

    def within(self, start: float, end: float) -> list[tuple[float, float]]:
        """Stalls (start, length in seconds) overlapping ``start``–``end`` (``perf_counter``).

        On Linux ``time.perf_counter`` reads the monotonic clock, the same in every process.
        """
        return [(at, length) for at, length in self.found if at < end and at + length > start]

    def summary(self, start: float, end: float) -> str:
        stalls = self.within(start, end)
        if not stalls:
            return "none"
        longest = max(length for _, length in stalls) * 1000
        return f"{len(stalls)}, longest {longest:.0f} ms"
