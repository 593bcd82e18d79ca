"""SQLite runs in WAL with a busy timeout; bulk notifications wait for room while replies go at once."""

from sqlalchemy import text

from bot.db import Database


async def test_sqlite_uses_wal_and_waits_when_busy(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'pragmas.sqlite3'}")
    async with db.engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 5000
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    await db.dispose()


async def test_bulk_sends_wait_for_room_while_replies_go_at_once():
    import asyncio

    from bot.ratelimit import BULK, PriorityRateLimiter

    limiter = PriorityRateLimiter(overall_max_rate=30, bulk_max_rate=5)
    await limiter.initialize()
    sent = []

    async def send(kind):
        sent.append(kind)
        return True

    for n in range(5):
        await limiter.process_request(send, (f"bulk{n}",), {}, "sendMessage", {"chat_id": 1}, BULK)
    waiting = asyncio.create_task(limiter.process_request(send, ("bulk5",), {}, "sendMessage", {"chat_id": 1}, BULK))
    await asyncio.sleep(0.1)
    await limiter.process_request(send, ("reply",), {}, "sendMessage", {"chat_id": 2}, None)
    assert sent[-1] == "reply" and not waiting.done()  # the sixth bulk send waits for the window
    await asyncio.wait_for(waiting, 3)
    assert sent[-1] == "bulk5"
    await limiter.shutdown()
