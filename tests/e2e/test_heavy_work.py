"""Heavy work (charts, CSV files) runs on worker threads, off the event loop, and a team
digest's chart is drawn once, however many attempts its sending takes."""

import base64
import json
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

import handlers.team
import views.notifications
from models.notifications import Notification
from tests.e2e.test_party_story import load_catalog
from tests.e2e.test_team_story import sell

MONDAY_8 = datetime(2031, 3, 24, 7, 0, tzinfo=UTC)  # Monday 08:00 in Rome


def recording(monkeypatch, module, name: str) -> list[threading.Thread]:
    """Wraps module.name so that each call records the thread it ran on."""
    threads, real = [], getattr(module, name)

    def wrapper(*args, **kwargs):
        threads.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return threads


async def test_a_team_digest_chart_is_drawn_once_off_the_event_loop_and_resent_as_is(bot, admin, reseller, monkeypatch):
    drawn = recording(monkeypatch, views.notifications, "weekly_sales_png")
    await load_catalog(bot)
    await sell(reseller, "TM7", 1)
    bot.api.failures[admin.id] = 2  # the admin's digests (their own and their team's) both fail once
    bot.clock.set(MONDAY_8)
    await bot.dispatch()
    async with bot.db.session_scope() as s:
        row = await s.scalar(select(Notification).where(Notification.kind == "team_digest"))
    assert (row.status, row.attempts) == ("pending", 1)
    kept = base64.b64decode(json.loads(row.payload)["chart"]["png"])
    assert not [e for e in admin.received() if e.kind == "photo"]

    bot.clock.set(MONDAY_8 + timedelta(minutes=1))
    await bot.dispatch()
    photos = [e for e in admin.received() if e.kind == "photo"]
    assert len(photos) == 1 and photos[0].document == kept and kept.startswith(b"\x89PNG")
    assert len(drawn) == 1 and drawn[0] is not threading.main_thread()


async def test_the_monthly_statement_is_built_off_the_event_loop(bot, admin, reseller, monkeypatch):
    built = recording(monkeypatch, handlers.team, "statement_csv")
    await load_catalog(bot)
    await sell(reseller, "TM7", 1)
    statement = await admin.send("/statement 2031-03")
    assert statement[-1].filename == "commissions-2031-03.csv" and b"Marta" in statement[-1].document
    assert len(built) == 1 and built[0] is not threading.main_thread()
