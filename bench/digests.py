"""N weekly digests (1,000 by default; the issue's goal is for 10,000) against a fake Bot API that
enforces Telegram's 30 messages a second.

Prints the time taken as a ratio of the floor N/30 s (goal: at most 1.05), and, measured in the
same run, the ratio to a plain loop that sends N messages through the same rate-limited bot
with no database work at all. Also counts messages lost and 429s left unanswered (goal: 0).
Run: .venv/bin/python bench/digests.py [N] [postgresql://.../DB]   (SQLite in /tmp by default)
"""

from __future__ import annotations

import asyncio
import sys
import time

from common import NOW, add_due, add_people, fresh_database, limited_server
from sqlalchemy import func, select
from telegram.ext import ExtBot

from bot.clock import Clock
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.ratelimit import BULK, PriorityRateLimiter
from bot.telegram_http import telegram_request
from models.notifications import Notification


class FixedClock(Clock):
    def now(self):
        return NOW


async def main(count: int, url: str | None = None) -> None:
    api = await limited_server([*range(100_000, 100_000 + count), *range(900_000, 900_000 + count)])
    db = await fresh_database(url)
    people = await add_people(db, count)
    await add_due(db, people, kind="reseller_digest", payload={"week_start": "2031-03-17"}, due=NOW)
    settings = Settings(_env_file=None, bot_token=api.token, telegram_api_url=api.url, dispatch_in_bot=False)
    # The bot's and the clock process's own HTTP client (bot.telegram_http), as in production.
    bot = ExtBot(
        api.token,
        base_url=f"{api.url}/bot",
        rate_limiter=PriorityRateLimiter(max_retries=5),
        request=telegram_request(),
    )
    async with bot:
        # Baseline: the same bot, the same server, N bare messages, no database.
        started = time.monotonic()
        semaphore = asyncio.Semaphore(30)

        async def bare(chat: int) -> None:
            async with semaphore:
                await bot.send_message(chat, "x", rate_limit_args=BULK)  # paced as the outbox is

        await asyncio.gather(*(bare(900_000 + n) for n in range(count)))
        baseline = time.monotonic() - started
        api.too_many.clear()
        await asyncio.sleep(1.1)  # let the server's window empty

        dispatcher = Dispatcher(db=db, bot=bot, clock=FixedClock(), settings=settings)
        started = time.monotonic()
        await dispatcher.run_until_idle()
        elapsed = time.monotonic() - started
    async with db.session_scope() as session:
        sent = await session.scalar(select(func.count()).select_from(Notification).where(Notification.status == "sent"))
    delivered = {chat for chat, _t in api.delivered_at if chat < 900_000}
    await db.dispose()
    await api.stop()
    floor = count / 30
    print(f"digests: {count}, sent {sent}, delivered to {len(delivered)} chats, lost {count - len(delivered)}")
    print(f"429 answered by the server: {len(api.too_many)}, left unanswered: {count - sent}")
    print(f"time {elapsed:.1f} s; floor N/30 = {floor:.1f} s; ratio to floor {elapsed / floor:.3f} (goal <= 1.05)")
    print(f"baseline (bare sends, same run) {baseline:.1f} s; ratio to baseline {elapsed / baseline:.3f}")


if __name__ == "__main__":
    # A PostgreSQL URL as the second argument runs it there (the database is emptied first).
    url = sys.argv[2].replace("postgresql://", "postgresql+psycopg://", 1) if len(sys.argv) > 2 else None
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000, url))
