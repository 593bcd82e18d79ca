"""Where conversations stand, kept in the database so that a restart loses no half-done flow."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, Text, delete, select
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


async def load_conversations(session: AsyncSession, name: str) -> dict[tuple[Any, ...], object]:
    rows = await session.scalars(select(ConversationState).where(ConversationState.name == name))
    return {tuple(json.loads(row.key)): json.loads(row.state) for row in rows}


async def save_conversation(
    session: AsyncSession, *, name: str, key: tuple[Any, ...], state: object, now: datetime
) -> None:
    key_json = json.dumps(list(key))
    row = await session.get(ConversationState, (name, key_json))
    if state is None:
        if row is not None:
            await session.delete(row)
        return
    if row is None:
        session.add(ConversationState(name=name, key=key_json, state=json.dumps(state), updated_at=now))
    else:
        row.state = json.dumps(state)
        row.updated_at = now


async def load_drafts(session: AsyncSession) -> dict[int, dict[str, Any]]:
    rows = await session.scalars(select(UserDraft))
    return {row.telegram_id: json.loads(row.data) for row in rows}


async def save_draft(session: AsyncSession, *, telegram_id: int, data: dict[str, Any], now: datetime) -> None:
    row = await session.get(UserDraft, telegram_id)
    if not data:
        if row is not None:
            await session.delete(row)
        return
    if row is None:
        session.add(UserDraft(telegram_id=telegram_id, data=json.dumps(data), updated_at=now))
    else:
        row.data = json.dumps(data)
        row.updated_at = now


async def drop_draft(session: AsyncSession, *, telegram_id: int) -> None:
    await session.execute(delete(UserDraft).where(UserDraft.telegram_id == telegram_id))
