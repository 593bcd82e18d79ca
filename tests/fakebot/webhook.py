"""The real bot in webhook mode, in-process: bot.runner starts the same server `python -m bot
webhook` runs, on 127.0.0.1 and a free port; the bot's outgoing calls go to FakeBotAPI. Tests
post updates as Telegram would (the fake server numbers them and makes their chats exist)."""

from __future__ import annotations

import json

import aiohttp

from bot.app import build_application
from bot.runner import start_receiving, stop_gracefully
from tests.fakebot.harness import BotHarness, TrackingProcessor

SECRET = "test-secret_0123456789-ABCDEF"
PUBLIC_URL = "https://homedemo.example.test"


class WebhookHarness(BotHarness):
    def __init__(self, db, clock=None, **settings) -> None:
        super().__init__(db, clock, **{"webhook_url": PUBLIC_URL, "webhook_secret": SECRET, "port": 0, **settings})
        self.server = None
        self.http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if not self.api.url:
            await self.api.start()
        self.processor = TrackingProcessor()
        settings = self.settings
        self.app = build_application(
            settings, db=self.db, clock=self.clock, update_processor=self.processor, webhook=True
        )
        await self.app.initialize()
        await self.app.post_init(self.app)
        self.server = await start_receiving(self.app, settings, webhook=True, host="127.0.0.1")
        await self.app.start()
        self.http = aiohttp.ClientSession(f"http://127.0.0.1:{self.server.port}")

    async def stop(self) -> None:
        if self.app is not None:
            await stop_gracefully(self.app, self.server)
            await self.http.close()
            self.app = None

    @property
    def path(self) -> str:
        return self.settings.webhook()[1]

    async def post(self, update: dict, *, secret: str | None = SECRET, path: str | None = None) -> int:
        """Posts an update as Telegram does; returns the HTTP status."""
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        async with self.http.post(path or self.path, data=json.dumps(update), headers=headers) as response:
            return response.status

    async def stamp(self, update: dict) -> dict:
        """Numbers the update and makes its chat exist, as Telegram would before sending it."""
        await self.api.push(update)  # (left in the fake's getUpdates queue, which nobody polls)
        return update

    async def deliver(self, update: dict) -> None:
        await self.stamp(update)
        assert await self.post(update) == 200
        await self.processor.wait(update["update_id"])
        if self.auto_dispatch:
            await self.app.bot_data["dispatcher"].run_until_idle()

    async def health(self) -> tuple[int, dict]:
        async with self.http.get("/healthz") as response:
            return response.status, await response.json()
