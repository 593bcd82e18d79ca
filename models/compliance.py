"""Signs that a reseller or a team drifts from selling toward buying or recruiting.

Each check returns its figures, so a manager sees why a flag is raised, not only that it is.
Thresholds come from the [compliance] part of the commission plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, Integer, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, DomainError, UTCDateTime
from models.commissions import year_gross
from models.orders import Order, OrderKind, OrderStatus, lines_of, sales_between, withdraw
from models.plan import Plan
from models.team import tree
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
    limits = plan.thresholds
    until = now + timedelta(seconds=1)  # up to and including now
    figures = await sales_between(session, reseller_id=user.id, start=now - WINDOW, end=until, currency=plan.currency)
    retail, own = figures.retail_minor, figures.own_use_minor
    flags = []
    window = {"retail_minor": retail, "own_use_minor": own, "days": WINDOW.days}
    if own and retail * 10_000 < (retail + own) * limits.min_retail_share_bp:
        share = retail * 10_000 // (retail + own)
        flags.append(Flag("retail_share", user, {**window, "share_bp": share, "min_bp": limits.min_retail_share_bp}))
    if own and (retail == 0 or own * 10_000 > retail * limits.max_own_use_share_bp):
        flags.append(Flag("inventory_loading", user, {**window, "max_bp": limits.max_own_use_share_bp}))
    year = now.astimezone(ZoneInfo(plan.company_timezone)).year
    earned = await year_gross(session, earner_id=user.id, year=year)
    if earned >= limits.occasional_income_limit_minor:
        flags.append(
            Flag(
                "occasional_income_over",
                user,
                {"earned_minor": earned, "limit_minor": limits.occasional_income_limit_minor, "year": year},
            )
        )
    elif earned * 10_000 >= limits.occasional_income_limit_minor * limits.occasional_income_warning_bp:
        flags.append(
            Flag(
                "occasional_income_near",
                user,
                {"earned_minor": earned, "limit_minor": limits.occasional_income_limit_minor, "year": year},
            )
        )
    recruits = (
        await session.scalar(
            select(func.count())
            .select_from(Invite)
            .where(Invite.created_by_id == user.id, Invite.used_at >= now - RECRUIT_WINDOW, Invite.used_at < now)
        )
        or 0
    )
    if recruits >= limits.recruits_min:
        team = [m.user for m in await tree(session, root=user)]
        team_retail = 0
        for member in [user, *team]:
            team_retail += (
                await sales_between(
                    session, reseller_id=member.id, start=now - RECRUIT_WINDOW, end=until, currency=plan.currency
                )
            ).retail_minor
        if team_retail < recruits * limits.min_team_retail_per_recruit_minor:
            flags.append(
                Flag(
                    "recruitment_heavy",
                    user,
                    {
                        "recruits": recruits,
                        "team_retail_minor": team_retail,
                        "days": RECRUIT_WINDOW.days,
                        "per_recruit_minor": limits.min_team_retail_per_recruit_minor,
                    },
                )
            )
    return flags


async def check_team(session: AsyncSession, *, manager: User, plan: Plan, now: datetime) -> list[Flag]:
    flags = []
    for person in [manager, *(m.user for m in await tree(session, root=manager))]:
        if person.deactivated_at is None:
            flags += await check_reseller(session, user=person, plan=plan, now=now)
    return flags
