"""Two `python -m bot webhook` processes on one PostgreSQL database, as when `web` is scaled to
two behind the webhook. The test plays Telegram: it sends a chat's next update only once the
webhook has answered the previous one (telegram-bot-api keeps one request in flight per chat),
to whichever process, alternately here. Replies to one person are slow, so that a process that
answered Telegram before handling the update would let the next one overtake it.

It shows: one person's updates are applied in the order sent and each once, even when Telegram
delivers one again (to the other process, or to both at once); a person whose update is held
up (here: their advisory lock taken by the test, as another process would) does not hold up
anyone else; and SIGTERM stops both processes cleanly."""

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp
import psycopg
import pytest
from sqlalchemy import select

from bot.config import webhook_path
from models.users import Invite
from sandbox.botapi.server import FakeBotAPI
from tests.factories import make_user
from tests.fakebot.processes import SlowFakeBotAPI, free_port, wait_until_healthy
from tests.fakebot.webhook import SECRET

ROOT = Path(__file__).resolve().parents[2]
REPLY_DELAY = 0.3  # seconds the fake server takes over each reply to the slow person
UPDATES = 6  # per person


class Web:
    """One `python -m bot webhook` process."""

    def __init__(self, api: FakeBotAPI, database_url: str, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.env = dict(
            os.environ,
            BOT_TOKEN=api.token,
            TELEGRAM_API_URL=api.url,
            DATABASE_URL=database_url,
            DISPATCH_IN_BOT="false",  # the clock's job; not what this tests
            PYTHONPATH=str(ROOT),
            WEBHOOK_URL="https://homedemo.example.test",
            WEBHOOK_SECRET=SECRET,
            PORT=str(self.port),
        )
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with open(self.log, "wb") as stderr:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "webhook", env=self.env, stdout=asyncio.subprocess.DEVNULL, stderr=stderr
            )

    async def healthy(self) -> None:
        await wait_until_healthy(self.process, self.port, self.log)

    async def post(self, update: dict) -> int:
        """As Telegram posts an update: the answer comes when the process has dealt with it."""
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"http://127.0.0.1:{self.port}{webhook_path(SECRET)}",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            ) as response,
        ):
            return response.status

    async def stop(self) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        return self.process.returncode

    def outcomes(self) -> dict[int, str]:
        """update id -> how this process ended it (from its log lines)."""
        found = re.findall(r"update (\d+) chat \S+ handler \S+ (\w+)", self.log.read_text())
        return {int(update_id): outcome for update_id, outcome in found}


def _tokens(api: FakeBotAPI, chat_id: int) -> list[str]:
    return [m.group(1) for e in api.chats.get(chat_id, []) if (m := re.search(r"start=i_([\w-]+)", e.text or ""))]


async def _invite_tokens(db, user_id: int) -> list[str]:
    async with db.session_scope() as s:
        return list(await s.scalars(select(Invite.token).where(Invite.created_by_id == user_id).order_by(Invite.id)))


async def test_two_web_processes_keep_each_persons_updates_in_order_and_once(db, tmp_path):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("several web processes need PostgreSQL; on SQLite the bot runs as one process")
    async with db.session_scope() as s:
        marta = await make_user(s, name="Marta", locale="en")
        luca = await make_user(s, name="Luca", locale="en")
    people = {
        who.telegram_id: {"id": who.telegram_id, "is_bot": False, "first_name": who.display_name}
        for who in (marta, luca)
    }
    api = SlowFakeBotAPI(reply_delay=REPLY_DELAY)
    api.slow = {marta.telegram_id}
    await api.start()
    url = db.engine.url.render_as_string(hide_password=False)
    webs = [Web(api, url, tmp_path / f"web{n}.log") for n in range(2)]
    sent: dict[int, list[dict]] = {tid: [] for tid in people}

    async def telegram(tid: int, count: int) -> None:
        """One chat's updates, one at a time, alternately to each process."""
        for n in range(count):
            update = api.user_message(people[tid], "/invite")
            await api.push(update)
            assert await webs[n % 2].post(update) == 200
            sent[tid].append(update)

    try:
        for web in webs:
            await web.start()
        await asyncio.gather(*(web.healthy() for web in webs))

        # 1. Two people at once, each person's updates alternately to the two processes.
        await asyncio.gather(telegram(marta.telegram_id, UPDATES), telegram(luca.telegram_id, UPDATES))
        for who in (marta, luca):
            in_chat = _tokens(api, who.telegram_id)
            assert len(in_chat) == UPDATES
            assert await _invite_tokens(db, who.id) == in_chat  # applied in the order sent, each once
        handled_by = [web.outcomes() for web in webs]
        for n, update in enumerate(sent[marta.telegram_id]):
            assert handled_by[n % 2].get(update["update_id"]) == "committed"

        # 2. Delivered again: to the other process, then to both at once. Nothing happens twice.
        again = sent[marta.telegram_id][0]  # handled by process 0
        assert await webs[1].post(again) == 200
        assert await asyncio.gather(*(web.post(sent[marta.telegram_id][1]) for web in webs)) == [200, 200]
        assert len(await _invite_tokens(db, marta.id)) == UPDATES and len(_tokens(api, marta.telegram_id)) == UPDATES
        assert webs[1].outcomes()[again["update_id"]] == "replayed"

        # 3. While Marta's update waits for her turn (the test holds her advisory lock, as a
        #    process handling another of her updates would), Luca's go through both processes.
        holder = await psycopg.AsyncConnection.connect(url.replace("+psycopg", ""), autocommit=True)
        try:
            await holder.execute("SELECT pg_advisory_lock(%s)", (marta.telegram_id,))
            update = api.user_message(people[marta.telegram_id], "/invite")
            await api.push(update)
            waiting = asyncio.create_task(webs[0].post(update))
            await telegram(luca.telegram_id, 2)
            assert len(_tokens(api, luca.telegram_id)) == UPDATES + 2
            assert not waiting.done() and len(await _invite_tokens(db, marta.id)) == UPDATES
            await holder.execute("SELECT pg_advisory_unlock(%s)", (marta.telegram_id,))
            assert await waiting == 200
        finally:
            await holder.close()
        assert len(await _invite_tokens(db, marta.id)) == UPDATES + 1 == len(_tokens(api, marta.telegram_id))
    finally:
        codes = [await web.stop() for web in webs]
        await api.stop()
    for web, code in zip(webs, codes, strict=True):
        log = web.log.read_text()
        assert code == 0, log
        assert "ERROR" not in log and "Traceback" not in log, log
