"""When digests are due (DST included) and what they count."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from models import digests, guests, orders
from models.notifications import Notification
from models.orders import Customer, WithdrawalPolicy
from models.rewards import parse_reward_table
from models.users import Invite, Role
from tests.factories import load_catalog, make_demo, make_user

UTC = UTC
TABLE = parse_reward_table(
    'currency = "EUR"\nbooking_bonus = "25.00"\n[[tiers]]\nmin_sales = "100.00"\nrate_bp = 1000\n'
)


def test_monday_8_in_rome_across_both_2026_dst_changes():
    # The week of the spring change: Monday 23 March is winter time, Monday 30 March summer time.
    assert digests.last_digest_instant(
        datetime(2026, 3, 29, 12, tzinfo=UTC), "Europe/Rome", weekday=0, hour=8
    ) == datetime(2026, 3, 23, 7, tzinfo=UTC)
    assert digests.last_digest_instant(
        datetime(2026, 3, 30, 5, 59, tzinfo=UTC), "Europe/Rome", weekday=0, hour=8
    ) == datetime(2026, 3, 23, 7, tzinfo=UTC)
    assert digests.last_digest_instant(
        datetime(2026, 3, 30, 6, 0, tzinfo=UTC), "Europe/Rome", weekday=0, hour=8
    ) == datetime(2026, 3, 30, 6, tzinfo=UTC)
    # Autumn: Monday 26 October 2026 is back on winter time.
    assert digests.last_digest_instant(
        datetime(2026, 10, 26, 7, 0, tzinfo=UTC), "Europe/Rome", weekday=0, hour=8
    ) == datetime(2026, 10, 26, 7, tzinfo=UTC)
    assert digests.last_digest_instant(
        datetime(2026, 10, 26, 6, 59, tzinfo=UTC), "Europe/Rome", weekday=0, hour=8
    ) == datetime(2026, 10, 19, 6, tzinfo=UTC)


async def test_digests_are_planned_once_per_person_and_week_and_a_team_digest_for_managers(session):
    boss = await make_user(session, role=Role.MANAGER, name="Bea", created_at=datetime(2026, 1, 1, tzinfo=UTC))
    await make_user(session, name="Marta", upline_id=boss.id, created_at=datetime(2026, 1, 1, tzinfo=UTC))
    await make_user(session, role=None, name="A host", created_at=datetime(2026, 1, 1, tzinfo=UTC))
    now = datetime(2026, 3, 30, 6, 5, tzinfo=UTC)
    assert await digests.plan_weekly_digests(session, now=now, weekday=0, hour=8) == 3
    assert (
        await digests.plan_weekly_digests(session, now=now + timedelta(hours=5), weekday=0, hour=8) == 0
    )  # again: nothing
    keys = sorted(n.key for n in (await session.scalars(select(Notification))).all())
    assert [k.split(":")[0] for k in keys] == ["digest", "digest", "team_digest"] and all(
        k.endswith("2026-W14") for k in keys
    )
    due = {n.due_at for n in (await session.scalars(select(Notification))).all()}
    assert due == {datetime(2026, 3, 30, 6, tzinfo=UTC)}


async def test_a_newcomer_gets_no_digest_for_a_week_before_joining(session):
    await make_user(session, created_at=datetime(2026, 3, 31, tzinfo=UTC))
    assert await digests.plan_weekly_digests(session, now=datetime(2026, 4, 1, tzinfo=UTC), weekday=0, hour=8) == 0


async def test_a_resellers_week_in_figures(session):
    marta = await make_user(session, created_at=datetime(2026, 1, 1, tzinfo=UTC))
    products = await load_catalog(session)
    policy = WithdrawalPolicy()
    week = date(2026, 3, 23)
    party = await make_demo(
        session, reseller=marta, starts_at=datetime(2026, 3, 26, 17, tzinfo=UTC), now=datetime(2026, 3, 1, tzinfo=UTC)
    )
    await make_demo(
        session,
        reseller=marta,
        starts_at=datetime(2026, 4, 1, 17, tzinfo=UTC),
        now=datetime(2026, 3, 1, tzinfo=UTC),
        host_name="Next",
    )
    ada_user, bea_user = (
        await make_user(session, role=None, name="Ada"),
        await make_user(session, role=None, name="Bea"),
    )
    ada = await guests.rsvp(
        session,
        demo=party,
        user=ada_user,
        name="Ada",
        phone=None,
        region="IT",
        consent_at=party.created_at,
        now=party.created_at,
    )
    await guests.rsvp(
        session,
        demo=party,
        user=bea_user,
        name="Bea",
        phone=None,
        region="IT",
        consent_at=party.created_at,
        now=party.created_at,
    )

    async def sell(key, when, items, customer):
        await orders.create_order(
            session,
            reseller=marta,
            demo=party if customer.guest_id else None,
            customer=customer,
            items=[(products[s].id, q) for s, q in items],
            idempotency_key=key,
            policy=policy,
            now=when,
        )

    await sell("a", datetime(2026, 3, 26, 19, tzinfo=UTC), [("TM7", 1)], Customer(guest_id=ada.id))
    await sell("b", datetime(2026, 3, 27, 9, tzinfo=UTC), [("BOOK", 1)], Customer(name="Walk-in"))
    await sell("c", datetime(2026, 3, 28, 9, tzinfo=UTC), [("SPAT", 1)], Customer(own_use=True))
    await sell("d", datetime(2026, 3, 18, 9, tzinfo=UTC), [("BOOK", 2)], Customer(name="Earlier"))
    await sell("e", datetime(2026, 3, 29, 22, 30, tzinfo=UTC), [("BOOK", 1)], Customer(name="After midnight in Rome"))
    figures = await digests.reseller_week(session, user=marta, week=week, currency="EUR", rewards=TABLE)
    assert (figures.retail_minor, figures.orders, figures.average_minor) == (154900 + 3490, 2, (154900 + 3490) // 2)
    assert (figures.own_use_minor, figures.previous_retail_minor) == (1490, 6980)
    assert (figures.demos_held, figures.guests, figures.buyers) == (1, 2, 1)
    assert figures.host_rewards_minor == 15490  # 10 % of 1,549.00
    assert [d.host_name for d in figures.coming] == ["Next"]


async def test_a_team_week_with_recruits_conversion_and_an_8_week_trend(session):
    boss = await make_user(session, role=Role.MANAGER, name="Bea")
    marta = await make_user(session, name="Marta", upline_id=boss.id)
    nina = await make_user(session, name="Nina", upline_id=marta.id)
    session.add(
        Invite(
            token="t1",
            created_by_id=marta.id,
            created_at=datetime(2026, 3, 20, tzinfo=UTC),
            expires_at=datetime(2026, 4, 1, tzinfo=UTC),
            used_by_id=nina.id,
            used_at=datetime(2026, 3, 24, tzinfo=UTC),
        )
    )
    products = await load_catalog(session)
    for key, who, when in (
        ("1", marta, datetime(2026, 3, 25, tzinfo=UTC)),
        ("2", nina, datetime(2026, 3, 26, tzinfo=UTC)),
        ("3", nina, datetime(2026, 3, 10, tzinfo=UTC)),
    ):
        await orders.create_order(
            session,
            reseller=who,
            demo=None,
            customer=Customer(name="C"),
            items=[(products["BOOK"].id, 1)],
            idempotency_key=key,
            policy=WithdrawalPolicy(),
            now=when,
        )
    team = await digests.team_week(session, manager=boss, week=date(2026, 3, 23), currency="EUR")
    assert [(m.user.display_name, m.retail_minor) for m in team.members] == [("Marta", 3490), ("Nina", 3490)]
    assert (team.retail_minor, team.orders, team.recruits) == (6980, 2, 1)
    assert len(team.weekly_retail) == 8 and team.weekly_retail[-1] == (date(2026, 3, 23), 6980)
    assert team.weekly_retail[-3] == (date(2026, 3, 9), 3490)
