"""Roll-ups in SQL: the same figures as a plain Python computation over the rows, and a fixed
number of statements whatever the size of the team."""

from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from bot.notices import team_digest
from models import digests, orders
from models.catalog import Product
from models.demos import Demo, DemoStatus
from models.digests import local_midnight
from models.orders import Order, OrderKind, OrderLine, OrderStatus
from models.plan import parse_plan
from models.rewards import parse_reward_table
from models.users import Invite, Role, User
from tests.factories import make_team, make_user
from views.notifications import Env

WEEK = date(2031, 3, 17)  # a Monday
FIRST = datetime(2031, 1, 10, tzinfo=UTC)  # the earliest row: before the 8-week trend starts
PLAN = parse_plan((Path(__file__).resolve().parents[2] / "bot" / "commission_plan.toml").read_text())
TABLE = parse_reward_table('currency = "EUR"\nbooking_bonus = "5.00"\n[[tiers]]\nmin_sales = "0"\nrate_bp = 1000\n')
NAMES = ["Ada", "Bruno", "Carla", "Dario", "Elena", "Fabio", "Gina", "Ivo", "Lea", "Nino"]


@contextmanager
def counting(session: AsyncSession):
    """Counts the statements the session sends to the database."""
    count = [0]
    engine = session.bind.sync_engine if hasattr(session.bind, "sync_engine") else session.bind

    def seen(*_args) -> None:
        count[0] += 1

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield count
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def when(hours: int) -> datetime:
    return FIRST + timedelta(hours=hours)


orders_strategy = st.lists(
    st.tuples(
        st.integers(0, 10),  # seller: the leader (0) or a member
        st.sampled_from([OrderKind.RETAIL, OrderKind.OWN_USE]),
        st.sampled_from([OrderStatus.CONFIRMED, OrderStatus.CONFIRMED, OrderStatus.CANCELLED]),
        st.sampled_from(["EUR", "EUR", "EUR", "USD"]),
        st.integers(0, 80 * 24),  # hours after FIRST
        st.lists(st.tuples(st.integers(1, 9_999), st.integers(1, 5), st.integers(0, 5)), min_size=1, max_size=3),
    ),
    max_size=25,
)
world = st.tuples(
    st.lists(st.integers(0, 9), max_size=8),  # member n's upline: an earlier member (mod n), 0 the leader
    orders_strategy,
    st.lists(st.tuples(st.integers(0, 10), st.sampled_from(list(DemoStatus)), st.integers(0, 80 * 24)), max_size=12),
    st.lists(st.tuples(st.integers(0, 10), st.integers(0, 80 * 24)), max_size=6),
)


async def build(session: AsyncSession, shape) -> tuple[User, list[User]]:
    uplines = shape[0]
    leader = await make_user(session, role=Role.MANAGER, name="Zeno", created_at=FIRST)
    members = await make_team(
        session, root=leader, uplines=[u % n for n, u in enumerate(uplines, 1)], name=lambda n: NAMES[n - 1]
    )
    await add_rows(session, shape, [leader, *members])
    return leader, members


async def add_rows(session: AsyncSession, shape, people: list[User]) -> None:
    """The shape's orders, demos and invites; a row's person is people[n % len(people)]."""
    _uplines, sales, held, invited = shape
    product = Product(sku="P", name="P", unit_price_minor=1, currency="EUR", active=True, updated_at=FIRST)
    session.add(product)
    await session.flush()
    for n, (seller, kind, status, currency, hours, lines) in enumerate(sales):
        order = Order(
            reseller_id=people[seller % len(people)].id,
            kind=kind,
            currency=currency,
            status=status,
            at_home_demo=False,
            withdrawal_days=14,
            withdrawal_ends_at=when(hours) + timedelta(days=14),
            timezone="Europe/Rome",
            idempotency_key=f"o{n}",
            created_at=when(hours),
            updated_at=when(hours),
        )
        session.add(order)
        await session.flush()
        session.add_all(
            OrderLine(
                order_id=order.id,
                product_id=product.id,
                sku="P",
                name="P",
                unit_price_minor=price,
                quantity=quantity,
                withdrawn_quantity=min(withdrawn, quantity),
            )
            for price, quantity, withdrawn in lines
        )
    for n, (seller, status, hours) in enumerate(held):
        session.add(
            Demo(
                reseller_id=people[seller % len(people)].id,
                host_name="H",
                address="A",
                starts_at=when(hours),
                duration_minutes=60,
                timezone="Europe/Rome",
                status=status,
                host_token=f"h{n}",
                guest_token=f"g{n}",
                ics_sequence=0,
                created_at=FIRST,
                updated_at=FIRST,
            )
        )
    for n, (creator, hours) in enumerate(invited):
        session.add(
            Invite(
                token=f"i{n}",
                created_by_id=people[creator % len(people)].id,
                created_at=FIRST,
                expires_at=when(hours),
                used_at=when(hours),
            )
        )
    await session.flush()


def expected_sales(shape, people: list[User], seller: User, start: datetime, end: datetime) -> orders.SalesFigures:
    """What still counts, the plain way: confirmed orders in the currency, net of withdrawals; an
    order counts while something of it is kept (one wholly withdrawn is not a sale any more)."""
    amounts = {OrderKind.RETAIL: [0, 0], OrderKind.OWN_USE: [0, 0]}
    for who, kind, status, currency, hours, lines in shape[1]:
        mine = people[who % len(people)] is seller and status == OrderStatus.CONFIRMED and currency == "EUR"
        if mine and start <= when(hours) < end:
            amounts[kind][0] += sum(price * (q - min(w, q)) for price, q, w in lines)
            amounts[kind][1] += any(q > min(w, q) for _price, q, w in lines)
    retail, own = amounts[OrderKind.RETAIL], amounts[OrderKind.OWN_USE]
    return orders.SalesFigures(retail[0], own[0], retail[1], own[1])


def depth_of(member: User, people: list[User]) -> int:
    by_id = {p.id: p for p in people}
    depth, current = 0, member
    while current is not people[0]:
        current, depth = by_id[current.upline_id], depth + 1
    return depth


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=world)
async def test_team_and_seller_roll_ups_match_a_plain_computation(db, shape):
    async with AsyncSession(db.engine, expire_on_commit=False) as session:
        leader, members = await build(session, shape)
        people = [leader, *members]
        tz = leader.timezone
        start, end = local_midnight(WEEK, tz), local_midnight(WEEK + timedelta(days=7), tz)

        team = await digests.team_week(session, manager=leader, week=WEEK, currency="EUR")
        ranked = sorted(members, key=lambda m: (depth_of(m, people), m.display_name, m.id))
        figures = {m.id: expected_sales(shape, people, m, start, end) for m in members}
        held = {
            m.id: sum(
                1
                for who, status, hours in shape[2]
                if people[who % len(people)] is m and status in digests.HELD and start <= when(hours) < end
            )
            for m in members
        }
        assert [(m.user.id, m.retail_minor, m.orders, m.demos_held) for m in team.members] == [
            (m.id, figures[m.id].retail_minor, figures[m.id].retail_orders, held[m.id]) for m in ranked
        ]
        assert team.own_use_minor == sum(f.own_use_minor for f in figures.values())
        assert team.recruits == sum(1 for _who, hours in shape[3] if start <= when(hours) < end)
        trend = []
        for back in range(7, -1, -1):
            first = WEEK - timedelta(weeks=back)
            window = local_midnight(first, tz), local_midnight(first + timedelta(days=7), tz)
            trend.append((first, sum(expected_sales(shape, people, m, *window).retail_minor for m in members)))
        assert team.weekly_retail == trend

        periods = {"week": (start, end), "month": (local_midnight(date(2031, 3, 1), tz), end), "all": (FIRST, end)}
        for seller in people:
            found = await orders.sales_in_periods(session, reseller_id=seller.id, periods=periods, currency="EUR")
            assert found == {k: expected_sales(shape, people, seller, *span) for k, span in periods.items()}
        await session.rollback()


async def digest_statements(session: AsyncSession, size: int) -> tuple[int, int]:
    """Statements issued by a leader's team digest and by their own digest, for a team of `size`."""
    leader = await make_user(session, role=Role.MANAGER, name="Zeno", created_at=FIRST)
    members = await make_team(session, root=leader, uplines=[n // 3 for n in range(size)], name=lambda n: f"M {n}")
    shape = (
        [],
        [(n, OrderKind.RETAIL, OrderStatus.CONFIRMED, "EUR", 24 * 67 + n, [(1000, 1, 0)]) for n in range(size + 1)],
        [(n, DemoStatus.CONFIRMED, 24 * 67 + n) for n in range(size + 1)],  # held in the digest's week
        [(n, 24 * 67) for n in [0, 0, *range(size + 1)]],  # 3 recruits for the leader: the team check runs
    )
    await add_rows(session, shape, [leader, *members])
    env = Env(currency="EUR", reward_table=TABLE, plan=PLAN, now=local_midnight(WEEK + timedelta(days=7), "UTC"))
    row = type("Row", (), {"data": {"week_start": WEEK.isoformat()}})()
    with counting(session) as team_count:
        facts = await team_digest(session, row, leader, env)
    assert len(facts.team.members) == size
    with counting(session) as own_count:
        await digests.reseller_week(session, user=leader, week=WEEK, currency="EUR", rewards=TABLE)
    return team_count[0], own_count[0]


async def test_a_digest_issues_as_many_statements_for_a_team_of_30_as_for_a_team_of_3(db):
    counts = []
    for size in (3, 30):
        async with AsyncSession(db.engine, expire_on_commit=False) as session:
            counts.append(await digest_statements(session, size))
            await session.rollback()
    print("statements (team digest, own digest) for teams of 3 and 30:", counts)
    assert counts[0] == counts[1], counts
    team, own = counts[0]
    assert team <= 12 and own <= 6
