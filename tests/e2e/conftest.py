import pytest

from tests.fakebot.harness import ADMIN_ID, BotHarness


@pytest.fixture
async def bot(db):
    harness = BotHarness(db)
    await harness.start()
    yield harness
    await harness.close()


@pytest.fixture
def admin(bot):
    return bot.person("Alessandra", last_name="Admin", user_id=ADMIN_ID)
