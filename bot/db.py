"""Engine and the one transaction scope used per update or job.

On SQLite, writing transactions run their statements on the event loop's own thread
(InlineConnection): a statement of a small local database takes tens of microseconds, less than
handing it to aiosqlite's thread and back (three or four trips a statement, each a wake-up of the
loop), and a transaction whose statements never wait for the loop is never interleaved with other
updates' work while it holds the one writer's turn. What may take long stays off the loop:
reads (read_scope) keep aiosqlite's thread, beside the writer; statements declared long
(long_statements) are lent a worker thread; the log is checkpointed on aiosqlite's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
import logging
import random
import select
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from functools import partial

import aiosqlite
from sqlalchemy import event, exc, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from models.base import READ_ONLY

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000  # SQLite waits this long for another process's write lock, then says "locked"
# On the loop's thread, SQLite's own wait for a lock would stop every other update: it waits
# only this long, and the wait for another process's write lock is asynchronous (Database._begin).
INLINE_BUSY_TIMEOUT_MS = 10
LOCK_WAIT = 25.0  # seconds an update waits in all for another process's write lock, then gives up
LOCKED_BACKOFF = 0.005  # seconds before beginning again the first time; doubled each time, with jitter
LOCKED_BACKOFF_MAX = 0.25
CHECKPOINT_EVERY = 200  # commits between two checkpoints of SQLite's log (a few pages each)

# True while this task holds a transaction open: no Telegram call may happen then (a slow call
# would hold row locks and SQLite's write lock for its whole duration). bot.ratelimit checks it.
_transaction_open: contextvars.ContextVar[bool] = contextvars.ContextVar("transaction_open", default=False)


# True inside Database.read_scope(): on SQLite a plain (deferred) BEGIN, and writes refused.
_read_only: contextvars.ContextVar[bool] = contextvars.ContextVar("read_only", default=False)


class ReadOnlyTransaction(RuntimeError):
    """Something tried to write inside Database.read_scope()."""


def transaction_open() -> bool:
    return _transaction_open.get()


def _sqlite_pragmas(dbapi_connection, _record, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS, inline: bool = False) -> None:
    # WAL lets the bot read while a job writes; the busy timeout waits instead of failing
    # with "database is locked"; SQLite leaves foreign keys off unless asked. In WAL mode
    # synchronous=NORMAL is SQLite's own advice: no corruption on power loss, only the last
    # commits may be lost (the outbox then sends one message again: at-least-once).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    if inline:
        # A commit would otherwise copy the log into the database file now and then (every
        # 1,000 pages): on the loop's thread. Database checkpoints on aiosqlite's thread instead.
        cursor.execute("PRAGMA wal_autocheckpoint=0")
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


# A pooled PostgreSQL connection is pinged before use only when in doubt: idle longer than this
# (the server may have gone without a word), or something is waiting to be read on it (a server
# that stopped or killed the session says so before it closes). Not on every checkout: that is a
# round trip more on every update.
IDLE_BEFORE_PING = 30.0


def _note_idle(_dbapi_connection, record) -> None:
    record.info["idle_since"] = time.monotonic()


def _has_news(dbapi_connection) -> bool:
    """Something to read on an idle connection: the server's goodbye (or its end of file)."""
    try:
        return bool(select.select([dbapi_connection.driver_connection.fileno()], [], [], 0)[0])
    except Exception:  # closed already (psycopg's error, or the socket's)
        return True


def _ping_when_in_doubt(engine: AsyncEngine):
    def checkout(dbapi_connection, record, _proxy) -> None:
        idle = time.monotonic() - record.info.get("idle_since", time.monotonic())
        if idle <= IDLE_BEFORE_PING and not _has_news(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # gone: the pool drops it and checks out another
            raise exc.DisconnectionError(str(error)) from error

    return checkout


# True inside long_statements(): an inline connection hands its calls to a worker thread.
_long: contextvars.ContextVar[bool] = contextvars.ContextVar("long_statements", default=False)


@contextlib.contextmanager
def long_statements() -> Iterator[None]:
    """Around statements that may take long on SQLite (an export, the monthly statement, the
    outbox's housekeeping): they run on a worker thread, not the loop's, so that nobody else's
    reply or send waits for them. No effect on PostgreSQL, whose statements never hold the loop."""
    token = _long.set(True)
    try:
        yield
    finally:
        _long.reset(token)


class _RunNow:
    """In place of aiosqlite's queue to its thread (SQLAlchemy's adapter puts a few calls there
    itself): runs each call at once and settles its future."""

    @staticmethod
    def put_nowait(item) -> None:
        future, function = item
        try:
            result = function()
        except Exception as error:
            if future is not None and not future.done():
                future.set_exception(error)
        else:
            if future is not None and not future.done():
                future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    """aiosqlite's connection, its calls run on the calling (event loop's) thread: SQLAlchemy's
    aiosqlite dialect drives it unchanged, and no statement waits for a thread hand-off. Used
    where every statement is short; SQLite's wait for a lock is kept as short (see above)."""

    def __init__(self, connector) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunNow()  # type: ignore[assignment]  # no thread is ever started

    async def _execute(self, fn, *args, **kwargs):
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        if _long.get():  # one task uses the connection at a time; the thread is only lent
            return await asyncio.to_thread(fn, *args, **kwargs)
        return fn(*args, **kwargs)

    async def _open(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self):
        return self._open().__await__()

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def create_engine(url: str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS, inline: bool = False, **kwargs) -> AsyncEngine:
    """The async engine for `url`. On SQLite, `inline` runs statements on the loop's thread
    (InlineConnection) instead of aiosqlite's."""
    if inline and make_url(url).get_backend_name() == "sqlite":
        engine: AsyncEngine | None = None

        async def connect() -> InlineConnection:
            # The URL's own arguments, as the dialect reads them for aiosqlite.connect().
            args, options = engine.dialect.create_connect_args(engine.sync_engine.url)
            # One thread uses it (the loop's); SQLAlchemy may close it from the collector's.
            # SQLite's wait for a lock is short from the first statement on (see above).
            options = {**options, "check_same_thread": False, "timeout": busy_timeout_ms / 1000}
            return await InlineConnection(partial(sqlite3.connect, *args, **options))

        engine = create_async_engine(url, async_creator=connect, **kwargs)
    else:
        engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "postgresql":
        # A connection the server dropped (PostgreSQL restarted) is replaced when taken from the
        # pool, instead of failing the update that drew it.
        event.listen(engine.sync_engine, "checkin", _note_idle)
        event.listen(engine.sync_engine, "checkout", _ping_when_in_doubt(engine))
    if engine.dialect.name == "sqlite":
        event.listen(
            engine.sync_engine, "connect", partial(_sqlite_pragmas, busy_timeout_ms=busy_timeout_ms, inline=inline)
        )
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
        event.listen(engine.sync_engine, "before_cursor_execute", _refuse_writes)
    return engine


class Database:
    def __init__(self, url: str, *, lock_wait: float = LOCK_WAIT, **engine_kwargs) -> None:
        target = make_url(url)
        self.engine = create_engine(url, inline=True, busy_timeout_ms=INLINE_BUSY_TIMEOUT_MS, **engine_kwargs)
        # Reads (read_scope) have connections of their own, read-only where the database says so.
        # SQLite: on aiosqlite's thread (a long read does not hold up the loop), waiting for a
        # lock there as long as it needs. (An in-memory database is one connection's own.)
        # PostgreSQL: every statement its own read-only transaction (the server's default for
        # these sessions), so a read costs no BEGIN and no COMMIT, two round trips fewer; under
        # READ COMMITTED each statement saw a snapshot of its own inside a transaction anyway.
        backend = target.get_backend_name()
        if backend == "postgresql":
            # (Added to the URL's own `options`, if it has any, not in their place.)
            options = " ".join(filter(None, [target.query.get("options"), "-c default_transaction_read_only=on"]))
            self._reader = create_engine(
                target.set(query={**target.query, "options": options}).render_as_string(hide_password=False),
                isolation_level="AUTOCOMMIT",
                **engine_kwargs,
            )
        elif backend == "sqlite" and target.database not in (None, "", ":memory:"):
            self._reader = create_engine(url, **engine_kwargs)
        else:
            self._reader = self.engine
        self.lock_wait = lock_wait
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(self._reader, expire_on_commit=False)
        # SQLite runs one writing transaction at a time anyway (BEGIN IMMEDIATE): waiting for it
        # here, first come first served, beats connections polling the file lock in no order
        # and giving up after the busy timeout. PostgreSQL runs transactions side by side.
        self._one_writer = asyncio.Lock() if self.engine.dialect.name == "sqlite" else None
        # SQLite: the log is copied into the database file every CHECKPOINT_EVERY commits, on
        # aiosqlite's thread (the writing connections do not do it themselves, see above).
        self._commits = 0
        self._checkpointing: asyncio.Task | None = None

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
            if self._one_writer is not None:
                self._count_commit()
        finally:
            _transaction_open.reset(token)

    def _count_commit(self) -> None:
        self._commits += 1
        if self._commits >= CHECKPOINT_EVERY and (self._checkpointing is None or self._checkpointing.done()):
            self._commits = 0
            self._checkpointing = asyncio.get_running_loop().create_task(self._checkpoint())

    async def _checkpoint(self) -> None:
        """A passive checkpoint: copies what it can of the log into the database file, waiting
        for nobody and making nobody wait (https://www.sqlite.org/c3ref/wal_checkpoint_v2.html)."""
        try:
            async with self._reader.connect() as connection:
                raw = await connection.get_raw_connection()
                async with raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)") as cursor:
                    await cursor.fetchall()  # (busy, frames in the log, frames copied)
        except Exception:  # the next one will do; the log only grows meanwhile
            log.warning("SQLite checkpoint failed", exc_info=True)

    async def _begin(self) -> AsyncSession:
        """A session whose transaction has begun. On SQLite, BEGIN IMMEDIATE takes the write lock
        here, before anything of the update has run: when another process (the clock, a CLI)
        holds it, beginning again after a growing pause (the loop meanwhile serving everyone
        else) is the whole retry, and the person whose update waited never hears of it. Bounded:
        after `lock_wait` seconds the last failure is raised."""
        deadline = time.monotonic() + self.lock_wait
        for attempt in itertools.count():
            session = self._sessions()
            try:
                await session.connection()  # emits BEGIN (IMMEDIATE on SQLite)
                return session
            except OperationalError as error:
                await session.close()
                pause = min(LOCKED_BACKOFF * 2**attempt, LOCKED_BACKOFF_MAX) * (1 + random.random())
                if not is_locked(error) or time.monotonic() + pause > deadline:
                    raise
                if attempt == 0:
                    log.info("database is locked by another process: waiting for it (at most %g s)", self.lock_wait)
                await asyncio.sleep(pause)
        raise AssertionError("unreachable")

    @asynccontextmanager
    async def read_scope(self) -> AsyncIterator[AsyncSession]:
        """Reads only: a write is refused (ReadOnlyTransaction on SQLite, PostgreSQL's own error in
        a read-only session). On SQLite it does not queue for the writer, it reads a consistent
        snapshot beside it; on PostgreSQL each statement reads what is committed when it runs."""
        token, read_only = _transaction_open.set(True), _read_only.set(True)
        try:
            async with self._read_sessions(info={READ_ONLY: True}) as session, session.begin():
                yield session
        finally:
            _read_only.reset(read_only)
            _transaction_open.reset(token)

    async def dispose(self) -> None:
        if self._checkpointing is not None:
            await self._checkpointing
        await self.engine.dispose()
        if self._reader is not self.engine:
            await self._reader.dispose()
