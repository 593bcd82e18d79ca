"""The whole story of a party in the age of links: two guests buy at the demo, three friends who
could not come order through the party's link (one pays in Telegram), a customer orders with the
advisor's personal code; the party closes; the host reward, the advisor's digest and statement
and the manager's team digest all tell the same totals by source."""

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from models.orders import Order, OrderSource
from models.party_rewards import PartyReward
from tests.e2e.flows import new_reseller, onboard_admin
from tests.e2e.test_party_story import DURING_THE_PARTY, order, party, rsvp
from tests.e2e.test_shop import order_online, shop_link
from tests.fakebot.harness import ADMIN_ID, BotHarness, SteerableClock

MONDAY_DIGESTS = datetime(2031, 3, 31, 6, 30, tzinfo=UTC)  # Monday 08:30 in Rome: last week's digests
AFTER_THE_CLOSE = datetime(2031, 4, 2, 6, 0, tzinfo=UTC)  # the party took orders until the end of 1 April


@pytest.fixture
async def paying_bot(db):
    from tests.e2e.flows import NOW

    clock = SteerableClock()
    clock.set(NOW)
    harness = BotHarness(db, clock, payment_provider_token="284685063:TEST:provider")
    await harness.start()
    yield harness
    await harness.close()


async def test_demo_link_and_code_orders_add_up_everywhere(paying_bot):
    bot = paying_bot
    admin = bot.person("Alessandra", user_id=ADMIN_ID, language_code="en")  # Marta's upline: her manager
    await onboard_admin(admin)
    marta = await new_reseller(bot, admin, "Marta")
    marta.received()
    anna, guest_link = await party(bot, marta)
    await rsvp(bot, "Ada", guest_link)
    await rsvp(bot, "Bea", guest_link)
    party_link = await shop_link(bot, marta, anna)

    # At the demo: two guests buy (€69.80 + €29.80).
    bot.clock.set(DURING_THE_PARTY)
    await order(marta, customer="Ada", items=[("Cookbook", 2)])
    await order(marta, customer="Bea", items=[("SPAT", 2)])

    # Three friends through the party's link (€34.90 + €14.90 + €34.90); Dina pays in Telegram.
    for name, items in (("Bice", [("Cookbook", 1)]), ("Cora", [("Spatula", 1)]), ("Dina", [("Cookbook", 1)])):
        friend = bot.person(name, language_code="en")
        await order_online(friend, party_link, items)
        await marta.press("✅ Accept")
    dina = friend
    invoice = next(e for e in dina.received() if e.kind == "invoice").markup["invoice"]
    assert [p["amount"] for p in invoice["prices"]] == [3490]
    checkout = bot.api.pre_checkout(dina.user, invoice)
    await bot.deliver(checkout)
    assert bot.api.checkout_answers[checkout["pre_checkout_query"]["id"]]["ok"] is True
    await bot.deliver(bot.api.successful_payment(dina.user, invoice))
    assert "your payment for order no. 5 has been received" in dina.received()[-1].text

    # A customer of Marta's own, with her personal code (€44.70), no party.
    code = (await marta.send("/shop"))[-1].text.split("Code: ")[1].strip()
    carla = bot.person("Carla", language_code="en")
    await carla.send(f"/code {code}")
    await carla.press("Spatula")
    await carla.press("3")
    await carla.press("Order")
    await carla.press("Use")
    await carla.press("Delivery to an address")
    await carla.send("Via Roma 1, 10121 Torino")
    await carla.press("Send the order")
    await marta.press("✅ Accept")

    async with bot.db.session_scope() as s:
        placed = (await s.scalars(select(Order).order_by(Order.id))).all()
    assert [(o.source, o.paid_at is not None) for o in placed] == [
        (OrderSource.DEMO, False),
        (OrderSource.DEMO, False),
        (OrderSource.PARTY_LINK, False),
        (OrderSource.PARTY_LINK, False),
        (OrderSource.PARTY_LINK, True),
        (OrderSource.PERSONAL_LINK, False),
    ]

    # Monday: Marta's digest and her manager's team digest, by source and in total.
    marta.received(), admin.received()
    bot.clock.set(MONDAY_DIGESTS)
    await bot.dispatch()
    digest = next(e.text for e in marta.received() if e.text.startswith("📊"))
    assert "Sales by source: at demos: €99.60 · party links: €84.70 · personal link or code: €44.70" in digest
    team = next(e.text for e in admin.received() if e.text.startswith("👥"))
    assert "€229.00 in 6 orders" in team

    # The party closes: the reward is frozen once, from the demo and the party link, not the code.
    bot.clock.set(AFTER_THE_CLOSE)
    await bot.dispatch()
    closed = [e.text for e in anna.received() if e.text.startswith("🎉")]
    assert closed == [
        "🎉 Your party with Marta is closed. Thank you! Your host reward is €18.43.\n"
        "Party sales at the close: €184.30\nProduct credit: 10% = €18.43\n"
        "Bookings made at the party: 0 = €0.00\nHost reward: €18.43"
    ]
    async with bot.db.session_scope() as s:
        frozen = await s.scalar(select(PartyReward))
    assert (frozen.sales_minor, frozen.credit_minor) == (18430, 1843)  # €99.60 + €84.70

    # The admin's statement for March: the same figures by source.
    exported = await admin.send("/statement 2031-03")
    rows = list(csv.reader(io.StringIO(exported[-1].document.decode("utf-8-sig"))))
    assert ["Marta", "at demos", "99.60", "EUR"] in rows
    assert ["Marta", "party links", "84.70", "EUR"] in rows
    assert ["Marta", "personal link or code", "44.70", "EUR"] in rows
