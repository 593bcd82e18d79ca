"""What each outbox row needs from the database when it is sent, and whether it still should be.

A loader returns the facts for the row's view (views.notifications), `None` when the message
has nothing left to say (the demo was cancelled, a newer message replaced it), or `Defer` to
look again later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from models import compliance, digests, guests, orders, party_close, party_rewards, rewards, users
from models.demos import Demo, DemoStatus
from models.guests import Guest, GuestStatus
from models.notifications import Notification
from models.users import User
from views.notifications import DemoFacts, Env, OrderFacts, PartyFacts, ResellerDigestFacts, TeamDigestFacts

HOST_THANKS_WAIT = timedelta(days=7)  # after that, thank the host even if no order was logged
CLOSED = (DemoStatus.CANCELLED, DemoStatus.DECLINED)


@dataclass
class Defer:
    until: datetime


async def _facts(
    session: AsyncSession, row: Notification, *, statuses: tuple[str, ...] | None = None, same_time: bool = False
) -> DemoFacts | None:
    """The demo of the row, if it is still in one of `statuses` (any open one by default) and,
    with same_time, still at the time the message was written for."""
    demo = await session.get(Demo, row.data["demo_id"])
    if demo is None:
        return None
    if (demo.status in CLOSED) if statuses is None else (demo.status not in statuses):
        return None
    if same_time and demo.ics_sequence != row.data.get("seq", demo.ics_sequence):
        return None  # moved since: the message about the move says what matters now
    reseller = await users.get_user(session, demo.reseller_id)
    return DemoFacts(demo, reseller, calendar=bool(row.data.get("calendar")), payload=row.data)


async def _going(session: AsyncSession, demo: Demo) -> int:
    return sum(1 for g in await guests.guests_of_demo(session, demo.id) if g.status == GuestStatus.GOING)


async def reminder(session: AsyncSession, row: Notification, reader: User, env: Env) -> DemoFacts | None:
    facts = await _facts(session, row)
    if facts is not None:
        facts.going = await _going(session, facts.demo)
    return facts


async def guest_reminder(session: AsyncSession, row: Notification, reader: User, env: Env) -> DemoFacts | None:
    facts = await _facts(session, row)
    guest = await session.get(Guest, row.data["guest_id"])
    if facts is None or guest is None or guest.status != GuestStatus.GOING:
        return None
    facts.guest = guest
    return facts


async def followup(session: AsyncSession, row: Notification, reader: User, env: Env) -> DemoFacts | None:
    return await _facts(session, row)


async def host_thanks(session: AsyncSession, row: Notification, reader: User, env: Env) -> DemoFacts | Defer | None:
    facts = await _facts(session, row)
    if facts is None:
        return None
    sales = await orders.demo_retail_sales(session, demo_id=facts.demo.id)
    if sales == 0 and env.now < facts.demo.ends_at + HOST_THANKS_WAIT:
        return Defer(env.now + timedelta(hours=12))  # wait until orders are logged
    facts.reward = await rewards.party_reward(session, table=env.reward_table, demo_id=facts.demo.id, now=env.now)
    return facts


async def _order(session: AsyncSession, order_id: int) -> OrderFacts | None:
    order = await session.get(orders.Order, order_id)
    if order is None:
        return None
    lines = await orders.lines_of(session, order.id)
    return OrderFacts(order, lines, await users.get_user(session, order.reseller_id))


async def aftercare(session: AsyncSession, row: Notification, reader: User, env: Env) -> OrderFacts | None:
    facts = await _order(session, row.data["order_id"])
    if facts is None or facts.order.status != orders.OrderStatus.CONFIRMED:
        return None
    if orders.net(facts.order, facts.lines) == 0:
        return None  # all returned: nothing to care for
    return facts


async def order_notice(session: AsyncSession, row: Notification, reader: User, env: Env) -> OrderFacts | None:
    return await _order(session, row.data["order_id"])


async def reseller_digest(session: AsyncSession, row: Notification, reader: User, env: Env) -> ResellerDigestFacts:
    week = date.fromisoformat(row.data["week_start"])
    figures = await digests.reseller_week(
        session, user=reader, week=week, currency=env.currency, rewards=env.reward_table
    )
    return ResellerDigestFacts(week, figures)


async def team_digest(session: AsyncSession, row: Notification, reader: User, env: Env) -> TeamDigestFacts:
    week = date.fromisoformat(row.data["week_start"])
    team = await digests.team_week(session, manager=reader, week=week, currency=env.currency)
    flags = await compliance.check_team(session, manager=reader, plan=env.plan, now=env.now)
    return TeamDigestFacts(week, team, flags)


async def host_confirmed(session: AsyncSession, row: Notification, reader: User, env: Env) -> DemoFacts | None:
    return await _facts(session, row, statuses=(DemoStatus.CONFIRMED,), same_time=True)


async def host_declined(session: AsyncSession, row: Notification, reader: User, env: Env) -> DemoFacts | None:
    return await _facts(session, row, statuses=(DemoStatus.DECLINED,))


async def host_proposed(session: AsyncSession, row: Notification, reader: User, env: Env) -> DemoFacts | None:
    facts = await _facts(session, row, statuses=(DemoStatus.PROPOSED,))
    if (
        facts is None
        or facts.demo.proposed_starts_at is None
        or facts.demo.proposed_starts_at.isoformat() != row.data["proposed"]
    ):
        return None  # answered or replaced by another proposal
    return facts


async def demo_cancelled(session: AsyncSession, row: Notification, reader: User, env: Env) -> DemoFacts | None:
    return await _facts(session, row, statuses=(DemoStatus.CANCELLED,))


async def proposal_accepted(session: AsyncSession, row: Notification, reader: User, env: Env) -> DemoFacts | None:
    return await _facts(session, row, statuses=(DemoStatus.CONFIRMED,), same_time=True)


async def proposal_refused(session: AsyncSession, row: Notification, reader: User, env: Env) -> DemoFacts | None:
    return await _facts(session, row, same_time=True)


async def demo_moved(session: AsyncSession, row: Notification, reader: User, env: Env) -> DemoFacts | None:
    return await _facts(session, row, same_time=True)


async def waitlist_promoted(session: AsyncSession, row: Notification, reader: User, env: Env) -> DemoFacts | None:
    guest = await session.get(Guest, row.data["guest_id"])
    if guest is None or guest.status != GuestStatus.GOING:
        return None
    demo = await session.get(Demo, guest.demo_id)
    if demo is None or demo.status in CLOSED or demo.starts_at <= env.now:
        return None
    return DemoFacts(demo, await users.get_user(session, demo.reseller_id), guest=guest)


async def error_alert(session: AsyncSession, row: Notification, reader: User, env: Env) -> dict:
    return row.data  # what went wrong, and where: all in the row


async def menu(session: AsyncSession, row: Notification, reader: User, env: Env) -> User:
    return reader  # the menu follows the person's role as it is when it is sent


async def handover(session: AsyncSession, row: Notification, reader: User, env: Env) -> dict:
    return row.data  # how many demos and advisors passed to the reader: the erased advisor is nobody now


async def host_erased(session: AsyncSession, row: Notification, reader: User, env: Env) -> DemoFacts | None:
    return await _facts(session, row)


async def party_close_reminder(session: AsyncSession, row: Notification, reader: User, env: Env) -> PartyFacts | None:
    """Only while the party is open and still closes when the reminder was planned for."""
    demo = await session.get(Demo, row.data["demo_id"])
    if demo is None or not party_close.party_open_for_orders(demo, env.now):
        return None
    if party_close.party_closes_at(demo) != datetime.fromisoformat(row.data["closes_at"]):
        return None  # moved since: the reminder for the new close is planned
    standing = await party_rewards.party_standing(session, table=env.reward_table, demo=demo, now=env.now)
    return PartyFacts(demo, await users.get_user(session, demo.reseller_id), standing)


async def party_closed(session: AsyncSession, row: Notification, reader: User, env: Env) -> PartyFacts | None:
    demo = await session.get(Demo, row.data["demo_id"])
    if demo is None or await party_rewards.frozen_reward(session, demo_id=demo.id) is None:
        return None
    standing = await party_rewards.party_standing(session, table=env.reward_table, demo=demo, now=env.now)
    return PartyFacts(demo, await users.get_user(session, demo.reseller_id), standing)


LOADERS = {
    "menu": menu,
    "reseller_reminder": reminder,
    "host_reminder": reminder,
    "guest_reminder": guest_reminder,
    "reseller_followup": followup,
    "host_thanks": host_thanks,
    "aftercare": aftercare,
    "reseller_digest": reseller_digest,
    "team_digest": team_digest,
    "host_confirmed": host_confirmed,
    "host_declined": host_declined,
    "host_proposed": host_proposed,
    "demo_cancelled": demo_cancelled,
    "proposal_accepted": proposal_accepted,
    "proposal_refused": proposal_refused,
    "demo_moved": demo_moved,
    "waitlist_promoted": waitlist_promoted,
    "order_receipt": order_notice,
    "withdrawal_receipt": order_notice,
    "error_alert": error_alert,
    "handover": handover,
    "host_erased": host_erased,
    "party_close_reminder": party_close_reminder,
    "party_closed": party_closed,
}
