"""``kill -9`` during full-speed websocket sends: nothing acknowledged is lost, no retry
creates a second message, and every database passes ``PRAGMA integrity_check``.

Four tabs keep 32 sends each in flight; the server is killed five times, at moments
drawn from a fixed seed (a number of acknowledged sends), and started again on the same
port and data root. Each tab then resends, with the same ``client_id``, every send it
had no answer for, as the web client's outbox does.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from tests.conftest import rows
from tests.reliability.live import Sender, integrity_of, kill_9, live_server, sign_up

SEED = 20261207
TABS = 4
SENDS_PER_TAB = 2_500
KILLS = 5


async def test_acknowledged_sends_survive_kill_9_exactly_once(tmp_path: Path) -> None:
    server = live_server(tmp_path)
    try:
        users = [sign_up(server, f"tab{n}") for n in range(TABS)]
        senders = [Sender(server, user, SENDS_PER_TAB) for user in users]
        total = TABS * SENDS_PER_TAB
        rng = random.Random(SEED)
        kill_points = sorted(rng.sample(range(total // 20, total * 9 // 10), KILLS))
        up, progress = asyncio.Event(), asyncio.Event()
        up.set()
        tabs = [
            asyncio.create_task(sender.run(f"tab{n}", up, progress))
            for n, sender in enumerate(senders)
        ]
        integrity_after_kills = []
        for point in kill_points:
            while sum(len(sender.acked) for sender in senders) < point:
                await asyncio.wait_for(progress.wait(), 60)
                progress.clear()
            up.clear()
            await asyncio.to_thread(kill_9, server)
            integrity_after_kills.append(integrity_of(server.data_dir))
            await asyncio.to_thread(server.start)
            up.set()
        await asyncio.wait_for(asyncio.gather(*tabs), 180)
    finally:
        server.close()

    stored = rows(
        server.data_dir / "users" / "messages.db",
        "SELECT sender, client_msg_id, id, content FROM messages WHERE client_msg_id IS NOT NULL",
    )
    copies: dict[str, list[tuple[int, str]]] = {}
    for _sender, client_id, message_id, content in stored:
        copies.setdefault(client_id, []).append((message_id, content))
    acked = {cid: mid for sender in senders for cid, mid in sender.acked.items()}
    contents = {cid: text for sender in senders for cid, text in sender.contents.items()}

    assert [sender.refusals for sender in senders] == [[]] * TABS
    assert len(acked) == total
    lost = [cid for cid, mid in acked.items() if [mid] != [m for m, _ in copies.get(cid, [])]]
    assert lost == []
    twice = [cid for cid, found in copies.items() if len(found) > 1]
    assert twice == []
    assert all(copies[cid][0][1] == contents[cid] for cid in acked)
    assert set(copies) == set(acked)
    answers = [ids for sender in senders for ids in sender.answers_per_id.values()]
    assert all(len(ids) == 1 for ids in answers)
    assert all(sender.reconnects >= KILLS for sender in senders)
    assert len(integrity_after_kills) == KILLS
    for result in [*integrity_after_kills, integrity_of(server.data_dir)]:
        assert len(result) == 3, result
        assert set(result.values()) == {"ok"}, result
    resent = sum(sender.resent for sender in senders)
    not_created = sum(sender.answered_not_created for sender in senders)
    print(
        f"{KILLS} kills, {len(acked)} acked sends, 0 lost, 0 duplicated, "
        f"{resent} resent ({not_created} already stored)"
    )
