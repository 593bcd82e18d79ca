"""Engine and the one transaction scope used per update or job."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

# True while this task holds a transaction open: no Telegram call may happen then (a slow call
# would hold row locks and SQLite's write lock for its whole duration). bot.ratelimit checks it.
_transaction_open: contextvars.ContextVar[bool] = contextvars.ContextVar("transaction_open", default=False)


# True inside Database.read_scope(): on SQLite a plain (deferred) BEGIN, and writes refused.
_read_only: contextvars.ContextVar[bool] = contextvars.ContextVar("read_only", default=False)


class ReadOnlyTransaction(RuntimeError):
    """Something tried to write inside Database.read_scope()."""


def transaction_open() -> bool:
    return _transaction_open.get()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the bot read while a job writes; the busy timeout waits instead of failing
    # with "database is locked"; SQLite leaves foreign keys off unless asked. In WAL mode
    # synchronous=NORMAL is SQLite's own advice: no corruption on power loss, only the last
    # commits may be lost (the outbox then sends one message again: at-least-once).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # We emit BEGIN ourselves (below), so the driver must not start transactions on its own.
    dbapi_connection.isolation_level = None


def _sqlite_begin_immediate(connection) -> None:
    # Updates run concurrently. A deferred SQLite transaction that reads, then writes, fails at
    # once with "database is locked" when another connection wrote in between (the busy
    # timeout does not apply to that case); BEGIN IMMEDIATE takes the write lock up front and
    # waits for it under the busy timeout instead. Transactions are short: no Telegram call
    # happens inside one. https://www.sqlite.org/lang_transaction.html
    # A transaction that only reads (read_scope) begins deferred: in WAL mode it reads a
    # snapshot beside the one writer, waiting for nobody. https://www.sqlite.org/wal.html
    connection.exec_driver_sql("BEGIN" if _read_only.get() else "BEGIN IMMEDIATE")


def _refuse_writes(_conn, _cursor, statement: str, *_args) -> None:
    # A deferred transaction that writes could fail half-way (see above): refuse at once.
    if _read_only.get() and not statement.lstrip()[:6].upper().startswith(("SELECT", "BEGIN", "WITH")):
        raise ReadOnlyTransaction(f"a write inside a read-only transaction: {statement[:60]}")


# A pooled PostgreSQL connection idle longer than this is pinged before use (the server may
# have restarted meanwhile). Not on every checkout: that is a round trip more on every update.
IDLE_BEFORE_PING = 30.0


def _note_idle(_dbapi_connection, record) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(engine: AsyncEngine):
    def checkout(dbapi_connection, record, _proxy) -> None:
        if time.monotonic() - record.info.get("idle_since", time.monotonic()) <= IDLE_BEFORE_PING:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # gone: the pool drops it and checks out another
            raise exc.DisconnectionError(str(error)) from error

    return checkout


def create_engine(url: str, **kwargs) -> AsyncEngine:
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "postgresql":
        event.listen(engine.sync_engine, "checkin", _note_idle)
        event.listen(engine.sync_engine, "checkout", _ping_if_idle(engine))
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
        event.listen(engine.sync_engine, "before_cursor_execute", _refuse_writes)
    return engine


class Database:
    def __init__(self, url: str, **engine_kwargs) -> None:
        self.engine = create_engine(url, **engine_kwargs)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite runs one writing transaction at a time anyway (BEGIN IMMEDIATE): waiting for it
        # here, first come first served, beats connections polling the file lock in no order
        # and giving up after the busy timeout. PostgreSQL runs transactions side by side.
        self._one_writer = asyncio.Lock() if self.engine.dialect.name == "sqlite" else None

    @asynccontextmanager
    async def session_scope(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        # A scope opened inside another one of the same task does not queue behind itself (it
        # meets SQLite's busy timeout instead, as any second connection would).
        nested = _transaction_open.get()
        token = _transaction_open.set(True)
        try:
            writer = self._one_writer if self._one_writer is not None and not nested else contextlib.nullcontext()
            async with writer, self._sessions() as session, session.begin():
                yield session
        finally:
            _transaction_open.reset(token)

    @asynccontextmanager
    async def read_scope(self) -> AsyncIterator[AsyncSession]:
        """A transaction that only reads (a write raises ReadOnlyTransaction on SQLite): on
        SQLite it does not queue for the writer, it reads a consistent snapshot beside it."""
        token, read_only = _transaction_open.set(True), _read_only.set(True)
        try:
            async with self._sessions() as session, session.begin():
                yield session
        finally:
            _read_only.reset(read_only)
            _transaction_open.reset(token)

    async def dispose(self) -> None:
        await self.engine.dispose()
