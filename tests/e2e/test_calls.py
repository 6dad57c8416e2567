"""Calls end to end: Chromium with fake media, our STUN server, a private loopback network.

The test runs this module again as a script inside a new network namespace (``unshare
-n``, as root) where only loopback exists and an SNAT rule makes STUN requests leave
from 127.0.0.3: our STUN server's answer then differs from the host candidate, so the
browsers really gather a server-reflexive candidate. The script serves MiniMost in its
own process (so it can read the STUN server's counters), drives three browser
contexts through a call, and writes a JSON report that the test checks.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
STUN_PORT = 3478
RING_SECONDS = 8.0
PASSWORD = "Correct-Horse-Battery-9"
DM = "dm:alice:bob"
WAIT_MS = 30_000
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')

# Recorded in every page before its own scripts: each peer connection, when it
# connected, and (every 250 ms) a summary of its statistics as plain values, so the
# test can wait on them without async predicates.
RTC_PROBE = """
(() => {
  const Native = window.RTCPeerConnection;
  const peers = [];
  window.__rtc = { peers: [], acceptClickedAt: null };
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      const record = {
        state: "new", connectedAt: null, srflx: false, audioPackets: 0, videoFrames: 0,
        gathered: [], gathering: "new",
      };
      this.addEventListener("icegatheringstatechange", () => {
        record.gathering = this.iceGatheringState;
      });
      this.addEventListener("icecandidate", (event) => {
        if (event.candidate) record.gathered.push(event.candidate.type);
      });
      peers.push([this, record]);
      window.__rtc.peers.push(record);
      this.addEventListener("connectionstatechange", () => {
        record.state = this.connectionState;
        if (this.connectionState === "connected" && record.connectedAt === null) {
          record.connectedAt = performance.now();
        }
      });
    }
  };
  document.addEventListener("click", (event) => {
    if (event.target.closest && event.target.closest(".mm-call-accept")) {
      window.__rtc.acceptClickedAt = performance.now();
    }
  }, true);
  setInterval(async () => {
    for (const [pc, record] of peers) {
      if (pc.connectionState === "closed") continue;
      const stats = await pc.getStats();
      let audio = 0, frames = 0, srflx = false;
      stats.forEach((s) => {
        if (s.type === "inbound-rtp" && s.kind === "audio") audio += s.packetsReceived || 0;
        if (s.type === "inbound-rtp" && s.kind === "video") frames += s.framesDecoded || 0;
        if (s.type === "local-candidate" && s.candidateType === "srflx") srflx = true;
      });
      record.audioPackets = audio;
      record.videoFrames = frames;
      record.srflx = record.srflx || srflx;
    }
  }, 250);
})();
"""

LIVE_PEERS = "window.__rtc.peers.filter(p => p.state === 'connected')"


# -- the tests (outside the namespace) -------------------------------------------------------------


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Play the whole call scenario once in the namespace; each test checks one part of it."""
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("iptables"):
        pytest.fail("these tests need root, unshare and iptables (see toolchain notes)")
    work = tmp_path_factory.mktemp("calls")
    inside = (
        "ip link set lo up && "
        f"iptables -t nat -A POSTROUTING -p udp -d 127.0.0.1 --dport {STUN_PORT} "
        "-j SNAT --to-source 127.0.0.3 && "
        f"exec {sys.executable} -m tests.e2e.test_calls {work}"
    )
    result = subprocess.run(
        ["unshare", "-n", "sh", "-c", inside],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    report = json.loads((work / "report.json").read_text())
    print(json.dumps(report, indent=2))
    return report


def test_two_users_connect_through_our_stun_server(scenario: dict[str, Any]) -> None:
    first = scenario["first_call"]
    assert first["alice"]["state"] == first["bob"]["state"] == "connected"
    assert scenario["stun_answered"] > 0, "the browsers asked our STUN server"
    assert first["bob"]["srflx"], "a server-reflexive candidate from our STUN server"
    assert first["accept_to_connected_ms"] > 0


def test_audio_and_video_frames_arrive(scenario: dict[str, Any]) -> None:
    first = scenario["first_call"]
    assert first["bob"]["audioPackets"] > 0
    assert first["alice"]["audioPackets"] > 0
    assert first["bob"]["videoFrames"] > 0, "alice's camera reached bob"


def test_an_invited_outsider_joins_the_call_but_not_the_channel(scenario: dict[str, Any]) -> None:
    assert scenario["carol_reads_call_before_invite"] == 404, "carol is not in the DM"
    assert scenario["carol_connected_peers"] == 2, "the invitee joined both others"
    assert scenario["carol_reads_dm"] == 404, "an invitee never gets into the channel"


def test_a_screen_share_reaches_the_others(scenario: dict[str, Any]) -> None:
    assert scenario["screen_seen_by"] == ["alice", "carol"]


def test_hanging_up_ends_the_call_for_everyone_with_one_notice(scenario: dict[str, Any]) -> None:
    assert scenario["panels_after_hangup"] == {"alice": 0, "bob": 0, "carol": 0}
    assert scenario["call_notices"] == 1
    assert scenario["notices"][0].startswith("Call ended · ")


def test_an_unanswered_call_rings_out_into_missed_call(scenario: dict[str, Any]) -> None:
    assert scenario["missed_notice_shown"]
    assert scenario["ringing_card_gone"]
    assert scenario["notices"] == [scenario["notices"][0], "Missed call from alice"]


# -- the script (inside the namespace) -------------------------------------------------------------


def serve(data_dir: Path) -> tuple[Any, int, threading.Event]:
    """Serve MiniMost on plain HTTP (127.0.0.1 is a secure context) from a thread."""
    from hypercorn.asyncio import serve as hypercorn_serve
    from hypercorn.config import Config

    from minimost import create_app

    app = create_app(
        data_dir=data_dir,
        settings={"stun_port": STUN_PORT},
        config={"HOUSEKEEPING": False, "CALL_RING_SECONDS": RING_SECONDS},
        tls=False,
    )
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        port = listener.getsockname()[1]
        # Hypercorn gets its own descriptor of the socket and closes it itself: two
        # owners of one descriptor would close it twice, the second time closing
        # whatever file reused the number.
        handed_over = os.dup(listener.fileno())
    config = Config()
    config.bind = [f"fd://{handed_over}"]
    config.accesslog = None
    stopped = threading.Event()
    ready = threading.Event()
    loop = asyncio.new_event_loop()
    shutdown = asyncio.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)

        async def main() -> None:
            await asyncio.gather(
                hypercorn_serve(app, config, shutdown_trigger=shutdown.wait),
                announce_ready(),
            )

        async def announce_ready() -> None:
            await app.extensions["minimost"].serving.wait()
            ready.set()

        try:
            loop.run_until_complete(main())
        finally:
            stopped.set()

    threading.Thread(target=run, daemon=True).start()
    assert ready.wait(30), "the server started"
    app.config["STOP"] = lambda: loop.call_soon_threadsafe(shutdown.set)
    return app, port, stopped


def sign_up(browser: Any, base: str, username: str) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(RTC_PROBE)
    context.grant_permissions(["microphone", "camera"], origin=base)
    form = context.request.get(f"{base}/signup").text()
    token = CSRF.search(form).group(1)
    response = context.request.post(
        f"{base}/signup",
        form={
            "username": username,
            "password": PASSWORD,
            "confirm_password": PASSWORD,
            "csrf_token": token,
        },
        max_redirects=0,
    )
    assert response.status == 302, response.status
    page = context.new_page()
    page.goto(f"{base}/")
    page.wait_for_selector(".mm-call-start", state="attached")
    return page


def api(page: Any, method: str, path: str, body: dict | None = None) -> Any:
    return page.evaluate(
        """async ([method, path, body]) => {
          const token = document.querySelector('meta[name="csrf-token"]').content;
          const response = await fetch(path, {method, headers: {"X-CSRF-Token": token,
            "Content-Type": "application/json"}, body: body ? JSON.stringify(body) : undefined});
          return {status: response.status, body: await response.json().catch(() => null)};
        }""",
        [method, path, body],
    )


def open_dm(page: Any) -> None:
    page.click(f'[data-channel="{DM}"]')
    page.wait_for_selector(".mm-call-start:not([hidden])")


def peers_of(page: Any) -> list[dict[str, Any]]:
    return page.evaluate(LIVE_PEERS)


def wait_connected(page: Any, count: int) -> None:
    page.wait_for_function(f"() => {LIVE_PEERS}.length >= {count}", timeout=WAIT_MS)


def wait_for_media(page: Any, predicate: str, *others: Any) -> None:
    """Wait until some connected peer of ``page`` satisfies ``predicate``; on a timeout,
    fail with every page's peer records, which say what did arrive."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(f"() => {LIVE_PEERS}.some(p => {predicate})", timeout=WAIT_MS)
    except PlaywrightTimeout as error:
        records = [page.evaluate("window.__rtc.peers") for page in (page, *others)]
        raise AssertionError(f"no peer with {predicate}: {json.dumps(records)}") from error


def script(work: Path) -> None:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM_FLAGS, chromium_path, screenshot

    app, port, stopped = serve(work / "data")
    base = f"http://127.0.0.1:{port}"
    report: dict[str, Any] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_path(), args=CHROMIUM_FLAGS
            )
            alice, bob, carol = (sign_up(browser, base, name) for name in ("alice", "bob", "carol"))
            sent = api(alice, "POST", f"/api/channels/{DM}/messages", {"content": "call?"})
            assert sent["status"] == 201, sent
            for page in (alice, bob):
                page.reload()
                open_dm(page)

            # Alice calls, bob answers: both connect through our STUN server.
            alice.click(".mm-call-start")
            bob.click(".mm-call-incoming .mm-call-accept", timeout=WAIT_MS)
            wait_connected(alice, 1)
            wait_connected(bob, 1)
            alice.click(".mm-call-cam")
            wait_for_media(bob, "p.videoFrames > 0 && p.audioPackets > 0", alice)
            wait_for_media(alice, "p.audioPackets > 0", bob)
            # The side that offers gathers on every media section, so it always asks
            # our STUN server; the answering side asks once and (in Chromium, under
            # load) sometimes finishes gathering on its host candidate alone.
            wait_for_media(bob, "p.srflx", alice)
            accepted_at = bob.evaluate("window.__rtc.acceptClickedAt")
            connected_at = bob.evaluate(f"{LIVE_PEERS}[0].connectedAt")
            report["first_call"] = {
                "alice": peers_of(alice)[0],
                "bob": peers_of(bob)[0],
                "accept_to_connected_ms": connected_at - accepted_at,
            }

            # Alice adds carol, who is not in the DM and cannot see its call until then.
            live = api(alice, "GET", f"/api/calls/current?channel={DM}")["body"]["call"]
            outside = api(carol, "GET", f"/api/calls/{live['call_id']}")
            report["carol_reads_call_before_invite"] = outside["status"]
            alice.click(".mm-call-invite-toggle")
            alice.click('.mm-call-invite-person[data-user="carol"]')
            carol.click(".mm-call-incoming .mm-call-accept", timeout=WAIT_MS)
            wait_connected(carol, 2)
            wait_connected(alice, 2)
            wait_connected(bob, 2)
            report["carol_connected_peers"] = len(peers_of(carol))
            report["carol_reads_dm"] = api(carol, "GET", f"/api/channels/{DM}/messages")["status"]

            # Bob shares his screen; the others see it.
            bob.click(".mm-call-share")
            seen = []
            for name, page in (("alice", alice), ("carol", carol)):
                page.wait_for_function(
                    """() => {
                      const tile = '.mm-call-screen[data-user="bob"] video';
                      const video = document.querySelector(tile);
                      return Boolean(video && video.videoWidth > 0);
                    }""",
                    timeout=WAIT_MS,
                )
                seen.append(name)
            report["screen_seen_by"] = seen
            screenshot(alice, "call-three-people-sharing")

            # Everyone hangs up; the call ends for all with one notice.
            for page in (alice, bob):
                page.click(".mm-call-leave")
            for page in (alice, bob, carol):
                page.wait_for_selector(".mm-call", state="detached", timeout=WAIT_MS)
            report["panels_after_hangup"] = {
                name: page.locator(".mm-call").count()
                for name, page in (("alice", alice), ("bob", bob), ("carol", carol))
            }
            alice.wait_for_function(
                "() => document.getElementById('message-log').textContent.includes('Call ended')",
                timeout=WAIT_MS,
            )

            # An unanswered call rings out into "Missed call from alice".
            alice.click(".mm-call-start:not([disabled])", timeout=WAIT_MS)
            bob.wait_for_selector(".mm-call-incoming .mm-call-accept", timeout=WAIT_MS)
            bob.wait_for_function(
                "() => document.getElementById('message-log').textContent"
                ".includes('Missed call from alice')",
                timeout=int(RING_SECONDS * 1000) + WAIT_MS,
            )
            report["missed_notice_shown"] = True
            bob.wait_for_selector(".mm-call-incoming", state="hidden", timeout=WAIT_MS)
            report["ringing_card_gone"] = True
            history = api(alice, "GET", f"/api/channels/{DM}/messages")["body"]["messages"]
            report["notices"] = [m["content"] for m in history if m["sender"] == "system"]
            report["call_notices"] = sum(n.startswith("Call ended") for n in report["notices"])
            browser.close()
    finally:
        stun = app.extensions["minimost"].services.stun.stats
        report["stun_answered"] = stun.answered
        print(f"STUN server: {stun}", flush=True)
        app.config["STOP"]()
        stopped.wait(15)
        (work / "report.json").write_text(json.dumps(report))


if __name__ == "__main__":
    started = time.monotonic()
    script(Path(sys.argv[1]))
    print(f"call scenario took {time.monotonic() - started:.1f} s")
