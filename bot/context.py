"""The callback context our handlers receive: the database, settings and clock at hand."""

from __future__ import annotations

from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.config import Settings
from bot.db import Database


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


App = Application[ExtBot, Context, dict, dict, dict, object]
