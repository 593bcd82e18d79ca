"""Guests of a demo: RSVPs through the guest link, guests added by hand, the waiting list
and check-in at the party."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, ForeignKey, String, UniqueConstraint, case, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, DomainError, UTCDateTime, enum_column, for_change
from models.demos import Demo, DemoStatus, validate_phone
from models.users import NAME_MAX, User, validate_display_name

CAPACITY_MAX = 500


class GuestStatus(enum.StrEnum):
    GOING = "going"
    WAITLIST = "waitlist"
    NOT_COMING = "not_coming"


class Guest(Base):
    __tablename__ = "guests"
    __table_args__ = (UniqueConstraint("demo_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    demo_id: Mapped[int] = mapped_column(ForeignKey("demos.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: added by hand
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    phone: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[GuestStatus] = mapped_column(enum_column(GuestStatus, length=16))
    # When the guest read the privacy notice and agreed. None for a guest the reseller typed in:
    # that person has not been informed yet, and the list says so.
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def first_name(self) -> str:
        return self.name.split(" ", 1)[0]


async def demo_for_guest_link(session: AsyncSession, *, token: str, now: datetime) -> Demo:
    demo = await session.scalar(select(Demo).where(Demo.guest_token == token).with_for_update())
    if demo is None:
        raise DomainError("guest_link_unknown")
    if demo.status in (DemoStatus.CANCELLED, DemoStatus.DECLINED):
        raise DomainError("demo_cancelled")
    if demo.ends_at <= now:
        raise DomainError("demo_over")
    return demo


async def _going_count(session: AsyncSession, demo_id: int) -> int:
    found: int | None = await session.scalar(
        select(func.count()).select_from(Guest).where(Guest.demo_id == demo_id, Guest.status == GuestStatus.GOING)
    )
    return found or 0


async def _has_room(session: AsyncSession, demo: Demo) -> bool:
    return demo.capacity is None or await _going_count(session, demo.id) < demo.capacity


async def is_full(session: AsyncSession, demo: Demo) -> bool:
    return not await _has_room(session, demo)


async def guest_of_user(session: AsyncSession, *, demo_id: int, user: User) -> Guest | None:
    found: Guest | None = await session.scalar(select(Guest).where(Guest.demo_id == demo_id, Guest.user_id == user.id))
    return found


async def rsvp(
    session: AsyncSession,
    *,
    demo: Demo,
    user: User,
    name: str,
    phone: str | None,
    region: str | None,
    consent_at: datetime,
    now: datetime,
) -> Guest:
    """Registers a guest who has read the privacy notice (that is when this is called), or
    brings back one who had said they could not come. A full demo puts them on the waiting list."""
    guest = await guest_of_user(session, demo_id=demo.id, user=user)
    if guest is not None and guest.status != GuestStatus.NOT_COMING:
        raise DomainError("already_registered")
    status = GuestStatus.GOING if await _has_room(session, demo) else GuestStatus.WAITLIST
    fields = dict(
        name=validate_display_name(name),
        phone=validate_phone(phone, region=region),
        status=status,
        consent_at=consent_at,
        updated_at=now,
    )
    if guest is None:
        guest = Guest(demo_id=demo.id, user_id=user.id, created_at=now, **fields)
        session.add(guest)
    else:
        for key, value in fields.items():
            setattr(guest, key, value)
        guest.created_at = now  # back of the waiting list
    await session.flush()
    return guest


async def add_guest_by_hand(
    session: AsyncSession, *, demo: Demo, name: str, phone: str | None, region: str | None, now: datetime
) -> Guest:
    """Someone the reseller knows is coming: always on the list, even past capacity (the
    reseller's call), and flagged as not yet informed of the privacy notice."""
    guest = Guest(
        demo_id=demo.id,
        user_id=None,
        name=validate_display_name(name),
        phone=validate_phone(phone, region=region),
        status=GuestStatus.GOING,
        consent_at=None,
        created_at=now,
        updated_at=now,
    )
    session.add(guest)
    await session.flush()
    return guest


async def _promote_waiting(session: AsyncSession, demo: Demo, now: datetime) -> list[Guest]:
    promoted = []
    waiting = await session.scalars(
        select(Guest)
        .where(Guest.demo_id == demo.id, Guest.status == GuestStatus.WAITLIST)
        .order_by(Guest.created_at, Guest.id)
    )
    for guest in waiting:
        if not await _has_room(session, demo):
            break
        guest.status = GuestStatus.GOING
        guest.updated_at = now
        await session.flush()
        promoted.append(guest)
    return promoted


async def cancel_rsvp(session: AsyncSession, *, guest: Guest, demo: Demo, now: datetime) -> list[Guest]:
    """The guest cannot come; the freed place goes to the first on the waiting list, who is
    returned so that they can be told."""
    if guest.status == GuestStatus.NOT_COMING:
        raise DomainError("already_not_coming")
    guest.status = GuestStatus.NOT_COMING
    guest.updated_at = now
    await session.flush()
    return await _promote_waiting(session, demo, now)


async def set_capacity(session: AsyncSession, *, demo: Demo, capacity: int | None, now: datetime) -> list[Guest]:
    if capacity is not None and not 1 <= capacity <= CAPACITY_MAX:
        raise DomainError("capacity_range", high=CAPACITY_MAX)
    demo.capacity = capacity
    demo.updated_at = now
    await session.flush()
    return await _promote_waiting(session, demo, now)


async def check_in(session: AsyncSession, *, guest: Guest, now: datetime) -> Guest:
    """Marks who actually came; pressing again takes the mark back (a tap by mistake)."""
    guest.checked_in_at = None if guest.checked_in_at else now
    if guest.checked_in_at:
        guest.status = GuestStatus.GOING
    guest.updated_at = now
    await session.flush()
    return guest


# Which guests a list shows: all of them (the reseller's list), those still expected (the host's
# list, and the check-in buttons), or those who may buy at the party (the order's customer).
Which = Literal["all", "expected", "present"]


def _which(which: Which) -> ColumnElement[bool]:
    return {
        "all": true(),
        "expected": Guest.status != GuestStatus.NOT_COMING,
        "present": or_(Guest.status == GuestStatus.GOING, Guest.checked_in_at.is_not(None)),
    }[which]


async def guests_of_demo(
    session: AsyncSession, demo_id: int, *, which: Which = "all", offset: int = 0, limit: int | None = None
) -> list[Guest]:
    """Coming first, then the waiting list, then those who can't come; each in the order they signed up."""
    order = (Guest.status != GuestStatus.GOING, Guest.status != GuestStatus.WAITLIST, Guest.created_at, Guest.id)
    query = select(Guest).where(Guest.demo_id == demo_id, _which(which)).order_by(*order).offset(offset).limit(limit)
    return list((await session.scalars(query)).all())


async def count_guests(session: AsyncSession, demo_id: int, *, which: Which = "all") -> int:
    return (
        await session.scalar(select(func.count()).select_from(Guest).where(Guest.demo_id == demo_id, _which(which)))
        or 0
    )


@dataclass(frozen=True)
class GuestTotals:
    listed: int  # every guest, whatever their answer
    going: int
    checked_in: int


async def guest_totals(session: AsyncSession, demo_id: int) -> GuestTotals:
    """The figures at the top of the guest list, in one query whatever the number of guests."""
    row = (
        await session.execute(
            select(
                func.count(),
                func.count(case((Guest.status == GuestStatus.GOING, 1))),
                func.count(Guest.checked_in_at),
            ).where(Guest.demo_id == demo_id)
        )
    ).one()
    return GuestTotals(*(int(value or 0) for value in row))


async def guest_of_reseller(session: AsyncSession, *, guest_id: int, reseller: User) -> tuple[Guest, Demo]:
    row = (
        await session.execute(
            for_change(select(Guest, Demo).join(Demo, Demo.id == Guest.demo_id).where(Guest.id == guest_id), session)
        )
    ).first()
    if row is None or row.Demo.reseller_id != reseller.id:
        raise DomainError("guest_not_found")
    return row.Guest, row.Demo


async def guests_of_user(session: AsyncSession, *, user: User) -> list[Guest]:
    return list((await session.scalars(select(Guest).where(Guest.user_id == user.id).order_by(Guest.created_at))).all())
