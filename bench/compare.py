"""Side-by-side benchmark: this MiniMost (Hypercorn) against MiniMost 0.0.4 (Gunicorn).

    python bench/compare.py              # everything, about 15 minutes; rewrites the docs
    python bench/compare.py --quick      # a small subset for development; docs untouched
    python bench/compare.py --only stun,calls --clients 1,10
    python bench/compare.py --quick --only calls --ours-src ../other-checkout  # another branch
    python bench/compare.py --render bench/results/compare.json  # docs from a saved run

0.0.4 is installed from PyPI into a venv of its own and run under Gunicorn with its
shipped config (``-c python:minimost.gunicorn_conf``); ours runs under Hypercorn with
``hypercorn.toml``. Both bind loopback only, with TLS switched off the way each documents
for a TLS-terminating proxy (``MINIMOST_SKIP_TLS``), and rate limits off so the figures
measure serving, not limiting. As root the whole run happens inside a private network
namespace (``unshare -n``) that has nothing but loopback. Every case starts its server
afresh on a fresh data root. Results land in ``--out`` as JSON with the servers' logs;
the full run also rewrites the generated section of docs/benchmarks.md, the README's
performance summary, the plots docs/compare-*.png and bench/results/compare.json, the
results they were drawn from.

Every part and every case has a time limit (PART_LIMITS, CASE_LIMITS, and ``--budget``
for the whole); a part or case that fails or runs out of time is recorded as text in the
results and the document, and the run goes on, so the command always ends with a complete
document and exit status 0. Call signalling for ours needs a build with calls; on one
without, the row says so.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import accounts, callrelay, report, seed, servers, stunload
from bench.listeners import ListenerPool, Receipt, Target
from bench.procstats import CpuMeter, largest_process, percentile, tree_peak_rss_mb

KINDS = ("ours", "original")
PARTS = ("fanout", "startup", "database", "calls", "stun")
GIVE_UP_AFTER_FAILURES = 3
# Upper bounds in seconds: a part or case still running then is stopped and recorded as
# failed, and the run goes on with the next one.
PART_LIMITS = {"fanout": 3000, "startup": 300, "database": 1500, "calls": 200, "stun": 200}
CASE_LIMITS = {"fanout": 300, "database": 720, "calls": 90}


@dataclass
class Plan:
    clients: tuple[int, ...] = (1, 10, 50, 100, 150, 500, 1000)
    rate: float = 20.0
    rate_messages: int = 100
    fast_messages: int = 300
    fast_cap_s: float = 20.0
    drain_s: float = 15.0
    idle_window_s: float = 2.0
    startups: int = 5
    db_messages: int = 1_000_000
    db_requests: int = 50
    signals: int = 40
    stun_rates: tuple[int, ...] = (1_000, 5_000, 20_000, 50_000)
    stun_seconds: float = 2.0


QUICK = Plan(
    clients=(1, 10, 50),
    rate_messages=40,
    fast_messages=100,
    startups=2,
    db_messages=100_000,
    db_requests=20,
    signals=10,
    stun_rates=(1_000, 10_000),
    stun_seconds=1.0,
)


class Bench:
    """Runs the parts of the comparison in ``work``; keeps every result in ``self.results``."""

    def __init__(
        self, plan: Plan, work: Path, venv: Path, profile: bool, source: Path | None = None
    ) -> None:
        self.plan = plan
        self.work = work
        self.venv = venv
        self.profile = profile
        self.source = source
        self.results: dict[str, Any] = {"startup": {kind: [] for kind in KINDS}, "errors": {}}
        self.stun_port_original = servers.free_port(servers.socket.SOCK_DGRAM)
        try:
            servers.configure_original(
                venv, {"rate_limit_enabled": False, "stun_port": self.stun_port_original}
            )
        except (OSError, subprocess.SubprocessError, ValueError) as error:
            self.results["errors"]["0.0.4 set-up"] = describe(error)
        self._case = 0

    def server(self, kind: str, settings: dict[str, Any] | None = None) -> servers.ServerProcess:
        """A fresh data root and a server of ``kind`` on it (not started)."""
        self._case += 1
        case_dir = self.work / f"{self._case:02d}-{kind}"
        case_dir.mkdir()
        if kind == "original":
            return servers.original(case_dir, self.venv)
        return servers.ours(
            case_dir,
            {
                "rate_limit_enabled": False,
                "max_event_streams_per_user": 1000,
                "stun_enabled": False,
                **(settings or {}),
            },
            self.source,
        )

    def start(self, server: servers.ServerProcess) -> float:
        seconds = server.start(servers.free_port())
        self.results["startup"][server.name].append(seconds)
        return seconds

    @staticmethod
    def account(kind: str, server: servers.ServerProcess, name: str) -> Any:
        account_class = accounts.Account if kind == "ours" else accounts.OriginalAccount
        return account_class(server.url, name)

    # --- fan-out -------------------------------------------------------------------------

    def fanout(self) -> None:
        self.results["fanout"] = {kind: [] for kind in KINDS}
        for kind in KINDS:
            for clients in self.plan.clients:
                print(f"fan-out: {kind}, K = {clients}", flush=True)
                try:
                    with time_limit(CASE_LIMITS["fanout"], f"fan-out {kind} K = {clients}"):
                        row = self.fanout_case(kind, clients)
                except Exception as error:  # recorded in the results; the run goes on
                    row = {"clients": clients, "error": describe(error)}
                self.results["fanout"][kind].append(row)
                print(f"  {report.fanout_summary(row)}", flush=True)

    def fanout_case(self, kind: str, clients: int) -> dict[str, Any]:
        server = self.server(kind)
        pool: ListenerPool | None = None
        try:
            self.start(server)
            sender = self.account(kind, server, "sender")
            listener = self.account(kind, server, "listener")
            protocol = "ws" if kind == "ours" else "sse"
            target = Target(protocol, "127.0.0.1", server.port, listener.cookie)
            pool = ListenerPool(target, clients)
            opened = pool.open(timeout=180)
            idle = CpuMeter(server.pid)
            time.sleep(self.plan.idle_window_s)  # a measurement window, not synchronisation
            row: dict[str, Any] = {
                "clients": clients,
                "connected": opened.connected,
                "refused": dict(opened.failures),
                "idle_cpu": idle.share() * 100,
                "phases": {},
            }
            sent_at: dict[str, dict[str, float]] = {}
            for phase in ("rate", "fast"):
                profiling = self.profile and kind == "ours" and clients == max(self.plan.clients)
                recorder = self.start_profile(server) if profiling and phase == "fast" else None
                try:
                    sent_at[phase], row["phases"][phase] = self.send_phase(
                        server, sender, pool, opened.connected, phase
                    )
                finally:
                    if recorder is not None:
                        self.stop_profile(recorder)
            row["rss_mb"] = tree_peak_rss_mb(server.pid)
            receipts = pool.close()
            pool = None
            for phase, stamps in sent_at.items():
                row["phases"][phase].update(latencies(receipts, stamps, row["phases"][phase]))
            return row
        finally:
            if pool is not None:
                pool.close(timeout=10)
            server.stop()

    def send_phase(
        self,
        server: servers.ServerProcess,
        sender: Any,
        pool: ListenerPool,
        connected: int,
        phase: str,
    ) -> tuple[dict[str, float], dict[str, Any]]:
        """Send one phase's messages; wait (bounded) until every listener has them all."""
        plan = self.plan
        paced = phase == "rate"
        count = plan.rate_messages if paced else plan.fast_messages
        cap = count / plan.rate + 10 if paced else plan.fast_cap_s
        received_before = pool.received()
        meter = CpuMeter(server.pid)
        stamps: dict[str, float] = {}
        accepted, failures, in_a_row = 0, {}, 0
        start = time.perf_counter()
        for n in range(count):
            if time.perf_counter() - start > cap or in_a_row >= GIVE_UP_AFTER_FAILURES:
                break
            text = f"{phase} {n}"
            stamps[text] = time.perf_counter()
            try:
                sender.send(text)
                accepted += 1
                in_a_row = 0
            except (accounts.SendError, OSError) as error:
                reason = str(error) if isinstance(error, accounts.SendError) else "timed out"
                failures[reason] = failures.get(reason, 0) + 1
                in_a_row += 1
            if paced:
                delay = start + (n + 1) / plan.rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)  # pacing the sender
        sending = time.perf_counter() - start
        expected = connected * accepted
        pool.wait_for(received_before + expected, time.perf_counter() + plan.drain_s)
        return stamps, {
            "sent": len(stamps),
            "accepted": accepted,
            "send_failures": failures,
            "accepted_per_s": accepted / sending if sending else 0.0,
            "expected": expected,
            "cpu": meter.share() * 100,
            "started": start,
        }

    def start_profile(self, server: servers.ServerProcess) -> subprocess.Popen[bytes] | None:
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        if not Path(spy).exists():
            print("  py-spy not installed: no profile", flush=True)
            return None
        output = self.work / "profile-ours.txt"
        worker = largest_process(server.pid)
        # --gil: only the thread holding the GIL, i.e. the event loop's work, never idle waits.
        command = [spy, "record", "-p", str(worker), "-r", "200", "--gil", "-f", "raw"]
        command += ["-o", str(output)]
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop_profile(self, recorder: subprocess.Popen[bytes]) -> None:
        recorder.send_signal(signal.SIGINT)
        try:
            recorder.wait(30)
        except subprocess.TimeoutExpired:
            recorder.kill()
            recorder.wait(5)
        output = self.work / "profile-ours.txt"
        if output.exists():
            self.results["profile"] = report.summarise_profile(output.read_text())
            print(f"  profile: {output}", flush=True)

    # --- start-up ------------------------------------------------------------------------

    def startup(self) -> None:
        for kind in KINDS:
            failures = 0
            while len(self.results["startup"][kind]) < self.plan.startups and failures < 2:
                server = self.server(kind)
                try:
                    self.start(server)
                except RuntimeError as error:
                    failures += 1
                    self.results["errors"][f"start-up {report.NAMES[kind]}"] = describe(error)
                finally:
                    server.stop()
        print(f"start-up: {report.startup_summary(self.results)}", flush=True)

    # --- database ------------------------------------------------------------------------

    def database(self) -> None:
        self.results["database"] = {}
        for kind in KINDS:
            print(f"database: {kind}, {self.plan.db_messages} messages", flush=True)
            try:
                with time_limit(CASE_LIMITS["database"], f"database {kind}"):
                    self.results["database"][kind] = self.database_case(kind)
            except Exception as error:  # recorded in the results; the run goes on
                self.results["database"][kind] = {"error": describe(error)}

    def database_case(self, kind: str) -> dict[str, Any]:
        server = self.server(kind)
        try:
            self.start(server)
            reader = self.account(kind, server, "reader")
        finally:
            server.stop()
        database = server.cwd / f"{kind}-data" / "users" / "messages.db"
        seconds = seed.seed(database, self.plan.db_messages)
        startup = server.start(server.port)  # the same address: the session stays valid
        queries = {
            "ours": {
                "newest page": "/api/channels/general/messages",
                "search, rare word": f"/api/search?q={seed.RARE_WORD}",
                "search, common word": "/api/search?q=firmware",
            },
            "original": {
                "newest page": "/messages/general?after=0&limit=100",
                "search, rare word": f"/search_messages?q={seed.RARE_WORD}",
                "search, common word": "/search_messages?q=firmware",
            },
        }[kind]
        row: dict[str, Any] = {"seed_s": seconds, "startup_s": startup, "queries": {}}
        try:
            for name, path in queries.items():
                reader.get(path)  # the first request warms the page cache
                times = []
                for _ in range(self.plan.db_requests):
                    begun = time.perf_counter()
                    status, body = reader.get(path)
                    times.append(time.perf_counter() - begun)
                    if status != 200:
                        raise RuntimeError(f"{kind} {path}: HTTP {status}")
                times.sort()
                row["queries"][name] = {
                    "p50": percentile(times, 0.5) * 1000,
                    "p95": percentile(times, 0.95) * 1000,
                    "results": count_results(json.loads(body)),
                }
        finally:
            server.stop()
        return row

    # --- call signalling -----------------------------------------------------------------

    def calls(self) -> None:
        self.results["calls"] = {}
        relays = {"ours": callrelay.ours, "original": callrelay.original}
        for kind in KINDS:
            print(f"call signalling: {report.NAMES[kind]}", flush=True)
            server = self.server(kind)
            try:
                with time_limit(CASE_LIMITS["calls"], f"call signalling {kind}"):
                    self.start(server)
                    row = relays[kind](server.url, self.plan.signals)
            except Exception as error:  # recorded in the results; the run goes on
                row = {"available": True, "error": describe(error)}
            finally:
                server.stop()
            self.results["calls"][kind] = row
            print(f"  {report.calls_summary(row)}", flush=True)

    # --- STUN ----------------------------------------------------------------------------

    def stun(self) -> None:
        self.results["stun"] = {}
        ours_port = servers.free_port(servers.socket.SOCK_DGRAM)
        ours = self.server("ours", {"stun_enabled": True, "stun_port": ours_port})
        original = self.server("original")
        for name, server, port in (
            ("ours", ours, ours_port),
            ("original", original, self.stun_port_original),
        ):
            print(f"STUN: {name}", flush=True)
            try:
                self.start(server)
                self.results["stun"][name] = self.stun_runs(port)
            except RuntimeError as error:
                self.results["errors"][f"STUN {report.NAMES.get(name, name)}"] = describe(error)
                self.results["stun"][name] = []
            finally:
                server.stop()
        print("STUN: coturn", flush=True)
        self.results["stun"]["coturn"] = self.coturn()

    def stun_runs(self, port: int) -> list[dict[str, float]]:
        if not stunload.wait_until_answering(port):
            return []
        runs = []
        for rate in self.plan.stun_rates:
            run = stunload.measure(port, rate, self.plan.stun_seconds)
            runs.append(
                {"offered": rate, "answered_per_s": run.answered_per_s, "loss": run.loss * 100}
            )
        return runs

    def coturn(self) -> list[dict[str, float]]:
        binary = shutil.which("turnserver")
        if binary is None:
            print("  coturn not installed (apt-get install -y coturn): skipped", flush=True)
            return []
        port = servers.free_port(servers.socket.SOCK_DGRAM)
        command = [binary, "-n", "--stun-only", "--listening-ip=127.0.0.1"]
        command += [f"--listening-port={port}", "--no-tls", "--no-dtls", "--no-tcp"]
        command += ["--no-cli", "--no-software-attribute", "--simple-log"]
        command += [f"--log-file={self.work / 'coturn.log'}"]
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        try:
            return self.stun_runs(port)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)


class OutOfTimeError(Exception):
    """A part or case of the comparison ran past its time limit."""


_deadlines: list[tuple[float, str]] = []


def _arm() -> None:
    """Point the interval timer at the nearest open deadline (or switch it off)."""
    if not _deadlines:
        signal.setitimer(signal.ITIMER_REAL, 0)
        return
    left = min(deadline for deadline, _ in _deadlines) - time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))


def _out_of_time(signum: int, frame: Any) -> None:
    _, what = min(_deadlines, default=(0.0, "the comparison"))
    raise OutOfTimeError(what)


@contextlib.contextmanager
def time_limit(seconds: float, what: str) -> Iterator[None]:
    """Raise OutOfTimeError in the main thread once ``seconds`` pass; limits nest."""
    entry = (time.monotonic() + seconds, f"{what} ran past its limit of {seconds:g} s")
    if not _deadlines:
        signal.signal(signal.SIGALRM, _out_of_time)
    _deadlines.append(entry)
    _arm()
    try:
        yield
    finally:
        _deadlines.remove(entry)
        _arm()


def describe(error: BaseException) -> str:
    """One line saying what failed, for the results and the document."""
    if isinstance(error, OutOfTimeError):
        return f"timed out: {error}"
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def latencies(
    receipts: list[Receipt], stamps: dict[str, float], phase: dict[str, Any]
) -> dict[str, Any]:
    """Delivery figures for one phase from every listener's receipts."""
    delays = sorted(at - stamps[text] for text, at, _ in receipts if text in stamps)
    delivered = len(delays)
    last = max((at for text, at, _ in receipts if text in stamps), default=phase["started"])
    span = last - phase["started"]
    figures: dict[str, Any] = {
        "delivered": delivered,
        "missing": max(0, phase["expected"] - delivered),
        "deliveries_per_s": delivered / span if span > 0 else 0.0,
    }
    for name, fraction in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99), ("max", 1.0)):
        figures[name] = percentile(delays, fraction) * 1000 if delays else None
    return figures


def count_results(body: Any) -> int:
    if isinstance(body, list):
        return len(body)
    if isinstance(body, dict):
        return next((len(value) for value in body.values() if isinstance(value, list)), 0)
    return 0


def in_private_network(argv: list[str]) -> None:
    """Re-run this command inside a network namespace holding only loopback (root only)."""
    command = [sys.executable, *argv, "--inside-netns"]
    wrapper = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *command]
    sys.exit(subprocess.call(wrapper))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small subset; docs untouched")
    parser.add_argument("--only", default=",".join(PARTS), help=f"parts: {','.join(PARTS)}")
    parser.add_argument("--clients", help="listener counts, e.g. 1,10,100")
    parser.add_argument("--db-messages", type=int, help="size of the seeded history")
    parser.add_argument("--profile", action="store_true", help="py-spy our heaviest case")
    parser.add_argument(
        "--ours-src", type=Path, help="run ours from another checkout (read only), e.g. a branch"
    )
    parser.add_argument("--out", type=Path, help="where results.json and logs go")
    parser.add_argument("--venv", type=Path, help="venv for 0.0.4 (made if missing)")
    parser.add_argument("--budget", type=int, default=1800, help="seconds before giving up")
    parser.add_argument("--write-docs", action="store_true", help="also after --quick/--only")
    parser.add_argument("--no-docs", action="store_true", help="never touch docs/")
    parser.add_argument("--no-netns", action="store_true", help="skip the private namespace")
    parser.add_argument("--render", type=Path, help="only render docs from a results.json")
    parser.add_argument("--inside-netns", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def run_parts(bench: Bench, parts: list[str], budget: float) -> None:
    """Each part within its own limit and the whole within ``budget``; failures recorded."""
    errors = bench.results["errors"]
    with time_limit(budget, "the comparison (--budget)"):
        for part in PARTS:
            if part not in parts:
                continue
            if not _deadlines or min(deadline for deadline, _ in _deadlines) <= time.monotonic():
                errors[part] = "not run: the --budget was spent"
                continue
            try:
                with time_limit(PART_LIMITS[part], part):
                    getattr(bench, part)()
            except Exception as error:  # recorded in the results; the run goes on
                errors[part] = describe(error)
                print(f"{part} failed: {errors[part]}", flush=True)
                traceback.print_exc()


def main() -> None:
    args = parse_args()
    if args.render:
        report.write_docs(json.loads(args.render.read_text()))
        return
    plan = QUICK if args.quick else Plan()
    if args.clients:
        plan.clients = tuple(int(value) for value in args.clients.split(","))
    if args.db_messages:
        plan.db_messages = args.db_messages
    parts = [part for part in args.only.split(",") if part]
    unknown = set(parts) - set(PARTS)
    if unknown:
        sys.exit(f"unknown parts: {', '.join(sorted(unknown))}")
    source = args.ours_src.resolve() if args.ours_src else None
    if source is not None and not (source / "src" / "minimost").is_dir():
        sys.exit(f"--ours-src: no src/minimost in {source}")
    out = args.out or Path(tempfile.mkdtemp(prefix="minimost-compare-"))
    out.mkdir(parents=True, exist_ok=True)
    venv = args.venv or out / "original-venv"
    venv_error = None
    try:
        servers.original_venv(venv)
    except (OSError, subprocess.SubprocessError) as error:
        venv_error = describe(error)
        print(f"0.0.4 could not be installed: {venv_error}", flush=True)
    isolate = not args.no_netns and os.geteuid() == 0 and shutil.which("unshare")
    if isolate and not args.inside_netns:
        argv = [arg for arg in sys.argv if arg]
        in_private_network([*argv, "--out", str(out), "--venv", str(venv)])
    bench = Bench(plan, out, venv, args.profile, source)
    if venv_error:
        bench.results["errors"]["0.0.4 install"] = venv_error
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    try:
        run_parts(bench, parts, args.budget)
    finally:
        bench.results["meta"] = {
            "date": datetime.date.today().isoformat(),
            "command": "python bench/compare.py " + " ".join(_shown_args()),
            "seconds": time.perf_counter() - started,
            "plan": plan.__dict__,
            "parts": parts,
            "machine": f"{os.cpu_count()} cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}",
            "private_network": args.inside_netns,
            # Other people's work on the same machine: the 1-minute load average.
            "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
            "ours_source": str(source) if source else None,
        }
        path = out / "results.json"
        path.write_text(json.dumps(bench.results, indent=1, default=list))
        print(f"results: {path}", flush=True)
    full = not args.quick and set(parts) == set(PARTS) and not args.clients and not source
    if not args.no_docs and (full or args.write_docs):
        report.write_docs(bench.results)
        report.SAVED_RESULTS.write_text(path.read_text())
    elif not args.no_docs:
        print("docs untouched (a partial run; --write-docs to write them anyway)", flush=True)


def _shown_args() -> list[str]:
    hidden = {"--inside-netns", "--out", "--venv", "--ours-src"}
    shown, skip = [], False
    for arg in sys.argv[1:]:
        if skip:
            skip = False
            continue
        if arg in hidden:
            skip = arg != "--inside-netns"
            continue
        shown.append(arg)
    return shown


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
