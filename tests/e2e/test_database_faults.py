"""Database faults: SQLite locked by another process is waited out, never shown; PostgreSQL
restarted under the running bot costs the updates that hit the gap a "please try again" (in the
sender's language) and nothing else: the bot reconnects by itself, and every committed change
and outbox row is still there.

The PostgreSQL test runs its own cluster (initdb + pg_ctl into a temporary directory, on a free
port) and restarts it for real; it is skipped, saying why, where PostgreSQL's server binaries are
not installed or initdb cannot run."""

from __future__ import annotations

import asyncio
import contextlib
import glob
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select

from bot.db import Database
from models.demos import Demo
from models.notifications import Notification
from models.users import User
from tests.conftest import _build_schema
from tests.e2e.flows import NOW, book_demo, new_reseller, onboard_admin
from tests.fakebot.harness import ADMIN_ID, BotHarness, SteerableClock
from tests.fakebot.processes import free_port
from tests.loop_probe import LoopProbe

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
    # The other process keeps the lock 1.5 s; the update waits for it (25 s at most).
    bot = await _sqlite_bot(tmp_path)
    try:
        eve = bot.person("Eve", language_code="it")
        holder = await _hold_write_lock(tmp_path / "bot.sqlite3", 1.5)
        with caplog.at_level(logging.INFO, logger="bot.db"):
            async with LoopProbe(every=0.01) as loop:
                replies = await eve.send("/start")
        assert await holder.wait() == 0
        # Statements run on the loop's thread, but the wait for the lock does not: everyone
        # else's work goes on meanwhile (SQLite's own busy wait would stop the loop for 1.5 s).
        assert loop.longest < 0.25
        assert "database is locked by another process: waiting for it" in caplog.text
        assert replies and all("Scusa" not in r.text and "locked" not in r.text for r in replies)
        assert replies[0].text.startswith("Ciao! HomeDemo")  # /start's usual welcome
    finally:
        await bot.close()
        await bot.db.dispose()


async def test_sqlite_retries_are_bounded_then_the_sender_is_asked_to_try_again(tmp_path):
    bot = await _sqlite_bot(tmp_path, lock_wait=0.5)
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


# ---- PostgreSQL restarted under the running bot ----


def _pg_bin() -> str | None:
    found = os.environ.get("PG_BIN") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)), None)
    return found if found and os.path.exists(os.path.join(found, "pg_ctl")) else None


class Cluster:
    """A PostgreSQL server of the test's own, in a temporary directory, on a free port. The
    server refuses to run as root: as root, its commands run as the `postgres` user."""

    def __init__(self, bin_dir: str) -> None:
        self.bin_dir = bin_dir
        self.dir = tempfile.mkdtemp(prefix="homedemo-pg-")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._as = []
        if os.geteuid() == 0:
            import pwd

            owner = pwd.getpwnam("postgres")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, program: str, *args: str) -> None:
        command = [*self._as, os.path.join(self.bin_dir, program), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed: {done.stderr.strip() or done.stdout.strip()}")

    def init(self) -> None:
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "start", "-D", self.data, "-l", os.path.join(self.dir, "log"), "-w", "-o", options)

    def stop(self, mode: str = "fast") -> None:
        """fast: what a platform's restart does (every session ended, a clean shutdown);
        immediate: the server's processes killed outright, as in a crash (recovery from WAL)."""
        self._run("pg_ctl", "stop", "-D", self.data, "-m", mode, "-w")

    def remove(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def cluster():
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found; set PG_BIN to their directory")
    server = Cluster(bin_dir)
    try:
        server.init()
        server.start()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
        server.remove()
        pytest.skip(f"cannot run a PostgreSQL server of the test's own here: {error}")
    yield server
    server.remove()


async def _facts(db: Database) -> dict:
    """What must survive: the people, the demos, every outbox row with its state."""
    async with db.session_scope() as s:
        return {
            "users": await s.scalar(select(func.count()).select_from(User)),
            "demos": (await s.execute(select(Demo.id, Demo.status, Demo.starts_at))).all(),
            "outbox": (await s.execute(select(Notification.key, Notification.status).order_by(Notification.key))).all(),
        }


def _lists_the_demo(replies) -> bool:
    return (
        bool(replies)
        and replies[0].text.startswith("Your upcoming demos (1)")
        and any("Anna Bianchi" in b["text"] for row in replies[0].buttons for b in row)
    )


async def _wait_for_blocked_update(conn: psycopg.AsyncConnection) -> None:
    for _ in range(300):
        # `conn` holds the lock in a transaction, where pg_stat_activity would otherwise be
        # read once and kept: look afresh each time.
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        waiting = await (
            await conn.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        ).fetchone()
        if waiting[0]:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the update never reached the locked table")


async def test_postgresql_restarted_under_the_bot_costs_a_try_again_and_loses_nothing(cluster):
    await _build_schema(cluster.url)
    db = Database(cluster.url)
    clock = SteerableClock()
    clock.set(NOW)
    bot = BotHarness(db, clock)
    bot.auto_dispatch = False  # the outbox rows stay pending: they must all be there afterwards
    await bot.start()
    try:
        admin = bot.person("Alessandra", last_name="Admin", user_id=ADMIN_ID, language_code="en")
        await onboard_admin(admin)
        marta = await new_reseller(bot, admin, "Marta")
        await book_demo(marta)
        eve = bot.person("Eve", language_code="it")
        before = await _facts(db)
        assert before["demos"] and before["outbox"]  # a committed demo and its reminders, unsent

        # 1. Restarted between two updates: the pool's connections are dead; the next update
        #    draws a fresh one (pre-ping) and nobody notices.
        started = time.monotonic()
        cluster.stop("fast")
        cluster.start()
        restart = time.monotonic() - started
        replies = await marta.send("/demos")
        assert _lists_the_demo(replies)

        # 2. Updates that arrive while it is down get "please try again" in their own language.
        cluster.stop("fast")
        assert [r.text for r in await eve.send("/start")] == [SORRY_IT]
        assert [r.text for r in await marta.send("/demos")] == [SORRY_EN]
        started = time.monotonic()
        cluster.start()
        replies = await eve.send("/start")  # trying again works, with no restart of the bot
        back = time.monotonic() - started
        assert replies[0].text.startswith("Ciao! HomeDemo")

        # 3. Killed in the middle of an update: that update is rolled back and its sender asked
        #    to try again. A lock the test holds keeps the update waiting inside its transaction.
        conn = await psycopg.AsyncConnection.connect(cluster.url.replace("+psycopg", ""))
        try:
            await conn.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
            in_flight = asyncio.create_task(marta.send("/demos"))
            await _wait_for_blocked_update(conn)
            cluster.stop("immediate")
            assert [r.text for r in await in_flight] == [SORRY_EN]
        finally:
            await conn.close()  # (its server is gone: nothing to commit)
        cluster.start()
        replies = await marta.send("/demos")
        assert _lists_the_demo(replies)

        after = await _facts(db)
        assert after["users"] == before["users"] and after["demos"] == before["demos"]
        assert after["outbox"] == before["outbox"]
        print(f"PostgreSQL restart (fast stop + start): {restart:.2f} s; from start to a handled update: {back:.2f} s")
    finally:
        await bot.close()
        await db.dispose()
