"""Two dispatchers on the same database never send the same row."""

import asyncio
import json
from collections import Counter
from datetime import timedelta

from sqlalchemy import select
from telegram.ext import ExtBot

from bot.config import Settings
from bot.db import Database
from bot.dispatcher import Dispatcher
from bot.ratelimit import PriorityRateLimiter
from models.notifications import Notification
from sandbox.botapi.server import FakeBotAPI
from tests.factories import NOW, make_demo, make_user
from tests.fakebot.harness import SteerableClock

ROWS = 120


async def test_two_concurrent_dispatchers_send_each_row_exactly_once(db):
    api = FakeBotAPI()
    await api.start()
    async with db.session_scope() as s:
        marta = await make_user(s)
        demo = await make_demo(s, reseller=marta)
        people = [await make_user(s, role=None, name=f"P{n}") for n in range(ROWS)]
        for person in people:
            s.add(
                Notification(
                    key=f"test:{person.id}",
                    recipient_id=person.id,
                    kind="reseller_reminder",
                    payload=json.dumps({"demo_id": demo.id}),
                    due_at=NOW,
                    expires_at=demo.starts_at,
                    status="pending",
                    attempts=0,
                    created_at=NOW,
                )
            )
    api.meet(*(person.telegram_id for person in people))  # each of them started the bot once
    clock = SteerableClock()
    clock.set(NOW + timedelta(minutes=1))
    settings = Settings(_env_file=None, bot_token=api.token, telegram_api_url=api.url, dispatch_in_bot=False)
    dispatchers = []
    for _n in range(2):
        own_db = Database(
            db.engine.url.render_as_string(hide_password=False)
        )  # its own connections, like another process
        bot = ExtBot(api.token, base_url=f"{api.url}/bot", rate_limiter=PriorityRateLimiter())
        await bot.initialize()
        dispatchers.append(
            (Dispatcher(db=own_db, bot=bot, clock=clock, settings=settings, batch=10, concurrency=5), own_db, bot)
        )
    try:
        await asyncio.gather(*(d.run_until_idle() for d, _db, _bot in dispatchers))
    finally:
        for _d, own_db, bot in dispatchers:
            await bot.shutdown()
            await own_db.dispose()
        await api.stop()
    received = Counter(int(params["chat_id"]) for method, params in api.calls if method == "sendMessage")
    assert sorted(received.values()) == [1] * ROWS
    assert set(received) == {p.telegram_id for p in people}
    async with db.session_scope() as s:
        rows = (await s.scalars(select(Notification))).all()
    assert {r.status for r in rows} == {"sent"}
    workers = Counter(r.claimed_by for r in rows)
    assert len(workers) == 2, workers  # both took part


async def test_rows_claimed_by_a_dispatcher_that_died_are_sent_within_a_minute_and_only_those(db):
    """kill -9 while sending: its claims are not renewed any more, so a minute later (and not
    before) the next dispatcher sends them; rows it had already sent are not sent again."""
    api = FakeBotAPI()
    await api.start()
    async with db.session_scope() as s:
        marta = await make_user(s)
        demo = await make_demo(s, reseller=marta)
        people = [await make_user(s, role=None, name=f"P{n}") for n in range(6)]
        for n, person in enumerate(people):
            s.add(
                Notification(
                    key=f"test:{person.id}",
                    recipient_id=person.id,
                    kind="reseller_reminder",
                    payload=json.dumps({"demo_id": demo.id}),
                    due_at=NOW,
                    expires_at=demo.starts_at,
                    status="sent" if n < 2 else "sending",
                    claimed_by="dead-host:4242:1",
                    claimed_at=NOW,
                    attempts=0,
                    created_at=NOW,
                )
            )
    api.meet(*(person.telegram_id for person in people))
    clock = SteerableClock()
    settings = Settings(_env_file=None, bot_token=api.token, telegram_api_url=api.url, dispatch_in_bot=False)
    bot = ExtBot(api.token, base_url=f"{api.url}/bot", rate_limiter=PriorityRateLimiter())
    await bot.initialize()
    try:
        restarted = Dispatcher(db=db, bot=bot, clock=clock, settings=settings)
        clock.set(NOW + timedelta(seconds=50))
        assert await restarted.run_until_idle() == 0  # the dead process might still be alive
        clock.set(NOW + timedelta(seconds=61))
        assert await restarted.run_until_idle() == 4
    finally:
        await bot.shutdown()
        await api.stop()
    received = Counter(int(params["chat_id"]) for method, params in api.calls if method == "sendMessage")
    assert received == Counter({p.telegram_id: 1 for p in people[2:]})


async def test_a_live_dispatcher_keeps_its_claims_while_it_sends(db):
    from models.notifications import claim, due_rows, renew_claims

    async with db.session_scope() as s:
        marta = await make_user(s)
        s.add(
            Notification(
                key="test:slow",
                recipient_id=marta.id,
                kind="reseller_reminder",
                payload="{}",
                due_at=NOW,
                status="pending",
                attempts=0,
                created_at=NOW,
            )
        )
    async with db.session_scope() as s:
        [row] = await claim(
            s, ids=await due_rows(s, now=NOW, stale_before=NOW, limit=5), worker="alive", now=NOW, stale_before=NOW
        )
    later = NOW + timedelta(seconds=45)
    async with db.session_scope() as s:
        await renew_claims(s, ids=[row.id], worker="alive", now=later)
    async with db.session_scope() as s:  # 90 s after the claim, 45 s after the renewal: not stale
        assert (
            await due_rows(s, now=NOW + timedelta(seconds=90), stale_before=NOW + timedelta(seconds=30), limit=5) == []
        )
        assert await due_rows(
            s, now=NOW + timedelta(seconds=120), stale_before=later + timedelta(seconds=1), limit=5
        ) == [row.id]
