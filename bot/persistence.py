"""PTB persistence backed by our database: conversation states and drafts survive restarts.

PTB hands us what changed (`Application.update_persistence`); we only stage it. The boundary of
the update that made the change writes its person's staged entries in that update's own
transaction, so a conversation step and the domain change it records commit together: a crash
between them can neither lose the step nor apply it twice (bot.boundary).

Only user_data (the draft answers of a flow) and conversation states are stored; bot_data,
chat_data and callback_data are not used by HomeDemo, so PersistenceInput turns them off and
PTB never calls their methods.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import BasePersistence, PersistenceInput

from bot.clock import Clock
from bot.db import Database
from models import botstate

_DROP = object()


class DatabasePersistence(BasePersistence[dict, dict, dict]):
    def __init__(self, db: Database, clock: Clock) -> None:
        # Written by each update's boundary; PTB's interval only stages, it never writes.
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=False, user_data=True, callback_data=False),
            update_interval=60,
        )
        self._db = db
        self._clock = clock
        # What the database holds (JSON), so that an update that changed nothing writes nothing.
        self._saved_drafts: dict[int, str] = {}
        self._saved_states: dict[tuple, str] = {}
        # Changes handed over by PTB, not yet written: by user id.
        self._staged_drafts: dict[int, Any] = {}
        self._staged_states: dict[tuple, object] = {}
        # Written in a transaction that has not committed yet.
        self._writing: dict[int, tuple[dict, dict]] = {}

    # ---- what PTB calls ----

    async def get_user_data(self) -> dict[int, dict]:
        async with self._db.session_scope() as session:
            drafts = await botstate.load_drafts(session)
        self._saved_drafts = {user_id: _json(data) for user_id, data in drafts.items()}
        return drafts

    async def update_user_data(self, user_id: int, data: dict) -> None:
        if self._saved_drafts.get(user_id, "{}") != _json(data):
            self._staged_drafts[user_id] = data
        else:
            self._staged_drafts.pop(user_id, None)

    async def drop_user_data(self, user_id: int) -> None:
        self._staged_drafts[user_id] = _DROP

    async def refresh_user_data(self, user_id: int, user_data: dict) -> None:
        return None  # memory is current: every change passes through this process

    async def get_conversations(self, name: str) -> dict:
        async with self._db.session_scope() as session:
            states = await botstate.load_conversations(session, name)
        self._saved_states.update({(name, *key): _json(state) for key, state in states.items()})
        return states

    async def update_conversation(self, name: str, key: tuple, new_state: object | None) -> None:
        if self._saved_states.get((name, *key), _json(None)) != _json(new_state):
            self._staged_states[(name, *key)] = new_state
        else:
            self._staged_states.pop((name, *key), None)

    async def flush(self) -> None:
        """Nothing to do on shutdown: what is still staged belongs to an update that failed (its
        transaction rolled back, so must its conversation step) or never finished."""
        return None

    # ---- what the update's boundary calls ----

    async def write_staged(self, session: AsyncSession, *, user_id: int, now: datetime) -> None:
        """Writes this person's staged drafts and conversation states in the given transaction."""
        drafts = {user_id: self._staged_drafts[user_id]} if user_id in self._staged_drafts else {}
        states = {key: state for key, state in self._staged_states.items() if key[-1] == user_id}
        for draft_user, data in drafts.items():
            if data is _DROP:
                await botstate.drop_draft(session, telegram_id=draft_user)
            else:
                await botstate.save_draft(session, telegram_id=draft_user, data=data, now=now)
        for (name, *key), state in states.items():
            await botstate.save_conversation(session, name=name, key=tuple(key), state=state, now=now)
        self._writing[user_id] = (drafts, states)

    def discard_staged(self, *, user_id: int) -> None:
        """The transaction rolled back: the step it would have recorded did not happen."""
        self._writing.pop(user_id, None)
        self._staged_drafts.pop(user_id, None)
        for key in [key for key in self._staged_states if key[-1] == user_id]:
            del self._staged_states[key]

    def confirm_staged(self, *, user_id: int) -> None:
        """The transaction committed: what it wrote is now what the database holds."""
        drafts, states = self._writing.pop(user_id, ({}, {}))
        for draft_user, data in drafts.items():
            if self._staged_drafts.get(draft_user) is data:
                del self._staged_drafts[draft_user]
            if data is _DROP:
                self._saved_drafts.pop(draft_user, None)
            else:
                self._saved_drafts[draft_user] = _json(data)
        for key, state in states.items():
            if self._staged_states.get(key, _DROP) is state:
                del self._staged_states[key]
            self._saved_states[key] = _json(state)

    # ---- turned off through PersistenceInput above; PTB does not call these ----

    async def get_chat_data(self) -> dict[int, dict]:
        return {}

    async def get_bot_data(self) -> dict:
        return {}

    async def get_callback_data(self) -> Any:
        return None

    async def update_chat_data(self, chat_id: int, data: dict) -> None:
        return None

    async def update_bot_data(self, data: dict) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict) -> None:
        return None


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True)
