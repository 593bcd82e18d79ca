"""Where conversations stand, kept in the database so that a restart loses no half-done flow;
which updates were handled, and one person's updates one at a time, across processes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, cast

from sqlalchemy import BigInteger, String, Table, Text, delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, insert_on_conflict


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
    values = {"update_id": update_id, "handled_at": now}
    recorded = await session.execute(insert_on_conflict(HandledUpdate, tuple(values), keys=("update_id",)), values)
    return recorded.first() is not None


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
    upsert = insert_on_conflict(ConversationState, tuple(values), keys=("name", "key"), update=True)
    await session.execute(upsert, values)


async def load_drafts(session: AsyncSession) -> dict[int, dict[str, Any]]:
    rows = await session.scalars(select(UserDraft))
    return {row.telegram_id: json.loads(row.data) for row in rows}


async def save_draft(session: AsyncSession, *, telegram_id: int, data: dict[str, Any], now: datetime) -> None:
    if not data:
        await drop_draft(session, telegram_id=telegram_id)
        return
    values = {"telegram_id": telegram_id, "data": json.dumps(data), "updated_at": now}
    await session.execute(insert_on_conflict(UserDraft, tuple(values), keys=("telegram_id",), update=True), values)


async def drop_draft(session: AsyncSession, *, telegram_id: int) -> None:
    table = cast(Table, UserDraft.__table__)
    await session.execute(delete(table).where(table.c.telegram_id == telegram_id))
