"""The team in the chat: the tree, what each person may see, admin changes, commissions,
statements and warning signs."""

import csv
import io
import json
from datetime import UTC, datetime

from sqlalchemy import select

from models.users import User
from tests.e2e.flows import new_reseller
from tests.e2e.test_party_story import load_catalog

SOLD = datetime(2031, 3, 20, 10, tzinfo=UTC)


def menu_of(bot, person) -> list[str]:
    """The command menu Telegram shows in this person's chat with the bot."""
    scope = json.dumps({"chat_id": person.id, "type": "chat"}, sort_keys=True)
    return [c["command"] for c in bot.api.commands[(scope, "")]]


async def sell(reseller, sku, quantity, customer="New customer"):
    await reseller.send("/order")
    await reseller.press("No demo")
    await reseller.press(customer)
    if customer == "New customer":
        await reseller.send("Carla")
        await reseller.press("Skip")
    await reseller.send(sku)
    await reseller.send(str(quantity))
    await reseller.press("Review order")
    return await reseller.press("Confirm order")


async def test_the_tree_commissions_and_what_each_person_may_see(bot, admin, reseller):
    await load_catalog(bot)
    nina = await new_reseller(bot, reseller, "Nina")
    ivo = await new_reseller(bot, admin, "Ivo")
    tree = await admin.send("/team")
    assert "Your team: 3 people." in tree[-1].text
    assert "1. Ivo · this week €0.00 · next demo — · last demo — · active" in tree[-1].text
    assert "  2. Nina" in tree[-1].text

    await sell(nina, "TM7", 1)  # 1,549.00: Nina 20 %, Marta 3 %, the admin 2 %
    commissions_text = (await nina.send("/commissions"))[-1].text
    assert "never on sign-ups" in commissions_text
    assert "2031-03 (running): gross €309.80 · withholding €55.58 · net €254.22" in commissions_text
    assert "2031-03 (running): gross €46.47" in (await reseller.send("/commissions"))[-1].text
    assert "2031-03 (running): gross €30.98" in (await admin.send("/commissions"))[-1].text
    assert "2031-03 (running): gross €0.00" in (await ivo.send("/commissions"))[-1].text  # a sibling earns nothing

    # Marta sees Nina, not Ivo; a forged button for someone else's team is refused.
    async with bot.db.session_scope() as s:
        ivo_id = (await s.scalar(select(User).where(User.telegram_id == ivo.id))).id
        nina_id = (await s.scalar(select(User).where(User.telegram_id == nina.id))).id
    await reseller.send("/team")
    seen = await reseller.press("Nina")
    assert seen[-1].text.startswith("Nina\nThis month: sales €1,549.00 (1 order)")
    assert "Deactivate" not in " ".join(reseller.buttons())  # only admins change the team
    forged = await reseller.press_data(reseller.last_message_id(), f"team:member:{ivo_id}")
    assert forged[-1].text == "This person is not in your team."
    forged_admin = await reseller.press_data(reseller.last_message_id(), f"team:deactivateyes:{nina_id}")
    assert forged_admin[-1].text == "Only an admin can do this."

    statement = await admin.send("/statement 2031-03")
    rows = list(csv.reader(io.StringIO(statement[-1].document.decode("utf-8-sig"))))
    assert rows[0] == ["earner", "order", "level", "kind", "sales base", "rate (bp)", "commission", "currency"]
    assert ["Nina", "1", "0", "accrual", "1549.00", "2000", "309.80", "EUR"] in rows
    assert ["Nina", "309.80", "55.58", "254.22"] in rows
    refused = await reseller.send("/statement 2031-03")
    assert refused[-1].text == "Only an admin can do this."


async def test_an_admin_promotes_and_deactivates_and_the_team_moves_up(bot, admin, reseller):
    nina = await new_reseller(bot, reseller, "Nina")
    await admin.send("/team")
    await admin.press("Marta")
    promoted = await admin.press("Promote to manager")
    assert promoted[-1].text == "Marta is now a manager: they get the weekly team digest."
    assert "compliance" in menu_of(bot, reseller) and "statement" not in menu_of(bot, reseller)
    assert "statement" in menu_of(bot, admin) and "compliance" in menu_of(bot, admin)
    await admin.send("/team")
    await admin.press("Marta")
    await admin.press("Deactivate")
    done = await admin.press("Yes, deactivate")
    assert done[-1].text == "Marta: access removed. 1 person moved up to their upline."
    assert menu_of(bot, reseller) == ["start", "help", "settings", "privacy", "code"]  # no advisor commands any more
    async with bot.db.session_scope() as s:
        marta = await s.scalar(select(User).where(User.telegram_id == reseller.id))
        moved = await s.scalar(select(User).where(User.telegram_id == nina.id))
        boss = await s.scalar(select(User).where(User.telegram_id == admin.id))
    assert marta.deactivated_at is not None and moved.upline_id == boss.id
    locked_out = await reseller.send("/demos")
    assert locked_out[-1].text.startswith("This is for HomeDemo advisors.")


async def test_warning_signs_reach_the_manager_with_their_figures(bot, admin, reseller):
    await load_catalog(bot)
    await sell(reseller, "SPAT", 1)  # 14.90 retail
    await sell(reseller, "TM7", 1, customer="Own use")  # 1,549.00 for herself
    flags = await admin.send("/compliance")
    text = flags[-1].text
    assert text.startswith("Warning signs in your team:")
    assert (
        "⚠️ Marta: own purchases €1,549.00 against retail sales €14.90 over 30 days (possible inventory loading)" in text
    )
    assert "⚠️ Marta: retail share of sales plus own purchases over 30 days: 0.95% (expected: at least 70%)" in text
    refused = await reseller.send("/compliance")
    assert refused[-1].text == "Only an admin can do this."


async def test_a_reseller_returns_unsold_stock_and_gets_at_least_90_percent(bot, reseller):
    await load_catalog(bot)
    await sell(reseller, "BOOK", 2, customer="Own use")  # 69.80
    await reseller.press("Open the order")
    await reseller.press("Buy-back")
    await reseller.press("2 × Cookbook")
    asked = await reseller.send("2")
    assert "At least €62.82" in asked[-1].text
    low = await reseller.send("50")
    assert low[-1].text == "The refund must be at least €62.82, that is 90% of the price paid (Law 173/2005, art. 6)."
    done = await reseller.press("€62.82")
    assert done[-1].text == "Buy-back recorded: €69.80 paid, €62.82 refunded."


async def test_the_weekly_team_digest_carries_the_warning_signs(bot, admin, reseller):
    from datetime import timedelta

    await load_catalog(bot)
    await sell(reseller, "TM7", 1, customer="Own use")
    bot.clock.set(datetime(2031, 3, 24, 7, 0, tzinfo=UTC))  # Monday 08:00 in Rome
    await bot.dispatch()
    digest = [e.text for e in admin.received() if e.text.startswith("👥")]
    assert len(digest) == 1 and "Warning signs in your team:" in digest[0] and "possible inventory loading" in digest[0]
    bot.clock.set(bot.clock.now() + timedelta(hours=1))
    await bot.dispatch()
    assert not [e for e in admin.received() if e.text.startswith("👥")]  # once a week
