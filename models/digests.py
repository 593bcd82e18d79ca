"""Weekly figures: a reseller's week, and a manager's team week, with the 8-week trend.

Weeks run Monday to Monday in the person's own timezone. When each digest is due is planned
by `plan_weekly_digests`, which is safe to run as often as one likes: one row per person per
week, so a digest missed while the bot was down is sent once, late.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (
    CTE,
    BindParameter,
    Select,
    String,
    bindparam,
    case,
    cast,
    distinct,
    exists,
    func,
    literal,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import core_rows
from models.demos import Demo, DemoStatus
from models.guests import Guest, GuestStatus
from models.notifications import Notification, Planned, plan_missing
from models.orders import (
    Order,
    OrderKind,
    OrderLine,
    OrderStatus,
    counted_amount,
    sales_by_reseller_query,
    sales_in_periods,
)
from models.rewards import RewardTable, party_rewards
from models.team import downline_cte
from models.users import SALES_ROLES, Invite, Role, User

HELD = (DemoStatus.CONFIRMED, DemoStatus.AWAITING_HOST, DemoStatus.PROPOSED)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def local_midnight(day: date, tz: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(tz))


def last_digest_instant(now: datetime, tz: str, *, weekday: int, hour: int) -> datetime:
    """The latest 'Monday 08:00' (by default) in that timezone that is not after now."""
    local = now.astimezone(ZoneInfo(tz))
    day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    instant = datetime.combine(day, time(hour), tzinfo=ZoneInfo(tz))
    if instant > now:
        instant = datetime.combine(day - timedelta(days=7), time(hour), tzinfo=ZoneInfo(tz))
    return instant


async def plan_weekly_digests(session: AsyncSession, *, now: datetime, weekday: int, hour: int) -> int:
    """One digest per seller (and one team digest per manager) for the current week. Only the
    people still missing this week's row are read, so running it often costs little."""
    zones = (await session.scalars(select(distinct(User.timezone)).where(User.role.in_(SALES_ROLES)))).all()
    uplines = select(User.upline_id).where(User.upline_id.is_not(None))
    planned = 0
    for tz in zones:
        instant = last_digest_instant(now, tz, weekday=weekday, hour=hour)
        local_day = instant.astimezone(ZoneInfo(tz)).date()
        iso = local_day.isocalendar()
        week = f"{iso.year}-W{iso.week:02d}"
        payload = {"week_start": week_start(local_day - timedelta(days=7)).isoformat()}
        for prefix, kind, extra in (
            ("digest", "reseller_digest", ()),
            ("team_digest", "team_digest", (User.role.in_((Role.MANAGER, Role.ADMIN)), User.id.in_(uplines))),
        ):
            key = literal(f"{prefix}:") + cast(User.id, String) + literal(f":{week}")
            missing = (
                await session.scalars(
                    select(User).where(
                        User.role.in_(SALES_ROLES),
                        User.onboarded.is_(True),
                        User.deactivated_at.is_(None),
                        User.timezone == tz,
                        User.created_at <= instant,
                        *extra,
                        ~exists().where(Notification.key == key),
                    )
                )
            ).all()
            planned += await plan_missing(
                session,
                [Planned(f"{prefix}:{u.id}:{week}", u.id, kind, instant, None, payload) for u in missing],
                now=now,
            )
    return planned


@dataclass
class ResellerWeek:
    retail_minor: int
    own_use_minor: int
    orders: int
    average_minor: int
    previous_retail_minor: int
    demos_held: int
    guests: int
    buyers: int
    host_rewards_minor: int
    coming: list[Demo] = field(default_factory=list)


# Statements built once with bind parameters and reused (see models.orders): `root` is the
# leader, `start`/`end` the week, `reseller_id` one seller, `demo_ids` an expanding list.


def _held(reseller_ids: Sequence[BindParameter[Any]] | Select[Any]) -> Select[Any]:
    return select(Demo).where(
        Demo.reseller_id.in_(reseller_ids),
        Demo.status.in_(HELD),
        Demo.starts_at >= bindparam("start"),
        Demo.starts_at < bindparam("end"),
    )


@cache
def _own_demos_statement() -> Select[Any]:
    return _held([bindparam("reseller_id")]).order_by(Demo.starts_at)


def _team_ids() -> tuple[CTE, Select[Any]]:
    below = downline_cte(bindparam("root"))
    return below, select(below.c.id)


def _guests_and_buyers_of(demo_ids: BindParameter[Any] | Select[Any]) -> Select[Any]:
    guests = (
        select(func.count())
        .select_from(Guest)
        .where(Guest.demo_id.in_(demo_ids), (Guest.status == GuestStatus.GOING) | Guest.checked_in_at.is_not(None))
    )
    buyers = (
        select(func.count(distinct(Order.guest_id)))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(
            Order.demo_id.in_(demo_ids),
            Order.guest_id.is_not(None),
            Order.kind == OrderKind.RETAIL,
            Order.status == OrderStatus.CONFIRMED,
            OrderLine.quantity > OrderLine.withdrawn_quantity,  # a buyer who gave it all back bought nothing
        )
    )
    return select(guests.scalar_subquery(), buyers.scalar_subquery())


@cache
def _guests_and_buyers_statement() -> Select[Any]:
    return _guests_and_buyers_of(bindparam("demo_ids", expanding=True))


@cache
def _team_guests_and_buyers_statement() -> Select[Any]:
    _below, ids = _team_ids()
    return _guests_and_buyers_of(_held(ids).with_only_columns(Demo.id))


async def _demos_between(session: AsyncSession, reseller_id: int, start: datetime, end: datetime) -> list[Demo]:
    values = {"reseller_id": reseller_id, "start": start, "end": end}
    return list((await session.scalars(_own_demos_statement(), values)).all())


async def reseller_week(
    session: AsyncSession, *, user: User, week: date, currency: str, rewards: RewardTable
) -> ResellerWeek:
    """Six statements, whatever the week held."""
    tz = user.timezone
    start, end = local_midnight(week, tz), local_midnight(week + timedelta(days=7), tz)
    periods = {"week": (start, end), "before": (local_midnight(week - timedelta(days=7), tz), start)}
    sales = await sales_in_periods(session, reseller_id=user.id, periods=periods, currency=currency)
    figures, before = sales["week"], sales["before"]
    held = await _demos_between(session, user.id, start, end)
    held_ids = [d.id for d in held]
    guests, buyers, rewards_by_demo = 0, 0, {}
    if held_ids:
        row = (await core_rows(session, _guests_and_buyers_statement(), {"demo_ids": held_ids})).one()
        guests, buyers = int(row[0] or 0), int(row[1] or 0)
        rewards_by_demo = await party_rewards(session, table=rewards, demo_ids=held_ids, now=end)
    coming = await _demos_between(session, user.id, end, local_midnight(week + timedelta(days=14), tz))
    return ResellerWeek(
        retail_minor=figures.retail_minor,
        own_use_minor=figures.own_use_minor,
        orders=figures.retail_orders,
        average_minor=figures.retail_minor // figures.retail_orders if figures.retail_orders else 0,
        previous_retail_minor=before.retail_minor,
        demos_held=len(held),
        guests=guests,
        buyers=buyers,
        host_rewards_minor=sum(reward.total_minor for reward in rewards_by_demo.values()),
        coming=coming,
    )


@cache
def _downline_statement() -> Select[Any]:
    below, _ids = _team_ids()
    return select(User).join(below, below.c.id == User.id).order_by(below.c.depth, User.display_name, User.id)


async def downline(session: AsyncSession, *, user_id: int) -> list[User]:
    """Everyone below, at any depth, level by level and by name within a level: one recursive query."""
    return list((await session.scalars(_downline_statement(), {"root": user_id})).all())


class Person(NamedTuple):
    """Who a member is, as a digest names them: a team of 10,000 loads no 10,000 entities."""

    id: int
    display_name: str


@dataclass
class MemberWeek:
    user: Person
    retail_minor: int
    orders: int
    demos_held: int


@dataclass
class TeamWeek:
    members: list[MemberWeek]
    retail_minor: int
    own_use_minor: int
    orders: int
    recruits: int
    demos_held: int
    guests: int
    buyers: int
    weekly_retail: list[tuple[date, int]]  # the last 8 weeks, oldest first

    @property
    def conversion_bp(self) -> int:
        return self.buyers * 10_000 // self.guests if self.guests else 0


@cache
def _members_statement() -> Select[Any]:
    """Each member of the team with their week's sales and demos held."""
    below, ids = _team_ids()
    sales = sales_by_reseller_query(ids).subquery("sales")
    held = (
        _held(ids)
        .with_only_columns(Demo.reseller_id, func.count().label("held"))
        .group_by(Demo.reseller_id)
        .subquery("held")
    )
    figures = [func.coalesce(column, 0) for column in list(sales.c)[1:]]
    return (
        select(User.id, User.display_name, *figures, func.coalesce(held.c.held, 0))
        .join(below, below.c.id == User.id)
        .outerjoin(sales, sales.c.reseller_id == User.id)
        .outerjoin(held, held.c.reseller_id == User.id)
        .order_by(below.c.depth, User.display_name, User.id)
    )


@cache
def _recruits_statement() -> Select[Any]:
    _below, ids = _team_ids()
    return (
        select(func.count())
        .select_from(Invite)
        .where(
            (Invite.created_by_id == bindparam("root")) | Invite.created_by_id.in_(ids),
            Invite.used_at >= bindparam("start"),
            Invite.used_at < bindparam("end"),
        )
    )


@cache
def _trend_statement(weeks: int) -> Select[Any]:
    """The team's retail sales in each of `weeks` weeks, edges e0..e{weeks}: one grouped query."""
    _below, ids = _team_ids()
    bucket = case(*((Order.created_at < bindparam(f"e{n + 1}"), n) for n in range(weeks)), else_=weeks)
    return (
        select(bucket.label("bucket"), counted_amount(Order.kind == OrderKind.RETAIL))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(
            Order.reseller_id.in_(ids),
            Order.currency == bindparam("currency"),
            Order.created_at >= bindparam("e0"),
            Order.created_at < bindparam(f"e{weeks}"),
        )
        .group_by("bucket")  # by its label: PostgreSQL would not match two copies of its parameters
    )


async def team_week(session: AsyncSession, *, manager: User, week: date, currency: str) -> TeamWeek:
    """Four statements, whatever the size of the team: members with their figures, guests and
    buyers, recruits, and the 8-week trend."""
    tz = manager.timezone
    start, end = local_midnight(week, tz), local_midnight(week + timedelta(days=7), tz)
    values = {"root": manager.id, "start": start, "end": end, "currency": currency}
    members, own_total = [], 0
    for user_id, name, retail, own, retail_orders, _own, held in await core_rows(session, _members_statement(), values):
        members.append(MemberWeek(Person(user_id, name), int(retail), int(retail_orders), int(held)))
        own_total += int(own)
    recruits = int((await core_rows(session, _recruits_statement(), values)).scalar() or 0)
    guests = buyers = 0
    weeks = [week - timedelta(weeks=back) for back in range(7, -1, -1)]
    totals = dict.fromkeys(range(len(weeks)), 0)
    if members:
        row = (await core_rows(session, _team_guests_and_buyers_statement(), values)).one()
        guests, buyers = int(row[0] or 0), int(row[1] or 0)
        edges = [local_midnight(first, tz) for first in [*weeks, weeks[-1] + timedelta(days=7)]]
        trend = {"root": manager.id, "currency": currency, **{f"e{n}": edge for n, edge in enumerate(edges)}}
        for number, amount in await core_rows(session, _trend_statement(len(weeks)), trend):
            totals[int(number)] = int(amount)
    return TeamWeek(
        members=members,
        retail_minor=sum(m.retail_minor for m in members),
        own_use_minor=own_total,
        orders=sum(m.orders for m in members),
        recruits=recruits,
        demos_held=sum(m.demos_held for m in members),
        guests=guests,
        buyers=buyers,
        weekly_retail=[(first, totals[n]) for n, first in enumerate(weeks)],
    )
