"""Telegram's overall limit (about 30 messages a second) is shared by replies to people and by
bulk sends (reminders, digests). Bulk sends take only what replies leave, so a burst of
reminders never makes someone chatting with the bot wait behind it."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any

from telegram.ext import AIORateLimiter

from bot.db import transaction_open

BULK = {"bulk": True}  # pass as rate_limit_args= on a bulk send


class PriorityRateLimiter(AIORateLimiter):
    def __init__(self, *, overall_max_rate: float = 30, bulk_max_rate: float = 29, **kwargs: Any) -> None:
        super().__init__(overall_max_rate=overall_max_rate, **kwargs)
        self._bulk_max_rate = bulk_max_rate
        self._admitted: deque[float] = deque()  # every send admitted in the last second
        self._bulk_turn = asyncio.Lock()

    def _load(self, now: float) -> int:
        while self._admitted and now - self._admitted[0] >= 1.0:
            self._admitted.popleft()
        return len(self._admitted)

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        if transaction_open():
            # A Telegram call can take seconds; locks held meanwhile stall everyone else.
            raise RuntimeError(f"Telegram call {endpoint} made inside a database transaction")
        if isinstance(rate_limit_args, dict) and rate_limit_args.get("bulk"):
            # One bulk send at a time looks for room: below the bulk rate, replies included.
            async with self._bulk_turn:
                while self._load(now := time.monotonic()) >= self._bulk_max_rate:
                    await asyncio.sleep(max(0.002, self._admitted[0] + 1.0 - now))
                self._admitted.append(time.monotonic())
            rate_limit_args = None
        else:
            self._admitted.append(time.monotonic())
        return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
