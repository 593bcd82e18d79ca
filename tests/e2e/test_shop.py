"""Online orders: friends of the host order through the party's shop link, customers through an
advisor's personal link or code; the advisor accepts, changes or refuses; receipts name the
contract; payments in Telegram when a provider is configured."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from models import rewards, shop
from models.catalog import Product
from models.orders import Contract, Order, OrderLine, OrderSource, demo_retail_sales
from models.shop import CodeAttempt, OrderRequest
from tests.e2e.flows import link_payload
from tests.e2e.test_party_story import DURING_THE_PARTY, load_catalog, order, party
from tests.fakebot.harness import BotHarness

AFTER_THE_PARTY = datetime(2031, 3, 27, 10, 0, tzinfo=UTC)


async def shop_link(bot, reseller, anna):
    """The party's shop link, as the host shares it."""
    shared = await anna.press_data(anna.last_message_id(), f"host:glink:{await demo_id(bot)}")
    return link_payload(next(e.text for e in shared if "start=p_" in e.text), "p")


async def demo_id(bot):
    from models.demos import Demo

    async with bot.db.session_scope() as s:
        return await s.scalar(select(Demo.id))


async def order_online(friend, payload, items, *, name=None, address=None):
    """Opens the shop, fills the basket, gives a name and the delivery, sends the order."""
    opened = await friend.send(f"/start {payload}")
    for label, quantity in items:
        await friend.press(label)
        await friend.send(str(quantity))
    await friend.press("Order")
    if name:
        await friend.send(name)
    else:
        await friend.press("Use")
    if address:
        await friend.press("Delivery to an address")
        review = await friend.send(address)
    else:
        review = await friend.press("Collect from")
    sent = await friend.press("Send the order")
    return opened, review, sent


async def count(bot, model, *where):
    async with bot.db.session_scope() as s:
        return await s.scalar(select(func.count()).select_from(model).where(*where))


async def test_a_friend_orders_through_the_party_link_and_it_counts_for_the_party(bot, reseller):
    anna, _guest = await party(bot, reseller)
    payload = await shop_link(bot, reseller, anna)
    bice = bot.person("Bice", language_code="en")
    opened, review, sent = await order_online(bice, payload, [("Spatula", 2), ("Cookbook", 1)])
    assert "The shop of Anna's party, with Marta." in opened[-1].text
    text = review[-1].text
    assert "2 × Spatula: €29.80" in text and "Total: €64.70" in text
    assert "Delivery: to collect from Anna Bianchi." in text
    assert "distance contract. You may withdraw within 14 days from delivery" in text
    assert sent[-1].text.startswith("Thank you! Your order no. 1 has been sent to Marta")

    request = reseller.received()[-1]
    assert "Online order no. 1 from Bice, through the shop of Anna Bianchi's party." in request.text
    await reseller.press("✅ Accept")
    told = bice.received()[-1].text
    assert told.startswith("Marta accepted your online order. Here is the receipt:")
    assert "Contract: at a distance (ordered online)." in told
    assert "within 14 days from delivery" in told

    async with bot.db.session_scope() as s:
        placed = await s.scalar(select(Order))
        assert (placed.source, placed.contract, placed.demo_id) == (OrderSource.PARTY_LINK, Contract.DISTANCE, 1)
        assert await demo_retail_sales(s, demo_id=placed.demo_id) == 6470
        reward = await rewards.party_reward(
            s, table=bot.settings.reward_table, demo_id=placed.demo_id, now=bot.clock.now()
        )
        assert reward.sales_minor == 6470

    bot.clock.set(AFTER_THE_PARTY)
    await reseller.press("Mark as delivered")
    delivered = bice.received()[-1].text
    assert "Your order no. 1 has been delivered." in delivered
    assert "you may withdraw from this purchase within 14 days, until Thursday, 10 April 2031" in delivered


async def test_the_advisor_changes_quantities_then_accepts(bot, reseller):
    anna, _guest = await party(bot, reseller)
    payload = await shop_link(bot, reseller, anna)
    bice = bot.person("Bice", language_code="en")
    await order_online(bice, payload, [("Spatula", 3), ("Cookbook", 1)], name="Bice Rossi", address="Via Po 3, Torino")
    reseller.received()
    await reseller.press("Change")
    await reseller.press("➖ Spatula (3)")
    edited = await reseller.press("➖ Cookbook (1)")
    assert "1 × Spatula" not in edited[-1].text and "2 × Spatula: €29.80" in edited[-1].text
    await reseller.press("Accept as changed")
    told = bice.received()[-1].text
    assert "accepted your online order, with some changes" in told
    assert "2 × Spatula" in told and "Cookbook" not in told and "Total: €29.80" in told
    async with bot.db.session_scope() as s:
        lines = (await s.scalars(select(OrderLine))).all()
    assert [(ln.sku, ln.quantity) for ln in lines] == [("SPAT", 2)]


async def test_the_advisor_refuses_and_nothing_is_ordered(bot, reseller):
    anna, _guest = await party(bot, reseller)
    payload = await shop_link(bot, reseller, anna)
    bice = bot.person("Bice", language_code="en")
    await order_online(bice, payload, [("Spatula", 1)])
    reseller.received()
    refused = await reseller.press("Refuse")
    assert refused[-1].text == "Refused. Bice has been told."
    assert "Marta could not accept your online order no. 1. Nothing is due." in bice.received()[-1].text
    assert await count(bot, Order) == 0
    again = await reseller.press_data(reseller.last_message_id(), "req:ok:1")
    assert again[-1].text == "This online order has already been answered."
    assert await count(bot, Order) == 0


async def test_a_personal_code_order_is_credited_without_a_party(bot, reseller):
    await load_catalog(bot)
    shown = await reseller.send("/shop")
    code = shown[-1].text.split("Code: ")[1].strip()
    assert len(code) == 8 and set(code) <= set(shop.CODE_ALPHABET)
    assert f"start=c_{code}" in shown[-1].text
    carla = bot.person("Carla", language_code="en")
    await carla.send(f"/code {code.lower()}")  # typed by hand, in lower case
    await carla.press("Cookbook")
    await carla.press("2")
    await carla.press("Order")
    await carla.press("Use")
    assert "Collect" not in " ".join(carla.buttons())  # no host to collect from
    await carla.press("Delivery to an address")
    await carla.send("Via Roma 1, 10121 Torino")
    await carla.press("Send the order")
    assert "through your personal shop link or code" in reseller.received()[-1].text
    await reseller.press("✅ Accept")
    async with bot.db.session_scope() as s:
        placed = await s.scalar(select(Order))
    assert (placed.source, placed.demo_id, placed.reseller_id) == (OrderSource.PERSONAL_LINK, None, 2)
    assert "Contract: at a distance (ordered online)." in carla.received()[-1].text


async def test_a_code_that_does_not_exist_says_so_and_guessing_is_limited(bot, reseller):
    await reseller.send("/shop")  # Marta has a code: it is not revealed by a wrong one
    eve = bot.person("Eve", language_code="en")
    for attempt in range(5):
        wrong = await eve.send(f"/code ZZZZZZZ{attempt}")
        assert wrong[-1].text == "There is no shop with this code. Please check it and type it again, or /cancel."
    assert await count(bot, CodeAttempt) == 5
    limited = await eve.send("/code ABCDEFGH")
    assert limited[-1].text == "Too many codes that do not exist. Please try again in an hour."
    assert await count(bot, OrderRequest) == 0


async def test_bad_basket_input_is_refused_and_changes_nothing(bot, reseller):
    anna, _guest = await party(bot, reseller)
    payload = await shop_link(bot, reseller, anna)
    bice = bot.person("Bice", language_code="en")
    await bice.send(f"/start {payload}")
    await bice.press("Spatula")
    zero = await bice.send("0")
    assert zero[-1].text == "The quantity must be between 1 and 999. Please type it again."
    huge = await bice.send("10000")
    assert huge[-1].text == "The quantity must be between 1 and 999. Please type it again."
    assert await count(bot, shop.RequestLine) == 0
    await bice.send("1")
    await bice.press("Empty the basket")
    empty = await bice.press_data(bice.last_message_id(), "shop:out:1")
    assert empty[-1].text == "Add at least one product first."

    # Someone else's basket, forged: refused, nothing added.
    mallory = bot.person("Mallory", language_code="en")
    await mallory.send(f"/start {payload}")
    forged = await mallory.press_data(mallory.last_message_id(), "shop:qty:1:1:3")
    assert forged[-1].text == "This basket is not yours, or no longer exists."
    assert await count(bot, shop.RequestLine) == 0
    nonsense = await mallory.press_data(mallory.last_message_id(), "shop:qty:1:1:x")
    assert nonsense[-1].text == "This button is no longer active."
    # Not the advisor: cannot accept.
    stranger = await mallory.press_data(mallory.last_message_id(), "req:ok:1")
    assert stranger[-1].text.startswith("This is for HomeDemo advisors.")


async def test_a_closed_or_cancelled_party_takes_no_orders(bot, reseller):
    anna, _guest = await party(bot, reseller)
    payload = await shop_link(bot, reseller, anna)
    bice = bot.person("Bice", language_code="en")
    await bice.send(f"/start {payload}")
    await bice.press("Spatula")
    bot.clock.set(datetime(2031, 4, 2, 10, 0, tzinfo=UTC))  # more than 7 days after the demo
    late = await bice.press("2")
    assert late[-1].text == "This party no longer takes orders. Ask the host or the advisor about a new one."
    reopened = await bot.person("Carlo", language_code="en").send(f"/start {payload}")
    assert reopened[-1].text == "This party no longer takes orders. Ask the host or the advisor about a new one."
    assert await count(bot, shop.RequestLine) == 0
    unknown = await bice.send("/start p_doesnotexist")
    assert unknown[-1].text == "This shop link is not valid. Please ask for it again."


async def test_a_receipt_at_the_demo_states_the_off_premises_contract(bot, reseller):
    await party(bot, reseller)
    bot.clock.set(DURING_THE_PARTY)
    await reseller.send("/order")
    await reseller.press("Anna Bianchi")
    await reseller.press("New customer")
    await reseller.send("Dora")
    await reseller.press("Skip")
    await reseller.send("Cookbook")
    await reseller.send("1")
    await reseller.press("Review order")
    saved = await reseller.press("Confirm order")
    assert "Contract: off-premises (signed in person)." in saved[-1].text
    assert "within 30 days, until Thursday, 24 April 2031" in saved[-1].text
    async with bot.db.session_scope() as s:
        placed = await s.scalar(select(Order))
    assert (placed.source, placed.contract) == (OrderSource.DEMO, Contract.OFF_PREMISES)


@pytest.fixture
async def paying_bot(db):
    from tests.e2e.flows import NOW
    from tests.fakebot.harness import SteerableClock

    clock = SteerableClock()
    clock.set(NOW)
    harness = BotHarness(db, clock, payment_provider_token="284685063:TEST:provider")
    await harness.start()
    yield harness
    await harness.close()


async def test_payment_in_telegram_with_a_pre_checkout_refused_when_out_of_stock(paying_bot, db):
    from tests.e2e.flows import new_reseller, onboard_admin
    from tests.fakebot.harness import ADMIN_ID

    bot = paying_bot
    admin = bot.person("Alessandra", user_id=ADMIN_ID, language_code="en")
    await onboard_admin(admin)
    reseller = await new_reseller(bot, admin, "Marta")
    reseller.received()
    anna, _guest = await party(bot, reseller)
    payload = await shop_link(bot, reseller, anna)
    bice = bot.person("Bice", language_code="en")
    await order_online(bice, payload, [("Spatula", 2)])
    await reseller.press("✅ Accept")
    invoice = next(e for e in bice.received() if e.kind == "invoice")
    params = invoice.markup["invoice"]
    assert (params["currency"], [p["amount"] for p in params["prices"]], params["payload"]) == (
        "EUR",
        [2980],
        "order:1",
    )

    async with bot.db.session_scope() as s:
        await s.execute(update(Product).where(Product.sku == "SPAT").values(active=False))
    refused = bot.api.pre_checkout(bice.user, params)
    await bot.deliver(refused)
    answer = bot.api.checkout_answers[refused["pre_checkout_query"]["id"]]
    assert answer == {"ok": False, "error_message": "Spatula is no longer available. Please remove it from your order."}

    async with bot.db.session_scope() as s:
        await s.execute(update(Product).where(Product.sku == "SPAT").values(active=True))
    accepted = bot.api.pre_checkout(bice.user, params)
    await bot.deliver(accepted)
    assert bot.api.checkout_answers[accepted["pre_checkout_query"]["id"]] == {"ok": True, "error_message": None}
    await bot.deliver(bot.api.successful_payment(bice.user, params))
    assert "your payment for order no. 1 has been received" in bice.received()[-1].text
    assert "Order no. 1 from Bice has been paid online: €29.80." in reseller.received()[-1].text
    async with bot.db.session_scope() as s:
        assert (await s.scalar(select(Order))).paid_at is not None

    again = bot.api.pre_checkout(bice.user, params)  # paid already
    await bot.deliver(again)
    assert bot.api.checkout_answers[again["pre_checkout_query"]["id"]]["ok"] is False


async def test_sales_by_source_in_one_grouped_query(bot, reseller):
    anna, _guest = await party(bot, reseller)
    payload = await shop_link(bot, reseller, anna)
    bot.clock.set(DURING_THE_PARTY)
    await order(reseller, customer="Own use", items=[("SPAT", 1)])  # own use: not a sale
    bice = bot.person("Bice", language_code="en")
    await order_online(bice, payload, [("Cookbook", 1)])
    await reseller.press("✅ Accept")
    async with bot.db.session_scope() as s:
        found = await shop.sales_by_source(
            s, reseller_ids=None, start=AFTER_THE_PARTY - timedelta(days=30), end=AFTER_THE_PARTY, currency="EUR"
        )
    assert found == {(2, OrderSource.PARTY_LINK): 3490}


async def test_the_digest_and_the_monthly_statement_show_sales_by_source(bot, admin, reseller):
    import csv
    import io

    anna, _guest = await party(bot, reseller)
    payload = await shop_link(bot, reseller, anna)
    bot.clock.set(DURING_THE_PARTY)
    bice = bot.person("Bice", language_code="en")
    await order_online(bice, payload, [("Cookbook", 1)])
    await reseller.press("✅ Accept")
    reseller.received()

    bot.clock.set(datetime(2031, 3, 31, 6, 30, tzinfo=UTC))  # Monday 08:30 in Rome
    await bot.dispatch()
    digest = next(e.text for e in reseller.received() if e.text.startswith("📊"))
    assert "Sales by source: party links: €34.90" in digest

    exported = await admin.send("/statement 2031-03")
    rows = list(csv.reader(io.StringIO(exported[-1].document.decode("utf-8-sig"))))
    assert ["advisor", "source", "sales", "currency"] in rows
    assert ["Marta", "party links", "34.90", "EUR"] in rows
