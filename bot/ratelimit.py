"""Rate limits where Telegram has them, and nowhere else.

- Replies and edits are limited per chat: about one message a second in a private chat, with a
  short burst allowed (a button press is often an edit and a new message), and 20 a minute in a
  group. Never one cap for the whole bot: a busy evening for one advisor does not slow another.
- Bulk sends (the outbox: reminders, digests) stay under about 30 messages a second overall,
  counting replies, so they take only what replies leave.
- A 429 ("retry after N") for one chat pauses that chat only; one without a chat pauses all.
(https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this)
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.db import transaction_open

log = logging.getLogger(__name__)

BULK = {"bulk": True}  # pass as rate_limit_args= on a bulk send
MAX_IDLE_CHATS = 10_000  # buckets kept before the idle ones are forgotten


@dataclass
class _Bucket:
    """A token bucket: `burst` sends at once, then `rate` a second; paused after a 429."""

    rate: float
    burst: float
    tokens: float
    stamp: float
    paused_until: float = 0.0

    def wait_time(self, now: float) -> float:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if now < self.paused_until:
            return self.paused_until - now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


class PriorityRateLimiter(BaseRateLimiter[dict]):
    def __init__(
        self,
        *,
        bulk_max_rate: float = 29,
        chat_rate: float = 1.0,
        chat_burst: float = 4,
        group_per_minute: float = 20,
        max_retries: int = 3,
    ) -> None:
        self._bulk_max_rate = bulk_max_rate
        self._chat_rate, self._chat_burst = chat_rate, chat_burst
        self._group_rate = group_per_minute / 60
        self._max_retries = max_retries
        self._chats: dict[object, _Bucket] = {}
        self._admitted: deque[float] = deque()  # every chat send admitted in the last second
        self._bulk_turn = asyncio.Lock()
        self._all_paused_until = 0.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self, callback, args, kwargs, endpoint: str, data: dict[str, Any], rate_limit_args: dict | None
    ):
        if transaction_open():
            # A Telegram call can take seconds; locks held meanwhile stall everyone else.
            raise RuntimeError(f"Telegram call {endpoint} made inside a database transaction")
        chat_id = data.get("chat_id")
        bulk = isinstance(rate_limit_args, dict) and bool(rate_limit_args.get("bulk"))
        for attempt in range(self._max_retries + 1):
            await self._wait_for_room(chat_id, bulk)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                if attempt == self._max_retries:
                    raise
                self._pause(chat_id, _seconds(error.retry_after) + 0.1)
        raise AssertionError("unreachable")

    async def _wait_for_room(self, chat_id: object, bulk: bool) -> None:
        while (pause := self._all_paused_until - time.monotonic()) > 0:
            await asyncio.sleep(pause)
        if chat_id is None:
            return  # answering a button, setting menus: Telegram limits messages, not these
        bucket = self._bucket(chat_id)
        while (delay := bucket.wait_time(time.monotonic())) > 0:
            await asyncio.sleep(delay)
        bucket.tokens -= 1
        if bulk:
            # One bulk send at a time looks for room: below the bulk rate, replies included.
            async with self._bulk_turn:
                while self._load(now := time.monotonic()) >= self._bulk_max_rate:
                    await asyncio.sleep(max(0.002, self._admitted[0] + 1.0 - now))
                self._admitted.append(time.monotonic())
        else:
            self._admitted.append(time.monotonic())

    def _bucket(self, chat_id: object) -> _Bucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if len(self._chats) >= MAX_IDLE_CHATS:
                self._forget_idle()
            group = _is_group(chat_id)
            rate, burst = (self._group_rate, 3.0) if group else (self._chat_rate, self._chat_burst)
            bucket = self._chats[chat_id] = _Bucket(rate, burst, burst, time.monotonic())
        return bucket

    def _forget_idle(self) -> None:
        now = time.monotonic()
        for chat_id in [c for c, b in self._chats.items() if b.wait_time(now) == 0 and b.tokens >= b.burst]:
            del self._chats[chat_id]

    def _pause(self, chat_id: object, seconds: float) -> None:
        until = time.monotonic() + seconds
        log.info("Telegram asked to wait %.1f s (chat %s)", seconds, chat_id if chat_id is not None else "all")
        if chat_id is None:
            self._all_paused_until = max(self._all_paused_until, until)
        else:
            bucket = self._bucket(chat_id)
            bucket.paused_until = max(bucket.paused_until, until)

    def _load(self, now: float) -> int:
        while self._admitted and now - self._admitted[0] >= 1.0:
            self._admitted.popleft()
        return len(self._admitted)


def rate_limiter(settings) -> PriorityRateLimiter:
    """The limiter of the bot and of the clock process, from the settings (bot.config)."""
    return PriorityRateLimiter(
        bulk_max_rate=settings.dispatch_max_per_second,
        chat_rate=settings.chat_messages_per_second,
        chat_burst=settings.chat_burst,
        max_retries=3,
    )


def _is_group(chat_id: object) -> bool:
    """Groups and channels have negative ids, or are named by @username."""
    try:
        return int(chat_id) < 0
    except (TypeError, ValueError):
        return True


def _seconds(retry_after) -> float:
    return retry_after.total_seconds() if hasattr(retry_after, "total_seconds") else float(retry_after)
