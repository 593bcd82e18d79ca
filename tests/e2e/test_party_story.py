"""A whole party in the bot: guests RSVP, arrive, buy, one withdraws; totals, host reward and
order history right to the cent."""

import csv
import io
from datetime import UTC, datetime

from sqlalchemy import select

from models.catalog import import_catalog
from models.guests import Guest
from models.orders import Order, OrderEvent
from tests.e2e.flows import book_demo, link_payload
from tests.factories import SAMPLE_CSV

# Marta writes English and lives in Rome: amounts are written the English way, €1,549.00; times are Rome's.
DURING_THE_PARTY = datetime(2031, 3, 25, 18, 30, tzinfo=UTC)  # 19:30 in Rome


async def load_catalog(bot):
    async with bot.db.session_scope() as s:
        await import_catalog(s, text=SAMPLE_CSV, now=bot.clock.now())


async def party(bot, reseller):
    """A confirmed demo; returns the host and the guest link payload."""
    await load_catalog(bot)
    host_payload = link_payload((await book_demo(reseller))[-2].text, "h")
    anna = bot.person("Anna", language_code="en")
    await anna.send(f"/start {host_payload}")
    confirmed = await anna.press("Confirm")
    guest_payload = link_payload(next(e.text for e in confirmed if "start=g_" in e.text), "g")
    reseller.received()
    return anna, guest_payload


async def rsvp(bot, name, payload, *, phone=None, language_code="en"):
    guest = bot.person(name, language_code=language_code)
    opened = await guest.send(f"/start {payload}")
    await guest.press("I agree" if language_code == "en" else "Accetto")
    await guest.press("Use" if language_code == "en" else "Usa")
    if phone:
        done = await guest.send(phone)
    else:
        done = await guest.press("Skip" if language_code == "en" else "Salta")
    return guest, opened, done


async def order(reseller, *, customer, items):
    await reseller.send("/order")
    await reseller.press("Anna Bianchi")
    await reseller.press(customer)
    for product, quantity in items:
        await reseller.send(product)
        await reseller.send(str(quantity))
    await reseller.press("Review order")
    return await reseller.press("Confirm order")


async def test_a_whole_party_from_rsvp_to_a_withdrawal(bot, reseller):
    anna, payload = await party(bot, reseller)

    ada, opened, done = await rsvp(bot, "Ada", payload, phone="333 111 2222")
    assert "You are invited to a home demo at Anna's!" in opened[-1].text and "📍 Torino" in opened[-1].text
    assert "Via Garibaldi" not in opened[-1].text  # the street only once registered
    assert "Privacy: your name and, if you give it, your phone number are kept by Marta" in opened[-1].text
    assert (
        "You are on the guest list, Ada! See you on Tuesday, 25 March 2031 at 18:30 at Via Garibaldi 12, Torino."
        in done[-1].text
    )

    await reseller.send("/demos")
    await reseller.press("Anna Bianchi")
    await reseller.press("Guests")
    await reseller.press("Capacity")
    await reseller.send("2")
    bea, _o, _d = await rsvp(bot, "Bea", payload)
    cleo, full, waiting = await rsvp(bot, "Cleo", payload)
    assert "The demo is full: you can join the waiting list" in full[-1].text
    assert waiting[-1].text.startswith("The demo is full, so you are on the waiting list.")
    sorry = await bea.press("I can't come")
    assert sorry[-1].text.startswith("Thank you for telling us.")
    assert "a place has freed up and you are now on the guest list" in cleo.received()[-1].text

    bot.clock.set(DURING_THE_PARTY)
    await reseller.press("Add guest")
    await reseller.send("Dora Neri")
    listed = await reseller.press("Skip")
    guest_list = listed[-1].text
    assert "Guests of the demo at Anna Bianchi's. Coming: 3 · checked in: 0 · capacity: 2." in guest_list
    assert "Dora Neri · coming · ⚠️ not yet informed of the privacy notice" in guest_list
    assert "Bea · can't come" in guest_list
    await reseller.press("☐ Ada")
    checked = await reseller.press("☐ Dora Neri")
    assert "checked in: 2" in checked[-1].text

    host_list = await anna.press("Guest list")
    assert host_list[-1].text == "Guests so far:\n☑ Ada · coming\nCleo · coming\n☑ Dora · coming"  # first names only

    saved = await order(reseller, customer="Ada", items=[("TM7", 1), ("spatula", 2)])
    receipt = saved[-1].text
    assert (
        "1 × Kitchen robot TM7: €1,549.00" in receipt
        and "2 × Spatula: €29.80" in receipt
        and "Total: €1,578.80" in receipt
    )
    assert "you may withdraw from this purchase within 30 days, until Thursday, 24 April 2031," in receipt
    ada_copy = ada.received()[-1].text
    assert "Total: €1,578.80" in ada_copy and "24 April 2031" in ada_copy
    await order(reseller, customer="Dora Neri", items=[("Cookbook", 1)])
    await order(reseller, customer="Own use", items=[("SPAT", 3)])

    await reseller.send("/orders")
    await reseller.press("Ada")
    await reseller.press("Withdrawal")
    await reseller.press("Some of: Spatula")
    withdrawn = await reseller.send("1")
    assert (
        "Withdrawal recorded." in withdrawn[-1].text and "Still due after withdrawals: €1,563.90" in withdrawn[-1].text
    )
    assert "Your withdrawal has been recorded." in ada.received()[-1].text

    async with bot.db.session_scope() as s:
        ada_order = await s.scalar(select(Order).where(Order.customer_name == "Ada"))
        events = (await s.scalars(select(OrderEvent).where(OrderEvent.order_id == ada_order.id))).all()
    assert [e.kind for e in events] == ["created", "withdrawal"]
    history = await reseller.press_data(reseller.chat[-1].message_id, f"order:hist:{ada_order.id}")
    assert "Marta · withdrawal: TM7 1, SPAT 2 (−1)" in history[-1].text

    # sales 1,563.90 + 34.90 = 1,598.80 → the 20 % tier of bot/host_rewards.toml (from 1,000) = 319.76
    reward = await reseller.press_data(reseller.chat[-1].message_id, f"demo:reward:{ada_order.demo_id}")
    assert "Party sales: €1,598.80" in reward[-1].text and "Product credit: 20% = €319.76" in reward[-1].text
    assert "Host reward: €319.76" in reward[-1].text
    host_reward = await anna.press("Host reward")
    assert "Host reward: €319.76" in host_reward[-1].text

    sales = await reseller.send("/sales")
    assert "Today: sales €1,598.80 (2 orders) · own use €44.70" in sales[-1].text

    exported = await reseller.send("/export")
    # Amounts with Marta's decimal comma, so columns are separated by semicolons (see views.reports).
    rows = list(csv.reader(io.StringIO(exported[-1].document.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["order", "date", "kind"]
    assert [r[5] for r in rows[1:]] == ["TM7", "SPAT", "BOOK", "SPAT"]
    assert [r[10] for r in rows[1:]] == ["1549,00", "14,90", "34,90", "44,70"]
    assert [r[2] for r in rows[1:]] == ["sale", "sale", "sale", "own use"]


async def test_booking_made_at_the_party_earns_the_host_a_bonus_once_that_demo_takes_place(bot, reseller):
    anna, _payload = await party(bot, reseller)
    await reseller.send("/demos")
    await reseller.press("Anna Bianchi")
    await reseller.press("Booking from this party")
    await reseller.send("Ada Verdi")
    await reseller.press("Skip")
    await reseller.send("Via Po 1, Torino")
    await reseller.send("02/04/2031")
    await reseller.send("18:00")
    await reseller.press("2 hours")
    await reseller.press("Skip")
    await reseller.press("Save")
    shown = await anna.press("Host reward")
    assert "Bookings made at the party: 0 = €0.00" in shown[-1].text
    assert "1 demo booked at the party is still to come: its bonus counts once it has taken place." in shown[-1].text
    bot.clock.set(datetime(2031, 4, 2, 16, 5, tzinfo=UTC))  # Ada's demo has begun (18:00 in Rome)
    (shown,) = [e for e in await anna.press("Host reward") if "Bookings" in e.text]
    assert (
        "Bookings made at the party: 1 = €25.00" in shown.text
        and "Host reward: €25.00" in shown.text
        and "still to come" not in shown.text
    )


async def test_order_input_mistakes_are_refused_and_change_nothing(bot, admin, reseller):
    from tests.e2e.flows import new_reseller

    await party(bot, reseller)
    bot.clock.set(DURING_THE_PARTY)
    await reseller.send("/order")
    await reseller.press("Anna Bianchi")
    await reseller.press("New customer")
    await reseller.send("Eva")
    await reseller.press("Skip")
    unknown = await reseller.send("hoverboard")
    assert unknown[-1].text == "No product matches “hoverboard”. Try another name or the SKU; /catalog lists them all."
    inactive = await reseller.send("OLD")
    assert inactive[-1].text == "Old blender is no longer sold, so it cannot be ordered."
    await reseller.send("SPAT")
    for bad, message in [
        ("0", "The quantity must be between 1 and 999."),
        ("-1", "The quantity must be between 1 and 999."),
        ("1000000000", "The quantity must be between 1 and 999."),
        ("1,5", "The quantity must be a whole number"),
    ]:
        refused = await reseller.send(bad)
        assert refused[-1].text.startswith(message), bad
    await reseller.send("2")
    await reseller.press("Review order")
    await reseller.press("Confirm order")
    stale = await reseller.press_data(*reseller.last_with_button("Confirm order"))  # pressed again
    assert stale[-1].text == "This button is no longer active."
    async with bot.db.session_scope() as s:
        placed = (await s.scalars(select(Order))).all()
    assert len(placed) == 1

    intruder = await new_reseller(bot, admin, "Ivo")
    await intruder.send("/orders")
    message_id = intruder.chat[-1].message_id
    for data in (f"order:view:{placed[0].id}", f"order:wd:{placed[0].id}", f"order:cancel:{placed[0].id}"):
        refused = await intruder.press_data(message_id, data)
        assert refused[-1].text == "This order is not available to you.", data
    refused = await intruder.press_data(message_id, f"demo:guests:{placed[0].demo_id}")
    assert refused[-1].text == "This demo is not available to you."


async def test_a_guest_link_for_a_cancelled_demo_is_refused(bot, reseller):
    _anna, payload = await party(bot, reseller)
    await reseller.send("/demos")
    await reseller.press("Anna Bianchi")
    await reseller.press("Cancel demo")
    await reseller.press("Yes, cancel it")
    late = bot.person("Zoe", language_code="en")
    refused = await late.send(f"/start {payload}")
    assert refused[-1].text == "This demo has been cancelled."
    async with bot.db.session_scope() as s:
        assert (await s.scalars(select(Guest))).all() == []


async def test_declining_the_privacy_notice_stores_nothing(bot, reseller):
    _anna, payload = await party(bot, reseller)
    shy = bot.person("Sam", language_code="en")
    await shy.send(f"/start {payload}")
    declined = await shy.press("No, thanks")
    assert declined[-1].text == "No problem: nothing about you has been saved."
    async with bot.db.session_scope() as s:
        assert (await s.scalars(select(Guest))).all() == []


async def test_a_guest_can_see_and_erase_their_data(bot, reseller):
    _anna, payload = await party(bot, reseller)
    ada, _o, _d = await rsvp(bot, "Ada", payload, phone="333 111 2222")
    shown = await ada.send("/privacy")
    assert "Ada, +39 333 111 2222" in shown[-1].text
    erased = await ada.press("Erase my guest data")
    assert erased[-1].text == "Done: your name and phone were removed from 1 guest list."
    async with bot.db.session_scope() as s:
        guest = await s.scalar(select(Guest))
    assert (guest.name, guest.phone) == ("—", None)


async def test_catalog_lists_active_products_in_the_users_format(bot, reseller):
    await load_catalog(bot)
    shown = await reseller.send("/catalog")
    assert "TM7 · Kitchen robot TM7 · €1,549.00" in shown[-1].text and "OLD" not in shown[-1].text


async def test_corrections_and_cancellations_are_kept_in_the_history(bot, reseller):
    await party(bot, reseller)
    bot.clock.set(DURING_THE_PARTY)
    await reseller.send("/order")
    await reseller.press("Anna Bianchi")
    await reseller.press("New customer")
    await reseller.send('=HYPERLINK("http://x")')
    await reseller.press("Skip")
    await reseller.send("SPAT")
    await reseller.send("2")
    await reseller.press("Review order")
    await reseller.press("Confirm order")
    await reseller.press("Open the order")
    await reseller.press("Correct")
    await reseller.press("2 × Spatula")
    await reseller.send("3")
    no_reason = await reseller.send("   ")
    assert no_reason[-1].text == "Please type a short reason: it is kept in the order's history."
    corrected = await reseller.send("typed 2 instead of 3")
    assert "3 × Spatula: €44.70" in corrected[-1].text
    await reseller.send("/orders")
    await reseller.press("#1")
    await reseller.press("Cancel order")
    cancelled = await reseller.send("customer changed their mind before paying")
    assert cancelled[-1].text == "Order no. 1 cancelled. It no longer counts as a sale."
    history = await reseller.press_data(reseller.chat[-1].message_id, "order:hist:1")
    text = history[-1].text
    assert "Marta · correction: SPAT 3 — reason: typed 2 instead of 3" in text
    assert "Marta · cancellation — reason: customer changed their mind before paying" in text
    sales = await reseller.send("/sales")
    assert "Today: sales €0.00 (0 orders)" in sales[-1].text
    exported = await reseller.send("/export")
    rows = list(csv.reader(io.StringIO(exported[-1].document.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][3] == '\'=HYPERLINK("http://x")'  # a spreadsheet shows it as text, never runs it
    assert (rows[1][4], rows[1][10]) == ("cancelled", "0,00")


async def test_an_italian_guest_reads_everything_in_italian(bot, reseller):
    _anna, payload = await party(bot, reseller)
    lucia, opened, done = await rsvp(bot, "Lucia", payload, language_code="it")
    assert "Hai un invito per una dimostrazione a casa da Anna!" in opened[-1].text
    assert "martedì 25 marzo 2031 alle 18:30" in opened[-1].text
    assert lucia.buttons() == ["Non posso venire"]
    assert "martedì 25 marzo 2031 alle 18:30" in done[-1].text


async def test_a_host_or_guest_who_blocked_the_bot_is_flagged_to_the_reseller(bot, reseller):
    anna, payload = await party(bot, reseller)
    eva, _opened, _done = await rsvp(bot, "Eva", payload)

    await anna.block()
    await eva.block()
    await reseller.send("/demos")
    shown = await reseller.press("Anna Bianchi")
    assert "🔕 The host has blocked the bot: no reminders or messages reach them. Tell them yourself." in shown[-1].text
    listed = await reseller.press("Guests")
    assert "Eva · coming · 🔕 blocked the bot: no reminder reaches them" in listed[-1].text

    await anna.block(False)  # she starts the bot again
    await eva.block(False)
    await reseller.send("/demos")
    assert "blocked the bot" not in (await reseller.press("Anna Bianchi"))[-1].text
    assert "blocked the bot" not in (await reseller.press("Guests"))[-1].text
