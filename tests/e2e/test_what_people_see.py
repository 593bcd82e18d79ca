"""What people see, made right: counts without withdrawn or cancelled orders, the host's page
after confirming, /order's demos, the team's next and last demos."""

from datetime import UTC, datetime

from tests.e2e.flows import book_demo, link_payload
from tests.e2e.test_party_story import DURING_THE_PARTY, order, party


async def test_a_wholly_withdrawn_order_is_not_counted_and_its_receipt_has_no_deadline(bot, reseller):
    await party(bot, reseller)
    bot.clock.set(DURING_THE_PARTY)
    await order(reseller, customer="Own use", items=[("SPAT", 1)])  # own use: counted apart, never as a sale
    await reseller.send("/order")
    await reseller.press("Anna Bianchi")
    await reseller.press("New customer")
    await reseller.send("Bruna Gialli")
    await reseller.press("Skip")
    await reseller.send("TM7")
    await reseller.send("1")
    await reseller.press("Review order")
    await reseller.press("Confirm order")
    assert "(1 orders)" in (await reseller.send("/sales"))[-1].text

    await reseller.send("/orders")
    await reseller.press("Bruna Gialli")
    await reseller.press("Withdrawal")
    withdrawn = await reseller.press("The whole order")
    text = withdrawn[-1].text
    assert "Withdrawal recorded." in text and "withdraw from this purchase" not in text
    sales = await reseller.send("/sales")
    assert "Today: sales 0,00\u00a0€ (0 orders)" in sales[-1].text

    await reseller.send("/orders")
    page = await reseller.press("Bruna Gialli")
    assert "Withdrawal" not in " ".join(reseller.buttons())  # nothing left to give back
    assert "withdraw from this purchase" not in page[-1].text
    own = await reseller.press_data(reseller.last_message_id(), "order:view:1")
    assert "Own use" in own[-1].text and "withdraw" not in own[-1].text.casefold()


async def test_after_confirming_the_hosts_page_shows_the_confirmed_demo(bot, reseller):
    payload = link_payload((await book_demo(reseller))[-2].text, "h")
    anna = bot.person("Anna", language_code="en")
    first = await anna.send(f"/start {payload}")
    assert "✅ Confirm" in anna.buttons() and "would like to hold a demo" in first[-1].text
    await anna.press("Confirm")
    again = await anna.send(f"/start {payload}")
    assert "Your demo with Marta is confirmed:\n📅 Tuesday, 25 March 2031 at 18:30" in again[-1].text
    assert anna.buttons() == ["🕑 Propose another time", "👥 Guest list", "🎁 Host reward"]


async def test_order_offers_recent_and_upcoming_demos_and_no_demo(bot, reseller):
    await book_demo(reseller, host="Anna Bianchi", day="25/03/2031")
    await book_demo(reseller, host="Bea Rossi", day="10/04/2031", phone=None)
    await book_demo(reseller, host="Carla Verdi", day="30/06/2031", phone=None)  # months away: not offered
    bot.clock.set(datetime(2031, 3, 28, 9, 0, tzinfo=UTC))  # Anna's was three days ago, Bea's in two weeks
    offered = next(e for e in await reseller.send("/order") if "recent or upcoming demos" in e.text)
    assert [b["text"] for row in offered.buttons for b in row] == [
        "Tue 25 Mar 18:30 · Anna Bianchi",
        "Thu 10 Apr 18:30 · Bea Rossi",
        "No demo (a sale elsewhere)",
    ]


async def test_the_team_view_shows_each_advisors_next_and_last_completed_demo(bot, admin, reseller):
    payload = link_payload((await book_demo(reseller, day="25/03/2031"))[-2].text, "h")
    anna = bot.person("Anna", language_code="en")
    await anna.send(f"/start {payload}")
    await anna.press("Confirm")
    await book_demo(reseller, host="Bea Rossi", day="02/04/2031", phone=None)
    bot.clock.set(datetime(2031, 3, 28, 9, 0, tzinfo=UTC))
    tree = await admin.send("/team")
    assert "Marta · this week 0,00\u00a0€ · next demo 2 Apr · last demo 25 Mar · active" in tree[-1].text
