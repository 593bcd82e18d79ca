"""Is this deployment doing its job? The database answers, and the outbox is not falling behind.

The same check serves the web process (`GET /healthz`, for the platform's router or an uptime
monitor) and the clock process (`python -m bot health`, exit status 0 or 1).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.config import Settings
from bot.db import Database
from models.notifications import oldest_due

log = logging.getLogger(__name__)

DATABASE_TIMEOUT = 5.0  # seconds: a health check that hangs is worse than one that fails


@dataclass
class Health:
    ok: bool
    reason: str
    details: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"status": "ok" if self.ok else "failing", "reason": self.reason, **self.details}


async def check(db: Database, *, now: datetime, max_lag: timedelta) -> Health:
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT):
            async with db.session_scope() as session:
                oldest = await oldest_due(session, now=now)
    except Exception as error:  # whatever the driver raises, the answer is the same: no database
        # The error itself goes to the log only: it may name hosts and users.
        log.warning("health check: database unreachable: %s", error)
        return Health(False, f"database unreachable ({type(error).__name__})", {"database": "unreachable"})
    lag = max(timedelta(0), now - oldest) if oldest is not None else timedelta(0)
    details = {
        "database": "ok",
        "outbox_lag_seconds": round(lag.total_seconds(), 1),
        "outbox_lag_limit_seconds": max_lag.total_seconds(),
    }
    if lag > max_lag:
        return Health(False, f"outbox lag {lag.total_seconds():.0f} s is over {max_lag.total_seconds():.0f} s", details)
    return Health(True, "ok", details)


async def check_settings(settings: Settings, *, now: datetime, db: Database | None = None) -> Health:
    own = db is None
    db = db or Database(settings.database_url)
    try:
        return await check(db, now=now, max_lag=timedelta(seconds=settings.health_max_outbox_lag_seconds))
    finally:
        if own:
            await db.dispose()


def run(settings: Settings) -> int:
    """`python -m bot health`: prints the reason, exits 0 when healthy, 1 when not."""
    from bot.clock import Clock

    health = asyncio.run(check_settings(settings, now=Clock().now()))
    print(health.reason if health.ok else f"unhealthy: {health.reason}")
    return 0 if health.ok else 1
