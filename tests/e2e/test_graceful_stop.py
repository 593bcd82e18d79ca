"""SIGTERM mid-work: `python -m bot run`, `python -m bot webhook` and `python -m bot clock`
finish the update in flight, hand back the outbox rows they claimed and did not send, and exit
0 within 10 seconds with nothing worse than INFO in their log."""

import asyncio
import json
import os
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from bot.config import webhook_path
from models.notifications import Notification
from sandbox.botapi.server import FakeBotAPI
from tests.factories import make_demo, make_user
from tests.fakebot.processes import SlowFakeBotAPI, free_port
from tests.fakebot.webhook import SECRET

ROOT = Path(__file__).resolve().parents[2]
REMINDERS = 300  # about ten seconds of sending at 29 a second: SIGTERM comes in the middle
REPLY_DELAY = 1.5  # seconds the fake server takes to accept the reply in flight


async def _reminders_due(db) -> int:
    now = datetime.now(UTC)
    async with db.session_scope() as s:
        marta = await make_user(s, created_at=now - timedelta(days=1))
        demo = await make_demo(s, reseller=marta, starts_at=now + timedelta(hours=3), now=now - timedelta(hours=1))
        for n in range(REMINDERS):
            s.add(
                Notification(
                    key=f"stop-test:{n}",
                    recipient_id=marta.id,
                    kind="reseller_reminder",
                    payload=json.dumps({"demo_id": demo.id}),
                    due_at=now - timedelta(minutes=1),
                    expires_at=demo.starts_at,
                    status="pending",
                    attempts=0,
                    created_at=now,
                )
            )
    return marta.telegram_id


async def _until(condition, timeout: float = 60) -> None:
    for _ in range(int(timeout / 0.05)):  # a first start in a fresh environment can be slow
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def _send_update(command: str, api: FakeBotAPI, update: dict, port: int) -> None:
    if command == "run":
        await api.push(update)
        return
    await _until(lambda: api.webhook is not None)
    await api.push(update)  # numbers it; then posted, as Telegram would
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"http://127.0.0.1:{port}{webhook_path(SECRET)}",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        ) as response,
    ):
        assert response.status == 200


@pytest.mark.parametrize("command", ["run", "webhook", "clock"])
async def test_sigterm_finishes_the_work_in_flight_and_hands_back_unsent_claims(db, tmp_path, command):
    marta = await _reminders_due(db)
    api = SlowFakeBotAPI(reply_delay=REPLY_DELAY)
    api.meet(marta)
    eve = {"id": 4242, "is_bot": False, "first_name": "Eve", "language_code": "en"}
    api.slow = {eve["id"]}
    await api.start()
    port = free_port()
    env = dict(
        os.environ,
        BOT_TOKEN=api.token,
        TELEGRAM_API_URL=api.url,
        DATABASE_URL=db.engine.url.render_as_string(hide_password=False),
        DISPATCH_INTERVAL_SECONDS="0.2",
        DISPATCH_IN_BOT="true",
        PYTHONPATH=str(ROOT),
        WEBHOOK_URL="https://homedemo.example.test",
        WEBHOOK_SECRET=SECRET,
        PORT=str(port),
    )
    stderr = open(tmp_path / "bot.log", "wb")  # noqa: SIM115 - the child writes to it until the finally below
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", command, cwd=tmp_path, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=stderr
    )
    try:
        await _until(lambda: len(api.chats.get(marta, [])) >= 10)
        if command != "clock":
            await _send_update(command, api, api.user_message(eve, "/start"), port)
            await _until(lambda: any(m == "sendMessage" and int(p["chat_id"]) == eve["id"] for m, p in api.calls), 15)
        asked = time.monotonic()
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
        took = time.monotonic() - asked
    finally:
        if process.returncode is None:
            process.kill()
        await api.stop()
        stderr.close()
    log = (tmp_path / "bot.log").read_text()
    assert process.returncode == 0, log
    assert took < 10, log
    assert "ERROR" not in log and "Traceback" not in log, log
    if command != "clock":
        assert api.chats[eve["id"]], "the reply in flight was sent"
    async with db.session_scope() as s:
        rows = (await s.scalars(select(Notification).where(Notification.key.like("stop-test:%")))).all()
    by_status = {status: [r for r in rows if r.status == status] for status in {r.status for r in rows}}
    assert set(by_status) == {"sent", "pending"}, {k: len(v) for k, v in by_status.items()}  # none left claimed
    assert all(r.claimed_by is None for r in by_status["pending"])
    assert len(by_status["sent"]) == len(api.chats[marta])  # every send recorded, none twice
    print(
        f"{command}: stopped {took:.2f} s after SIGTERM; {len(by_status['sent'])} sent, "
        f"{len(by_status['pending'])} handed back"
    )
