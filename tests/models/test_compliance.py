"""Each compliance flag, on and off at its threshold; buy-back at 90 %; the team tree."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from models import DomainError, commissions, compliance, orders, team
from models.orders import Customer, WithdrawalPolicy
from models.plan import parse_plan
from models.users import Invite, Role
from tests.factories import make_user

UTC = UTC
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
PLAN = parse_plan((Path(__file__).resolve().parents[2] / "bot" / "commission_plan.toml").read_text())
CSV = "sku,name,price,currency,active\nR,Retail item,1.00,EUR,yes\n"


async def _product(session):
    from sqlalchemy import select

    from models.catalog import Product, import_catalog

    await import_catalog(session, text=CSV, now=NOW)
    return await session.scalar(select(Product))


async def _buy(session, who, product, units, *, own_use=False, key=None, when=NOW - timedelta(days=1)):
    return await orders.create_order(
        session,
        reseller=who,
        demo=None,
        customer=Customer(own_use=True) if own_use else Customer(name="C"),
        items=[(product.id, units)],
        idempotency_key=key or f"{who.id}-{units}-{own_use}-{when}",
        policy=WithdrawalPolicy(),
        now=when,
    )


async def codes(session, user):
    return sorted(f.code for f in await compliance.check_reseller(session, user=user, plan=PLAN, now=NOW))


@pytest.mark.parametrize(
    ("retail", "own", "expected"),
    [
        (700, 300, []),  # exactly 70 % retail: fine (own use 300 is under 50 % of retail 700)
        (699, 301, ["retail_share"]),
        (0, 0, []),
    ],
)
async def test_retail_share(session, retail, own, expected):
    marta, product = await make_user(session), await _product(session)
    if retail:
        await _buy(session, marta, product, retail)
    if own:
        await _buy(session, marta, product, own, own_use=True)
    assert await codes(session, marta) == expected


@pytest.mark.parametrize(
    ("retail", "own", "expected"),
    [
        (400, 100, []),  # 25 %... (also above 70 % retail share: 80 %)
        (200, 100, ["retail_share"]),  # own use at exactly 50 % of retail is the limit, not past it
        (200, 101, ["inventory_loading", "retail_share"]),
        (0, 5, ["inventory_loading", "retail_share"]),  # buying with no retail sales at all
    ],
)
async def test_inventory_loading(session, retail, own, expected):
    marta, product = await make_user(session), await _product(session)
    if retail:
        await _buy(session, marta, product, retail)
    await _buy(session, marta, product, own, own_use=True)
    found = await codes(session, marta)
    assert found == expected


async def test_inventory_loading_is_off_at_exactly_half(session):
    marta, product = await make_user(session), await _product(session)
    await _buy(session, marta, product, 800)
    await _buy(session, marta, product, 400, own_use=True)  # own use = 50 % of retail; retail share 66.7 % < 70 %
    assert await codes(session, marta) == ["retail_share"]
    await _buy(session, marta, product, 1, own_use=True, key="one more")
    assert await codes(session, marta) == ["inventory_loading", "retail_share"]


@pytest.mark.parametrize(("recruits", "team_retail_units", "flagged"), [(3, 599, True), (3, 600, False), (2, 0, False)])
async def test_recruitment_heavy(session, recruits, team_retail_units, flagged):
    boss, product = await make_user(session, name="Boss"), await _product(session)
    recruits_made = []
    for n in range(recruits):
        newcomer = await make_user(session, name=f"N{n}", upline_id=boss.id)
        session.add(
            Invite(
                token=f"t{n}",
                created_by_id=boss.id,
                created_at=NOW - timedelta(days=10),
                expires_at=NOW,
                used_by_id=newcomer.id,
                used_at=NOW - timedelta(days=9),
            )
        )
        recruits_made.append(newcomer)
    if team_retail_units:
        await _buy(session, recruits_made[0], product, 500)
        await _buy(session, boss, product, team_retail_units - 500)  # 1.00 € a unit: 599 or 600 € in all
    await session.flush()
    found = await codes(session, boss)
    assert ("recruitment_heavy" in found) == flagged


@pytest.mark.parametrize(
    ("earned", "expected"),
    [
        (399999, []),
        (400000, ["occasional_income_near"]),
        (499999, ["occasional_income_near"]),
        (500000, ["occasional_income_over"]),
    ],
)
async def test_occasional_income_limit(session, earned, expected):
    marta = await make_user(session)
    product = await _product(session)
    order = await _buy(session, marta, product, 1)
    session.add(
        commissions.CommissionEntry(
            earner_id=marta.id,
            order_id=order.id,
            level=0,
            kind="accrual",
            period="2026-03",
            base_minor=earned * 5,
            rate_bp=2000,
            amount_minor=earned,
            currency="EUR",
            created_at=NOW,
        )
    )
    await session.flush()
    assert [c for c in await codes(session, marta) if c.startswith("occasional")] == expected


async def test_buy_back_refunds_at_least_90_percent(session):
    marta, product = await make_user(session), await _product(session)
    assert compliance.minimum_refund(333, PLAN) == 300  # 299.7 rounded up, in the reseller's favour
    order = await _buy(session, marta, product, 3, own_use=True)  # 3.00 €
    line = (await orders.lines_of(session, order.id))[0]
    with pytest.raises(DomainError) as low:
        await compliance.record_buy_back(
            session, order=order, actor=marta, quantities={line.id: 3}, refund_minor=269, plan=PLAN, now=NOW
        )
    assert low.value.code == "buy_back_below_minimum" and low.value.params["minimum_minor"] == 270
    record = await compliance.record_buy_back(
        session,
        order=order,
        actor=marta,
        quantities={line.id: 3},
        refund_minor=270,
        plan=PLAN,
        now=NOW + timedelta(days=60),
    )
    assert (record.paid_minor, record.refund_minor) == (300, 270)
    assert orders.net(order, await orders.lines_of(session, order.id)) == 0  # no longer counted as a purchase
    retail = await _buy(session, marta, product, 1, key="retail")
    with pytest.raises(DomainError):
        await compliance.record_buy_back(
            session,
            order=retail,
            actor=marta,
            quantities={(await orders.lines_of(session, retail.id))[0].id: 1},
            refund_minor=100,
            plan=PLAN,
            now=NOW,
        )


async def test_team_tree_visibility_promotion_and_deactivation(session):
    admin = await make_user(session, role=Role.ADMIN, name="Admin")
    marta = await make_user(session, name="Marta", upline_id=admin.id)
    nina = await make_user(session, name="Nina", upline_id=marta.id)
    ivo = await make_user(session, name="Ivo", upline_id=admin.id)
    assert [(m.user.display_name, m.depth) for m in await team.tree(session, root=admin)] == [
        ("Ivo", 1),
        ("Marta", 1),
        ("Nina", 2),
    ]
    assert (await team.in_team_of(session, viewer=marta, member_id=nina.id)).id == nina.id
    for viewer, member in ((marta, ivo), (nina, marta)):
        with pytest.raises(DomainError) as hidden:
            await team.in_team_of(session, viewer=viewer, member_id=member.id)
        assert hidden.value.code == "member_not_found"
    with pytest.raises(DomainError):
        await team.promote_to_manager(session, actor=marta, member=nina)
    await team.promote_to_manager(session, actor=admin, member=marta)
    assert marta.role == "manager"
    assert await team.deactivate(session, actor=admin, member=marta, now=NOW) == 1
    await session.refresh(nina)
    assert (nina.upline_id, marta.is_seller, marta.deactivated_at) == (admin.id, False, NOW)
