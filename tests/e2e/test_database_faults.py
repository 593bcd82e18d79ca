"""Database faults: SQLite locked by another process is waited out, never shown; PostgreSQL
restarted under the running bot costs the updates that hit the gap a "please try again" (in the
sender's language) and nothing else: the bot reconnects by itself, and every committed change
and outbox row is still there.

The PostgreSQL test runs its own cluster (initdb + pg_ctl into a temporary directory, on a free
port) and restarts it for real; it is skipped, saying why, where PostgreSQL's server binaries are
not installed or initdb cannot run."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

from bot.db import Database
from tests.conftest import _build_schema
from tests.e2e.flows import NOW
from tests.fakebot.harness import BotHarness, SteerableClock

SORRY_IT = "Scusa, qualcosa è andato storto da parte nostra. Non è stato salvato nulla: riprova."
SORRY_EN = "Sorry, something went wrong on our side. Nothing was saved; please try again."

HOLD_LOCK = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")  # the write lock, as the clock process takes it
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
connection.execute("COMMIT")
"""


# ---- SQLite: "database is locked" ----


async def _sqlite_bot(tmp_path, **db_options) -> BotHarness:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    await _build_schema(url)
    clock = SteerableClock()
    clock.set(NOW)
    harness = BotHarness(Database(url, **db_options), clock)
    await harness.start()
    return harness


async def _hold_write_lock(path: Path, seconds: float) -> asyncio.subprocess.Process:
    """Another process (as the clock process would) takes the file's write lock and keeps it."""
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLD_LOCK, str(path), str(seconds), stdout=asyncio.subprocess.PIPE
    )
    assert (await holder.stdout.readline()).strip() == b"locked"
    return holder


async def test_sqlite_locked_by_another_process_is_waited_out_and_never_shown(tmp_path, caplog):
    # The busy timeout is 200 ms here (5 s in production); the other process keeps the lock 1.5 s.
    bot = await _sqlite_bot(tmp_path, busy_timeout_ms=200, locked_retries=8)
    try:
        eve = bot.person("Eve", language_code="it")
        holder = await _hold_write_lock(tmp_path / "bot.sqlite3", 1.5)
        with caplog.at_level(logging.INFO, logger="bot.db"):
            replies = await eve.send("/start")
        assert await holder.wait() == 0
        assert "database is locked by another process: beginning again" in caplog.text
        assert replies and all("Scusa" not in r.text and "locked" not in r.text for r in replies)
        assert replies[0].text.startswith("Ciao! HomeDemo")  # /start's usual welcome
    finally:
        await bot.close()
        await bot.db.dispose()


async def test_sqlite_retries_are_bounded_then_the_sender_is_asked_to_try_again(tmp_path):
    bot = await _sqlite_bot(tmp_path, busy_timeout_ms=100, locked_retries=1)
    bot.auto_dispatch = False  # the outbox's own sweep would meet the same lock; it is not what this tests
    try:
        eve = bot.person("Eve", language_code="it")
        holder = await _hold_write_lock(tmp_path / "bot.sqlite3", 3)
        replies = await eve.send("/start")
        assert [r.text for r in replies] == [SORRY_IT]
        await holder.wait()
        replies = await eve.send("/start")  # the lock is gone: as usual
        assert replies[0].text.startswith("Ciao! HomeDemo")
    finally:
        await bot.close()
        await bot.db.dispose()
