"""Online orders: a friend of the host ordering through the party's shop link, anyone ordering
through an advisor's personal shop link or code; the advisor accepts, changes or refuses each
request, and an accepted one becomes an ordinary order (models.orders.create_order) of that
party, so it counts for the party, the host reward and commissions like a sale at the demo.

A basket is a request in status BASKET, kept in the database: every button press on it checks
that it belongs to the presser and is still a basket, and that its party still takes orders.
Remote orders are distance contracts: 14 days to withdraw, from delivery.
"""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, Integer, String, Text, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models import orders
from models.base import Base, DomainError, UTCDateTime, enum_column
from models.catalog import Product
from models.demos import Demo, DemoStatus
from models.orders import Order, OrderSource, OrderStatus, WithdrawalPolicy
from models.party_close import party_open_for_orders
from models.text import clean_text
from models.users import NAME_MAX, User, validate_display_name

# Personal codes: no 0/O, 1/I/L, so a code read aloud or copied by hand is typed right;
# 31 ** 8 ≈ 8.5e11 codes, so trying is hopeless, the more so with CODE_TRIES_PER_HOUR.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
CODE_TRIES_PER_HOUR = 5
ADDRESS_MAX = 300
CLOSED_PARTY = (DemoStatus.CANCELLED, DemoStatus.DECLINED)


class RequestStatus(enum.StrEnum):
    BASKET = "basket"  # the customer is still choosing
    PLACED = "placed"  # waiting for the advisor
    ACCEPTED = "accepted"  # became an order (order_id)
    REFUSED = "refused"


class Delivery(enum.StrEnum):
    COLLECT = "collect"  # from the host
    ADDRESS = "address"


class ShopCode(Base):
    """An advisor's personal shop code: the same in their link and typed by hand."""

    __tablename__ = "shop_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CodeAttempt(Base):
    """A code typed that does not exist: counted per person to slow down guessing."""

    __tablename__ = "shop_code_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class OrderRequest(Base):
    __tablename__ = "order_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reseller_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    demo_id: Mapped[int | None] = mapped_column(ForeignKey("demos.id"), index=True)
    source: Mapped[OrderSource] = mapped_column(enum_column(OrderSource, length=16))
    status: Mapped[RequestStatus] = mapped_column(enum_column(RequestStatus, length=16))
    customer_name: Mapped[str | None] = mapped_column(String(NAME_MAX))
    delivery: Mapped[Delivery | None] = mapped_column(enum_column(Delivery, length=16))
    address: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the advisor changed quantities
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RequestLine(Base):
    __tablename__ = "order_request_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("order_requests.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int] = mapped_column(Integer)


# ---- the party and the advisor behind a link ----


def require_party_open(demo: Demo, now: datetime) -> None:
    if demo.status in CLOSED_PARTY:
        raise DomainError("demo_cancelled")
    if not party_open_for_orders(demo, now):
        raise DomainError("shop_party_closed")


async def party_for_link(session: AsyncSession, *, token: str, now: datetime) -> Demo:
    demo = await session.scalar(select(Demo).where(Demo.guest_token == token))
    if demo is None:
        raise DomainError("shop_link_unknown")
    require_party_open(demo, now)
    return demo


def normalise_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


async def code_of(session: AsyncSession, *, user: User, now: datetime) -> str:
    """The advisor's personal code, made on first use."""
    found = await session.scalar(select(ShopCode).where(ShopCode.user_id == user.id))
    if found is None:
        found = ShopCode(user_id=user.id, code=_new_code(), created_at=now)
        session.add(found)
        await session.flush()
    return found.code


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


async def advisor_for_code(session: AsyncSession, *, text: str, user: User, now: datetime) -> User | None:
    """The advisor whose code this is, or None (and the attempt is counted). Too many wrong codes
    in an hour: refused before looking, whether the code exists or not."""
    since = now - timedelta(hours=1)
    failures = await session.scalar(
        select(func.count()).select_from(CodeAttempt).where(CodeAttempt.user_id == user.id, CodeAttempt.at >= since)
    )
    if (failures or 0) >= CODE_TRIES_PER_HOUR:
        raise DomainError("code_tries_exceeded")
    advisor = await session.scalar(
        select(User).join(ShopCode, ShopCode.user_id == User.id).where(ShopCode.code == normalise_code(text)[:16])
    )
    if advisor is None or not advisor.is_seller:
        session.add(CodeAttempt(user_id=user.id, at=now))
        await session.flush()
        return None
    return advisor


# ---- the basket ----


async def open_basket(
    session: AsyncSession, *, customer: User, reseller: User, demo: Demo | None, now: datetime
) -> OrderRequest:
    """The customer's basket at this party (or this advisor's shop), the one left open if any."""
    if demo is not None:
        require_party_open(demo, now)
    if not reseller.is_seller:
        raise DomainError("shop_link_unknown")
    found = await session.scalar(
        select(OrderRequest).where(
            OrderRequest.customer_user_id == customer.id,
            OrderRequest.reseller_id == reseller.id,
            OrderRequest.demo_id.is_(None) if demo is None else OrderRequest.demo_id == demo.id,
            OrderRequest.status == RequestStatus.BASKET,
        )
    )
    if found is not None:
        return found
    request = OrderRequest(
        customer_user_id=customer.id,
        reseller_id=reseller.id,
        demo_id=demo.id if demo else None,
        source=OrderSource.PARTY_LINK if demo else OrderSource.PERSONAL_LINK,
        status=RequestStatus.BASKET,
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    await session.flush()
    return request


async def basket_of(session: AsyncSession, *, request_id: int, customer: User | None, now: datetime) -> OrderRequest:
    """The presser's own basket, still open, at a party still taking orders; else refused."""
    request = await session.get(OrderRequest, request_id, with_for_update=True)
    if request is None or customer is None or request.customer_user_id != customer.id:
        raise DomainError("basket_not_found")
    if request.status != RequestStatus.BASKET:
        raise DomainError("basket_placed")
    await _require_open(session, request, now)
    return request


async def _require_open(session: AsyncSession, request: OrderRequest, now: datetime) -> None:
    if request.demo_id is not None:
        require_party_open(await session.get_one(Demo, request.demo_id), now)


async def lines_of(session: AsyncSession, request_id: int) -> list[tuple[RequestLine, Product]]:
    rows = await session.execute(
        select(RequestLine, Product)
        .join(Product, Product.id == RequestLine.product_id)
        .where(RequestLine.request_id == request_id)
        .order_by(RequestLine.id)
    )
    return list(rows.tuples().all())


async def set_quantity(
    session: AsyncSession, *, request: OrderRequest, product_id: int, quantity: int | str, now: datetime
) -> None:
    """Puts `quantity` of the product in the basket (added to what is there already)."""
    wanted = orders.validate_quantity(quantity)
    product = await session.get(Product, product_id)
    if product is None or not product.active:
        raise DomainError("product_unavailable")
    lines = await lines_of(session, request.id)
    line = next((ln for ln, _p in lines if ln.product_id == product_id), None)
    if line is None:
        orders.check_line_count(len(lines) + 1)
        if lines and lines[0][1].currency != product.currency:
            raise DomainError("order_mixed_currencies")
        session.add(RequestLine(request_id=request.id, product_id=product_id, quantity=wanted))
    else:
        line.quantity = orders.validate_quantity(line.quantity + wanted)
    request.updated_at = now
    await session.flush()


async def empty_basket(session: AsyncSession, *, request: OrderRequest, now: datetime) -> None:
    for line, _product in await lines_of(session, request.id):
        await session.delete(line)
    request.updated_at = now
    await session.flush()


def total(lines: list[tuple[RequestLine, Product]]) -> int:
    return sum(line.quantity * product.unit_price_minor for line, product in lines)


def set_customer(request: OrderRequest, *, name: str) -> None:
    request.customer_name = validate_display_name(name)


def set_delivery(request: OrderRequest, *, delivery: Delivery, address: str | None = None) -> None:
    if delivery == Delivery.COLLECT and request.demo_id is None:
        raise DomainError("stale_button")  # there is no host to collect from
    if delivery == Delivery.ADDRESS:
        cleaned = clean_text(address, multiline=True)
        if not cleaned:
            raise DomainError("delivery_address_empty")
        if len(cleaned) > ADDRESS_MAX:
            raise DomainError("address_too_long", length=len(cleaned), limit=ADDRESS_MAX)
        request.address = cleaned
    else:
        request.address = None
    request.delivery = delivery


async def place(session: AsyncSession, *, request: OrderRequest, now: datetime) -> list[tuple[RequestLine, Product]]:
    lines = await lines_of(session, request.id)
    if not lines:
        raise DomainError("order_empty")
    if request.customer_name is None or request.delivery is None:
        raise DomainError("stale_button")
    for _line, product in lines:
        if not product.active:
            raise DomainError("product_unavailable_named", name=product.shown_names())
    request.status = RequestStatus.PLACED
    request.updated_at = now
    await session.flush()
    return lines


# ---- the advisor's answer ----


async def placed_request(session: AsyncSession, *, request_id: int, reseller: User) -> OrderRequest:
    request = await session.get(OrderRequest, request_id, with_for_update=True)
    if request is None or request.reseller_id != reseller.id:
        raise DomainError("request_not_found")
    if request.status != RequestStatus.PLACED:
        raise DomainError("request_answered")
    return request


async def change_line(session: AsyncSession, *, request: OrderRequest, line_id: int, delta: int, now: datetime) -> None:
    """The advisor's change before accepting: one more or one fewer (0 takes the line out)."""
    line = await session.get(RequestLine, line_id)
    if line is None or line.request_id != request.id or delta not in (-1, 1):
        raise DomainError("stale_button")
    new = line.quantity + delta
    if new > orders.QUANTITY_MAX:
        raise DomainError("quantity_range", high=orders.QUANTITY_MAX)
    line.quantity = max(new, 0)
    request.changed_at = request.updated_at = now
    await session.flush()


async def accept(
    session: AsyncSession, *, request: OrderRequest, reseller: User, policy: WithdrawalPolicy, now: datetime
) -> Order:
    demo = await session.get(Demo, request.demo_id) if request.demo_id else None
    if demo is not None:
        require_party_open(demo, now)
    items = [(line.product_id, line.quantity) for line, _p in await lines_of(session, request.id) if line.quantity]
    if not items:
        raise DomainError("request_empty")
    order = await orders.create_order(
        session,
        reseller=reseller,
        demo=demo,
        customer=orders.Customer(name=request.customer_name),
        items=items,
        idempotency_key=f"shop:{request.id}",
        policy=policy,
        now=now,
        source=request.source,
    )
    order.customer_user_id = request.customer_user_id  # the receipt and its updates go to them
    request.status = RequestStatus.ACCEPTED
    request.order_id = order.id
    request.updated_at = now
    await session.flush()
    return order


async def refuse(session: AsyncSession, *, request: OrderRequest, now: datetime) -> None:
    request.status = RequestStatus.REFUSED
    request.updated_at = now
    await session.flush()


async def mark_delivered(session: AsyncSession, *, order: Order, now: datetime) -> Order:
    """A distance contract's 14 days start on the day of delivery."""
    if order.contract != orders.Contract.DISTANCE or order.status == OrderStatus.CANCELLED:
        raise DomainError("stale_button")
    if order.delivered_at is not None:
        raise DomainError("already_delivered")
    order.delivered_at = now
    order.withdrawal_ends_at = orders.withdrawal_end(
        _local_day(now, order.timezone), order.withdrawal_days, order.timezone
    )
    order.updated_at = now
    await session.flush()
    return order


def _local_day(now: datetime, tz: str) -> date:
    return now.astimezone(ZoneInfo(tz)).date()


async def request_of_order(session: AsyncSession, *, order_id: int) -> OrderRequest | None:
    found: OrderRequest | None = await session.scalar(select(OrderRequest).where(OrderRequest.order_id == order_id))
    return found


# ---- payments ----


async def payable_order(session: AsyncSession, *, order_id: int, customer: User | None) -> Order:
    """An order the customer may still pay online: theirs, accepted, not cancelled nor paid, and
    every product still available."""
    order = await session.get(Order, order_id, with_for_update=True)
    if order is None or customer is None or order.customer_user_id != customer.id:
        raise DomainError("order_not_payable")
    if order.status == OrderStatus.CANCELLED or order.paid_at is not None:
        raise DomainError("order_not_payable")
    for line in await orders.lines_of(session, order.id):
        product = await session.get(Product, line.product_id)
        if product is None or not product.active:
            raise DomainError("product_unavailable_named", name=line.shown_names())
    return order


def payable_amount(order: Order, lines: list[orders.OrderLine]) -> int:
    return orders.net(order, lines)


async def mark_paid(session: AsyncSession, *, order: Order, charge_id: str, amount_minor: int, now: datetime) -> None:
    if order.paid_at is not None:
        return  # Telegram delivered the same payment twice
    order.paid_at = now
    order.payment_charge_id = charge_id[:128]
    order.updated_at = now
    await session.flush()


# ---- privacy: what /mydata shows, what /forget removes ----


async def requests_of_customer(session: AsyncSession, *, user_id: int) -> list[tuple[OrderRequest, list[RequestLine]]]:
    found = (
        await session.scalars(
            select(OrderRequest).where(OrderRequest.customer_user_id == user_id).order_by(OrderRequest.id)
        )
    ).all()
    return [(r, [line for line, _p in await lines_of(session, r.id)]) for r in found]


async def forget_person(session: AsyncSession, *, user_id: int) -> None:
    """Erasure: the person's baskets and online order requests (as customer or as advisor), their
    shop code and their wrong codes go. Accepted requests are orders by now, which keep the sale."""
    ids = list(
        (
            await session.scalars(
                select(OrderRequest.id).where(
                    (OrderRequest.customer_user_id == user_id) | (OrderRequest.reseller_id == user_id)
                )
            )
        ).all()
    )
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        await session.execute(delete(RequestLine).where(RequestLine.request_id.in_(chunk)))
        await session.execute(delete(OrderRequest).where(OrderRequest.id.in_(chunk)))
    await session.execute(delete(ShopCode).where(ShopCode.user_id == user_id))
    await session.execute(delete(CodeAttempt).where(CodeAttempt.user_id == user_id))
    await session.flush()


# ---- sales by source, for the digest and the monthly statement ----


async def sales_by_source(
    session: AsyncSession, *, reseller_ids: list[int] | None, start: datetime, end: datetime, currency: str
) -> dict[tuple[int, OrderSource], int]:
    """Retail sales net of withdrawals and cancellations, per (advisor, source): one grouped query."""
    kept = orders.OrderLine.unit_price_minor * (orders.OrderLine.quantity - orders.OrderLine.withdrawn_quantity)
    query = (
        select(Order.reseller_id, Order.source, func.coalesce(func.sum(kept), 0))
        .join(orders.OrderLine, orders.OrderLine.order_id == Order.id)
        .where(
            Order.kind == orders.OrderKind.RETAIL,
            Order.status == OrderStatus.CONFIRMED,
            Order.currency == currency,
            Order.created_at >= start,
            Order.created_at < end,
        )
        .group_by(Order.reseller_id, Order.source)
    )
    if reseller_ids is not None:
        query = query.where(Order.reseller_id.in_(reseller_ids))
    return {(rid, OrderSource(source)): int(amount) for rid, source, amount in (await session.execute(query)).all()}
