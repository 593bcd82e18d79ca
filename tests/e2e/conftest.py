from collections import Counter
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.e2e.flows import NOW, new_reseller, onboard_admin
from tests.fakebot.harness import ADMIN_ID, BotHarness, SteerableClock
from tests.sql_cache import compiled_each_time


@contextmanager
def statements_compiled_each_time():
    """The statements SQLAlchemy had to compile anew for each execution (tests/sql_cache.py)."""
    found: Counter[str] = Counter()

    def seen(_connection, _cursor, statement, _parameters, context, _executemany) -> None:
        if compiled_each_time(context):
            found[" ".join(statement.split())[:120]] += 1

    event.listen(Engine, "after_cursor_execute", seen)
    try:
        yield found
    finally:
        event.remove(Engine, "after_cursor_execute", seen)


@pytest.fixture
async def bot(db):
    clock = SteerableClock()
    clock.set(NOW)
    harness = BotHarness(db, clock)
    with statements_compiled_each_time() as uncached:
        await harness.start()
        yield harness
        await harness.close()
    # Every bot-level test also checks that the flows it went through ran only cacheable SQL.
    assert not uncached, f"statements compiled anew on every execution: {dict(uncached)}"


@pytest.fixture
async def admin(bot):
    person = bot.person("Alessandra", last_name="Admin", user_id=ADMIN_ID, language_code="en")
    await onboard_admin(person)
    person.received()
    return person


@pytest.fixture
async def reseller(bot, admin):
    person = await new_reseller(bot, admin, "Marta")
    person.received()
    return person
