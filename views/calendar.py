"""An .ics event for a demo, so the reseller and the host can put it in their calendar."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from models.demos import Demo, DemoStatus


def demo_calendar(demo: Demo, *, title: str, description: str, now: datetime) -> bytes:
    """Same UID every time, higher SEQUENCE when the demo moves: calendar apps update the
    event they already hold instead of adding a second one."""
    zone = ZoneInfo(demo.timezone)
    cancelled = demo.status == DemoStatus.CANCELLED
    calendar = Calendar()
    calendar.add("prodid", "-//HomeDemo//Home demos//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"demo-{demo.id}@homedemo")
    event.add("sequence", demo.ics_sequence)
    event.add("dtstamp", now)
    event.add("dtstart", demo.starts_at.astimezone(zone))
    event.add("dtend", demo.ends_at.astimezone(zone))
    event.add("summary", title)
    event.add("location", demo.address)
    event.add("description", description)
    # Until the host says yes (again, after a move) the event is tentative.
    event.add(
        "status", "CANCELLED" if cancelled else "CONFIRMED" if demo.status == DemoStatus.CONFIRMED else "TENTATIVE"
    )
    calendar.add_component(event)
    # Only the DST rules around the demo, not every change since 1970.
    year = demo.starts_at.year
    calendar.add_missing_timezones(first_date=date(year - 1, 1, 1), last_date=date(year + 2, 1, 1))
    return calendar.to_ical()
