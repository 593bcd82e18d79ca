"""The outbox: every message to send later is a row, written in the same transaction as the
change that causes it, with a unique key so that nothing is planned or sent twice.

The rows for a demo are derived from its current state by `sync_demo_notifications`, called
after every change to the demo or its guests: rescheduling moves reminders, cancelling removes
them, a new guest gets one, all in the caller's transaction.
"""

from __future__ import annotations

import enum
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, enum_column, rowcount
from models.demos import Demo, DemoStatus
from models.guests import Guest, GuestStatus
from models.party_close import party_closes_at


class NoticeStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a dispatcher
    SENT = "sent"
    SKIPPED = "skipped"  # too late to be useful (the demo had started)
    CANCELLED = "cancelled"  # the cause went away (demo moved or cancelled, guest not coming)
    UNREACHABLE = "unreachable"  # the person blocked the bot
    FAILED = "failed"  # gave up after the last attempt; the error is kept


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)  # JSON: the ids the message is rendered from at send time
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # After this instant the message is pointless (a reminder once the demo has started).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[NoticeStatus] = mapped_column(
        enum_column(NoticeStatus, length=16), index=True, default=NoticeStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.payload)
        return data


@dataclass(frozen=True)
class ReminderPlan:
    """When people hear from us, from the settings."""

    reseller_before: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=2))
    host_before: timedelta = timedelta(hours=24)
    guest_before: timedelta = timedelta(hours=24)
    reseller_followup_after: timedelta = timedelta(minutes=30)
    host_thanks_after: timedelta = timedelta(hours=24)
    aftercare_after: timedelta = timedelta(weeks=3)
    party_close_before: timedelta = timedelta(days=2)  # the host hears the party is about to close


@dataclass(frozen=True)
class Planned:
    key: str
    recipient_id: int
    kind: str
    due_at: datetime
    expires_at: datetime | None
    payload: dict[str, Any]


def _hours(delta: timedelta) -> str:
    return f"{int(delta.total_seconds() // 60)}m"


async def _wanted_for_demo(session: AsyncSession, demo: Demo, plan: ReminderPlan) -> list[Planned]:
    if demo.status in (DemoStatus.CANCELLED, DemoStatus.DECLINED):
        return []
    # The sequence changes whenever the time does: reminders for an old time never block new ones.
    prefix = f"demo:{demo.id}:{demo.ics_sequence}"
    payload = {"demo_id": demo.id}
    wanted = [
        Planned(
            f"{prefix}:{demo.reseller_id}:reseller:{_hours(before)}",
            demo.reseller_id,
            "reseller_reminder",
            demo.starts_at - before,
            demo.starts_at,
            payload,
        )
        for before in plan.reseller_before
    ]
    wanted.append(
        Planned(
            f"{prefix}:{demo.reseller_id}:followup",
            demo.reseller_id,
            "reseller_followup",
            demo.ends_at + plan.reseller_followup_after,
            None,
            payload,
        )
    )
    if demo.host_user_id is not None and demo.status == DemoStatus.CONFIRMED:
        wanted.append(
            Planned(
                f"{prefix}:{demo.host_user_id}:host:{_hours(plan.host_before)}",
                demo.host_user_id,
                "host_reminder",
                demo.starts_at - plan.host_before,
                demo.starts_at,
                payload,
            )
        )
    if demo.host_user_id is not None:
        wanted.append(
            Planned(
                f"{prefix}:{demo.host_user_id}:thanks",
                demo.host_user_id,
                "host_thanks",
                demo.ends_at + plan.host_thanks_after,
                None,
                payload,
            )
        )
    if demo.host_user_id is not None:
        wanted.append(_party_close_reminder(demo, demo.host_user_id, plan))
    going = await session.scalars(
        select(Guest).where(Guest.demo_id == demo.id, Guest.status == GuestStatus.GOING, Guest.user_id.is_not(None))
    )
    for guest in going:
        assert guest.user_id is not None  # the query keeps only guests with an account
        wanted.append(
            Planned(
                f"{prefix}:{guest.user_id}:guest:{_hours(plan.guest_before)}",
                guest.user_id,
                "guest_reminder",
                demo.starts_at - plan.guest_before,
                demo.starts_at,
                {"demo_id": demo.id, "guest_id": guest.id},
            )
        )
    return wanted


def _party_close_reminder(demo: Demo, host_id: int, plan: ReminderPlan) -> Planned:
    """Keyed by the close instant: moving the close (or the demo, which moves the default
    close) cancels the old reminder and plans a new one; pointless once the party has closed."""
    closes = party_closes_at(demo)
    return Planned(
        f"demo:{demo.id}:{host_id}:party_close:{closes:%Y%m%d%H%M}",
        host_id,
        "party_close_reminder",
        closes - plan.party_close_before,
        closes,
        {"demo_id": demo.id, "closes_at": closes.isoformat()},
    )


async def sync_demo_notifications(session: AsyncSession, *, demo: Demo, plan: ReminderPlan, now: datetime) -> None:
    """Makes the demo's pending rows match what its current state calls for."""
    wanted = {p.key: p for p in await _wanted_for_demo(session, demo, plan)}
    existing = {
        n.key: n
        for n in (await session.scalars(select(Notification).where(Notification.key.like(f"demo:{demo.id}:%")))).all()
    }
    for key, row in existing.items():
        if row.status == NoticeStatus.PENDING and key not in wanted:
            row.status = NoticeStatus.CANCELLED
    for key, planned in wanted.items():
        found = existing.get(key)
        # A reminder whose time has already gone when it is planned (a demo booked, moved or
        # joined less than a day ahead) would only repeat what the person has just done or been
        # told: it is left out, and a later reminder, if any, still comes.
        late = planned.kind.endswith("_reminder") and planned.due_at <= now
        if found is None:
            if not late:
                session.add(_row(planned, now))
        elif late and found.due_at != planned.due_at:
            if found.status == NoticeStatus.PENDING:
                found.status = NoticeStatus.CANCELLED
        elif found.status in (NoticeStatus.PENDING, NoticeStatus.CANCELLED):
            found.status = NoticeStatus.PENDING  # a guest who comes back after all
            found.due_at, found.expires_at = planned.due_at, planned.expires_at
    await session.flush()


def _row(planned: Planned, now: datetime) -> Notification:
    return Notification(
        key=planned.key,
        recipient_id=planned.recipient_id,
        kind=planned.kind,
        payload=json.dumps(planned.payload),
        due_at=planned.due_at,
        expires_at=planned.expires_at,
        status=NoticeStatus.PENDING,
        attempts=0,
        created_at=now,
    )


async def plan_missing(session: AsyncSession, planned: list[Planned], *, now: datetime) -> int:
    """Adds the rows whose key does not exist yet (sent, pending or otherwise), with one look-up
    per thousand keys; returns how many were added."""
    added = 0
    for start in range(0, len(planned), 1000):
        chunk = planned[start : start + 1000]
        existing = set(
            (await session.scalars(select(Notification.key).where(Notification.key.in_([p.key for p in chunk])))).all()
        )
        fresh = [_row(p, now) for p in chunk if p.key not in existing]
        session.add_all(fresh)
        added += len(fresh)
    await session.flush()
    return added


async def tell(session: AsyncSession, *, recipient_id: int, kind: str, payload: dict[str, Any], now: datetime) -> None:
    """A message about a change, to someone other than the person who made it: due at once,
    written in the change's own transaction (one row per change: the key only has to be unique)."""
    subject = ":".join(str(value) for value in payload.values())
    key = f"tell:{kind}:{recipient_id}:{subject}:{secrets.token_hex(6)}"[-128:]
    session.add(_row(Planned(key, recipient_id, kind, now, None, payload), now))
    await session.flush()


async def plan_aftercare(
    session: AsyncSession, *, order_id: int, reseller_id: int, ordered_at: datetime, plan: ReminderPlan, now: datetime
) -> None:
    await plan_missing(
        session,
        [
            Planned(
                f"aftercare:{order_id}",
                reseller_id,
                "aftercare",
                ordered_at + plan.aftercare_after,
                None,
                {"order_id": order_id},
            )
        ],
        now=now,
    )


async def cancel_aftercare(session: AsyncSession, *, order_id: int) -> None:
    await session.execute(
        update(Notification)
        .where(Notification.key == f"aftercare:{order_id}", Notification.status == NoticeStatus.PENDING)
        .values(status=NoticeStatus.CANCELLED)
    )


async def due_rows(session: AsyncSession, *, now: datetime, stale_before: datetime, limit: int) -> list[int]:
    """Ids of rows to claim: pending and due, or claimed long ago by a dispatcher that died."""
    query = (
        select(Notification.id)
        .where(
            or_(
                Notification.status == NoticeStatus.PENDING,
                (Notification.status == NoticeStatus.SENDING) & (Notification.claimed_at < stale_before),
            ),
            Notification.due_at <= now,
        )
        .order_by(Notification.due_at, Notification.id)
        .limit(limit)
    )
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list((await session.scalars(query)).all())


async def claim(
    session: AsyncSession, *, ids: list[int], worker: str, now: datetime, stale_before: datetime
) -> list[Notification]:
    """The conditional UPDATE is what makes a row go to one dispatcher only."""
    claimed = []
    for row_id in ids:
        result = await session.execute(
            update(Notification)
            .where(
                Notification.id == row_id,
                or_(
                    Notification.status == NoticeStatus.PENDING,
                    (Notification.status == NoticeStatus.SENDING) & (Notification.claimed_at < stale_before),
                ),
            )
            .values(status=NoticeStatus.SENDING, claimed_by=worker, claimed_at=now)
        )
        if rowcount(result) == 1:
            claimed.append(row_id)
    if not claimed:
        return []
    rows = await session.scalars(
        select(Notification).where(Notification.id.in_(claimed)).execution_options(populate_existing=True)
    )
    return list(rows.all())


async def renew_claims(session: AsyncSession, *, ids: list[int], worker: str, now: datetime) -> None:
    """Keeps the lease on rows still being sent, so that only a dead dispatcher's claims go stale."""
    await session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), Notification.claimed_by == worker, Notification.status == NoticeStatus.SENDING)
        .values(claimed_at=now)
    )


async def oldest_due(session: AsyncSession, *, now: datetime) -> datetime | None:
    """When the longest-waiting pending row fell due (None when nothing is waiting): how far
    behind the dispatchers are."""
    found: datetime | None = await session.scalar(
        select(func.min(Notification.due_at)).where(
            Notification.status == NoticeStatus.PENDING, Notification.due_at <= now
        )
    )
    return found


async def next_due(session: AsyncSession, *, after: datetime) -> datetime | None:
    """When the next pending message falls due after `after` (the sandbox's "to the next reminder")."""
    found: datetime | None = await session.scalar(
        select(func.min(Notification.due_at)).where(
            Notification.status == NoticeStatus.PENDING, Notification.due_at > after
        )
    )
    return found


async def planned_since(session: AsyncSession, *, key_prefix: str, since: datetime) -> bool:
    """Whether a row whose key starts so was written after `since` (whatever became of it)."""
    found = await session.scalar(
        select(Notification.id)
        .where(Notification.key.startswith(key_prefix, autoescape=True), Notification.created_at >= since)
        .limit(1)
    )
    return found is not None


async def release_claims(session: AsyncSession, *, worker: str) -> int:
    """A stopping dispatcher hands back the rows it claimed and did not send, at once, rather
    than leaving them to wait for its lease to run out."""
    result = await session.execute(
        update(Notification)
        .where(Notification.claimed_by == worker, Notification.status == NoticeStatus.SENDING)
        .values(status=NoticeStatus.PENDING, claimed_by=None, claimed_at=None)
    )
    return rowcount(result)
