import pytest

from tests.e2e.flows import NOW, new_reseller, onboard_admin
from tests.fakebot.harness import ADMIN_ID, BotHarness, SteerableClock


@pytest.fixture
async def bot(db):
    clock = SteerableClock()
    clock.set(NOW)
    harness = BotHarness(db, clock)
    await harness.start()
    yield harness
    await harness.close()


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
