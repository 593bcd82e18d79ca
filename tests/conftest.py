"""Databases for the tests: SQLite always, PostgreSQL too when one is reachable.

Every test that takes `db` runs once per backend. The schema is built once per backend by the
real migrations; each test then starts from empty tables.
"""

from __future__ import annotations

import asyncio
import os

import psycopg
import pytest
from sqlalchemy import text

from bot.config import async_database_url
from bot.db import Database
from bot.migrate import upgrade_on
from bot.scheduling import OldestFirstEventLoop
from models import Base

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def pytest_asyncio_loop_factories(config, item) -> dict[str, type[asyncio.AbstractEventLoop]]:
    """Every async test runs on the bot's own event loop (bot.scheduling), as production does."""
    return {"bot": OldestFirstEventLoop}


def _pg_url() -> tuple[str | None, str]:
    url = os.environ.get("TEST_DATABASE_URL", PG_DEFAULT)
    if not url.startswith(("postgres://", "postgresql")):
        return None, f"TEST_DATABASE_URL={url} is not a PostgreSQL URL"
    plain = url.replace("postgresql+psycopg://", "postgresql://").replace("postgres://", "postgresql://")
    try:
        psycopg.connect(plain, connect_timeout=3).close()
    except psycopg.Error as error:
        return (
            None,
            f"PostgreSQL not reachable at {url} ({str(error).strip().splitlines()[0]}); set "
            "TEST_DATABASE_URL to run these tests on it",
        )
    return async_database_url(url), ""


async def _build_schema(url: str) -> None:
    db = Database(url)
    async with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await conn.run_sync(upgrade_on)
    await db.dispose()


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory) -> dict[str, tuple[str | None, str]]:
    sqlite_url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    urls = {"sqlite": (sqlite_url, ""), "postgresql": _pg_url()}
    for url, _reason in urls.values():
        if url:
            asyncio.run(_build_schema(url))
    return urls


async def _empty_tables(db: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                await conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request, database_urls):
    url, reason = database_urls[request.param]
    if url is None:
        pytest.skip(reason)
    database = Database(url)
    await _empty_tables(database)
    yield database
    await database.dispose()


@pytest.fixture
async def session(db):
    async with db.session_scope() as s:
        yield s


def pytest_terminal_summary(terminalreporter):
    from sandbox.botapi.server import FakeBotAPI

    length, start = FakeBotAPI.longest
    if length:
        terminalreporter.write_line(f"longest message the bot sent in these tests: {length} characters ({start!r}…)")
