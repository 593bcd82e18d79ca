"""Forged button data (anyone can send any data with a press) gets "no longer active" and
changes nothing, whatever the id: too big for the database, negative, or not a number."""

from sqlalchemy import select

from models import Base
from tests.e2e.flows import new_reseller
from tests.e2e.test_party_story import DURING_THE_PARTY, order, party, rsvp

STALE = [("alert", "This button is no longer active.")]


async def everything(bot) -> dict[str, list[tuple]]:
    async with bot.db.session_scope() as s:
        return {
            table.name: sorted(map(tuple, (await s.execute(select(table))).all()), key=repr)
            for table in Base.metadata.sorted_tables
            if table.name != "handled_updates"  # which updates were handled: bookkeeping, not a change
        }


async def test_forged_ids_on_real_buttons_are_no_longer_active_and_change_nothing(bot, admin, reseller):
    _anna, guest_link = await party(bot, reseller)
    await rsvp(bot, "Ada", guest_link)
    bot.clock.set(DURING_THE_PARTY)
    await order(reseller, customer="Ada", items=[("TM7", 1)])
    await new_reseller(bot, reseller, "Nina")
    reseller.received()
    before = await everything(bot)
    assert before["guests"] and before["orders"] and len(before["users"]) == 5
    message = reseller.last_message_id()
    # 2**31 and up: too big for an INTEGER id, which PostgreSQL would refuse with an error.
    for bad_id in ("99999999999999999999", "-5", "x", "0", "1.0", "", str(2**31), str(2**63 - 1)):
        for button in (
            "demo:view:{}",
            "guest:in:{}:0",
            "order:view:{}",
            "team:member:{}",
            "demo:cancelyes:{}",
            "order:cancel:{}",
        ):
            pressed = await reseller.press_data(message, button.format(bad_id))
            assert [(e.kind, e.text) for e in pressed] == STALE, (button, bad_id)
    assert await everything(bot) == before
