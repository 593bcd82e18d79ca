"""Weekly figures: a reseller's week, and a manager's team week, with the 8-week trend.

Weeks run Monday to Monday in the person's own timezone. When each digest is due is planned
by `plan_weekly_digests`, which is safe to run as often as one likes: one row per person per
week, so a digest missed while the bot was down is sent once, late.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, distinct, exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.demos import Demo, DemoStatus
from models.guests import Guest, GuestStatus
from models.notifications import Notification, Planned, plan_missing
from models.orders import Order, OrderKind, OrderLine, OrderStatus, sales_between
from models.rewards import RewardTable, party_reward
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


async def _demos_between(session: AsyncSession, reseller_ids: list[int], start: datetime, end: datetime) -> list[Demo]:
    return list(
        (
            await session.scalars(
                select(Demo)
                .where(
                    Demo.reseller_id.in_(reseller_ids),
                    Demo.status.in_(HELD),
                    Demo.starts_at >= start,
                    Demo.starts_at < end,
                )
                .order_by(Demo.starts_at)
            )
        ).all()
    )


async def _guests_and_buyers(session: AsyncSession, demo_ids: list[int]) -> tuple[int, int]:
    if not demo_ids:
        return 0, 0
    guests = await session.scalar(
        select(func.count())
        .select_from(Guest)
        .where(Guest.demo_id.in_(demo_ids), (Guest.status == GuestStatus.GOING) | Guest.checked_in_at.is_not(None))
    )
    buyers = await session.scalar(
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
    return int(guests or 0), int(buyers or 0)


async def reseller_week(
    session: AsyncSession, *, user: User, week: date, currency: str, rewards: RewardTable
) -> ResellerWeek:
    start, end = local_midnight(week, user.timezone), local_midnight(week + timedelta(days=7), user.timezone)
    figures = await sales_between(session, reseller_id=user.id, start=start, end=end, currency=currency)
    before = await sales_between(
        session,
        reseller_id=user.id,
        start=local_midnight(week - timedelta(days=7), user.timezone),
        end=start,
        currency=currency,
    )
    held = await _demos_between(session, [user.id], start, end)
    guests, buyers = await _guests_and_buyers(session, [d.id for d in held])
    reward_total = 0
    for demo in held:
        reward_total += (await party_reward(session, table=rewards, demo_id=demo.id, now=end)).total_minor
    coming = await _demos_between(session, [user.id], end, local_midnight(week + timedelta(days=14), user.timezone))
    return ResellerWeek(
        retail_minor=figures.retail_minor,
        own_use_minor=figures.own_use_minor,
        orders=figures.retail_orders,
        average_minor=figures.retail_minor // figures.retail_orders if figures.retail_orders else 0,
        previous_retail_minor=before.retail_minor,
        demos_held=len(held),
        guests=guests,
        buyers=buyers,
        host_rewards_minor=reward_total,
        coming=coming,
    )


async def downline(session: AsyncSession, *, user_id: int) -> list[User]:
    """Everyone below, at any depth (breadth first)."""
    team, frontier = [], [user_id]
    while frontier:
        level = list(
            (await session.scalars(select(User).where(User.upline_id.in_(frontier)).order_by(User.display_name))).all()
        )
        team += level
        frontier = [u.id for u in level]
    return team


@dataclass
class MemberWeek:
    user: User
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


async def team_week(session: AsyncSession, *, manager: User, week: date, currency: str) -> TeamWeek:
    team = await downline(session, user_id=manager.id)
    tz = manager.timezone
    start, end = local_midnight(week, tz), local_midnight(week + timedelta(days=7), tz)
    members, own_total = [], 0
    for member in team:
        figures = await sales_between(session, reseller_id=member.id, start=start, end=end, currency=currency)
        held = await _demos_between(session, [member.id], start, end)
        members.append(MemberWeek(member, figures.retail_minor, figures.retail_orders, len(held)))
        own_total += figures.own_use_minor
    ids = [m.id for m in team]
    held_all = await _demos_between(session, ids, start, end) if ids else []
    guests, buyers = await _guests_and_buyers(session, [d.id for d in held_all])
    recruits = (
        await session.scalar(
            select(func.count())
            .select_from(Invite)
            .where(Invite.created_by_id.in_([manager.id, *ids]), Invite.used_at >= start, Invite.used_at < end)
        )
        or 0
    )
    trend = []
    for weeks_back in range(7, -1, -1):
        first = week - timedelta(weeks=weeks_back)
        total = 0
        for member in team:
            total += (
                await sales_between(
                    session,
                    reseller_id=member.id,
                    start=local_midnight(first, tz),
                    end=local_midnight(first + timedelta(days=7), tz),
                    currency=currency,
                )
            ).retail_minor
        trend.append((first, total))
    return TeamWeek(
        members=members,
        retail_minor=sum(m.retail_minor for m in members),
        own_use_minor=own_total,
        orders=sum(m.orders for m in members),
        recruits=int(recruits),
        demos_held=len(held_all),
        guests=guests,
        buyers=buyers,
        weekly_retail=trend,
    )
