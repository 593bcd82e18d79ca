"""A party closes: the advisor picks its last day, the host is reminded, the reward is frozen
once and the host sees it; a closed party's buttons say so and change nothing."""

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from models.demos import Demo
from models.notifications import Notification
from models.orders import Order
from models.party_rewards import PartyReward
from tests.e2e.test_party_story import DURING_THE_PARTY, order, party, rsvp
from views.callbacks import OrderAtDemo, PartyCloseDay

REMINDER_DUE = datetime(2031, 4, 2, 22, 1, tzinfo=UTC)  # two days before the end of 4 April in Rome
AFTER_CLOSE = datetime(2031, 4, 4, 22, 6, tzinfo=UTC)


async def test_the_advisor_moves_the_close_the_host_is_reminded_then_sees_the_frozen_reward(bot, reseller):
    anna, payload = await party(bot, reseller)
    await rsvp(bot, "Ada", payload)
    bot.clock.set(DURING_THE_PARTY)
    await order(reseller, customer="Ada", items=[("Cookbook", 10)])  # 349,00 €: 10 % credit

    await reseller.send("/demos")
    await reseller.press("Anna Bianchi")
    page = await reseller.press("🛍 Orders until")
    assert "takes orders until the end of Tuesday, 1 April 2031" in page[-1].text
    saved = await reseller.press("4 Apr")
    assert saved[-1].text.startswith(
        "Saved: the party at Anna Bianchi's takes orders until the end of Friday, 4 April 2031."
    )

    bot.clock.set(REMINDER_DUE)
    await bot.dispatch()
    reminder = [e for e in anna.received() if not e.text.startswith("Thank you for hosting")]
    assert [e.text for e in reminder] == [
        "🛍 Your party with Marta takes orders until the end of Friday, 4 April 2031. Friends who could not "
        "come can still order: send them your guest link.\nParty sales so far: €349.00. Your host reward so "
        "far: €34.90."
    ]

    bot.clock.set(AFTER_CLOSE)
    await bot.dispatch()
    await bot.dispatch()  # a second tick: nothing closes or is said twice
    closed = anna.received()
    assert len(closed) == 1
    assert closed[0].text.startswith(
        "🎉 Your party with Marta is closed. Thank you! Your host reward is €34.90.\n"
        "Party sales at the close: €349.00\nProduct credit: 10% = €34.90"
    )
    shown = await anna.press("Host reward")
    assert "The party at Anna Bianchi's closed: it took orders until the end of Friday, 4 April 2031." in (
        shown[-1].text
    )
    assert "Host reward: €34.90" in shown[-1].text

    async with bot.db.session_scope() as s:
        demo = await s.scalar(select(Demo))
        frozen = await s.get(PartyReward, demo.id)
        assert (frozen.sales_minor, frozen.rate_bp, frozen.credit_minor) == (34900, 1000, 3490)
        told = await s.scalar(select(func.count()).select_from(Notification).where(Notification.kind == "party_closed"))
        assert told == 1

    # An old page's button for another last day: refused, nothing changes.
    forged = PartyCloseDay(demo.id, date(2031, 4, 20)).encode()
    refused = await reseller.press_data(reseller.last_message_id(), forged)
    assert "This party is closed: it no longer takes orders" in refused[-1].text
    async with bot.db.session_scope() as s:
        assert (await s.get(Demo, demo.id)).party_closes_at == datetime(2031, 4, 4, 22, 0, tzinfo=UTC)


async def test_after_the_close_an_order_is_logged_without_the_party(bot, reseller):
    await party(bot, reseller)
    bot.clock.set(datetime(2031, 4, 2, 9, 0, tzinfo=UTC))  # the party took orders until the end of 1 April
    asked = next(e for e in await reseller.send("/order") if e.text.startswith("New order."))
    labels = [b["text"] for row in asked.buttons for b in row]
    assert labels == ["No demo (a sale elsewhere)"]  # the closed party is not offered
    async with bot.db.session_scope() as s:
        demo = await s.scalar(select(Demo))
    refused = await reseller.press_data(asked.message_id, OrderAtDemo(demo.id).encode())  # an old button
    assert "This party is closed: it no longer takes orders" in refused[-1].text
    await reseller.send("/cancel")
    async with bot.db.session_scope() as s:
        assert await s.scalar(select(func.count()).select_from(Order)) == 0
