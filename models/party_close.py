"""When a host's party stops taking orders.

A party takes orders (at the demo, and through its links) from the moment it is booked until its
close: by default the end of the 7th day after the demo, in the demo's own timezone; the advisor
may choose another day while the party is open. The close is a point in time, so whether an
order is still accepted never depends on when the close job happens to run
(`party_open_for_orders` is what every ordering flow asks). At close the host reward is frozen
once (models.party_rewards).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from models.base import DomainError
from models.demos import OPEN_STATUSES, Demo, DemoStatus

DEFAULT_OPEN_DAYS = 7  # the party closes at the end of the 7th day after the demo
MAX_OPEN_DAYS = 60  # an advisor may keep it open up to this many days after the demo


def demo_day(demo: Demo) -> date:
    """The day of the demo where it happens."""
    return demo.starts_at.astimezone(ZoneInfo(demo.timezone)).date()


def end_of_day(day: date, tz: str) -> datetime:
    """The first instant after the day, in that timezone: midnight that ends it."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZoneInfo(tz))


def party_closes_at(demo: Demo) -> datetime:
    """The instant the party stops taking orders. A date the advisor chose before the demo was
    moved later never closes it before the end of the demo's own day. Always in UTC, so that
    the same instant always reads (and keys) the same."""
    if demo.party_closes_at is None:
        closes = end_of_day(demo_day(demo) + timedelta(days=DEFAULT_OPEN_DAYS), demo.timezone)
    else:
        closes = max(demo.party_closes_at, end_of_day(demo_day(demo), demo.timezone))
    return closes.astimezone(UTC)


def last_order_day(demo: Demo) -> date:
    """The last day on which the party takes orders, in the demo's timezone."""
    return party_closes_at(demo).astimezone(ZoneInfo(demo.timezone)).date() - timedelta(days=1)


def party_open_for_orders(demo: Demo, now: datetime) -> bool:
    """Whether an order may still be added to this party (at the demo or through its links)."""
    return demo.status in OPEN_STATUSES and now < party_closes_at(demo)


def close_day_choices(demo: Demo, now: datetime) -> list[date]:
    """Days an advisor may pick for the close: some sensible ones, in the allowed range."""
    first = demo_day(demo)
    days = [first + timedelta(days=n) for n in (1, 3, 5, 7, 10, 14, 21, 30)]
    return [d for d in days if end_of_day(d, demo.timezone) > now]


async def set_close_day(session: AsyncSession, *, demo: Demo, day: date, now: datetime) -> Demo:
    """The advisor's choice of the party's last day for orders. Only while the party is open: a
    closed party's reward is frozen and stays so."""
    if demo.status == DemoStatus.CANCELLED:
        raise DomainError("demo_cancelled")
    if not party_open_for_orders(demo, now):
        raise DomainError("party_closed")
    first = demo_day(demo)
    if day < first:
        raise DomainError("party_close_before_demo")
    if day > first + timedelta(days=MAX_OPEN_DAYS):
        raise DomainError("party_close_too_late", days=MAX_OPEN_DAYS)
    closes_at = end_of_day(day, demo.timezone)
    if closes_at <= now:
        raise DomainError("party_close_past")
    demo.party_closes_at = closes_at.astimezone(UTC)
    demo.updated_at = now
    await session.flush()
    return demo
