"""What the tests that run the bot as its own process share: a free port, and a Bot API server
that takes its time over replies to some chats (so that a reply is in flight when it matters)."""

from __future__ import annotations

import asyncio
import socket

from sandbox.botapi.server import FakeBotAPI


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SlowFakeBotAPI(FakeBotAPI):
    """Answers sendMessage to the chats in `slow` only after `reply_delay` seconds."""

    def __init__(self, *args, reply_delay: float, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.reply_delay = reply_delay
        self.slow: set[int] = set()

    async def api_sendmessage(self, params: dict, files: dict) -> dict:
        if int(params["chat_id"]) in self.slow:
            await asyncio.sleep(self.reply_delay)
        return await super().api_sendmessage(params, files)
