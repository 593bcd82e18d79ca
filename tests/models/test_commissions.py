"""The commission plan, the ledger and the statements, to the cent."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models import DomainError, commissions, orders
from models.commissions import next_amount, withholding_for
from models.money import share_of
from models.orders import Customer, WithdrawalPolicy
from models.plan import parse_plan
from tests.factories import load_catalog, make_user

UTC = UTC
PLAN = parse_plan((Path(__file__).resolve().parents[2] / "bot" / "commission_plan.toml").read_text())
BASE = 'currency = "EUR"\n[[versions]]\neffective_from = 2026-01-01\npersonal_rate_bp = 2000\n'


@pytest.mark.parametrize(
    "key",
    ["signup_bonus", "enrolment_bonus", "recruiting_bonus", "sign_up_fee_bonus", "bonus_per_recruit", "welcome_bonus"],
)
def test_a_plan_that_pays_for_recruiting_is_refused_with_the_reason(key):
    with pytest.raises(DomainError) as refused:
        parse_plan(BASE + f'{key} = "50.00"\n')
    assert refused.value.params["line"] == 5
    assert "Directive 2005/29/EC" in refused.value.params["reason"] and "173/2005" in refused.value.params["reason"]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ('currency = "EUR"\n[[versions]\n', 2, "Expected ']]'"),
        (BASE.replace("2000", "20.5"), 4, "personal_rate_bp must be basis points"),
        (BASE + "override_rates_bp = [5000, 4000]\n", 5, "exceed 100 %"),
        ('currency = "EUR"\n', "?", "at least one [[versions]]"),
    ],
)
def test_a_malformed_plan_is_refused_with_the_line_and_the_reason(text, line, reason):
    with pytest.raises(DomainError) as refused:
        parse_plan(text)
    assert refused.value.params["line"] == line and reason in refused.value.params["reason"]


def test_versions_apply_from_their_effective_date():
    plan = parse_plan(BASE + "[[versions]]\neffective_from = 2026-07-01\npersonal_rate_bp = 2500\n")
    assert plan.version_on(datetime(2026, 6, 30).date()).personal_rate_bp == 2000
    assert plan.version_on(datetime(2026, 7, 1).date()).personal_rate_bp == 2500
    with pytest.raises(DomainError):
        plan.version_on(datetime(2025, 12, 31).date())


def test_the_withholding_example():
    assert withholding_for(200000, plan=PLAN, period="2026-11") == 35880  # 2,000.00 gross: 358.80 withheld
    assert withholding_for(-5000, plan=PLAN, period="2026-11") == 0


@given(
    rates=st.lists(st.integers(0, 2500), min_size=1, max_size=4),
    bases=st.lists(st.integers(0, 10**8), min_size=1, max_size=6),
)
def test_commissions_never_exceed_the_configured_share_and_reversals_sum_to_zero(rates, bases):
    """Each order's base goes up and down (corrections, withdrawals); the ledger follows it."""
    for rate in rates:
        posted = 0
        for base in bases:
            posted += next_amount(base, rate, posted)
            assert posted == share_of(base, rate) <= base * rate // 10_000
        posted += next_amount(0, rate, posted)  # cancelled in the end
        assert posted == 0
    assert sum(share_of(bases[-1], r) for r in rates) <= bases[-1] * sum(rates) // 10_000


async def _sale(session, seller, products, key, when, items=(("TM7", 1),), own_use=False):
    order = await orders.create_order(
        session,
        reseller=seller,
        demo=None,
        customer=Customer(own_use=True) if own_use else Customer(name="Ada"),
        items=[(products[s].id, q) for s, q in items],
        idempotency_key=key,
        policy=WithdrawalPolicy(),
        now=when,
    )
    await commissions.post_order(session, order=order, plan=PLAN, now=when)
    return order


async def _amounts(session, order):
    from sqlalchemy import select

    rows = (
        await session.scalars(
            select(commissions.CommissionEntry)
            .where(commissions.CommissionEntry.order_id == order.id)
            .order_by(commissions.CommissionEntry.id)
        )
    ).all()
    return [(r.earner_id, r.level, r.kind, r.period, r.amount_minor) for r in rows]


async def test_a_sale_pays_the_seller_and_three_levels_of_upline_and_own_use_pays_nothing(session):
    top = await make_user(session, name="Top")
    l3 = await make_user(session, name="L3", upline_id=top.id)
    l2 = await make_user(session, name="L2", upline_id=l3.id)
    l1 = await make_user(session, name="L1", upline_id=l2.id)
    seller = await make_user(session, name="Seller", upline_id=l1.id)
    products = await load_catalog(session)
    when = datetime(2026, 5, 10, 10, tzinfo=UTC)
    order = await _sale(session, seller, products, "a", when)
    assert await _amounts(session, order) == [
        (seller.id, 0, "accrual", "2026-05", 30980),  # 20 % of 1,549.00
        (l1.id, 1, "accrual", "2026-05", 4647),
        (l2.id, 2, "accrual", "2026-05", 3098),
        (l3.id, 3, "accrual", "2026-05", 1549),
    ]  # top, four levels up, gets nothing: the plan stops at three
    own = await _sale(session, seller, products, "b", when, own_use=True)
    assert await _amounts(session, own) == []


async def test_a_closed_month_never_changes_a_later_withdrawal_is_a_reversal_in_its_own_month(session):
    seller = await make_user(session, name="Seller")
    products = await load_catalog(session)
    sold = datetime(2026, 5, 31, 20, tzinfo=UTC)  # 22:00 in Rome: still May
    order = await _sale(session, seller, products, "a", sold, items=(("BOOK", 2),))
    assert await commissions.close_past_periods(session, plan=PLAN, now=datetime(2026, 6, 1, 8, tzinfo=UTC)) == [
        "2026-05"
    ]
    returned = datetime(2026, 6, 3, 9, tzinfo=UTC)
    await orders.withdraw(
        session,
        order=order,
        actor=seller,
        quantities={(await orders.lines_of(session, order.id))[0].id: 1},
        reason=None,
        now=returned,
    )
    await commissions.post_order(session, order=order, plan=PLAN, now=returned)
    statements = await commissions.statements(session, earner_id=seller.id, plan=PLAN)
    assert [(s.period, s.gross_minor, s.closed) for s in statements] == [
        ("2026-06", -698, False),
        ("2026-05", 1396, True),
    ]
    await orders.cancel_order(session, order=order, actor=seller, reason="never paid", now=returned + timedelta(days=1))
    await commissions.post_order(session, order=order, plan=PLAN, now=returned + timedelta(days=1))
    assert sum(a for *_x, a in await _amounts(session, order)) == 0
    assert [s.gross_minor for s in await commissions.statements(session, earner_id=seller.id, plan=PLAN)] == [
        -1396,
        1396,
    ]


async def test_posting_twice_changes_nothing(session):
    seller = await make_user(session)
    products = await load_catalog(session)
    order = await _sale(session, seller, products, "a", datetime(2026, 5, 10, tzinfo=UTC))
    assert await commissions.post_order(session, order=order, plan=PLAN, now=datetime(2026, 5, 11, tzinfo=UTC)) == []
