"""Right of access (GDPR art. 15) and to portability (art. 20): everything kept about a person,
as plain data that views.privacy turns into a JSON file.

A section holds only rows about this person, or that they keep as an advisor (their demos,
the guests they typed in, the orders they logged): never another guest of the same party, nor
another advisor's records. Secrets (link tokens, idempotency keys) are left out.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import shop
from models.base import Base
from models.botstate import ConversationState, UserDraft
from models.commissions import CommissionEntry, statements
from models.compliance import BuyBack
from models.demos import Demo
from models.guests import Guest
from models.notifications import Notification
from models.orders import Order, OrderEvent, OrderLine
from models.plan import Plan
from models.privacy import telegram_ids_in_key
from models.users import Invite, User

SECRETS = {"host_token", "guest_token", "idempotency_key", "token"}
HOSTED_DEMO = (
    "id",
    "host_name",
    "host_phone",
    "address",
    "starts_at",
    "duration_minutes",
    "timezone",
    "status",
    "created_at",
)
GUEST_DEMO = ("starts_at", "duration_minutes", "timezone", "status")


def _fields(row: Base, only: tuple[str, ...] | None = None) -> dict[str, Any]:
    names = only or [c.key for c in row.__table__.columns if c.key not in SECRETS]
    return {name: getattr(row, name) for name in names}


async def _all(session: AsyncSession, query: Select[Any]) -> list[Any]:
    return list((await session.scalars(query)).all())


async def _by_order(session: AsyncSession, entity: Any, order_ids: list[int]) -> dict[int, list[Any]]:
    """Lines or events of many orders, a statement per thousand orders."""
    grouped: dict[int, list[Any]] = {}
    for start in range(0, len(order_ids), 1000):
        chunk = order_ids[start : start + 1000]
        for row in await _all(session, select(entity).where(entity.order_id.in_(chunk)).order_by(entity.id)):
            grouped.setdefault(row.order_id, []).append(row)
    return grouped


async def _orders(session: AsyncSession, found: list[Order], *, history: bool) -> list[dict[str, Any]]:
    ids = [order.id for order in found]
    lines = await _by_order(session, OrderLine, ids)
    events = await _by_order(session, OrderEvent, ids) if history else {}
    shown = []
    for order in found:
        entry = {**_fields(order), "lines": [_fields(line) for line in lines.get(order.id, [])]}
        if history:
            entry["history"] = [{**_fields(e), "detail": json.loads(e.detail)} for e in events.get(order.id, [])]
        shown.append(entry)
    return shown


async def _as_advisor(session: AsyncSession, user: User, plan: Plan) -> dict[str, Any]:
    demos = await _all(session, select(Demo).where(Demo.reseller_id == user.id).order_by(Demo.starts_at, Demo.id))
    typed_in = await _all(
        session,
        select(Guest)
        .where(Guest.demo_id.in_([d.id for d in demos]), Guest.user_id.is_(None), Guest.consent_at.is_(None))
        .order_by(Guest.id),
    )
    logged = await _all(session, select(Order).where(Order.reseller_id == user.id).order_by(Order.id))
    return {
        "demos_you_run": [_fields(d) for d in demos],
        "guests_you_added": [_fields(g) for g in typed_in],
        "orders_you_logged": await _orders(session, logged, history=True),
        "commission_entries": [
            _fields(e)
            for e in await _all(
                session,
                select(CommissionEntry).where(CommissionEntry.earner_id == user.id).order_by(CommissionEntry.id),
            )
        ],
        "commission_statements": [
            {**asdict(s), "net_minor": s.net_minor, "currency": plan.currency}
            for s in await statements(session, earner_id=user.id, plan=plan, limit=10**6)
        ],
        "buy_backs": [
            _fields(b)
            for b in await _all(
                session,
                select(BuyBack)
                .where(or_(BuyBack.reseller_id == user.id, BuyBack.recorded_by_id == user.id))
                .order_by(BuyBack.id),
            )
        ],
    }


async def _as_guest_host_customer(session: AsyncSession, user: User) -> dict[str, Any]:
    hosted = await _all(session, select(Demo).where(Demo.host_user_id == user.id).order_by(Demo.starts_at, Demo.id))
    guests = await _all(session, select(Guest).where(Guest.user_id == user.id).order_by(Guest.id))
    registrations = []
    for guest in guests:
        demo = await session.get_one(Demo, guest.demo_id)
        registrations.append({**_fields(guest), "demo": {**_fields(demo, GUEST_DEMO), "town": demo.area}})
    bought = await _all(
        session,
        select(Order)
        .where(or_(Order.customer_user_id == user.id, Order.guest_id.in_([g.id for g in guests])))
        .order_by(Order.id),
    )
    return {
        "demos_you_host": [_fields(d, HOSTED_DEMO) for d in hosted],
        "your_guest_registrations": registrations,
        "orders_you_placed": await _orders(session, bought, history=False),
        "your_online_order_requests": [
            {**_fields(request), "lines": [_fields(line) for line in lines]}
            for request, lines in await shop.requests_of_customer(session, user_id=user.id)
        ],
        "your_shop_code": await session.scalar(select(shop.ShopCode.code).where(shop.ShopCode.user_id == user.id)),
        "shop_codes_you_typed_that_do_not_exist": [
            _fields(a)
            for a in await _all(
                session,
                select(shop.CodeAttempt).where(shop.CodeAttempt.user_id == user.id).order_by(shop.CodeAttempt.id),
            )
        ],
    }


async def _chat(session: AsyncSession, user: User) -> dict[str, Any]:
    states = await _all(session, select(ConversationState).where(ConversationState.key.contains(str(user.telegram_id))))
    draft = await session.get(UserDraft, user.telegram_id)
    messages = await _all(
        session, select(Notification).where(Notification.recipient_id == user.id).order_by(Notification.id)
    )
    return {
        "conversations": [
            {"flow": s.name, "step": json.loads(s.state), "updated_at": s.updated_at}
            for s in states
            if user.telegram_id in telegram_ids_in_key(s.key)
        ],
        "drafts": json.loads(draft.data) if draft else {},
        "messages_to_you": [
            {**_fields(m, ("kind", "status", "due_at", "sent_at", "created_at")), "about": m.data} for m in messages
        ],
    }


async def personal_data(session: AsyncSession, *, user: User, plan: Plan) -> dict[str, object]:
    """Every section, present even when empty, so that the file's shape does not depend on the role."""
    invites = await _all(
        session,
        select(Invite).where(or_(Invite.created_by_id == user.id, Invite.used_by_id == user.id)).order_by(Invite.id),
    )
    return {
        "user": _fields(user),
        "invites_you_created": [_fields(i) for i in invites if i.created_by_id == user.id],
        "invite_you_used": [_fields(i) for i in invites if i.used_by_id == user.id],
        **await _as_advisor(session, user, plan),
        **await _as_guest_host_customer(session, user),
        **await _chat(session, user),
    }
