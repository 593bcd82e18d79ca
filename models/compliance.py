"""Signs that a reseller or a team drifts from selling toward buying or recruiting.

Each check returns its figures, so a manager sees why a flag is raised, not only that it is.
Thresholds come from the [compliance] part of the commission plan.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BindParameter, CompoundSelect, ForeignKey, Integer, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, DomainError, UTCDateTime, core_rows
from models.commissions import CommissionEntry
from models.orders import (
    NO_SALES,
    Order,
    OrderKind,
    OrderStatus,
    SalesFigures,
    lines_of,
    sales_by_reseller_query,
    withdraw,
)
from models.plan import Plan, Thresholds
from models.team import Leaf, downline_cte, leaves, users_by_id
from models.users import Invite, User

WINDOW = timedelta(days=30)
RECRUIT_WINDOW = timedelta(days=90)


class BuyBack(Base):
    """A reseller returning unsold stock bought for own use (Law 173/2005 art. 6)."""

    __tablename__ = "buy_backs"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    reseller_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    paid_minor: Mapped[int] = mapped_column(Integer)  # what the returned units cost the reseller
    refund_minor: Mapped[int] = mapped_column(Integer)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass
class Flag:
    code: str  # retail_share, inventory_loading, recruitment_heavy, occasional_income_near, occasional_income_over
    user: User
    figures: dict[str, Any] = field(default_factory=dict)


def minimum_refund(paid_minor: int, plan: Plan) -> int:
    """At least 90 % of the price paid, rounded up to the cent in the reseller's favour."""
    return -(-paid_minor * plan.thresholds.buy_back_min_refund_bp // 10_000)


async def record_buy_back(
    session: AsyncSession,
    *,
    order: Order,
    actor: User,
    quantities: dict[int, int],
    refund_minor: int,
    plan: Plan,
    now: datetime,
) -> BuyBack:
    if order.kind != OrderKind.OWN_USE or order.status != OrderStatus.CONFIRMED:
        raise DomainError("buy_back_own_use_only")
    lines = {line.id: line for line in await lines_of(session, order.id)}
    paid = 0
    for line_id, quantity in quantities.items():
        line = lines.get(line_id)
        if line is None or not 0 < quantity <= line.kept_quantity:
            raise DomainError(
                "withdrawal_too_many", name=line.name if line else "?", kept=line.kept_quantity if line else 0
            )
        paid += line.unit_price_minor * quantity
    if refund_minor < minimum_refund(paid, plan):
        raise DomainError(
            "buy_back_below_minimum",
            minimum_minor=minimum_refund(paid, plan),
            currency=order.currency,
            share_bp=plan.thresholds.buy_back_min_refund_bp,
        )
    # The returned stock no longer counts as the reseller's purchase (nor earns anything).
    await withdraw(
        session,
        order=order,
        actor=actor,
        quantities=quantities,
        reason="buy-back of unsold stock",
        now=now,
        within_period=False,
    )
    record = BuyBack(
        order_id=order.id,
        reseller_id=order.reseller_id,
        paid_minor=paid,
        refund_minor=refund_minor,
        recorded_by_id=actor.id,
        recorded_at=now,
    )
    session.add(record)
    await session.flush()
    return record


async def check_reseller(session: AsyncSession, *, user: User, plan: Plan, now: datetime) -> list[Flag]:
    async def team() -> list[Leaf]:
        return await leaves(session, root=user)

    return await _check(session, user, [user.id], team, plan=plan, now=now, whole_team=False)


async def check_team(session: AsyncSession, *, manager: User, plan: Plan, now: datetime) -> list[Flag]:
    """The manager and each active member of their team, in tree order: a fixed number of
    grouped queries whatever the size of the team (people are loaded only when flagged)."""
    rows = await leaves(session, root=manager)
    ids = [leaf.user_id for leaf in rows if leaf.deactivated_at is None]
    if manager.deactivated_at is None:
        ids.insert(0, manager.id)

    async def team() -> list[Leaf]:
        return rows

    return await _check(session, manager, ids, team, plan=plan, now=now, whole_team=True)


@cache
def _statements(whole_team: bool) -> tuple[Select[Any], Select[Any], Select[Any]]:
    """Sales, commissions earned and recruits per person, for the people `ids` (an expanding
    list) or for `root` and everyone below (the recursive CTE: a team of 10,000 is no list of
    10,000 parameters for PostgreSQL to plan)."""
    people: CompoundSelect[Any] | BindParameter[Any]
    if whole_team:
        below = downline_cte(bindparam("root"))
        people = select(below.c.id).union_all(select(bindparam("root", type_=Integer)))
    else:
        people = bindparam("ids", expanding=True)
    sales = sales_by_reseller_query(people)
    earned = (
        select(CommissionEntry.earner_id, func.sum(CommissionEntry.amount_minor))
        .where(
            CommissionEntry.earner_id.in_(people),
            CommissionEntry.period >= bindparam("first"),
            CommissionEntry.period <= bindparam("last"),
        )
        .group_by(CommissionEntry.earner_id)
    )
    recruits = (
        select(Invite.created_by_id, func.count())
        .where(
            Invite.created_by_id.in_(people), Invite.used_at >= bindparam("start"), Invite.used_at < bindparam("end")
        )
        .group_by(Invite.created_by_id)
    )
    return sales, earned, recruits


async def _sales(session: AsyncSession, statement: Select[Any], values: dict[str, Any]) -> dict[int, SalesFigures]:
    return {
        row[0]: SalesFigures(*(int(v or 0) for v in row[1:])) for row in await core_rows(session, statement, values)
    }


async def _check(
    session: AsyncSession,
    root: User,
    ids: list[int],
    team: Callable[[], Awaitable[list[Leaf]]],
    *,
    plan: Plan,
    now: datetime,
    whole_team: bool,
) -> list[Flag]:
    """The flags of the people `ids` (root, or root and their whole team: `whole_team`), in that
    order; `team` gives root's team in tree order when the recruitment check needs it."""
    if not ids:
        return []
    limits = plan.thresholds
    until = now + timedelta(seconds=1)  # up to and including now
    year = now.astimezone(ZoneInfo(plan.company_timezone)).year
    sales_of, earned_of, recruits_of = _statements(whole_team)
    who = {"root": root.id} if whole_team else {"ids": ids}
    money = {**who, "currency": plan.currency, "end": until}
    sales = await _sales(session, sales_of, {**money, "start": now - WINDOW})
    values = {**who, "first": f"{year}-01", "last": f"{year}-12"}
    earned = {person: int(total) for person, total in await core_rows(session, earned_of, values)}
    values = {**who, "start": now - RECRUIT_WINDOW, "end": now}
    recruited = dict((await core_rows(session, recruits_of, values)).tuples().all())
    team_retail: dict[int, int] = {}
    if any(recruited.get(i, 0) >= limits.recruits_min for i in ids):
        rows = await team()
        retail = await _sales(
            session,
            _statements(True)[0],
            {"root": root.id, "currency": plan.currency, "start": now - RECRUIT_WINDOW, "end": until},
        )
        team_retail = {p: retail.get(p, NO_SALES).retail_minor for p in [root.id, *(leaf.user_id for leaf in rows)]}
        for leaf in reversed(rows):  # tree order reversed: everyone's team is complete before their upline's
            team_retail[leaf.upline_id] += team_retail[leaf.user_id]
    found: list[tuple[str, int, dict[str, Any]]] = []
    for person in ids:
        found += _flags(person, sales.get(person, NO_SALES), earned.get(person, 0), year, limits)
        recruits = int(recruited.get(person, 0))
        if (
            recruits >= limits.recruits_min
            and team_retail[person] < recruits * limits.min_team_retail_per_recruit_minor
        ):
            figures = {
                "recruits": recruits,
                "team_retail_minor": team_retail[person],
                "days": RECRUIT_WINDOW.days,
                "per_recruit_minor": limits.min_team_retail_per_recruit_minor,
            }
            found.append(("recruitment_heavy", person, figures))
    people = {root.id: root} | await users_by_id(session, sorted({p for _c, p, _f in found} - {root.id}))
    return [Flag(code, people[person], figures) for code, person, figures in found]


def _flags(
    person: int, figures: SalesFigures, earned: int, year: int, limits: Thresholds
) -> list[tuple[str, int, dict[str, Any]]]:
    retail, own = figures.retail_minor, figures.own_use_minor
    flags: list[tuple[str, int, dict[str, Any]]] = []
    window = {"retail_minor": retail, "own_use_minor": own, "days": WINDOW.days}
    if own and retail * 10_000 < (retail + own) * limits.min_retail_share_bp:
        share = retail * 10_000 // (retail + own)
        flags.append(("retail_share", person, {**window, "share_bp": share, "min_bp": limits.min_retail_share_bp}))
    if own and (retail == 0 or own * 10_000 > retail * limits.max_own_use_share_bp):
        flags.append(("inventory_loading", person, {**window, "max_bp": limits.max_own_use_share_bp}))
    income = {"earned_minor": earned, "limit_minor": limits.occasional_income_limit_minor, "year": year}
    if earned >= limits.occasional_income_limit_minor:
        flags.append(("occasional_income_over", person, income))
    elif earned * 10_000 >= limits.occasional_income_limit_minor * limits.occasional_income_warning_bp:
        flags.append(("occasional_income_near", person, income))
    return flags
