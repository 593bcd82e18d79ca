"""1,000 reminders due in the same minute while a reseller keeps using the bot.

The bot runs as in production (build_application, polling the fake Bot API over HTTP, the
dispatcher on PTB's JobQueue), against a server enforcing Telegram's limits. A reseller sends
/demos about once a second (the per-chat limit); the reply latency is the time from the update
reaching the server to the bot having answered it. Prints the p99 during the burst as a ratio
of the p99 measured idle in the same run (goal: at most 2), and that all reminders were sent.
Run: .venv/bin/python bench/reminder_burst.py [N]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from datetime import timedelta

from common import NOW, add_due, add_people, fresh_database, limited_server
from sqlalchemy import func, select, update

from models.demos import schedule_demo
from models.digests import plan_weekly_digests
from models.notifications import Notification
from models.users import User
from tests.fakebot.harness import BotHarness, SteerableClock

SAMPLES = 40


async def latencies(bot: BotHarness, reseller, count: int, stop: asyncio.Event | None = None) -> list[float]:
    found = []
    while len(found) < count and not (stop and stop.is_set()):
        started = time.monotonic()
        await reseller.send("/demos")
        found.append(time.monotonic() - started)
        await asyncio.sleep(1.05)  # Telegram: about one message a second in a chat
    return found


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98] if len(values) > 1 else values[0]


async def main(count: int) -> None:
    db = await fresh_database()
    people = await add_people(db, count)
    async with db.session_scope() as session:
        marta = await session.get(User, people[0])
        demo = await schedule_demo(session, reseller=marta, host_name="Anna", host_phone=None, address="Via Roma 1, Torino",
                                   starts_at=NOW + timedelta(hours=24), duration_minutes=120, notes=None, timezone="Europe/Rome",
                                   now=NOW - timedelta(days=1))
    async with db.session_scope() as session:
        # This week's digests went out on Monday already: the burst is reminders only.
        await plan_weekly_digests(session, now=NOW, weekday=0, hour=8)
        await session.execute(update(Notification).values(status="sent"))
    clock = SteerableClock()
    clock.set(NOW)
    bot = BotHarness(db, clock, dispatch_in_bot=True, dispatch_interval_seconds=1)
    bot.api = await limited_server()
    await bot.start()
    reseller = bot.person("Marta", user_id=100_000, language_code="en")
    try:
        await reseller.send("/demos")  # warm-up
        await asyncio.sleep(1.05)
        idle = await latencies(bot, reseller, SAMPLES)
        await add_due(db, people[1:], kind="reseller_reminder", payload={"demo_id": demo.id}, due=NOW - timedelta(seconds=30),
                      expires=demo.starts_at)
        started = time.monotonic()
        done = asyncio.Event()

        async def wait_all_sent() -> None:
            while True:
                async with db.session_scope() as session:
                    left = await session.scalar(select(func.count()).select_from(Notification).where(Notification.status.in_(("pending", "sending"))))
                if not left:
                    done.set()
                    return
                await asyncio.sleep(0.2)

        watcher = asyncio.create_task(wait_all_sent())
        busy = await latencies(bot, reseller, 10_000, stop=done)
        await watcher
        burst_time = time.monotonic() - started
    finally:
        await bot.close()
    async with db.session_scope() as session:
        sent = await session.scalar(select(func.count()).select_from(Notification).where(
            Notification.status == "sent", Notification.kind == "reseller_reminder"))
    await db.dispose()
    print(f"reminders: {count - 1} (to everyone but the reseller measured), sent {sent} in {burst_time:.1f} s (floor N/30 = {count / 30:.1f} s); 429 answered: {len(bot.api.too_many)}")
    print(f"/demos idle: {len(idle)} samples, p50 {statistics.median(idle) * 1000:.0f} ms, p99 {p99(idle) * 1000:.0f} ms")
    print(f"/demos during the burst: {len(busy)} samples, p50 {statistics.median(busy) * 1000:.0f} ms, p99 {p99(busy) * 1000:.0f} ms")
    print(f"ratio p99 burst / p99 idle: {p99(busy) / p99(idle):.2f} (goal <= 2)")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
