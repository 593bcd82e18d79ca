"""An unhandled error tells the admins in Telegram: once per kind of error per hour.

A kind is the exception's class and where it was raised (module and function of the innermost
frame in our code; not the line, which moves with every deploy). The alert is an outbox row,
like every message to someone other than the sender, so it is rendered in the admin's language
and sent by whichever process dispatches. Across processes the hour is kept by the database:
the row's key carries the kind and the hour, and a row of the same kind in the last hour stops
a new one.
"""

from __future__ import annotations

import hashlib
import logging
import traceback
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.db import Database
from models.notifications import Planned, plan_missing, planned_since
from models.users import User

log = logging.getLogger(__name__)

KIND = "error_alert"
QUIET_FOR = timedelta(hours=1)
ROOT = Path(__file__).resolve().parent.parent
WRAPPER = str(ROOT / "bot" / "logs.py")  # wraps every handler: never where an error is


def where(error: BaseException) -> str:
    """The innermost frame of ours the error passed through, as `handlers/demos.py:show_demo`."""
    frames = traceback.extract_tb(error.__traceback__) if error.__traceback__ else []
    ours = [f for f in frames if _ours(f.filename)] or frames
    if not ours:
        return "unknown"
    frame = ours[-1]
    path = Path(frame.filename)
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    return f"{shown}:{frame.name}"


def _ours(filename: str) -> bool:
    # The README's virtualenv lives inside the project folder: its packages are not ours.
    return filename.startswith(str(ROOT)) and filename != WRAPPER and "site-packages" not in filename


def error_kind(error: BaseException) -> str:
    return f"{type(error).__name__} at {where(error)}"


async def alert_admins(
    db: Database, *, admin_ids: frozenset[int], error: BaseException, now: datetime, update_id: int | None = None
) -> int:
    """Writes the alert rows (in a transaction of its own); returns how many. Never raises: an
    alert that cannot be written is logged, and the error it was about already was."""
    if not admin_ids:
        return 0
    kind = error_kind(error)
    digest = hashlib.sha256(kind.encode()).hexdigest()[:16]
    payload = {"error": type(error).__name__, "where": where(error), "update_id": update_id}
    try:
        async with db.session_scope() as session:
            admins = (await session.scalars(select(User.id).where(User.telegram_id.in_(admin_ids)))).all()
            planned = []
            for admin in admins:
                prefix = f"{KIND}:{admin}:{digest}:"
                if not await planned_since(session, key_prefix=prefix, since=now - QUIET_FOR):
                    hour = now.strftime("%Y%m%dT%H")  # two processes in the same hour write one row
                    planned.append(Planned(prefix + hour, admin, KIND, now, None, payload))
            return await plan_missing(session, planned, now=now)
    except Exception:
        log.warning("could not write the alert about %s", kind, exc_info=True)
        return 0
