"""What the tests (and benches) that run the bot as its own process share: a free port, a wait
for a web process to be healthy, and a Bot API server that takes its time over replies to some
chats (so that a reply is in flight when it matters)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp

from sandbox.botapi.server import FakeBotAPI


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def wait_until_healthy(process: asyncio.subprocess.Process, port: int, log: Path) -> None:
    """Until the web process on `port` answers /healthz (a first start in a busy environment can
    be slow: a minute at most); fails at once, with its log, if it exits."""
    async with aiohttp.ClientSession() as http:
        for _ in range(1200):
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if process.returncode is not None:
                raise RuntimeError(
                    f"the web process exited with {process.returncode}:\n{log.read_text(errors='replace')}"
                )
            await asyncio.sleep(0.05)
    raise RuntimeError("the web process never became healthy")


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
