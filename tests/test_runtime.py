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
