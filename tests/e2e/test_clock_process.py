"""`python -m bot clock` sends due messages from its own process and stops cleanly; the bot
schedules its own dispatcher unless told not to."""

import asyncio
import json
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.db import Database
from bot.migrate import upgrade_on
from models.notifications import Notification
from sandbox.botapi.server import FakeBotAPI
from tests.factories import make_demo, make_user
from tests.fakebot.harness import BotHarness

ROOT = Path(__file__).resolve().parents[2]


async def test_the_clock_process_sends_what_is_due_and_stops_on_sigterm(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'clock.sqlite3'}"
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(upgrade_on)
    now = datetime.now(UTC)
    async with db.session_scope() as s:
        marta = await make_user(s, created_at=now - timedelta(days=1))
        demo = await make_demo(s, reseller=marta, starts_at=now + timedelta(hours=1), now=now - timedelta(hours=1))
        s.add(
            Notification(
                key="clock-test",
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
    api = FakeBotAPI()
    api.meet(marta.telegram_id)  # she started the bot once
    await api.start()
    log_file = open(tmp_path / "clock.log", "wb")  # noqa: SIM115 - the child writes to it until the finally below
    env = dict(
        os.environ,
        BOT_TOKEN=api.token,
        TELEGRAM_API_URL=api.url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'clock.sqlite3'}",
        DISPATCH_INTERVAL_SECONDS="0.2",
        PYTHONPATH=str(ROOT),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "clock", cwd=tmp_path, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=log_file
    )
    try:
        for _ in range(600):  # a first start in a fresh environment can be slow
            if any(e.text.startswith("⏰") for e in api.chats.get(marta.telegram_id, [])):
                break
            await asyncio.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
    finally:
        if process.returncode is None:
            process.kill()
        await api.stop()
        log_file.close()
    [message] = [e for e in api.chats[marta.telegram_id] if e.text.startswith("⏰")]  # (a weekly digest may come too)
    assert message.text.startswith("⏰ Promemoria: dimostrazione da Anna")  # the reseller's language, Italian
    assert process.returncode == 0
    async with db.session_scope() as s:
        assert (await s.scalar(select(Notification).where(Notification.key == "clock-test"))).status == "sent"
    await db.dispose()


async def test_the_bot_runs_the_dispatcher_itself_unless_told_not_to(db):
    inside = BotHarness(db, dispatch_in_bot=True)
    await inside.start()
    try:
        assert [job.name for job in inside.app.job_queue.jobs()] == ["dispatcher"]
    finally:
        await inside.close()
    outside = BotHarness(db)  # DISPATCH_IN_BOT=false: a clock process does it
    await outside.start()
    try:
        assert outside.app.job_queue.jobs() == ()
    finally:
        await outside.close()
