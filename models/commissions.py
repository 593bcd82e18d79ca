"""The commission ledger: entries are only ever added, never changed.

An order's commissions are derived from what still counts of it (net of withdrawals and
cancellations). Each change posts the difference, in the month it happens (company timezone):
a withdrawal after a month was closed is a reversal in the current month, so a closed month
never changes, and every cent of a statement traces back to an order.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, Integer, Row, Select, String, bindparam, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, core_rows, enum_column
from models.money import share_of
from models.orders import Order, OrderKind, lines_of, net
from models.plan import Plan
from models.users import User

PERSONAL, OWN_USE = 0, -1  # levels: 0 the seller, 1..n the uplines, -1 the seller's own purchases


class EntryKind(enum.StrEnum):
    ACCRUAL = "accrual"
    REVERSAL = "reversal"  # a withdrawal or cancellation takes back part of what was accrued


class CommissionEntry(Base):
    __tablename__ = "commission_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    earner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    kind: Mapped[EntryKind] = mapped_column(enum_column(EntryKind, length=16))
    period: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM, company timezone
    base_minor: Mapped[int] = mapped_column(Integer)  # the sales this entry is a share of (negative for a reversal)
    rate_bp: Mapped[int] = mapped_column(Integer)
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ClosedPeriod(Base):
    __tablename__ = "closed_periods"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)


def period_of(instant: datetime, tz: str) -> str:
    return instant.astimezone(ZoneInfo(tz)).strftime("%Y-%m")


async def _earners(session: AsyncSession, seller: User, depth: int) -> list[tuple[User, int]]:
    """The seller, then the uplines at the time of the sale, one per level."""
    chain, current = [(seller, PERSONAL)], seller
    for level in range(1, depth + 1):
        if current.upline_id is None:
            break
        upline = await session.get(User, current.upline_id)
        if upline is None:
            break
        current = upline
        chain.append((current, level))
    return chain


def next_amount(base_minor: int, rate_bp: int, posted_minor: int) -> int:
    """What to post so that the order's entries add up to its rate's share of what still counts.
    Computed from the whole base each time, so rounding never drifts: a full reversal brings
    the sum back to exactly zero, and the sum never exceeds the share."""
    return share_of(base_minor, rate_bp) - posted_minor


async def post_order(session: AsyncSession, *, order: Order, plan: Plan, now: datetime) -> list[CommissionEntry]:
    """Brings the ledger in line with the order as it stands; returns the entries added."""
    version = plan.version_on(order.created_at.astimezone(ZoneInfo(plan.company_timezone)).date())
    base = net(order, await lines_of(session, order.id)) if order.currency == plan.currency else 0
    existing = (
        await session.execute(
            select(
                CommissionEntry.earner_id,
                CommissionEntry.level,
                CommissionEntry.rate_bp,
                func.sum(CommissionEntry.base_minor),
                func.sum(CommissionEntry.amount_minor),
            )
            .where(CommissionEntry.order_id == order.id)
            .group_by(CommissionEntry.earner_id, CommissionEntry.level, CommissionEntry.rate_bp)
        )
    ).all()
    if existing:  # the earners and rates were fixed when the sale was first posted
        targets = [
            (earner, level, rate, int(posted_base), int(posted))
            for earner, level, rate, posted_base, posted in existing
        ]
    else:
        seller = await session.get_one(User, order.reseller_id)
        if order.kind == OrderKind.OWN_USE:
            targets = [(seller.id, OWN_USE, version.own_use_rate_bp, 0, 0)]
        else:
            rates = [version.personal_rate_bp, *version.override_rates_bp]
            targets = [
                (earner.id, level, rates[level], 0, 0)
                for earner, level in await _earners(session, seller, len(version.override_rates_bp))
            ]
    added = []
    for earner_id, level, rate, posted_base, posted in targets:
        if rate == 0 or base == posted_base:
            continue
        amount = next_amount(base, rate, posted)
        entry = CommissionEntry(
            earner_id=earner_id,
            order_id=order.id,
            level=level,
            kind=EntryKind.ACCRUAL if base > posted_base else EntryKind.REVERSAL,
            period=period_of(now, plan.company_timezone),
            base_minor=base - posted_base,
            rate_bp=rate,
            amount_minor=amount,
            currency=plan.currency,
            created_at=now,
        )
        session.add(entry)
        added.append(entry)
    await session.flush()
    return added


async def close_past_periods(session: AsyncSession, *, plan: Plan, now: datetime) -> list[str]:
    """Months before the current one are final: their statements can be issued."""
    current = period_of(now, plan.company_timezone)
    open_ones = (
        await session.scalars(
            select(func.distinct(CommissionEntry.period)).where(
                CommissionEntry.period < current, CommissionEntry.period.not_in(select(ClosedPeriod.period))
            )
        )
    ).all()
    for period in open_ones:
        session.add(ClosedPeriod(period=period, closed_at=now))
    await session.flush()
    return sorted(open_ones)


@dataclass(frozen=True)
class Statement:
    period: str
    gross_minor: int
    withheld_minor: int
    closed: bool

    @property
    def net_minor(self) -> int:
        return self.gross_minor - self.withheld_minor


def withholding_for(gross_minor: int, *, plan: Plan, period: str) -> int:
    """23 % on 78 % of the commission by default: 2,000.00 gross gives 358.80 withheld."""
    rule = plan.withholding_on(date.fromisoformat(f"{period}-01"))
    if rule is None or gross_minor <= 0:
        return 0
    return (gross_minor * rule.taxable_share_bp * rule.rate_bp * 2 + 10**8) // (2 * 10**8)


async def statements(session: AsyncSession, *, earner_id: int, plan: Plan, limit: int = 4) -> list[Statement]:
    rows = (
        await session.execute(
            select(CommissionEntry.period, func.sum(CommissionEntry.amount_minor))
            .where(CommissionEntry.earner_id == earner_id)
            .group_by(CommissionEntry.period)
            .order_by(CommissionEntry.period.desc())
            .limit(limit)
        )
    ).all()
    closed = set((await session.scalars(select(ClosedPeriod.period))).all())
    return [
        Statement(period, int(gross), withholding_for(int(gross), plan=plan, period=period), period in closed)
        for period, gross in rows
    ]


async def period_entries(session: AsyncSession, *, period: str) -> list[tuple[CommissionEntry, User]]:
    return list(
        (
            await session.execute(
                select(CommissionEntry, User)
                .join(User, User.id == CommissionEntry.earner_id)
                .where(CommissionEntry.period == period)
                .order_by(User.display_name, CommissionEntry.id)
            )
        )
        .tuples()
        .all()
    )


async def year_gross(session: AsyncSession, *, earner_id: int, year: int) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(CommissionEntry.amount_minor), 0)).where(
            CommissionEntry.earner_id == earner_id,
            CommissionEntry.period >= f"{year}-01",
            CommissionEntry.period <= f"{year}-12",
        )
    )
    return int(total or 0)


@cache
def _gross_statement() -> Select[Any]:
    return (
        select(CommissionEntry.earner_id, func.sum(CommissionEntry.amount_minor))
        .where(
            CommissionEntry.earner_id.in_(bindparam("ids", expanding=True)),
            CommissionEntry.period >= bindparam("first"),
            CommissionEntry.period <= bindparam("last"),
        )
        .group_by(CommissionEntry.earner_id)
    )


async def gross_by_earner(session: AsyncSession, *, earner_ids: list[int], year: int) -> dict[int, int]:
    """year_gross for many earners in one grouped query (an earner with nothing is missing)."""
    values = {"ids": list(earner_ids), "first": f"{year}-01", "last": f"{year}-12"}
    return {earner: int(total) for earner, total in await core_rows(session, _gross_statement(), values)}


class StatementLine(NamedTuple):
    """The fields of a statement's line (the rows period_statement returns have these names)."""

    earner: str
    order_id: int
    level: int
    kind: str
    base_minor: int
    rate_bp: int
    amount_minor: int
    currency: str


@cache
def _statement_lines() -> Select[Any]:
    return (
        select(
            User.display_name.label("earner"),
            CommissionEntry.order_id,
            CommissionEntry.level,
            type_coerce(CommissionEntry.kind, String).label("kind"),  # the stored value, as the CSV shows it
            CommissionEntry.base_minor,
            CommissionEntry.rate_bp,
            CommissionEntry.amount_minor,
            CommissionEntry.currency,
        )
        .join(User, User.id == CommissionEntry.earner_id)
        .where(CommissionEntry.period == bindparam("period"))
        .order_by(User.display_name, CommissionEntry.id)
    )


@cache
def _statement_totals() -> Select[Any]:
    return (
        select(User.display_name, func.sum(CommissionEntry.amount_minor))
        .join(User, User.id == CommissionEntry.earner_id)
        .where(CommissionEntry.period == bindparam("period"))
        .group_by(User.display_name)
        .order_by(User.display_name)
    )


async def period_statement(session: AsyncSession, *, period: str) -> tuple[list[Row[Any]], list[tuple[str, int]]]:
    """The month's entries by earner's name (rows with StatementLine's fields), and each name's
    total (grouped, in the same order): two statements, plain values (no entities to load, no
    object per line), whatever the size of the company."""
    lines = list((await core_rows(session, _statement_lines(), {"period": period})).all())
    totals = [(name, int(total)) for name, total in await core_rows(session, _statement_totals(), {"period": period})]
    return lines, totals
