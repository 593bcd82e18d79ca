"""Privacy rights (GDPR arts. 15, 17, 5(1)(e)): erasure of a person, of a guest at the
advisor's hand, and removal of stale guests. The copy of what is kept is in models.personal_data.

Sales records must be kept ten years (Italian civil code art. 2220; DPR 600/1973 art. 22):
orders, their lines and history, commission entries. Erasure therefore keeps them and
pseudonymises them: names and phones give way to a label whose number is drawn at random,
never derived from the person, so nothing leads back to them. Whatever the law does not
require is deleted, and a person's user row only stays as a nameless shell when such records
point to it.
"""

from __future__ import annotations

import calendar
import re
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import phonenumbers
from sqlalchemy import Select, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import DomainError, rowcount
from models.botstate import ConversationState, UserDraft
from models.commissions import CommissionEntry
from models.compliance import BuyBack
from models.demos import OPEN_STATUSES, Demo
from models.guests import Guest, GuestStatus, cancel_rsvp
from models.notifications import NoticeStatus, Notification, cancel_aftercare
from models.orders import Order, OrderEvent
from models.shop import CodeAttempt, OrderRequest, ShopCode, forget_person
from models.users import Invite, Role, User

ERASED_GUEST = "—"
ERASED_HOST = "host (erased)"
ERASED_ADDRESS = "—"
ERASED_CUSTOMER = "erased customer #{tag}"
ERASED_USER = "erased user #{id}"
REDACTED = "[erased]"
CHUNK = 500

# Every column that points at a user, but the messages to them (which go with them): a person's
# row is deleted when none of these needs it any more, and kept as a nameless shell otherwise.
USER_REFERENCES = (
    Demo.reseller_id,
    Demo.host_user_id,
    Guest.user_id,
    Order.reseller_id,
    Order.customer_user_id,
    OrderEvent.actor_id,
    CommissionEntry.earner_id,
    BuyBack.reseller_id,
    BuyBack.recorded_by_id,
    Invite.created_by_id,
    Invite.used_by_id,
    User.upline_id,
    OrderRequest.customer_user_id,
    OrderRequest.reseller_id,
    ShopCode.user_id,
    CodeAttempt.user_id,
)


@dataclass
class Erasure:
    """What an erasure changed that other people must hear of, or that the outbox must follow."""

    sponsor: User | None = None
    handed_demos: list[Demo] = field(default_factory=list)
    moved_members: int = 0
    replan: dict[int, Demo] = field(default_factory=dict)  # demos whose messages must follow the change
    promoted: list[Guest] = field(default_factory=list)  # off the waiting list: they are told
    hosts_left: list[Demo] = field(default_factory=list)  # open demos whose host left: their advisor is told
    guests: int = 0
    orders: int = 0
    shell_kept: bool = False


@dataclass(frozen=True)
class Preview:
    """What erasing this person would hand over, for the question asked before."""

    open_demos: int
    members: int
    hosted_open: int
    sponsor: User | None

    @property
    def blocked(self) -> bool:
        return self.open_demos > 0 and self.sponsor is None


def is_erased(user: User) -> bool:
    return user.telegram_id < 0


def guest_is_erased(guest: Guest) -> bool:
    return guest.name == ERASED_GUEST and guest.phone is None and guest.user_id is None


async def successor(session: AsyncSession, *, user: User) -> User | None:
    """Who takes over an advisor's demos and team: the nearest active upline, else an admin."""
    seen, current = {user.id}, user
    while current.upline_id is not None and current.upline_id not in seen:
        seen.add(current.upline_id)
        upline = await session.get(User, current.upline_id)
        if upline is None:
            break
        current = upline
        if current.is_seller and not is_erased(current):
            return current
    found: User | None = await session.scalar(
        select(User)
        .where(User.role == Role.ADMIN, User.deactivated_at.is_(None), User.telegram_id > 0, User.id != user.id)
        .order_by(User.id)
        .limit(1)
    )
    return found


def _open_demos_of(user: User, now: datetime) -> Select[tuple[Demo]]:
    return select(Demo).where(Demo.reseller_id == user.id, Demo.status.in_(OPEN_STATUSES), Demo.starts_at > now)


async def preview(session: AsyncSession, *, user: User, now: datetime) -> Preview:
    open_demos = len((await session.scalars(_open_demos_of(user, now))).all())
    members = len((await session.scalars(select(User.id).where(User.upline_id == user.id))).all())
    hosted = (
        await session.scalars(
            select(Demo.id).where(Demo.host_user_id == user.id, Demo.status.in_(OPEN_STATUSES), Demo.starts_at > now)
        )
    ).all()
    return Preview(open_demos, members, len(hosted), await successor(session, user=user))


# ---- finding a person's traces ----


async def _phones_of(session: AsyncSession, user: User) -> set[str]:
    """The numbers this person gave, or was booked as a host with: they identify them elsewhere."""
    guest_phones = await session.scalars(select(Guest.phone).where(Guest.user_id == user.id, Guest.phone.is_not(None)))
    host_phones = await session.scalars(
        select(Demo.host_phone).where(Demo.host_user_id == user.id, Demo.host_phone.is_not(None))
    )
    return {*guest_phones, *host_phones}


async def _guests_of(
    session: AsyncSession, *, user_ids: list[int], phones: set[str], reseller_id: int | None = None
) -> list[Guest]:
    matches = [Guest.user_id.in_(user_ids)] + ([Guest.phone.in_(phones)] if phones else [])
    query = select(Guest).join(Demo, Demo.id == Guest.demo_id).where(or_(*matches))
    if reseller_id is not None:
        query = query.where(Demo.reseller_id == reseller_id)
    return list((await session.scalars(query.order_by(Guest.id))).all())


async def _orders_of_customer(
    session: AsyncSession,
    *,
    user_ids: list[int],
    guest_ids: list[int],
    phones: set[str],
    reseller_id: int | None = None,
) -> list[Order]:
    matches = [Order.customer_user_id.in_(user_ids), Order.guest_id.in_(guest_ids)] + (
        [Order.customer_phone.in_(phones)] if phones else []
    )
    query = select(Order).where(or_(*matches))
    if reseller_id is not None:
        query = query.where(Order.reseller_id == reseller_id)
    return list((await session.scalars(query.order_by(Order.id))).all())


def _pattern(names: Sequence[str | None], phones: set[str]) -> re.Pattern[str] | None:
    """The person's names (whole, and each part of three letters or more) and phone numbers
    (however the digits are spaced), to take out of free text that mentions them."""
    words = {n for n in names if n and n not in (ERASED_GUEST, ERASED_HOST)}
    words |= {part for n in list(words) for part in re.split(r"\W+", n) if len(part) >= 3}
    alternatives = [rf"\b{re.escape(w)}\b" for w in sorted(words, key=len, reverse=True)]
    for phone in phones:
        try:
            digits = str(phonenumbers.parse(phone).national_number)
        except phonenumbers.NumberParseException:
            digits = re.sub(r"\D", "", phone)
        alternatives.append(r"[\s./-]*".join(digits))
    return re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None


def _redact(text: str | None, pattern: re.Pattern[str] | None) -> str | None:
    return pattern.sub(REDACTED, text) if text and pattern else text


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


# ---- what erasing does to each kind of record ----


async def _erase_guest_rows(
    session: AsyncSession, guests: list[Guest], pattern: re.Pattern[str] | None, now: datetime, result: Erasure
) -> None:
    """A guest row keeps the headcount of its party and nothing about the person. An upcoming
    place is given up, so the first on the waiting list moves up."""
    for guest in guests:
        demo = await session.get_one(Demo, guest.demo_id)
        if demo.is_open and demo.starts_at > now and guest.status != GuestStatus.NOT_COMING:
            result.promoted += await cancel_rsvp(session, guest=guest, demo=demo, now=now)
        guest.name, guest.phone, guest.user_id, guest.updated_at = ERASED_GUEST, None, None, now
        demo.notes = _redact(demo.notes, pattern)
        if demo.ends_at > now:
            result.replan[demo.id] = demo
    result.guests += len(guests)
    await session.flush()


async def _pseudonymise_orders(session: AsyncSession, found: list[Order], pattern: re.Pattern[str] | None) -> None:
    """Kept for the tax years, without the customer. Order history is otherwise never changed;
    a reason that names the customer is the one exception the erasure makes."""
    tag = secrets.randbelow(900_000) + 100_000  # random: nothing about the person is in it
    for order in found:
        order.customer_name, order.customer_phone, order.customer_user_id = ERASED_CUSTOMER.format(tag=tag), None, None
        await cancel_aftercare(session, order_id=order.id)  # nobody left to check in with
    for chunk in _chunks([o.id for o in found]):
        for event in await session.scalars(
            select(OrderEvent).where(OrderEvent.order_id.in_(chunk), OrderEvent.reason.is_not(None))
        ):
            event.reason = _redact(event.reason, pattern)
    await session.flush()


async def _leave_hosted_demos(
    session: AsyncSession, hosted: list[Demo], pattern: re.Pattern[str] | None, now: datetime, result: Erasure
) -> None:
    """The demo stays (the advisor's and the guests'), with a neutral host and only the town."""
    for demo in hosted:
        if demo.is_open and demo.starts_at > now:
            result.hosts_left.append(demo)
        demo.address = demo.area or ERASED_ADDRESS
        demo.host_name, demo.host_phone, demo.host_user_id, demo.updated_at = ERASED_HOST, None, None, now
        demo.notes = _redact(demo.notes, pattern)
        if demo.ends_at > now:
            result.replan[demo.id] = demo
    await session.flush()


async def _hand_over(session: AsyncSession, user: User, now: datetime, result: Erasure) -> None:
    """Upcoming demos and the downline go to the sponsor; past demos stay with the sales records,
    and what they still had planned (a host's thanks, a follow-up) is not sent."""
    handed = list((await session.scalars(_open_demos_of(user, now))).all())
    if handed and result.sponsor is None:
        raise DomainError("erasure_no_successor")
    for demo in handed:
        assert result.sponsor is not None
        demo.reseller_id, demo.updated_at = result.sponsor.id, now
        result.replan[demo.id] = demo
    result.handed_demos = handed
    moved = await session.execute(
        update(User).where(User.upline_id == user.id).values(upline_id=result.sponsor.id if result.sponsor else None)
    )
    result.moved_members = rowcount(moved)
    await session.execute(delete(Invite).where(Invite.created_by_id == user.id, Invite.used_at.is_(None)))
    kept = list((await session.scalars(select(Demo.id).where(Demo.reseller_id == user.id))).all())
    for chunk in _chunks(kept):
        await session.execute(
            update(Notification)
            .where(
                Notification.status == NoticeStatus.PENDING,
                or_(*[Notification.key.startswith(f"demo:{i}:") for i in chunk]),
            )
            .values(status=NoticeStatus.CANCELLED)
        )
    await session.flush()


async def forget_chat(session: AsyncSession, *, telegram_id: int) -> None:
    """Half-finished flows and their draft answers, keyed by the Telegram id."""
    await session.execute(delete(UserDraft).where(UserDraft.telegram_id == telegram_id))
    rows = await session.scalars(select(ConversationState).where(ConversationState.key.contains(str(telegram_id))))
    for row in rows:
        if telegram_id in telegram_ids_in_key(row.key):
            await session.delete(row)
    await session.flush()


def telegram_ids_in_key(key: str) -> list[int]:
    return [int(part) for part in re.findall(r"-?\d+", key)]


async def _still_referenced(session: AsyncSession, user_ids: set[int]) -> set[int]:
    found: set[int] = set()
    for column in USER_REFERENCES:
        for chunk in _chunks(sorted(user_ids)):
            found |= {i for i in (await session.scalars(select(column).where(column.in_(chunk)).distinct())) if i}
    return found


async def _close_account(session: AsyncSession, user: User, *, locale: str, timezone: str, now: datetime) -> bool:
    """Deletes the person's row, or keeps a nameless shell when sales records point to it:
    its Telegram id replaced by a negative placeholder, so the same account starts afresh."""
    if user.id not in await _still_referenced(session, {user.id}):
        await session.delete(user)
        await session.flush()
        return False
    user.telegram_id, user.display_name, user.locale, user.timezone = (
        -user.id,
        ERASED_USER.format(id=user.id),
        locale,
        timezone,
    )
    user.role, user.upline_id, user.onboarded = None, None, False
    user.deactivated_at, user.unreachable_at = user.deactivated_at or now, now
    await session.flush()
    return True


# ---- the three ways in ----


async def erase_person(session: AsyncSession, *, user: User, now: datetime, locale: str, timezone: str) -> Erasure:
    """Right to erasure, whatever the person was: advisor or manager, host, guest, customer."""
    result = Erasure(sponsor=await successor(session, user=user))
    phones = await _phones_of(session, user)
    guests = await _guests_of(session, user_ids=[user.id], phones=phones)
    hosted = list(
        (
            await session.scalars(
                select(Demo).where(
                    or_(Demo.host_user_id == user.id, *([Demo.host_phone.in_(phones)] if phones else []))
                )
            )
        ).all()
    )
    bought = await _orders_of_customer(session, user_ids=[user.id], guest_ids=[g.id for g in guests], phones=phones)
    pattern = _pattern(
        [
            user.display_name,
            *(g.name for g in guests),
            *(d.host_name for d in hosted),
            *(o.customer_name for o in bought),
        ],
        phones,
    )
    await _hand_over(session, user, now, result)
    await _leave_hosted_demos(session, hosted, pattern, now, result)
    await _erase_guest_rows(session, guests, pattern, now, result)
    await _pseudonymise_orders(session, bought, pattern)
    result.orders = len(bought)
    await forget_person(session, user_id=user.id)
    await forget_chat(session, telegram_id=user.telegram_id)
    await session.execute(
        delete(Notification).where(Notification.recipient_id == user.id)
    )  # sent or not, they were theirs
    result.shell_kept = await _close_account(session, user, locale=locale, timezone=timezone, now=now)
    return result


async def erase_guest_registrations(session: AsyncSession, *, user: User, now: datetime) -> Erasure:
    """A guest's own request from /privacy: their guest rows, and the orders that copied them."""
    guests = await _guests_of(session, user_ids=[user.id], phones=set())
    bought = await _orders_of_customer(session, user_ids=[], guest_ids=[g.id for g in guests], phones=set())
    pattern = _pattern(
        [g.name for g in guests] + [o.customer_name for o in bought], {g.phone for g in guests if g.phone}
    )
    result = Erasure()
    await _erase_guest_rows(session, guests, pattern, now, result)
    await _pseudonymise_orders(session, bought, pattern)
    result.orders = len(bought)
    return result


async def erase_guest(session: AsyncSession, *, guest: Guest, reseller: User, now: datetime) -> Erasure:
    """A guest asked their advisor: the guest is erased from this advisor's guest lists and orders,
    wherever the same phone number or Telegram account appears in them."""
    if guest_is_erased(guest):
        raise DomainError("guest_not_found")
    phones = {guest.phone} if guest.phone else set()
    user_ids = [guest.user_id] if guest.user_id else []
    found = {g.id: g for g in await _guests_of(session, user_ids=user_ids, phones=phones, reseller_id=reseller.id)}
    found.setdefault(guest.id, guest)
    guests = sorted(found.values(), key=lambda g: g.id)
    bought = await _orders_of_customer(
        session, user_ids=user_ids, guest_ids=list(found), phones=phones, reseller_id=reseller.id
    )
    pattern = _pattern([g.name for g in guests] + [o.customer_name for o in bought], phones)
    result = Erasure()
    await _erase_guest_rows(session, guests, pattern, now, result)
    await _pseudonymise_orders(session, bought, pattern)
    result.orders = len(bought)
    return result


def months_before(now: datetime, months: int) -> datetime:
    index = now.month - 1 - months
    year, month = now.year + index // 12, index % 12 + 1
    return now.replace(year=year, month=month, day=min(now.day, calendar.monthrange(year, month)[1]))


async def purge_stale_guests(session: AsyncSession, *, now: datetime, months: int) -> int:
    """Storage limitation: guests of demos held more than `months` ago who bought nothing are
    deleted, and so is the row of a person who was nothing but such a guest. Returns how many
    guests went."""
    ordered = select(Order.id).where(Order.guest_id == Guest.id).exists()
    stale = (
        await session.execute(
            select(Guest.id, Guest.user_id)
            .join(Demo, Demo.id == Guest.demo_id)
            .where(Demo.starts_at < months_before(now, months), ~ordered)
        )
    ).all()
    for chunk in _chunks([row.id for row in stale]):
        await session.execute(delete(Guest).where(Guest.id.in_(chunk)))
    people = {row.user_id for row in stale if row.user_id is not None}
    if people:
        people -= await _still_referenced(session, people)
        for user in (await session.scalars(select(User).where(User.id.in_(people), User.role.is_(None)))).all():
            await session.execute(delete(Notification).where(Notification.recipient_id == user.id))
            await session.delete(user)
    await session.flush()
    return len(stale)
