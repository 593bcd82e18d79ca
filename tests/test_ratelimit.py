"""Rate limits where Telegram has them: per chat for replies, overall for bulk sends only."""

import asyncio
import time

from telegram.error import RetryAfter

from bot.ratelimit import BULK, PriorityRateLimiter


async def test_bulk_sends_wait_for_room_while_replies_go_at_once():
    limiter = PriorityRateLimiter(bulk_max_rate=5)
    sent = []

    async def send(kind):
        sent.append(kind)
        return True

    for n in range(5):  # reminders to five people
        await limiter.process_request(send, (f"bulk{n}",), {}, "sendMessage", {"chat_id": 100 + n}, BULK)
    waiting = asyncio.create_task(limiter.process_request(send, ("bulk5",), {}, "sendMessage", {"chat_id": 105}, BULK))
    await asyncio.sleep(0.1)
    await limiter.process_request(send, ("reply",), {}, "sendMessage", {"chat_id": 2}, None)
    assert sent[-1] == "reply" and not waiting.done()  # the sixth bulk send waits for the window
    await asyncio.wait_for(waiting, 3)
    assert sent[-1] == "bulk5"


async def test_replies_are_limited_per_chat_never_overall():
    limiter = PriorityRateLimiter(chat_rate=1, chat_burst=2)
    started = time.monotonic()

    async def send(chat):
        return chat

    # 200 replies to 100 people go at once: no overall cap on replies.
    await asyncio.gather(
        *(
            limiter.process_request(send, (c,), {}, "sendMessage", {"chat_id": c}, None)
            for c in range(1, 101)
            for _ in (1, 2)
        )
    )
    assert time.monotonic() - started < 0.5
    # A third message to one chat waits for that chat's next second; another chat does not.
    third = asyncio.create_task(limiter.process_request(send, (1,), {}, "sendMessage", {"chat_id": 1}, None))
    await asyncio.sleep(0.2)
    assert not third.done()
    assert (
        await asyncio.wait_for(limiter.process_request(send, (500,), {}, "sendMessage", {"chat_id": 500}, None), 0.1)
        == 500
    )
    assert await asyncio.wait_for(third, 2) == 1


async def test_a_429_for_one_chat_pauses_that_chat_only():
    limiter = PriorityRateLimiter()
    calls = []

    async def send(chat):
        calls.append((chat, time.monotonic()))
        if chat == 1 and len([c for c, _t in calls if c == 1]) == 1:
            raise RetryAfter(1)
        return chat

    slow = asyncio.create_task(limiter.process_request(send, (1,), {}, "sendMessage", {"chat_id": 1}, None))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    assert await limiter.process_request(send, (2,), {}, "sendMessage", {"chat_id": 2}, None) == 2
    assert time.monotonic() - started < 0.2  # the other chat goes at once
    assert await asyncio.wait_for(slow, 3) == 1
    first, retried = [t for c, t in calls if c == 1]
    assert retried - first >= 1.0  # chat 1 waited what Telegram asked
