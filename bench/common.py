"""Shared set-up for the benchmarks: a migrated SQLite database in a temporary folder, many
resellers, and the fake Bot API server enforcing Telegram's limits."""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.db import Database  # noqa: E402
from bot.migrate import upgrade_on  # noqa: E402
from models.notifications import Notification  # noqa: E402
from models.users import User  # noqa: E402
from tests.fakebot.server import FakeBotAPI  # noqa: E402

NOW = datetime(2031, 3, 24, 7, 0, tzinfo=timezone.utc)  # a Monday, 08:00 in Rome


async def fresh_database() -> Database:
    folder = Path(tempfile.mkdtemp(prefix="homedemo-bench-"))
    db = Database(f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(upgrade_on)
    return db


async def add_people(db: Database, count: int, *, first_id: int = 100_000, created: datetime = NOW - timedelta(days=60)) -> list[int]:
    async with db.session_scope() as session:
        people = [User(telegram_id=first_id + n, role="reseller", display_name=f"Reseller {n}", locale="it" if n % 2 else "en",
                       timezone="Europe/Rome", onboarded=True, created_at=created) for n in range(count)]
        session.add_all(people)
        await session.flush()
        return [p.id for p in people]


async def add_due(db: Database, recipients: list[int], *, kind: str, payload: dict, due: datetime, expires: datetime | None = None) -> None:
    async with db.session_scope() as session:
        session.add_all(Notification(key=f"bench:{kind}:{r}", recipient_id=r, kind=kind, payload=json.dumps(payload), due_at=due,
                                     expires_at=expires, status="pending", attempts=0, created_at=due) for r in recipients)


async def limited_server(chats: range | list[int] = ()) -> FakeBotAPI:
    """The fake server, with the chats of people who started the bot (it refuses any other)."""
    api = FakeBotAPI()
    api.meet(*chats)
    api.enforce_limits = True
    await api.start()
    return api
