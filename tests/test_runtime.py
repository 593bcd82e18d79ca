"""SQLite runs in WAL with a busy timeout; bulk notifications wait for room while replies go at once."""

import pytest
from sqlalchemy import text

from bot.db import Database, long_statements
from tests.loop_probe import LoopProbe


async def test_sqlite_uses_wal_and_waits_when_busy(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'pragmas.sqlite3'}")
    async with db.session_scope() as session:
        assert (await session.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        # Writes run on the loop's thread: SQLite's own wait there is short, the rest is Database._begin's.
        assert (await session.execute(text("PRAGMA busy_timeout"))).scalar() == 10
        assert (await session.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    async with db.read_scope() as session:  # reads, on aiosqlite's thread, wait there as long as needed
        assert (await session.execute(text("SELECT * FROM pragma_busy_timeout"))).scalar() == 5000
        assert (await session.execute(text("SELECT * FROM pragma_foreign_keys"))).scalar() == 1
    await db.dispose()


async def test_a_long_sqlite_read_does_not_stop_the_event_loop(tmp_path):
    """Writes run their (short) statements on the loop's thread; a read may be long (a digest, an
    export) and runs on the driver's thread, so everyone else's work goes on meanwhile."""
    import time

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'long.sqlite3'}")
    count = text(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) SELECT count(*) FROM n"
    )
    started = time.monotonic()
    async with db.session_scope() as session:  # on the loop's thread: nothing else runs meanwhile
        assert (await session.execute(count)).scalar() == 3_000_000
    alone = time.monotonic() - started
    async with LoopProbe(every=0.005) as reading, db.read_scope() as session:
        assert (await session.execute(count)).scalar() == 3_000_000
    # A writing transaction's statements that may be long (an export, the monthly statement,
    # the outbox's housekeeping) are declared so, and lent a worker thread.
    with long_statements():
        async with LoopProbe(every=0.005) as writing, db.session_scope() as session:
            assert (await session.execute(count)).scalar() == 3_000_000
    await db.dispose()
    # The loop kept turning through both (at least a third of the ticks the time allowed).
    assert reading.ticks >= alone / 0.005 / 3, (reading.ticks, alone)
    assert writing.ticks >= alone / 0.005 / 3, (writing.ticks, alone)


async def test_sqlite_log_is_copied_into_the_database_file_off_the_loop(tmp_path, monkeypatch):
    """The writing connections never copy SQLite's log into the database file themselves (that
    would happen inside some update's commit, on the loop's thread); every CHECKPOINT_EVERY
    commits the Database does it on aiosqlite's thread, so the log does not grow without end."""
    import asyncio

    import bot.db

    monkeypatch.setattr(bot.db, "CHECKPOINT_EVERY", 20)
    path = tmp_path / "log.sqlite3"
    db = Database(f"sqlite+aiosqlite:///{path}")
    async with db.session_scope() as session:
        await session.execute(text("CREATE TABLE notes (body BLOB)"))
        assert (await session.execute(text("PRAGMA wal_autocheckpoint"))).scalar() == 0
    for _ in range(40):
        async with db.session_scope() as session:
            await session.execute(text("INSERT INTO notes VALUES (randomblob(8000))"))
    for _ in range(100):  # the checkpoint runs beside: wait for it to land
        if path.stat().st_size >= 19 * 8000:
            break
        await asyncio.sleep(0.05)
    # At least the first 19 notes are in the database file itself, not only in its log.
    assert path.stat().st_size >= 19 * 8000
    await db.dispose()


async def test_a_sqlite_read_scope_reads_beside_the_writer_and_may_not_write(tmp_path):
    import asyncio

    import pytest

    from bot.db import ReadOnlyTransaction

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'readers.sqlite3'}")
    async with db.session_scope() as session:
        await session.execute(text("CREATE TABLE notes (body TEXT)"))
        await session.execute(text("INSERT INTO notes VALUES ('committed')"))
    writing, read_done = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with db.session_scope() as session:
            await session.execute(text("INSERT INTO notes VALUES ('not yet committed')"))
            writing.set()
            await read_done.wait()  # the writer holds its transaction until the reader has read

    task = asyncio.create_task(writer())
    await writing.wait()
    async with db.read_scope() as session:  # would wait for the writer forever in session_scope
        seen = (await session.scalars(text("SELECT body FROM notes"))).all()
    read_done.set()
    await task
    assert seen == ["committed"]
    with pytest.raises(ReadOnlyTransaction):
        async with db.read_scope() as session:
            await session.execute(text("INSERT INTO notes VALUES ('refused')"))
    async with db.read_scope() as session:
        assert (await session.scalars(text("SELECT body FROM notes"))).all() == ["committed", "not yet committed"]
    await db.dispose()


async def test_a_pooled_postgresql_connection_the_server_dropped_is_replaced_before_use(db, monkeypatch):
    """The server restarted (here: the connection killed) between two updates: the next
    transaction gets a fresh connection instead of failing. A connection in good health is used
    without a ping: that would be a round trip more on every update."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server connection to lose")
    pings = []
    ping = db.engine.dialect.do_ping
    monkeypatch.setattr(db.engine.dialect, "do_ping", lambda connection: pings.append(1) or ping(connection))
    async with db.session_scope() as session:
        pid = await session.scalar(text("SELECT pg_backend_pid()"))
    async with db.session_scope() as session:  # the same connection, back from the pool, unpinged
        assert await session.scalar(text("SELECT pg_backend_pid()")) == pid
    assert pings == []
    other = Database(db.engine.url.render_as_string(hide_password=False))
    async with other.session_scope() as session:
        await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await session.execute(text("SELECT pg_sleep(0.2)"))  # the goodbye reaches the bot's socket
    await other.dispose()
    async with db.session_scope() as session:
        assert await session.scalar(text("SELECT pg_backend_pid()")) != pid
    assert pings == [1]  # the dead one was pinged (and replaced), the fresh one was not


async def test_a_postgresql_read_scope_costs_no_begin_and_may_not_write(db):
    from sqlalchemy import event
    from sqlalchemy.exc import DBAPIError

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's read scope is tested above")
    async with db.session_scope() as session:
        await session.execute(text("CREATE TABLE IF NOT EXISTS notes (body TEXT)"))
        await session.execute(text("DELETE FROM notes"))
        await session.execute(text("INSERT INTO notes VALUES ('committed')"))
    try:
        with pytest.raises(DBAPIError, match="read-only transaction"):
            async with db.read_scope() as session:
                await session.execute(text("INSERT INTO notes VALUES ('refused')"))
        sent = []
        async with db.read_scope() as session:
            event.listen(
                (await session.connection()).sync_connection, "before_cursor_execute", lambda *a: sent.append(a[2])
            )
            assert (await session.scalars(text("SELECT body FROM notes"))).all() == ["committed"]
            # Each statement is a read-only transaction of its own: nothing else is sent.
            assert await session.scalar(text("SHOW transaction_read_only")) == "on"
        assert sent == ["SELECT body FROM notes", "SHOW transaction_read_only"]
    finally:
        async with db.session_scope() as session:
            await session.execute(text("DROP TABLE notes"))
