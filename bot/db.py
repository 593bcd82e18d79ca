"""Engine and the one transaction scope used per update or job."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from models.base import READ_ONLY

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000  # SQLite waits this long for another process's write lock, then says "locked"
LOCKED_RETRIES = 4  # then begins again this many times, after a growing pause: about 25 s in all
LOCKED_BACKOFF = 0.05  # seconds before the first retry; doubled each time, with jitter

# True while this task holds a transaction open: no Telegram call may happen then (a slow call
# would hold row locks and SQLite's write lock for its whole duration). bot.ratelimit checks it.
_transaction_open: contextvars.ContextVar[bool] = contextvars.ContextVar("transaction_open", default=False)


# True inside Database.read_scope(): on SQLite a plain (deferred) BEGIN, and writes refused.
_read_only: contextvars.ContextVar[bool] = contextvars.ContextVar("read_only", default=False)


class ReadOnlyTransaction(RuntimeError):
    """Something tried to write inside Database.read_scope()."""


def transaction_open() -> bool:
    return _transaction_open.get()


def _sqlite_pragmas(dbapi_connection, _record, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
    # WAL lets the bot read while a job writes; the busy timeout waits instead of failing
    # with "database is locked"; SQLite leaves foreign keys off unless asked. In WAL mode
    # synchronous=NORMAL is SQLite's own advice: no corruption on power loss, only the last
    # commits may be lost (the outbox then sends one message again: at-least-once).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
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


def is_locked(error: BaseException) -> bool:
    """SQLite's "database is locked" (or "busy"): another process holds the write lock."""
    return isinstance(error, OperationalError) and any(
        words in str(error.orig) for words in ("database is locked", "database is busy")
    )


def create_engine(url: str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS, **kwargs) -> AsyncEngine:
    # pre-ping: a connection the server dropped (PostgreSQL restarted) is replaced when taken
    # from the pool, instead of failing the update that drew it.
    engine = create_async_engine(url, pool_pre_ping=url.startswith("postgresql"), **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", partial(_sqlite_pragmas, busy_timeout_ms=busy_timeout_ms))
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
        event.listen(engine.sync_engine, "before_cursor_execute", _refuse_writes)
    return engine


class Database:
    def __init__(self, url: str, *, locked_retries: int = LOCKED_RETRIES, **engine_kwargs) -> None:
        self.engine = create_engine(url, **engine_kwargs)
        self.locked_retries = locked_retries
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
            async with writer:
                session = await self._begin()
                try:
                    yield session
                    await session.commit()
                except BaseException:
                    await session.rollback()
                    raise
                finally:
                    await session.close()
        finally:
            _transaction_open.reset(token)

    async def _begin(self) -> AsyncSession:
        """A session whose transaction has begun. On SQLite, BEGIN IMMEDIATE takes the write lock
        here, before anything of the update has run: when another process (the clock, a CLI)
        holds it past the busy timeout, beginning again later is the whole retry, and the person
        whose update waited never hears of it. Bounded: the last failure is raised."""
        for attempt in range(self.locked_retries + 1):
            session = self._sessions()
            try:
                await session.connection()  # emits BEGIN (IMMEDIATE on SQLite)
                return session
            except OperationalError as error:
                await session.close()
                if not is_locked(error) or attempt == self.locked_retries:
                    raise
                pause = LOCKED_BACKOFF * 2**attempt * (1 + random.random())
                log.info("database is locked by another process: beginning again in %.2f s", pause)
                await asyncio.sleep(pause)
        raise AssertionError("unreachable")

    @asynccontextmanager
    async def read_scope(self) -> AsyncIterator[AsyncSession]:
        """A transaction that only reads: a write is refused (ReadOnlyTransaction on SQLite,
        PostgreSQL's own error in a READ ONLY transaction). On SQLite it does not queue for the
        writer, it reads a consistent snapshot beside it."""
        token, read_only = _transaction_open.set(True), _read_only.set(True)
        try:
            async with self._sessions(info={READ_ONLY: True}) as session, session.begin():
                if self.engine.dialect.name == "postgresql":
                    # BEGIN READ ONLY: PostgreSQL refuses a write as SQLite's guard does (the
                    # setting goes back to the pool's default with the connection).
                    await session.connection(execution_options={"postgresql_readonly": True})
                yield session
        finally:
            _read_only.reset(read_only)
            _transaction_open.reset(token)

    async def dispose(self) -> None:
        await self.engine.dispose()
