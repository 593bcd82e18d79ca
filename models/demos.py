"""Home demos: scheduled by a reseller, confirmed, declined or moved by the host."""

from __future__ import annotations

import calendar
import enum
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

import phonenumbers
from sqlalchemy import ForeignKey, Index, Integer, Select, String, Text, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, DomainError, UTCDateTime, core_rows, enum_column, for_change
from models.text import clean_text
from models.users import User

HOST_NAME_MAX = 100
PHONE_MAX = 32
ADDRESS_MAX = 300
NOTES_MAX = 1000
DURATION_MIN = 15
DURATION_MAX = 12 * 60
MONTHS_AHEAD = 18


class DemoStatus(enum.StrEnum):
    AWAITING_HOST = "awaiting_host"
    PROPOSED = "proposed"  # the host asked for another time
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    CANCELLED = "cancelled"


OPEN_STATUSES = (DemoStatus.AWAITING_HOST, DemoStatus.PROPOSED, DemoStatus.CONFIRMED)


class Demo(Base):
    __tablename__ = "demos"
    __table_args__ = (Index("ix_demos_reseller_id_starts_at", "reseller_id", "starts_at"),)  # demos held in a week

    id: Mapped[int] = mapped_column(primary_key=True)
    reseller_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    host_name: Mapped[str] = mapped_column(String(HOST_NAME_MAX))
    host_phone: Mapped[str | None] = mapped_column(String(PHONE_MAX))
    address: Mapped[str] = mapped_column(String(ADDRESS_MAX))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    # The demo happens in one place: its clock is the reseller's timezone when it was booked.
    timezone: Mapped[str] = mapped_column(String(64))
    status: Mapped[DemoStatus] = mapped_column(enum_column(DemoStatus, length=16), default=DemoStatus.AWAITING_HOST)
    host_token: Mapped[str] = mapped_column(String(32), unique=True)
    guest_token: Mapped[str] = mapped_column(String(32), unique=True)
    # At most this many guests say they are coming; None: no limit.
    capacity: Mapped[int | None] = mapped_column(Integer)
    # The party at which this demo was booked: a booking there earns that party's host a bonus.
    source_demo_id: Mapped[int | None] = mapped_column(ForeignKey("demos.id"), index=True)  # bookings at a party
    host_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The party takes orders until this instant (set by the advisor); None: the default, the end
    # of the 7th day after the demo (models.party_close).
    party_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped whenever the time changes, so calendar apps replace the event they hold.
    ics_sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def area(self) -> str | None:
        """The town, from 'street, number, town': what a guest sees before registering."""
        parts = [p.strip() for p in self.address.split(",") if p.strip()]
        return parts[-1] if len(parts) > 1 else None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


def _limit(value: str | None, limit: int, code: str, *, required: bool = True, multiline: bool = False) -> str | None:
    cleaned = clean_text(value, multiline=multiline)
    if not cleaned:
        if required:
            raise DomainError(f"{code}_empty")
        return None
    if len(cleaned) > limit:
        raise DomainError(f"{code}_too_long", limit=limit, length=len(cleaned))
    return cleaned


def _required(value: str | None, limit: int, code: str, *, multiline: bool = False) -> str:
    cleaned = _limit(value, limit, code, multiline=multiline)
    assert cleaned is not None  # _limit raises on an empty required value
    return cleaned


def validate_host_name(value: str) -> str:
    return _required(value, HOST_NAME_MAX, "host_name")


def validate_phone(value: str | None, *, region: str | None) -> str | None:
    """A number a host can be called on, stored in international format."""
    cleaned = _limit(value, PHONE_MAX, "phone", required=False)
    if cleaned is None:
        return None
    try:
        number = phonenumbers.parse(cleaned, region)
    except phonenumbers.NumberParseException:
        raise DomainError("phone_invalid") from None
    if not phonenumbers.is_valid_number(number):
        raise DomainError("phone_invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def validate_address(value: str) -> str:
    return _required(value, ADDRESS_MAX, "address", multiline=True)


def validate_notes(value: str | None) -> str | None:
    return _limit(value, NOTES_MAX, "notes", required=False, multiline=True)


def validate_duration(minutes: int) -> int:
    if not DURATION_MIN <= minutes <= DURATION_MAX:
        raise DomainError("duration_range", shortest_minutes=DURATION_MIN, longest_minutes=DURATION_MAX)
    return minutes


def latest_day(today: date) -> date:
    """The last day a demo may be booked for: 18 months ahead. Nobody plans a home party
    further out; a later date is a typing slip (2062 for 2026) or nonsense (year 9999)."""
    month = today.month - 1 + MONTHS_AHEAD
    year, month = today.year + month // 12, month % 12 + 1
    return date(year, month, min(today.day, calendar.monthrange(year, month)[1]))


def validate_day(day: date, today: date) -> date:
    if day < today:
        raise DomainError("date_past")
    if day > latest_day(today):
        raise DomainError("date_too_far", months=MONTHS_AHEAD)
    return day


def validate_future(starts_at: datetime, now: datetime) -> datetime:
    if starts_at <= now:
        raise DomainError("time_past")
    if starts_at.date() > latest_day(now.date()) + timedelta(days=1):  # a day's margin for timezones
        raise DomainError("date_too_far", months=MONTHS_AHEAD)
    return starts_at


async def schedule_demo(
    session: AsyncSession,
    *,
    reseller: User,
    host_name: str,
    host_phone: str | None,
    address: str,
    starts_at: datetime,
    duration_minutes: int,
    notes: str | None,
    timezone: str,
    now: datetime,
    source_demo_id: int | None = None,
) -> Demo:
    if not reseller.is_seller:
        raise DomainError("not_a_seller")
    if source_demo_id is not None:
        source = await session.get(Demo, source_demo_id)
        if source is None or source.reseller_id != reseller.id:
            raise DomainError("demo_not_found")
    demo = Demo(
        reseller_id=reseller.id,
        host_name=validate_host_name(host_name),
        host_phone=validate_phone(host_phone, region=None) if host_phone else None,
        address=validate_address(address),
        starts_at=validate_future(starts_at, now),
        duration_minutes=validate_duration(duration_minutes),
        notes=validate_notes(notes),
        timezone=timezone,
        status=DemoStatus.AWAITING_HOST,
        host_token=secrets.token_urlsafe(16),
        guest_token=secrets.token_urlsafe(16),
        source_demo_id=source_demo_id,
        ics_sequence=0,
        created_at=now,
        updated_at=now,
    )
    session.add(demo)
    await session.flush()
    return demo


async def find_overlaps(
    session: AsyncSession,
    *,
    reseller_id: int,
    starts_at: datetime,
    duration_minutes: int,
    exclude_id: int | None = None,
) -> list[Demo]:
    ends_at = starts_at + timedelta(minutes=duration_minutes)
    # Any demo that could overlap starts less than the longest duration before this one ends.
    query = select(Demo).where(
        Demo.reseller_id == reseller_id,
        Demo.status.in_(OPEN_STATUSES),
        Demo.starts_at < ends_at,
        Demo.starts_at > starts_at - timedelta(minutes=DURATION_MAX),
    )
    if exclude_id is not None:
        query = query.where(Demo.id != exclude_id)
    demos = (await session.scalars(query.order_by(Demo.starts_at))).all()
    return [d for d in demos if d.ends_at > starts_at]


async def upcoming_demos(
    session: AsyncSession, *, reseller_id: int, now: datetime, limit: int, offset: int = 0
) -> tuple[list[Demo], int]:
    """Demos not yet over and not cancelled, soonest first, with the total count for paging."""
    query = select(Demo).where(
        Demo.reseller_id == reseller_id,
        Demo.status != DemoStatus.CANCELLED,
        Demo.starts_at > now - timedelta(minutes=DURATION_MAX),
    )
    demos = [d for d in (await session.scalars(query.order_by(Demo.starts_at, Demo.id))).all() if d.ends_at > now]
    return demos[offset : offset + limit], len(demos)


async def last_demo(session: AsyncSession, *, reseller_id: int, now: datetime) -> Demo | None:
    found: Demo | None = await session.scalar(
        select(Demo)
        .where(Demo.reseller_id == reseller_id, Demo.starts_at <= now, Demo.status.in_(OPEN_STATUSES))
        .order_by(Demo.starts_at.desc())
        .limit(1)
    )
    return found


async def next_demo(session: AsyncSession, *, reseller_id: int, now: datetime) -> Demo | None:
    """The advisor's next demo still to start (waiting for the host, proposed or confirmed)."""
    found: Demo | None = await session.scalar(
        select(Demo)
        .where(Demo.reseller_id == reseller_id, Demo.starts_at > now, Demo.status.in_(OPEN_STATUSES))
        .order_by(Demo.starts_at, Demo.id)
        .limit(1)
    )
    return found


async def last_completed_demo(session: AsyncSession, *, reseller_id: int, now: datetime) -> Demo | None:
    """The advisor's last demo held to its end: confirmed by the host and over by now."""
    started = await session.scalars(
        select(Demo)
        .where(Demo.reseller_id == reseller_id, Demo.starts_at <= now, Demo.status == DemoStatus.CONFIRMED)
        .order_by(Demo.starts_at.desc(), Demo.id.desc())
        .limit(3)  # one may still be going on, another overlap it: the first one over is the answer
    )
    return next((demo for demo in started if demo.ends_at <= now), None)


@dataclass(frozen=True)
class DemosAround:
    recent: list[Demo]  # most recent first
    upcoming: list[Demo]  # soonest first


async def demos_around(
    session: AsyncSession, *, reseller_id: int, now: datetime, back: timedelta, ahead: timedelta, each: int
) -> DemosAround:
    """The demos an order may belong to: those of the last `back` (started, not cancelled or
    declined) and of the next `ahead`, at most `each` of both."""
    found = (
        await session.scalars(
            select(Demo)
            .where(
                Demo.reseller_id == reseller_id,
                Demo.status.in_(OPEN_STATUSES),
                Demo.starts_at > now - back,
                Demo.starts_at <= now + ahead,
            )
            .order_by(Demo.starts_at, Demo.id)
        )
    ).all()
    recent = [d for d in found if d.starts_at <= now][::-1][:each]
    upcoming = [d for d in found if d.starts_at > now][:each]
    return DemosAround(recent, upcoming)


@cache
def _last_demos_statement() -> Select[Any]:
    return (
        select(Demo.reseller_id, func.max(Demo.starts_at))
        .where(
            Demo.reseller_id.in_(bindparam("ids", expanding=True)),
            Demo.starts_at <= bindparam("now"),
            Demo.status.in_(OPEN_STATUSES),
        )
        .group_by(Demo.reseller_id)
    )


async def last_demo_starts(session: AsyncSession, *, reseller_ids: list[int], now: datetime) -> dict[int, datetime]:
    """When each reseller's last demo (as last_demo picks it) started, in one grouped query."""
    if not reseller_ids:
        return {}
    rows = await core_rows(session, _last_demos_statement(), {"ids": list(reseller_ids), "now": now})
    return dict(rows.tuples().all())  # max() keeps the column's type: aware UTC datetimes


async def demo_of_reseller(session: AsyncSession, *, demo_id: int, reseller: User) -> Demo:
    """The reseller's own demo, locked for the change that follows (unless the transaction only
    reads: for_change); anyone else's is 'not found' (button data can be forged, so ownership is
    checked on every press)."""
    demo = await session.scalar(for_change(select(Demo).where(Demo.id == demo_id), session))
    if demo is None or demo.reseller_id != reseller.id:
        raise DomainError("demo_not_found")
    return demo


async def demo_of_host(session: AsyncSession, *, demo_id: int, host: User) -> Demo:
    demo = await session.scalar(for_change(select(Demo).where(Demo.id == demo_id), session))
    if demo is None or demo.host_user_id != host.id:
        raise DomainError("demo_not_found")
    return demo


async def claim_host_link(session: AsyncSession, *, token: str, user: User) -> Demo:
    """The first account to open the link becomes the host; the link is theirs from then on."""
    demo = await session.scalar(select(Demo).where(Demo.host_token == token).with_for_update())
    if demo is None:
        raise DomainError("host_link_unknown")
    if demo.reseller_id == user.id:
        raise DomainError("host_link_own", demo_id=demo.id)
    if demo.host_user_id is not None and demo.host_user_id != user.id:
        raise DomainError("host_link_taken")
    if demo.status == DemoStatus.CANCELLED:
        raise DomainError("demo_cancelled")
    demo.host_user_id = user.id
    await session.flush()
    return demo


def _require_open(demo: Demo, now: datetime) -> None:
    if demo.status == DemoStatus.CANCELLED:
        raise DomainError("demo_cancelled")
    if demo.starts_at <= now:
        raise DomainError("demo_started")


async def _change(session: AsyncSession, demo: Demo, *, now: datetime, moved: bool = False, **fields: object) -> Demo:
    """Every change clears a pending proposal unless it sets one; a move bumps the calendar
    SEQUENCE so calendar apps replace the event they hold."""
    fields.setdefault("proposed_starts_at", None)
    for name, value in fields.items():
        setattr(demo, name, value)
    if moved:
        demo.ics_sequence += 1
    demo.updated_at = now
    await session.flush()
    return demo


async def _host_answers(session: AsyncSession, demo: Demo, *, status: DemoStatus, already: str, now: datetime) -> Demo:
    _require_open(demo, now)
    if demo.status == status:
        raise DomainError(already)
    return await _change(session, demo, now=now, status=status)


async def confirm_by_host(session: AsyncSession, *, demo: Demo, now: datetime) -> Demo:
    return await _host_answers(session, demo, status=DemoStatus.CONFIRMED, already="already_confirmed", now=now)


async def decline_by_host(session: AsyncSession, *, demo: Demo, now: datetime) -> Demo:
    return await _host_answers(session, demo, status=DemoStatus.DECLINED, already="already_declined", now=now)


async def propose_time(session: AsyncSession, *, demo: Demo, starts_at: datetime, now: datetime) -> Demo:
    _require_open(demo, now)
    validate_future(starts_at, now)
    if starts_at == demo.starts_at:
        raise DomainError("same_time")
    return await _change(session, demo, now=now, status=DemoStatus.PROPOSED, proposed_starts_at=starts_at)


def _require_proposal(demo: Demo) -> datetime:
    if demo.status != DemoStatus.PROPOSED or demo.proposed_starts_at is None:
        raise DomainError("no_proposal")
    return demo.proposed_starts_at


async def accept_proposal(session: AsyncSession, *, demo: Demo, now: datetime) -> Demo:
    proposed = _require_proposal(demo)
    if proposed <= now:
        raise DomainError("proposal_past")
    # The host chose this time, so it is confirmed as it stands.
    return await _change(session, demo, now=now, moved=True, starts_at=proposed, status=DemoStatus.CONFIRMED)


async def refuse_proposal(session: AsyncSession, *, demo: Demo, now: datetime) -> Demo:
    _require_proposal(demo)
    return await _change(session, demo, now=now, status=DemoStatus.AWAITING_HOST)


async def reschedule_demo(session: AsyncSession, *, demo: Demo, starts_at: datetime, now: datetime) -> Demo:
    """A new time needs the host's yes again."""
    if demo.status == DemoStatus.CANCELLED:
        raise DomainError("demo_cancelled")
    validate_future(starts_at, now)
    if starts_at == demo.starts_at:
        raise DomainError("same_time")
    return await _change(session, demo, now=now, moved=True, starts_at=starts_at, status=DemoStatus.AWAITING_HOST)


async def cancel_demo(session: AsyncSession, *, demo: Demo, now: datetime) -> Demo:
    if demo.status == DemoStatus.CANCELLED:
        raise DomainError("demo_cancelled")
    return await _change(session, demo, now=now, moved=True, status=DemoStatus.CANCELLED)
