"""The callback context our handlers receive: settings, clock, and the update's boundary (its
transaction, its sender and the replies waiting for the commit)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import Application, CallbackContext, ExtBot

from bot.boundary import UpdateScope, current_scope
from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.replies import Replies
from models.users import User


class Context(CallbackContext[ExtBot, dict, dict, dict]):
    @property
    def db(self) -> Database:
        return self.application.bot_data["db"]

    @property
    def settings(self) -> Settings:
        return self.application.bot_data["settings"]

    @property
    def clock(self) -> Clock:
        return self.application.bot_data["clock"]

    @property
    def scope(self) -> UpdateScope:
        return current_scope()

    @property
    def session(self) -> AsyncSession:
        return current_scope().session

    @property
    def me(self) -> User | None:
        return current_scope().user

    @property
    def replies(self) -> Replies:
        return current_scope().replies


App = Application[ExtBot, Context, dict, dict, dict, object]
