"""PTB persistence backed by our database: conversation states and drafts survive restarts.

Only user_data (the draft answers of a flow) and conversation states are stored; bot_data,
chat_data and callback_data are not used by HomeDemo, so PersistenceInput turns them off and
PTB never calls their methods.
"""

from __future__ import annotations

import json
from typing import Any

from telegram.ext import Application, BasePersistence, PersistenceInput, SimpleUpdateProcessor
from telegram.ext._utils.types import ConversationDict

from bot.clock import Clock
from bot.db import Database
from models import botstate


class DatabasePersistence(BasePersistence[dict, dict, dict]):
    def __init__(self, db: Database, clock: Clock) -> None:
        # Writes happen after every update (PersistingUpdateProcessor); the interval is only
        # PTB's own fallback.
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=False, user_data=True, callback_data=False),
            update_interval=60,
        )
        self._db = db
        self._clock = clock
        # What was last written, so that an update that changed nothing writes nothing (PTB
        # asks to save the user_data of everyone who sent an update, changed or not).
        self._saved_drafts: dict[int, str] = {}
        self._saved_states: dict[tuple, str] = {}

    async def get_user_data(self) -> dict[int, dict]:
        async with self._db.session_scope() as session:
            drafts = await botstate.load_drafts(session)
        self._saved_drafts = {user_id: json.dumps(data, sort_keys=True) for user_id, data in drafts.items()}
        return drafts

    async def update_user_data(self, user_id: int, data: dict) -> None:
        encoded = json.dumps(data, sort_keys=True)
        if self._saved_drafts.get(user_id, "{}") == encoded:
            return
        async with self._db.session_scope() as session:
            await botstate.save_draft(session, telegram_id=user_id, data=data, now=self._clock.now())
        self._saved_drafts[user_id] = encoded

    async def drop_user_data(self, user_id: int) -> None:
        async with self._db.session_scope() as session:
            await botstate.drop_draft(session, telegram_id=user_id)
        self._saved_drafts.pop(user_id, None)

    async def refresh_user_data(self, user_id: int, user_data: dict) -> None:
        # Only this process writes drafts, so memory is already current.
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        async with self._db.session_scope() as session:
            states = await botstate.load_conversations(session, name)
        self._saved_states.update({(name, *key): json.dumps(state) for key, state in states.items()})
        return states

    async def update_conversation(self, name: str, key: tuple, new_state: object | None) -> None:
        encoded = json.dumps(new_state)
        if self._saved_states.get((name, *key)) == encoded:
            return
        async with self._db.session_scope() as session:
            await botstate.save_conversation(session, name=name, key=key, state=new_state, now=self._clock.now())
        self._saved_states[(name, *key)] = encoded

    async def flush(self) -> None:
        return None  # every write above is committed as it happens

    # Turned off through PersistenceInput above; PTB does not call these.
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


class PersistingUpdateProcessor(SimpleUpdateProcessor):
    """Processes updates one at a time and saves conversation state right after each one.

    PTB would otherwise save on a timer, and a crash between two saves would put a reseller
    back a few steps. One at a time also keeps a user's quick successive messages in order.
    """

    def __init__(self) -> None:
        super().__init__(max_concurrent_updates=1)
        self.application: Application | None = None

    async def do_process_update(self, update: object, coroutine) -> None:
        try:
            await coroutine
        finally:
            if self.application is not None and self.application.persistence is not None:
                await self.application.update_persistence()
