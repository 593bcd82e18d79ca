"""Party close: the window for orders, the host's reminder, the reward frozen once, and how
returns after the close adjust it."""

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from models import DomainError, demos, orders
from models.notifications import NoticeStatus, Notification, ReminderPlan, sync_demo_notifications
from models.orders import Customer, WithdrawalPolicy
from models.party_close import party_closes_at, party_open_for_orders, set_close_day
from models.party_rewards import (
    CLOSE_GRACE,
    PartyReward,
    close_due_parties,
    party_standing,
    record_redemption,
)
from models.rewards import parse_reward_table
from tests.factories import NOW, load_catalog, make_demo, make_user

TABLE = parse_reward_table(
    'currency = "EUR"\nbooking_bonus = "25.00"\n[[tiers]]\nmin_sales = "150.00"\nrate_bp = 1000\n'
    '[[tiers]]\nmin_sales = "500.00"\nrate_bp = 1500\n'
)
# make_demo's demo: 25 March 2031, 10:00 in Rome. Clocks go forward on 30 March.
DEFAULT_CLOSE = datetime(2031, 4, 1, 22, 0, tzinfo=UTC)  # midnight ending 1 April, Rome summer time


async def _party(session, *, with_host=True):
    marta = await make_user(session)
    demo = await make_demo(session, reseller=marta)
    if with_host:
        anna = await make_user(session, role=None, name="Anna")
        demo.host_user_id = anna.id
        await session.flush()
    return marta, demo


async def _sell(session, marta, demo, key, items, products, *, now=NOW):
    return await orders.create_order(
        session,
        reseller=marta,
        demo=demo,
        customer=Customer(name="Ada"),
        items=[(products[sku].id, quantity) for sku, quantity in items],
        idempotency_key=key,
        policy=WithdrawalPolicy(),
        now=now,
    )


async def _rows(session, kind):
    return (await session.scalars(select(Notification).where(Notification.kind == kind))).all()


async def test_a_party_takes_orders_until_the_end_of_the_seventh_day_after_the_demo(session):
    _marta, demo = await _party(session)
    assert party_closes_at(demo) == DEFAULT_CLOSE
    assert party_open_for_orders(demo, NOW)  # before the demo too: friends order ahead
    assert party_open_for_orders(demo, DEFAULT_CLOSE - timedelta(seconds=1))
    assert not party_open_for_orders(demo, DEFAULT_CLOSE)
    await demos.cancel_demo(session, demo=demo, now=NOW)
    assert not party_open_for_orders(demo, NOW)


async def test_the_advisor_moves_the_close_and_the_hosts_reminder_moves_with_it(session):
    _marta, demo = await _party(session)
    plan = ReminderPlan()
    await sync_demo_notifications(session, demo=demo, plan=plan, now=NOW)
    (first,) = await _rows(session, "party_close_reminder")
    assert first.due_at == DEFAULT_CLOSE - timedelta(days=2) and first.expires_at == DEFAULT_CLOSE

    await set_close_day(session, demo=demo, day=date(2031, 4, 8), now=NOW)
    await sync_demo_notifications(session, demo=demo, plan=plan, now=NOW)
    await sync_demo_notifications(session, demo=demo, plan=plan, now=NOW)  # read back from the database: no churn
    assert len(await _rows(session, "party_close_reminder")) == 2
    assert party_closes_at(demo) == datetime(2031, 4, 8, 22, 0, tzinfo=UTC)
    rows = {r.status: r for r in await _rows(session, "party_close_reminder")}
    assert rows[NoticeStatus.CANCELLED].id == first.id
    assert rows[NoticeStatus.PENDING].due_at == datetime(2031, 4, 6, 22, 0, tzinfo=UTC)

    await demos.cancel_demo(session, demo=demo, now=NOW)
    await sync_demo_notifications(session, demo=demo, plan=plan, now=NOW)
    assert {r.status for r in await _rows(session, "party_close_reminder")} == {NoticeStatus.CANCELLED}


@pytest.mark.parametrize(
    ("day", "now", "code"),
    [
        (date(2031, 3, 24), NOW, "party_close_before_demo"),
        (date(2031, 5, 25), NOW, "party_close_too_late"),
        (date(2031, 3, 26), datetime(2031, 3, 27, 9, 0, tzinfo=UTC), "party_close_past"),
        (date(2031, 4, 20), DEFAULT_CLOSE, "party_closed"),
    ],
)
async def test_a_close_day_out_of_range_or_after_the_close_is_refused(session, day, now, code):
    _marta, demo = await _party(session)
    with pytest.raises(DomainError) as refused:
        await set_close_day(session, demo=demo, day=day, now=now)
    assert refused.value.code == code
    assert demo.party_closes_at is None


async def test_at_close_the_reward_is_frozen_once_and_the_host_told_once(session):
    marta, demo = await _party(session)
    products = await load_catalog(session)
    await _sell(session, marta, demo, "a", [("BOOK", 10)], products)  # 349.00
    returned = await _sell(session, marta, demo, "b", [("SPAT", 2)], products)
    await orders.withdraw(session, order=returned, actor=marta, quantities=None, reason=None, now=NOW)

    assert await close_due_parties(session, table=TABLE, now=DEFAULT_CLOSE) == []  # within the grace
    later = DEFAULT_CLOSE + CLOSE_GRACE
    assert await close_due_parties(session, table=TABLE, now=later) == [demo.id]
    assert await close_due_parties(session, table=TABLE, now=later + timedelta(hours=1)) == []  # a retry

    frozen = await session.get(PartyReward, demo.id)
    assert (frozen.sales_minor, frozen.rate_bp, frozen.credit_minor, frozen.closed_at) == (34900, 1000, 3490, later)
    (told,) = await _rows(session, "party_closed")
    assert (told.recipient_id, told.key, told.due_at) == (demo.host_user_id, f"party_closed:{demo.id}", later)
    standing = await party_standing(session, table=TABLE, demo=demo, now=later)
    assert standing.running is None and standing.closed.total_minor == 3490


async def test_two_processes_closing_the_same_party_freeze_one_reward(db):
    async with db.session_scope() as session:
        marta, demo = await _party(session)
        products = await load_catalog(session)
        await _sell(session, marta, demo, "a", [("TM7", 1)], products)
    later = DEFAULT_CLOSE + CLOSE_GRACE

    async def close():
        async with db.session_scope() as session:
            return await close_due_parties(session, table=TABLE, now=later)

    results = await asyncio.gather(close(), close(), close())
    assert sorted(results) == [[], [], [demo.id]]
    async with db.session_scope() as session:
        assert await session.scalar(select(func.count()).select_from(PartyReward)) == 1
        assert len(await _rows(session, "party_closed")) == 1
        assert (await session.get(PartyReward, demo.id)).credit_minor == 23235  # 15 % of 1,549.00


async def test_returns_after_the_close_keep_the_tier_lower_the_credit_and_never_go_under_what_was_used(session):
    marta, demo = await _party(session)
    products = await load_catalog(session)
    await _sell(session, marta, demo, "a", [("BOOK", 10)], products)  # 349.00
    robot = await _sell(session, marta, demo, "b", [("TM7", 1)], products)  # 1,549.00
    later = DEFAULT_CLOSE + CLOSE_GRACE
    await close_due_parties(session, table=TABLE, now=later)
    standing = await party_standing(session, table=TABLE, demo=demo, now=later)
    assert standing.closed.total_minor == 28470  # 15 % of 1,898.00

    # An order logged for the party after the close does not raise the frozen reward.
    await _sell(session, marta, demo, "c", [("TM7", 1)], products, now=later + timedelta(hours=1))
    await record_redemption(session, demo=demo, amount_minor=10000, now=later)
    # The robot is returned after the close: 349.00 kept, still at the 15 % tier reached at close.
    await orders.withdraw(session, order=robot, actor=marta, quantities=None, reason=None, now=later)
    closed = (await party_standing(session, table=TABLE, demo=demo, now=later)).closed
    assert (closed.kept_sales_minor, closed.credit_minor, closed.total_minor) == (34900, 5235, 10000)
    assert closed.available_minor == 0  # 100.00 already used: the reward stays at that
    with pytest.raises(DomainError) as refused:
        await record_redemption(session, demo=demo, amount_minor=1, now=later)
    assert refused.value.code == "redemption_too_much"
    frozen = await session.get(PartyReward, demo.id)
    assert (frozen.sales_minor, frozen.credit_minor, frozen.redeemed_minor) == (189800, 28470, 10000)


async def test_a_booking_earns_its_bonus_when_the_booked_demo_takes_place_even_after_the_close(session):
    marta, demo = await _party(session)
    products = await load_catalog(session)
    await _sell(session, marta, demo, "a", [("BOOK", 10)], products)
    booked = await make_demo(session, reseller=marta, starts_at=NOW + timedelta(days=20), source_demo_id=demo.id)
    cancelled = await make_demo(session, reseller=marta, starts_at=NOW + timedelta(days=9), source_demo_id=demo.id)
    await demos.cancel_demo(session, demo=cancelled, now=NOW)
    later = DEFAULT_CLOSE + CLOSE_GRACE
    await close_due_parties(session, table=TABLE, now=later)
    closed = (await party_standing(session, table=TABLE, demo=demo, now=later)).closed
    assert (closed.bookings, closed.bookings_pending, closed.total_minor) == (0, 1, 3490)
    held = booked.starts_at + timedelta(minutes=1)
    closed = (await party_standing(session, table=TABLE, demo=demo, now=held)).closed
    assert (closed.bookings, closed.bookings_pending, closed.total_minor) == (1, 0, 3490 + 2500)


async def test_a_party_closed_long_after_its_close_is_frozen_without_telling_the_host(session):
    marta, demo = await _party(session)
    products = await load_catalog(session)
    await _sell(session, marta, demo, "a", [("BOOK", 10)], products)
    assert await close_due_parties(session, table=TABLE, now=DEFAULT_CLOSE + timedelta(days=30)) == [demo.id]
    assert await _rows(session, "party_closed") == []
    assert (await session.get(PartyReward, demo.id)).credit_minor == 3490


async def test_a_cancelled_party_never_closes(session):
    _marta, demo = await _party(session)
    await demos.cancel_demo(session, demo=demo, now=NOW)
    assert await close_due_parties(session, table=TABLE, now=DEFAULT_CLOSE + timedelta(days=1)) == []
