"""Orders to the cent: prices kept, withdrawal periods, history, and what counts as a sale."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from models import DomainError, guests, orders
from models.orders import Customer, WithdrawalPolicy
from tests.factories import NOW, load_catalog, make_demo, make_user
from views.errors import error_text
from views.i18n import use_locale

POLICY = WithdrawalPolicy(days=14, days_home_demo=30)


async def _order(
    session, reseller, products, *, demo=None, customer=None, items=(("TM7", 1), ("SPAT", 2)), key="k1", now=NOW
):
    return await orders.create_order(
        session,
        reseller=reseller,
        demo=demo,
        customer=customer or Customer(name="Ada"),
        items=[(products[sku].id, q) for sku, q in items],
        idempotency_key=key,
        policy=POLICY,
        now=now,
    )


async def test_an_order_keeps_the_prices_it_was_sold_at(session):
    marta, products = await make_user(session), await load_catalog(session)
    order = await _order(session, marta, products)
    products["TM7"].unit_price_minor = 199900  # the price list changes later
    lines = await orders.lines_of(session, order.id)
    assert [(ln.sku, ln.unit_price_minor, ln.quantity) for ln in lines] == [("TM7", 154900, 1), ("SPAT", 1490, 2)]
    assert orders.gross(lines) == 157880 and orders.net(order, lines) == 157880


async def test_confirming_twice_makes_one_order(session):
    marta, products = await make_user(session), await load_catalog(session)
    first = await _order(session, marta, products, key="same")
    second = await _order(session, marta, products, key="same")
    assert first.id == second.id and len(await orders.recent_orders(session, reseller_id=marta.id, limit=10)) == 1


async def test_a_sale_at_a_home_demo_gives_30_days_and_elsewhere_14(session):
    marta, products = await make_user(session), await load_catalog(session)
    demo = await make_demo(session, reseller=marta)
    at_demo = await _order(session, marta, products, demo=demo, key="a", now=datetime(2031, 3, 25, 20, 0, tzinfo=UTC))
    elsewhere = await _order(session, marta, products, key="b", now=datetime(2031, 3, 25, 20, 0, tzinfo=UTC))
    assert (at_demo.withdrawal_days, at_demo.last_withdrawal_day.isoformat()) == (30, "2031-04-24")
    assert (elsewhere.withdrawal_days, elsewhere.last_withdrawal_day.isoformat()) == (14, "2031-04-08")
    # the last day ends at midnight in Rome (summer time by then): 22:00 UTC
    assert at_demo.withdrawal_ends_at == datetime(2031, 4, 24, 22, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("quantity", "code"),
    [
        (0, "quantity_range"),
        (-1, "quantity_range"),
        (10**9, "quantity_range"),
        ("1,5", "quantity_not_whole"),
        ("x", "quantity_not_whole"),
    ],
)
def test_bad_quantities(quantity, code):
    with pytest.raises(DomainError) as refused:
        orders.validate_quantity(quantity)
    assert refused.value.code == code


async def test_inactive_products_and_empty_orders_are_refused(session):
    marta, products = await make_user(session), await load_catalog(session)
    with pytest.raises(DomainError) as inactive:
        await _order(session, marta, products, items=(("OLD", 1),))
    assert inactive.value.code == "product_inactive"
    with pytest.raises(DomainError) as empty:
        await _order(session, marta, products, items=())
    assert empty.value.code == "order_empty"


async def test_an_order_has_at_most_50_lines_each_a_button_when_one_is_chosen(session):
    marta, products = await make_user(session), await load_catalog(session)
    order = await _order(session, marta, products, items=[("SPAT", 1)] * orders.LINES_MAX)
    assert len(await orders.lines_of(session, order.id)) == 50
    with pytest.raises(DomainError) as too_many:
        await _order(session, marta, products, items=[("SPAT", 1)] * (orders.LINES_MAX + 1), key="k2")
    assert (too_many.value.code, too_many.value.params) == ("order_too_many_lines", {"limit": 50})


async def test_another_resellers_demo_or_order_is_refused(session):
    marta, ivo, products = await make_user(session), await make_user(session, name="Ivo"), await load_catalog(session)
    demo = await make_demo(session, reseller=marta)
    with pytest.raises(DomainError) as foreign_demo:
        await _order(session, ivo, products, demo=demo)
    assert foreign_demo.value.code == "demo_not_found"
    order = await _order(session, marta, products)
    with pytest.raises(DomainError) as foreign_order:
        await orders.order_of_reseller(session, order_id=order.id, reseller=ivo)
    assert foreign_order.value.code == "order_not_found"


async def test_partial_then_whole_withdrawal_and_the_history_of_each(session):
    marta, products = await make_user(session), await load_catalog(session)
    order = await _order(session, marta, products)
    lines = await orders.lines_of(session, order.id)
    spatula = lines[1]
    await orders.withdraw(
        session, order=order, actor=marta, quantities={spatula.id: 1}, reason=None, now=NOW + timedelta(days=3)
    )
    assert orders.net(order, lines) == 157880 - 1490
    with pytest.raises(DomainError) as too_many:
        await orders.withdraw(session, order=order, actor=marta, quantities={spatula.id: 2}, reason=None, now=NOW)
    assert too_many.value.code == "withdrawal_too_many"
    await orders.withdraw(
        session, order=order, actor=marta, quantities=None, reason="changed mind", now=NOW + timedelta(days=4)
    )
    assert orders.net(order, lines) == 0
    history = await orders.history_of(session, order.id)
    assert [e.kind for e in history] == ["created", "withdrawal", "withdrawal"]
    assert json.loads(history[1].detail)["after"][1]["withdrawn"] == 1 and history[2].reason == "changed mind"


async def test_no_withdrawal_after_the_period(session):
    marta, products = await make_user(session), await load_catalog(session)
    order = await _order(session, marta, products)
    with pytest.raises(DomainError) as late:
        await orders.withdraw(
            session, order=order, actor=marta, quantities=None, reason=None, now=order.withdrawal_ends_at
        )
    assert late.value.code == "withdrawal_period_over"


async def test_corrections_and_cancellation_need_a_reason_and_leave_a_trace(session):
    marta, products = await make_user(session), await load_catalog(session)
    order = await _order(session, marta, products)
    spatula = (await orders.lines_of(session, order.id))[1]
    with pytest.raises(DomainError) as no_reason:
        await orders.correct_line(
            session, order=order, actor=marta, line_id=spatula.id, quantity=3, reason="  ", now=NOW
        )
    assert no_reason.value.code == "reason_needed"
    lines = await orders.correct_line(
        session, order=order, actor=marta, line_id=spatula.id, quantity=3, reason="typo", now=NOW
    )
    assert orders.net(order, lines) == 154900 + 3 * 1490
    await orders.cancel_order(session, order=order, actor=marta, reason="customer never paid", now=NOW)
    assert orders.net(order, lines) == 0
    with pytest.raises(DomainError) as changed_after:
        await orders.withdraw(session, order=order, actor=marta, quantities=None, reason=None, now=NOW)
    assert changed_after.value.code == "order_cancelled"
    history = await orders.history_of(session, order.id)
    assert [(e.kind, e.reason) for e in history] == [
        ("created", None),
        ("correction", "typo"),
        ("cancellation", "customer never paid"),
    ]
    correction = json.loads(history[1].detail)
    assert (correction["before"][1]["quantity"], correction["after"][1]["quantity"]) == (2, 3)


async def test_sales_count_retail_and_own_use_apart_net_of_withdrawals_and_cancellations(session):
    marta, products = await make_user(session), await load_catalog(session)
    kept = await _order(session, marta, products, key="1")
    returned = await _order(session, marta, products, key="2", items=(("BOOK", 2),))
    await orders.withdraw(session, order=returned, actor=marta, quantities=None, reason=None, now=NOW)
    cancelled = await _order(session, marta, products, key="3", items=(("SPAT", 1),))
    await orders.cancel_order(session, order=cancelled, actor=marta, reason="duplicate", now=NOW)
    await _order(session, marta, products, key="4", customer=Customer(own_use=True), items=(("BOOK", 1),))
    await _order(session, marta, products, key="5", now=NOW + timedelta(days=40))  # outside the period
    figures = await orders.sales_between(
        session, reseller_id=marta.id, start=NOW - timedelta(days=1), end=NOW + timedelta(days=1), currency="EUR"
    )
    assert (figures.retail_minor, figures.own_use_minor) == (157880, 3490)
    # Neither the cancelled order nor the wholly withdrawn one is an order any more (issue #11).
    assert (figures.retail_orders, figures.own_use_orders) == (1, 1)
    assert kept.kind == "retail"


async def test_an_attendee_customer_is_linked_and_must_belong_to_the_demo(session):
    marta, products = await make_user(session), await load_catalog(session)
    demo, other = (
        await make_demo(session, reseller=marta),
        await make_demo(session, reseller=marta, starts_at=NOW + timedelta(days=9)),
    )
    ada_user = await make_user(session, role=None, name="Ada")
    ada = await guests.rsvp(
        session, demo=demo, user=ada_user, name="Ada Rossi", phone=None, region="IT", consent_at=NOW, now=NOW
    )
    order = await _order(session, marta, products, demo=demo, customer=Customer(guest_id=ada.id))
    assert (order.customer_name, order.customer_user_id, order.guest_id) == ("Ada Rossi", ada_user.id, ada.id)
    with pytest.raises(DomainError):
        await _order(session, marta, products, demo=other, customer=Customer(guest_id=ada.id), key="x")


async def test_a_refusal_names_the_product_in_the_readers_language_after_the_rollback(session):
    """The error keeps the product's names, not the product: the transaction is rolled back
    before the refusal is written, and each reader reads the name they would see in the catalog."""
    marta, products = await make_user(session), await load_catalog(session)
    products["OLD"].name_de = "Alter Mixer"
    await session.flush()
    with pytest.raises(DomainError) as inactive:
        await _order(session, marta, products, items=(("OLD", 1),))
    await session.rollback()  # the boundary's, before the reply is rendered
    with use_locale("de"):
        assert "Alter Mixer" in error_text(inactive.value)
    with use_locale("fr"):  # no French name: the catalog's default
        assert "Old blender" in error_text(inactive.value)
