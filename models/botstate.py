"""Where conversations stand, kept in the database so that a restart loses no half-done flow;
which updates were handled, and one person's updates one at a time, across processes."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import BigInteger, Insert, String, Table, Text, bindparam, delete, select, text
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class ConversationState(Base):
    __tablename__ = "conversation_states"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # JSON of PTB's key tuple
    state: Mapped[str] = mapped_column(Text)  # JSON
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class UserDraft(Base):
    """PTB's user_data: the answers given so far in a flow."""

    __tablename__ = "user_drafts"

    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    data: Mapped[str] = mapped_column(Text)  # JSON
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HandledUpdate(Base):
    """An update whose transaction committed: Telegram delivers again what it saw no answer
    to, possibly to another web process; this row makes the second delivery a no-op."""

    __tablename__ = "handled_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


async def take_turn(session: AsyncSession, *, telegram_id: int) -> None:
    """Waits until no other transaction (in any process) handles this person's updates, and
    keeps them waiting until this transaction ends. PostgreSQL only: SQLite runs one writing
    transaction at a time anyway. Advisory lock keys are one 64-bit space shared by the whole
    database; HomeDemo takes no other advisory locks, so a Telegram id is key enough."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": telegram_id})


async def first_delivery(session: AsyncSession, *, update_id: int, now: datetime) -> bool:
    """Records the update as handled by this transaction; False when a committed transaction
    already handled it (a delivery again). Two transactions recording the same id at once: the
    second waits on the first's row and proceeds only if the first rolled back."""
    statement = _record_handled(session.get_bind().dialect.name)
    return (await session.execute(statement, {"update_id": update_id, "handled_at": now})).first() is not None


@functools.cache
def _record_handled(dialect: str) -> Insert:
    """Every update runs this statement: built once per dialect, its values bound at execution
    (building it anew cost about a tenth of a millisecond of every update)."""
    insert = _insert_of(dialect)
    table = cast(Table, HandledUpdate.__table__)  # a Core statement: no ORM bulk-insert path
    return (
        insert(table)
        .values(update_id=bindparam("update_id"), handled_at=bindparam("handled_at"))
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(table.c.update_id)
    )


async def forget_handled_updates(session: AsyncSession, *, before: datetime) -> None:
    """Telegram keeps an undelivered update for 24 hours at most: older ids cannot come back."""
    await session.execute(delete(HandledUpdate).where(HandledUpdate.handled_at < before))


async def load_conversations(session: AsyncSession, name: str) -> dict[tuple[Any, ...], object]:
    rows = await session.scalars(select(ConversationState).where(ConversationState.name == name))
    return {tuple(json.loads(row.key)): json.loads(row.state) for row in rows}


async def save_conversation(
    session: AsyncSession, *, name: str, key: tuple[Any, ...], state: object, now: datetime
) -> None:
    """One statement, whether the row exists or not (this runs on every step of every flow)."""
    table = cast(Table, ConversationState.__table__)
    key_json = json.dumps(list(key))
    if state is None:
        await session.execute(delete(table).where(table.c.name == name, table.c.key == key_json))
        return
    values = {"name": name, "key": key_json, "state": json.dumps(state), "updated_at": now}
    await session.execute(_upsert(session, table, values, keys=("name", "key")))


async def load_drafts(session: AsyncSession) -> dict[int, dict[str, Any]]:
    rows = await session.scalars(select(UserDraft))
    return {row.telegram_id: json.loads(row.data) for row in rows}


async def save_draft(session: AsyncSession, *, telegram_id: int, data: dict[str, Any], now: datetime) -> None:
    if not data:
        await drop_draft(session, telegram_id=telegram_id)
        return
    values = {"telegram_id": telegram_id, "data": json.dumps(data), "updated_at": now}
    await session.execute(_upsert(session, cast(Table, UserDraft.__table__), values, keys=("telegram_id",)))


async def drop_draft(session: AsyncSession, *, telegram_id: int) -> None:
    table = cast(Table, UserDraft.__table__)
    await session.execute(delete(table).where(table.c.telegram_id == telegram_id))


def _insert_of(dialect: str) -> Callable[[Table], PgInsert | SqliteInsert]:
    """The dialect's INSERT, which has ON CONFLICT (PostgreSQL's, or SQLite's)."""
    return pg_insert if dialect == "postgresql" else sqlite_insert


def _upsert(session: AsyncSession, table: Table, values: dict[str, Any], *, keys: tuple[str, ...]) -> Insert:
    """INSERT ... ON CONFLICT (keys) DO UPDATE: both databases speak it (SQLite since 3.24)."""
    statement = _insert_of(session.get_bind().dialect.name)(table).values(values)
    return statement.on_conflict_do_update(
        index_elements=list(keys), set_={column: statement.excluded[column] for column in values if column not in keys}
    )
