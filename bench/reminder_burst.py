"""1,000 reminders due in the same minute while resellers keep using the bot.

The bot runs as in production: its own process (`python -m bot run`), long polling, with the
dispatcher on its JobQueue, against the fake Bot API server enforcing Telegram's limits, which
runs here, in another process, as Telegram would. Four resellers send /demos about once a second
each (Telegram's per-chat limit); a reply's latency is the time from the update being available
to the bot until its answer reaches the server. Prints the p99 during the burst as a ratio of the
p99 measured idle in the same run (goal: at most 1.5, in the default configuration: dispatch
inside the bot), and that all reminders were sent.
Run: .venv/bin/python bench/reminder_burst.py [N] [--db postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from datetime import UTC, datetime, timedelta

from common import (
    PG_URL,
    add_due,
    add_people,
    ask,
    fresh_database,
    limited_server,
    machine,
    p99,
    start_bot,
    stop_processes,
)
from sqlalchemy import func, select, update

from models.demos import schedule_demo
from models.digests import plan_weekly_digests
from models.notifications import Notification
from models.users import User

SAMPLES = 40  # per person chatting
CHATTING = 4


async def latencies(api, user_id: int, count: int, stop: asyncio.Event | None = None) -> list[float]:
    found = []
    while len(found) < count and not (stop and stop.is_set()):
        latency = await ask(api, user_id)
        if latency is not None:  # no reply within 15 s: left out (there has never been one)
            found.append(latency)
        await asyncio.sleep(1.05)  # Telegram: about one message a second in a chat
    return found


async def everyone(api, ids: list[int], count: int, stop: asyncio.Event | None = None) -> list[float]:
    async def one(n: int, user_id: int) -> list[float]:
        await asyncio.sleep(n * 0.25)  # not all at the same instant
        return await latencies(api, user_id, count, stop)

    return [v for found in await asyncio.gather(*(one(n, u) for n, u in enumerate(ids))) for v in found]


async def main(count: int, database: str) -> None:
    now = datetime.now(UTC)
    db = await fresh_database(PG_URL if database == "postgresql" else None)
    people = await add_people(db, count, created=now - timedelta(days=60))
    async with db.session_scope() as session:
        marta = await session.get(User, people[0])
        demo = await schedule_demo(
            session,
            reseller=marta,
            host_name="Anna",
            host_phone=None,
            address="Via Roma 1, Torino",
            starts_at=now + timedelta(hours=24),
            duration_minutes=120,
            notes=None,
            timezone="Europe/Rome",
            now=now - timedelta(days=1),
        )
        # This week's digests went out already: the burst is reminders only.
        await plan_weekly_digests(session, now=now, weekday=0, hour=8)
        await session.execute(update(Notification).values(status="sent"))
    api = await limited_server(range(100_000, 100_000 + count))
    separate = os.environ.get("CLOCK") == "separate"
    env = {"DISPATCH_IN_BOT": "false" if separate else "true", "DISPATCH_INTERVAL_SECONDS": "1"}
    bot = await start_bot(api, db, **env)
    clock = await start_bot(api, db, "clock", **env, DISPATCH_MAX_PER_SECOND="24") if separate else None
    ids = [100_000 + n for n in range(CHATTING)]
    try:
        for user_id in ids:
            if await ask(api, user_id, timeout=60) is None:  # warm-up, and the bot is up
                raise RuntimeError("the bot did not answer within 60 s")
        await asyncio.sleep(1.05)
        idle = await everyone(api, ids, SAMPLES)
        await add_due(
            db,
            people[CHATTING:],
            kind="reseller_reminder",
            payload={"demo_id": demo.id},
            due=now,
            expires=demo.starts_at,
        )
        started = time.monotonic()
        done = asyncio.Event()

        async def wait_all_sent() -> None:
            while True:
                async with db.session_scope() as session:
                    left = await session.scalar(
                        select(func.count())
                        .select_from(Notification)
                        .where(Notification.status.in_(("pending", "sending")))
                    )
                if not left:
                    done.set()
                    return
                await asyncio.sleep(0.2)

        watcher = asyncio.create_task(wait_all_sent())
        busy = await everyone(api, ids, 10_000, stop=done)
        await watcher
        burst_time = time.monotonic() - started
        async with db.session_scope() as session:
            sent = await session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.status == "sent", Notification.kind == "reseller_reminder")
            )
    finally:
        await stop_processes(bot, clock)
        await api.stop()
        await db.dispose()
    print(
        f"database {db.engine.dialect.name}; {'clock process' if separate else 'dispatch inside the bot'}; "
        f"reminders: {count - CHATTING} (everyone but the {CHATTING} resellers measured), sent {sent} in "
        f"{burst_time:.1f} s "
        f"(floor N/30 = {count / 30:.1f} s); 429 answered: {len(api.too_many)}"
    )
    print(
        f"/demos idle: {len(idle)} samples, p50 {statistics.median(idle) * 1000:.0f} ms, p99 {p99(idle) * 1000:.0f} ms"
    )
    print(
        f"/demos during the burst: {len(busy)} samples, p50 {statistics.median(busy) * 1000:.0f} ms, p99 "
        f"{p99(busy) * 1000:.0f} ms"
    )
    ratio = p99(busy) / p99(idle)
    print(f"ratio p99 burst / p99 idle: {ratio:.2f} (goal <= 1.5: {'met' if ratio <= 1.5 else 'missed'})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("count", nargs="?", type=int, default=1000, help="reminders due at once (default 1000)")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite", help=f"or {PG_URL}, emptied")
    options = parser.parse_args()
    print(machine(), flush=True)
    asyncio.run(main(options.count, options.db))
