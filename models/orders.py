"""Orders: what was sold, at which price, to whom; the customer's right of withdrawal; and an
append-only history of every change.

A sale at a home demo is an off-premises contract: the customer may withdraw within a period
(14 days in the EU; 30 in Italy for sales at demos organised in a home, Codice del consumo
art. 52 c.1-bis). Withdrawn and cancelled amounts stop counting as sales.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    CompoundSelect,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Text,
    and_,
    bindparam,
    case,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, DomainError, UTCDateTime, core_rows, enum_column, for_change
from models.catalog import NamedInLanguages, Product
from models.demos import Demo, DemoStatus
from models.guests import Guest
from models.text import clean_text
from models.users import NAME_MAX, User, validate_display_name

QUANTITY_MAX = 999
# Lines of one order: each becomes a button when a withdrawal, a correction or a buy-back asks
# which one, and Telegram takes at most 100 buttons in a keyboard. No home-demo order comes near.
LINES_MAX = 50
REASON_MAX = 300


class OrderKind(enum.StrEnum):
    RETAIL = "retail"
    OWN_USE = "own_use"  # the reseller's personal purchase: never mixed with retail sales


class OrderStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class Contract(enum.StrEnum):
    """Which withdrawal rule applies: signed in person (at a demo, or with the advisor elsewhere)
    or ordered at a distance (the party or personal shop link), where the period runs from delivery."""

    OFF_PREMISES = "off_premises"
    DISTANCE = "distance"


class OrderSource(enum.StrEnum):
    DEMO = "demo"  # logged by the advisor at the demo
    DIRECT = "direct"  # logged by the advisor, outside a demo
    PARTY_LINK = "party_link"  # ordered by a friend of the host through the party's shop link
    PERSONAL_LINK = "personal_link"  # through the advisor's own shop link or code


REMOTE_SOURCES = (OrderSource.PARTY_LINK, OrderSource.PERSONAL_LINK)


class OrderEventKind(enum.StrEnum):
    CREATED = "created"
    WITHDRAWAL = "withdrawal"
    CORRECTION = "correction"
    CANCELLATION = "cancellation"


@dataclass(frozen=True)
class WithdrawalPolicy:
    days: int = 14
    days_home_demo: int = 30


class Order(Base):
    __tablename__ = "orders"
    # A reseller's (or a team's) sales in a period: the roll-ups' main access path.
    __table_args__ = (Index("ix_orders_reseller_id_created_at", "reseller_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reseller_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    demo_id: Mapped[int | None] = mapped_column(ForeignKey("demos.id"), index=True)
    guest_id: Mapped[int | None] = mapped_column(ForeignKey("guests.id"))
    customer_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    customer_name: Mapped[str | None] = mapped_column(String(NAME_MAX))
    customer_phone: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[OrderKind] = mapped_column(enum_column(OrderKind, length=16))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[OrderStatus] = mapped_column(enum_column(OrderStatus, length=16))
    at_home_demo: Mapped[bool] = mapped_column(Boolean)
    withdrawal_days: Mapped[int] = mapped_column(Integer)
    # The first instant at which withdrawing is no longer possible (midnight after the last day).
    withdrawal_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64))
    contract: Mapped[Contract] = mapped_column(enum_column(Contract, length=16), default=Contract.OFF_PREMISES)
    source: Mapped[OrderSource] = mapped_column(enum_column(OrderSource, length=16), default=OrderSource.DEMO)
    # A distance contract's withdrawal period starts here (models.shop.mark_delivered).
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # paid through Telegram Payments
    payment_charge_id: Mapped[str | None] = mapped_column(String(128))
    # From the reseller's draft: pressing Confirm twice finds the order made the first time.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def last_withdrawal_day(self) -> date:
        return (self.withdrawal_ends_at.astimezone(ZoneInfo(self.timezone)) - timedelta(days=1)).date()


class OrderLine(NamedInLanguages, Base):
    """A product as sold: its names in every language and its price are copied at the sale, so a
    later catalog edit never rewrites a receipt, and each reader still reads it in their language."""

    __tablename__ = "order_lines"
    # Covering: an order's amounts are summed without reading the lines themselves.
    __table_args__ = (
        Index("ix_order_lines_order_id_amounts", "order_id", "unit_price_minor", "quantity", "withdrawn_quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    sku: Mapped[str] = mapped_column(String(32))
    unit_price_minor: Mapped[int] = mapped_column(Integer)  # the price it was sold at
    quantity: Mapped[int] = mapped_column(Integer)
    withdrawn_quantity: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def kept_quantity(self) -> int:
        return self.quantity - self.withdrawn_quantity


class OrderEvent(Base):
    """One row per change, never updated: who, when, what, why."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[OrderEventKind] = mapped_column(enum_column(OrderEventKind, length=16))
    detail: Mapped[str] = mapped_column(Text)  # JSON: the lines and quantities before and after
    reason: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class Customer:
    """Who buys: an attendee of the demo, someone new, or nobody (the reseller's own use)."""

    guest_id: int | None = None
    name: str | None = None
    phone: str | None = None
    own_use: bool = False


def validate_quantity(value: int | str) -> int:
    text = str(value).strip()
    if not text.lstrip("-").isdigit():
        raise DomainError("quantity_not_whole")
    quantity = int(text)
    if not 1 <= quantity <= QUANTITY_MAX:
        raise DomainError("quantity_range", high=QUANTITY_MAX)
    return quantity


def _reason(text: str | None) -> str:
    cleaned = clean_text(text)
    if not cleaned:
        raise DomainError("reason_needed")
    if len(cleaned) > REASON_MAX:
        raise DomainError("reason_too_long", limit=REASON_MAX)
    return cleaned


def withdrawal_open(order: Order, now: datetime) -> bool:
    """A distance contract may be withdrawn from until its period, which starts at delivery, ends."""
    undelivered = order.contract == Contract.DISTANCE and order.delivered_at is None
    return undelivered or now < order.withdrawal_ends_at


def withdrawal_end(order_day: date, days: int, tz: str) -> datetime:
    return datetime.combine(order_day + timedelta(days=days + 1), time(0), tzinfo=ZoneInfo(tz))


async def _customer_fields(session: AsyncSession, *, customer: Customer, demo: Demo | None) -> dict[str, Any]:
    if customer.own_use:
        return {
            "kind": OrderKind.OWN_USE,
            "customer_name": None,
            "customer_phone": None,
            "guest_id": None,
            "customer_user_id": None,
        }
    if customer.guest_id is not None:
        guest = await session.get(Guest, customer.guest_id)
        if guest is None or demo is None or guest.demo_id != demo.id:
            raise DomainError("guest_not_found")
        return {
            "kind": OrderKind.RETAIL,
            "customer_name": guest.name,
            "customer_phone": guest.phone,
            "guest_id": guest.id,
            "customer_user_id": guest.user_id,
        }
    return {
        "kind": OrderKind.RETAIL,
        "customer_name": validate_display_name(customer.name or ""),
        "customer_phone": customer.phone,
        "guest_id": None,
        "customer_user_id": None,
    }


def check_line_count(count: int) -> None:
    if count > LINES_MAX:
        raise DomainError("order_too_many_lines", limit=LINES_MAX)


async def _lines(session: AsyncSession, items: list[tuple[int, int]]) -> list[OrderLine]:
    if not items:
        raise DomainError("order_empty")
    check_line_count(len(items))
    lines = []
    for product_id, quantity in items:
        product = await session.get(Product, product_id)
        if product is None:
            raise DomainError("product_unknown", query=str(product_id))
        if not product.active:
            raise DomainError("product_inactive", name=product.shown_names())
        lines.append(
            OrderLine(
                product_id=product.id,
                sku=product.sku,
                **product.names(),
                unit_price_minor=product.unit_price_minor,
                quantity=validate_quantity(quantity),
            )
        )
    return lines


async def create_order(
    session: AsyncSession,
    *,
    reseller: User,
    demo: Demo | None,
    customer: Customer,
    items: list[tuple[int, int]],
    idempotency_key: str,
    policy: WithdrawalPolicy,
    now: datetime,
    source: OrderSource | None = None,
) -> Order:
    """An order logged by the advisor; with a remote `source`, an order request from a shop link
    the advisor accepted: a distance contract, counted for the party like any other."""
    existing = await session.scalar(select(Order).where(Order.idempotency_key == idempotency_key))
    if existing is not None:
        if existing.reseller_id != reseller.id:
            raise DomainError("order_not_found")
        return existing
    if not reseller.is_seller:
        raise DomainError("not_a_seller")
    if demo is not None and (demo.reseller_id != reseller.id or demo.status == DemoStatus.CANCELLED):
        raise DomainError("demo_not_found")
    lines = await _lines(session, items)
    products = [await session.get_one(Product, line.product_id) for line in lines]
    currencies = {p.currency for p in products}
    if len(currencies) != 1:
        raise DomainError("order_mixed_currencies")
    source = source or (OrderSource.DEMO if demo is not None else OrderSource.DIRECT)
    remote = source in REMOTE_SOURCES
    at_home_demo = demo is not None and not remote
    days = policy.days_home_demo if at_home_demo else policy.days
    tz = demo.timezone if demo else reseller.timezone
    order = Order(
        reseller_id=reseller.id,
        demo_id=demo.id if demo else None,
        currency=currencies.pop(),
        status=OrderStatus.CONFIRMED,
        at_home_demo=at_home_demo,
        contract=Contract.DISTANCE if remote else Contract.OFF_PREMISES,
        source=source,
        withdrawal_days=days,
        timezone=tz,
        withdrawal_ends_at=withdrawal_end(now.astimezone(ZoneInfo(tz)).date(), days, tz),
        idempotency_key=idempotency_key,
        created_at=now,
        updated_at=now,
        **await _customer_fields(session, customer=customer, demo=demo),
    )
    session.add(order)
    await session.flush()
    for line in lines:
        line.order_id = order.id
        session.add(line)
    await session.flush()
    await _record(
        session, order, actor=reseller, kind=OrderEventKind.CREATED, now=now, detail={"lines": _snapshot(lines)}
    )
    return order


def _snapshot(lines: list[OrderLine]) -> list[dict[str, Any]]:
    return [
        {
            "sku": ln.sku,
            "quantity": ln.quantity,
            "withdrawn": ln.withdrawn_quantity,
            "unit_price_minor": ln.unit_price_minor,
        }
        for ln in lines
    ]


async def _record(
    session: AsyncSession,
    order: Order,
    *,
    actor: User,
    kind: OrderEventKind,
    now: datetime,
    detail: dict[str, Any],
    reason: str | None = None,
) -> None:
    session.add(
        OrderEvent(order_id=order.id, actor_id=actor.id, at=now, kind=kind, detail=json.dumps(detail), reason=reason)
    )
    order.updated_at = now
    await session.flush()


async def lines_of(session: AsyncSession, order_id: int) -> list[OrderLine]:
    return list(
        (await session.scalars(select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.id))).all()
    )


async def history_of(session: AsyncSession, order_id: int) -> list[OrderEvent]:
    return list(
        (await session.scalars(select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id))).all()
    )


def gross(lines: list[OrderLine]) -> int:
    return sum(ln.unit_price_minor * ln.quantity for ln in lines)


def net(order: Order, lines: list[OrderLine]) -> int:
    """What still counts as sold: nothing for a cancelled order, less what was withdrawn."""
    if order.status == OrderStatus.CANCELLED:
        return 0
    return sum(ln.unit_price_minor * ln.kept_quantity for ln in lines)


async def order_of_reseller(session: AsyncSession, *, order_id: int, reseller: User) -> Order:
    order = await session.scalar(for_change(select(Order).where(Order.id == order_id), session))
    if order is None or order.reseller_id != reseller.id:
        raise DomainError("order_not_found")
    return order


def _require_active(order: Order) -> None:
    if order.status == OrderStatus.CANCELLED:
        raise DomainError("order_cancelled")


async def withdraw(
    session: AsyncSession,
    *,
    order: Order,
    actor: User,
    quantities: dict[int, int] | None,
    reason: str | None,
    now: datetime,
    within_period: bool = True,
) -> list[OrderLine]:
    """Records the customer's withdrawal: of the whole order (quantities None) or of some units.
    A reseller's buy-back of unsold stock is not bound to the customer's period (within_period)."""
    _require_active(order)
    if within_period and not withdrawal_open(order, now):
        raise DomainError("withdrawal_period_over", last_day=order.last_withdrawal_day)
    lines = await lines_of(session, order.id)
    before = _snapshot(lines)
    by_id = {ln.id: ln for ln in lines}
    wanted = {ln.id: ln.kept_quantity for ln in lines} if quantities is None else quantities
    if not any(wanted.values()):
        raise DomainError("withdrawal_nothing")
    for line_id, quantity in wanted.items():
        line = by_id.get(line_id)
        if line is None:
            raise DomainError("order_not_found")
        if quantity < 0 or quantity > line.kept_quantity:
            raise DomainError("withdrawal_too_many", name=line.name, kept=line.kept_quantity)
        line.withdrawn_quantity += quantity
    await _record(
        session,
        order,
        actor=actor,
        kind=OrderEventKind.WITHDRAWAL,
        now=now,
        detail={"before": before, "after": _snapshot(lines)},
        reason=clean_text(reason) or None,
    )
    return lines


async def correct_line(
    session: AsyncSession, *, order: Order, actor: User, line_id: int, quantity: int, reason: str, now: datetime
) -> list[OrderLine]:
    """A mistake in the quantity of a line (0 removes it). The old figure stays in the history."""
    _require_active(order)
    why = _reason(reason)
    lines = await lines_of(session, order.id)
    line = next((ln for ln in lines if ln.id == line_id), None)
    if line is None:
        raise DomainError("order_not_found")
    new_quantity = int(quantity)
    if new_quantity != 0:
        new_quantity = validate_quantity(new_quantity)
    if new_quantity < line.withdrawn_quantity:
        raise DomainError("correction_below_withdrawn", withdrawn=line.withdrawn_quantity)
    if new_quantity == line.quantity:
        raise DomainError("correction_same")
    before = _snapshot(lines)
    line.quantity = new_quantity
    await _record(
        session,
        order,
        actor=actor,
        kind=OrderEventKind.CORRECTION,
        now=now,
        detail={"before": before, "after": _snapshot(lines)},
        reason=why,
    )
    return lines


async def cancel_order(session: AsyncSession, *, order: Order, actor: User, reason: str, now: datetime) -> Order:
    _require_active(order)
    why = _reason(reason)
    order.status = OrderStatus.CANCELLED
    await _record(session, order, actor=actor, kind=OrderEventKind.CANCELLATION, now=now, detail={}, reason=why)
    return order


def has_withdrawal_right(order: Order, lines: list[OrderLine]) -> bool:
    """Whether a withdrawal deadline means anything for this order: a customer's purchase (never
    the advisor's own use), not cancelled, with something left to give back."""
    return (
        order.kind == OrderKind.RETAIL
        and order.status == OrderStatus.CONFIRMED
        and any(line.kept_quantity for line in lines)
    )


def _kept() -> ColumnElement[int]:
    return OrderLine.unit_price_minor * (OrderLine.quantity - OrderLine.withdrawn_quantity)


def counted_amount(*conditions: ColumnElement[bool]) -> ColumnElement[int]:
    """What still counts of the lines (net of withdrawals; nothing of a cancelled order), for
    the rows meeting the conditions: a conditional sum, so that one grouped query can give
    several figures at once."""
    counted = and_(Order.status == OrderStatus.CONFIRMED, *conditions)
    return func.coalesce(func.sum(case((counted, _kept()), else_=0)), 0)


def _order_count(*conditions: ColumnElement[bool]) -> ColumnElement[int]:
    # An order counts while something of it is kept: not cancelled, not wholly withdrawn.
    kept = and_(Order.status == OrderStatus.CONFIRMED, OrderLine.quantity > OrderLine.withdrawn_quantity, *conditions)
    return func.count(func.distinct(case((kept, Order.id))))


@dataclass(frozen=True)
class SalesFigures:
    retail_minor: int
    own_use_minor: int
    retail_orders: int
    own_use_orders: int


NO_SALES = SalesFigures(0, 0, 0, 0)
FIGURES = ("retail_minor", "own_use_minor", "retail_orders", "own_use_orders")


def _figures_columns(*conditions: ColumnElement[bool]) -> list[ColumnElement[int]]:
    return [
        counted_amount(Order.kind == OrderKind.RETAIL, *conditions),
        counted_amount(Order.kind == OrderKind.OWN_USE, *conditions),
        _order_count(Order.kind == OrderKind.RETAIL, *conditions),
        _order_count(Order.kind == OrderKind.OWN_USE, *conditions),
    ]


def _figures(values: Iterable[Any]) -> SalesFigures:
    return SalesFigures(*(int(v or 0) for v in values))


# The roll-up statements are built once, with bind parameters for the values, and reused:
# SQLAlchemy then skips building the expression and its cache key on every call (for the small
# queries of /sales or a digest, that was most of the time).


@cache
def _periods_statement(count: int) -> Select[Any]:
    columns: list[ColumnElement[int]] = []
    for n in range(count):
        columns += _figures_columns(Order.created_at >= bindparam(f"start{n}"), Order.created_at < bindparam(f"end{n}"))
    return (
        select(*columns)
        .select_from(Order)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(
            Order.reseller_id == bindparam("reseller_id"),
            Order.currency == bindparam("currency"),
            Order.created_at >= bindparam("low"),
            Order.created_at < bindparam("high"),
        )
    )


async def sales_in_periods(
    session: AsyncSession, *, reseller_id: int, periods: dict[str, tuple[datetime, datetime]], currency: str
) -> dict[str, SalesFigures]:
    """One reseller's figures for several periods (today, this week, this month...): one query."""
    if not periods:
        return {}
    values = {"reseller_id": reseller_id, "currency": currency}
    for n, (start, end) in enumerate(periods.values()):
        values[f"start{n}"], values[f"end{n}"] = start, end
    values["low"] = min(start for start, _end in periods.values())
    values["high"] = max(end for _start, end in periods.values())
    row = (await core_rows(session, _periods_statement(len(periods)), values)).one()
    return {key: _figures(row[4 * n : 4 * n + 4]) for n, key in enumerate(periods)}


async def sales_between(
    session: AsyncSession, *, reseller_id: int, start: datetime, end: datetime, currency: str
) -> SalesFigures:
    found = await sales_in_periods(session, reseller_id=reseller_id, periods={"": (start, end)}, currency=currency)
    return found[""]


def sales_by_reseller_query(reseller_ids: BindParameter[Any] | Select[Any] | CompoundSelect[Any]) -> Select[Any]:
    """Each reseller's figures in a period, grouped: (reseller_id, retail, own use, retail
    orders, own-use orders); `reseller_ids` is a subquery (a team's CTE) or an expanding
    parameter. The period and currency are the parameters `start`, `end` and `currency`."""
    return (
        select(Order.reseller_id, *(c.label(n) for c, n in zip(_figures_columns(), FIGURES, strict=True)))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(
            Order.reseller_id.in_(reseller_ids),
            Order.currency == bindparam("currency"),
            Order.created_at >= bindparam("start"),
            Order.created_at < bindparam("end"),
        )
        .group_by(Order.reseller_id)
    )


@cache
def _by_reseller_statement() -> Select[Any]:
    return sales_by_reseller_query(bindparam("ids", expanding=True))


async def sales_by_reseller(
    session: AsyncSession, *, reseller_ids: list[int], start: datetime, end: datetime, currency: str
) -> dict[int, SalesFigures]:
    """Figures per reseller in one grouped query; a reseller with no sales is missing (NO_SALES)."""
    if not reseller_ids:
        return {}
    values = {"ids": list(reseller_ids), "start": start, "end": end, "currency": currency}
    return {row[0]: _figures(row[1:]) for row in await core_rows(session, _by_reseller_statement(), values)}


@cache
def _by_demo_statement() -> Select[Any]:
    return (
        select(Order.demo_id, counted_amount())
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.demo_id.in_(bindparam("demo_ids", expanding=True)), Order.kind == OrderKind.RETAIL)
        .group_by(Order.demo_id)
    )


async def retail_by_demo(session: AsyncSession, *, demo_ids: list[int]) -> dict[int, int]:
    """Each party's sales for the host reward (see demo_retail_sales), in one grouped query."""
    rows = await core_rows(session, _by_demo_statement(), {"demo_ids": list(demo_ids)})
    return {demo_id: int(amount) for demo_id, amount in rows}


async def demo_retail_sales(session: AsyncSession, *, demo_id: int) -> int:
    """The party's sales for the host reward: retail only, net of withdrawals and cancellations."""
    amount = await session.scalar(
        select(counted_amount())
        .select_from(Order)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.demo_id == demo_id, Order.kind == OrderKind.RETAIL)
    )
    return int(amount or 0)


async def recent_orders(session: AsyncSession, *, reseller_id: int, limit: int, offset: int = 0) -> list[Order]:
    query = select(Order).where(Order.reseller_id == reseller_id).order_by(Order.created_at.desc(), Order.id.desc())
    return list((await session.scalars(query.limit(limit).offset(offset))).all())


async def all_orders(session: AsyncSession, *, reseller_id: int) -> list[tuple[Order, list[OrderLine]]]:
    orders = (
        await session.scalars(
            select(Order).where(Order.reseller_id == reseller_id).order_by(Order.created_at, Order.id)
        )
    ).all()
    lines = (
        await session.scalars(
            select(OrderLine).join(Order).where(Order.reseller_id == reseller_id).order_by(OrderLine.id)
        )
    ).all()
    by_order: dict[int, list[OrderLine]] = {}
    for line in lines:
        by_order.setdefault(line.order_id, []).append(line)
    return [(order, by_order.get(order.id, [])) for order in orders]
