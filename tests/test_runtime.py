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
