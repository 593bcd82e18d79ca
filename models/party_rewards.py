"""The host reward frozen when a party closes, and how later returns adjust it.

At close (a job of the outbox's housekeeping, a few minutes after the close instant) the reward
is computed once from the party's confirmed retail orders, net of what was withdrawn so far, and
written on a `party_rewards` row keyed by the demo. The row is inserted with ON CONFLICT DO
NOTHING: two processes, or a retry, closing the same party find that the row exists and do
nothing, so the reward is never counted twice and the host is told once.

The rule after close (also in the README), chosen to be what a host expects:
- the rate (tier) reached at close is kept: a friend returning a product never pushes the host
  down a whole tier after they were told their reward;
- the product credit follows what is kept: a returned or cancelled product earns no credit
  (else ordering and returning would buy credit), recomputed at the frozen rate on the kept
  amounts of the orders counted at close;
- it never rises above the credit frozen at close (orders logged after the close do not
  change it) and the whole reward never falls below what the host has already redeemed
  (credit already spent cannot be taken back from a friend of the advisor);
- booking bonuses are earned whenever a demo booked at the party takes place, before or after
  the close, at the bonus the table gave at close (models.rewards).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Integer, String, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, DomainError, UTCDateTime, insert_on_conflict
from models.demos import OPEN_STATUSES, Demo
from models.money import percent_of
from models.notifications import Planned, plan_missing
from models.orders import Order, OrderKind, OrderLine, OrderStatus
from models.party_close import party_closes_at
from models.rewards import HostReward, RewardTable, booking_counts, bookings_from, host_reward, party_reward

# An order being saved as the close instant passes is committed well within this: the job
# closes a party only this long after its close, so no order lands after the freeze.
CLOSE_GRACE = timedelta(minutes=5)
# A party closed much later than due (the clock process was down for days, or the feature was
# just deployed over old demos) is frozen silently: nobody wants news of a party from long ago.
LATE_NOTICE = timedelta(days=7)


class PartyReward(Base):
    """A closed party's host reward, as frozen at close. One row per demo, never deleted."""

    __tablename__ = "party_rewards"

    demo_id: Mapped[int] = mapped_column(ForeignKey("demos.id"), primary_key=True)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the party's close instant
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the job froze it
    currency: Mapped[str] = mapped_column(String(3))
    sales_minor: Mapped[int] = mapped_column(Integer)  # retail, net of withdrawals at close
    rate_bp: Mapped[int] = mapped_column(Integer)  # the tier reached at close: kept afterwards
    credit_minor: Mapped[int] = mapped_column(Integer)  # product credit at close: the ceiling
    bookings_at_close: Mapped[int] = mapped_column(Integer)  # booked demos held by the close
    booking_bonus_minor: Mapped[int] = mapped_column(Integer)  # per booking held, as the table said
    redeemed_minor: Mapped[int] = mapped_column(Integer, default=0)  # the floor


@dataclass(frozen=True)
class ClosedReward:
    """A closed party's reward as it stands now, by the rule above."""

    frozen: PartyReward
    kept_sales_minor: int  # the orders counted at close, as kept today
    credit_minor: int
    bookings: int  # booked demos held by now
    bookings_pending: int

    @property
    def bookings_bonus_minor(self) -> int:
        return self.bookings * self.frozen.booking_bonus_minor

    @property
    def total_minor(self) -> int:
        return max(self.frozen.redeemed_minor, self.credit_minor + self.bookings_bonus_minor)

    @property
    def available_minor(self) -> int:
        return self.total_minor - self.frozen.redeemed_minor


def adjusted_credit(frozen: PartyReward, kept_sales_minor: int) -> int:
    """The frozen rate on what is kept, never above the credit frozen at close."""
    return min(frozen.credit_minor, percent_of(kept_sales_minor, frozen.rate_bp))


async def counted_sales(session: AsyncSession, *, demo_id: int, until: datetime) -> int:
    """Retail sales of the party's orders made up to `until`, net of withdrawals and cancellations."""
    kept = OrderLine.unit_price_minor * (OrderLine.quantity - OrderLine.withdrawn_quantity)
    amount = await session.scalar(
        select(func.coalesce(func.sum(case((Order.status == OrderStatus.CONFIRMED, kept), else_=0)), 0))
        .select_from(Order)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.demo_id == demo_id, Order.kind == OrderKind.RETAIL, Order.created_at <= until)
    )
    return int(amount or 0)


async def _insert_once(session: AsyncSession, values: dict[str, object]) -> bool:
    """Inserts the row unless one exists for the demo; whether this call inserted it. On
    PostgreSQL a concurrent insert of the same demo waits for the other transaction, then does
    nothing; on SQLite writers take turns."""
    # RETURNING rather than the row count, which the ORM's insert does not report on PostgreSQL.
    statement = insert_on_conflict(PartyReward, tuple(values), keys=("demo_id",))
    inserted = (await session.execute(statement, values)).first()
    return inserted is not None


async def close_party(session: AsyncSession, *, demo: Demo, table: RewardTable, now: datetime) -> PartyReward | None:
    """Freezes the party's reward. Returns the row when this call froze it, None when it was
    frozen already (by another process, or by an earlier try)."""
    sales = await counted_sales(session, demo_id=demo.id, until=now)
    reward = host_reward(table, sales_minor=sales, bookings=await bookings_from(session, demo_id=demo.id, now=now))
    closes_at = party_closes_at(demo)
    values: dict[str, object] = {
        "demo_id": demo.id,
        "closes_at": closes_at,
        "closed_at": now,
        "currency": table.currency,
        "sales_minor": reward.sales_minor,
        "rate_bp": reward.rate_bp,
        "credit_minor": reward.credit_minor,
        "bookings_at_close": reward.bookings,
        "booking_bonus_minor": table.booking_bonus_minor,
        "redeemed_minor": 0,
    }
    if not await _insert_once(session, values):
        return None
    if demo.host_user_id is not None and now - closes_at <= LATE_NOTICE:
        told = Planned(f"party_closed:{demo.id}", demo.host_user_id, "party_closed", now, None, {"demo_id": demo.id})
        await plan_missing(session, [told], now=now)
    return await session.get_one(PartyReward, demo.id)


async def close_due_parties(session: AsyncSession, *, table: RewardTable, now: datetime) -> list[int]:
    """Closes every party whose close has passed (by CLOSE_GRACE); returns their demo ids.
    Safe to run in several processes at once and as often as wanted."""
    cutoff = now - CLOSE_GRACE
    candidates = (
        await session.scalars(
            select(Demo)
            .outerjoin(PartyReward, PartyReward.demo_id == Demo.id)
            .where(PartyReward.demo_id.is_(None), Demo.status.in_(OPEN_STATUSES), Demo.starts_at <= cutoff)
            .order_by(Demo.id)
        )
    ).all()
    closed = []
    for demo in candidates:
        if party_closes_at(demo) <= cutoff and await close_party(session, demo=demo, table=table, now=now):
            closed.append(demo.id)
    return closed


async def frozen_reward(session: AsyncSession, *, demo_id: int) -> PartyReward | None:
    return await session.get(PartyReward, demo_id)


async def closed_reward(session: AsyncSession, *, frozen: PartyReward, now: datetime) -> ClosedReward:
    kept = await counted_sales(session, demo_id=frozen.demo_id, until=frozen.closed_at)
    held, pending = (await booking_counts(session, demo_ids=[frozen.demo_id], now=now)).get(frozen.demo_id, (0, 0))
    return ClosedReward(
        frozen=frozen,
        kept_sales_minor=kept,
        credit_minor=adjusted_credit(frozen, kept),
        bookings=held,
        bookings_pending=pending,
    )


@dataclass(frozen=True)
class PartyStanding:
    """The host reward as the host and the advisor see it: running while the party is open,
    frozen (and adjusted by the rule) once it is closed."""

    demo: Demo
    closes_at: datetime
    running: HostReward | None  # while open
    closed: ClosedReward | None  # once closed


async def party_standing(session: AsyncSession, *, table: RewardTable, demo: Demo, now: datetime) -> PartyStanding:
    frozen = await frozen_reward(session, demo_id=demo.id)
    if frozen is not None:
        return PartyStanding(demo, frozen.closes_at, None, await closed_reward(session, frozen=frozen, now=now))
    running = await party_reward(session, table=table, demo_id=demo.id, now=now)
    return PartyStanding(demo, party_closes_at(demo), running, None)


async def record_redemption(session: AsyncSession, *, demo: Demo, amount_minor: int, now: datetime) -> ClosedReward:
    """The host used part of their reward (product credit handed over by the advisor)."""
    frozen = await session.scalar(select(PartyReward).where(PartyReward.demo_id == demo.id).with_for_update())
    if frozen is None:
        raise DomainError("party_not_closed")
    current = await closed_reward(session, frozen=frozen, now=now)
    if amount_minor <= 0 or amount_minor > current.available_minor:
        raise DomainError("redemption_too_much", available_minor=current.available_minor, currency=frozen.currency)
    frozen.redeemed_minor += amount_minor
    await session.flush()
    return await closed_reward(session, frozen=frozen, now=now)
