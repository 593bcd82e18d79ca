"""Button data stays within Telegram's 64 bytes; SQLite runs in WAL with a busy timeout."""

import pytest
from sqlalchemy import text

from bot.db import Database
from handlers.common import cb


def test_callback_data_over_64_bytes_is_refused_at_build_time():
    assert cb("demo", "cancelyes", 2**63) == f"demo:cancelyes:{2**63}"
    with pytest.raises(ValueError):
        cb("pf", "tz", "x" * 60)
    with pytest.raises(ValueError):
        cb("demo", "view", "è" * 30)  # 64 characters would fit, 64 bytes do not


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
