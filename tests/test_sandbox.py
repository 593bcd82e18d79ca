"""The sandbox (`python -m bot sandbox`): where it listens, when the run command falls back to
it, the world it starts with, how the page hears of new messages, and its movable clock."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

import bot.__main__ as cli
from bot.config import Settings, SettingsError
from models.catalog import Product
from models.demos import Demo, DemoStatus
from models.guests import Guest
from models.orders import Order
from models.users import Role, User
from sandbox import runner
from sandbox.runner import Options, Sandbox, check_host
from sandbox.world import ADMIN, ADVISOR, MANAGER

ROOT = Path(__file__).resolve().parent.parent
START = datetime.fromisoformat("2031-05-15T10:00:00+02:00")  # a Thursday


@pytest.fixture
async def sandbox():
    running = Sandbox(Settings(_env_file=None), Options(port=0, start=START))
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def page(sandbox):
    async with aiohttp.ClientSession(sandbox.url) as http:
        yield http


async def post(http, path: str, body: dict) -> tuple[int, dict]:
    async with http.post(path, json=body) as response:
        return response.status, await response.json()


# ---- where it listens ----


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_the_sandbox_listens_on_this_computer(host):
    check_host(host, public=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "example.com"])
def test_any_other_address_is_refused_unless_public(host):
    with pytest.raises(SettingsError, match="Add --public if you mean it"):
        check_host(host, public=False)
    check_host(host, public=True)


def test_the_command_refuses_a_public_address_before_starting_anything(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", "--host", "0.0.0.0"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "not on 0.0.0.0" in done.stderr and "--public" in done.stderr
    assert list(tmp_path.iterdir()) == []


async def test_the_page_answers_to_this_computer_s_names_only(page):
    async with page.get("/api/state", headers={"Host": "attacker.example:8080"}) as response:
        assert response.status == 421  # a DNS-rebinding page cannot read or act
    async with page.get("/api/state", headers={"Host": "localhost:8080"}) as response:
        assert response.status == 200


async def test_the_bot_talks_to_the_local_server_never_to_telegram(sandbox):
    assert sandbox.settings.telegram_api_url == sandbox.api.url
    assert sandbox.api.url.startswith("http://127.0.0.1:")
    assert str(sandbox.application.bot.base_url).startswith(sandbox.api.url)


# ---- the run command without a token ----


def test_the_run_command_without_a_token_starts_the_sandbox_saying_so_in_one_line(monkeypatch, tmp_path, capsys):
    started = []
    monkeypatch.setattr(cli.logs, "configure", lambda *args: None)  # the test's logging stays as it is
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.setattr(runner, "run", lambda settings, options: started.append(options))
    assert cli.main(["run"]) == 0
    assert started == [Options()]
    assert started[0].host == "127.0.0.1" and started[0].port == 8080
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "BOT_TOKEN is not set: starting the sandbox instead (HomeDemo without Telegram, in your browser)."
    ]


def test_the_webhook_without_a_token_still_says_how_to_get_one(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cli.logs, "configure", lambda *args: None)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.setattr(runner, "run", lambda settings, options: pytest.fail("no sandbox for the webhook"))
    assert cli.main(["webhook"]) == 2
    assert "BOT_TOKEN is not set" in capsys.readouterr().err


# ---- the world it starts with ----


async def test_the_sample_world_has_something_on_every_screen(sandbox):
    now = sandbox.clock.now()
    async with sandbox.application.bot_data["db"].session_scope() as s:
        people = {u.telegram_id: u for u in (await s.scalars(select(User))).all()}
        demos = (await s.scalars(select(Demo).order_by(Demo.starts_at))).all()
        products = await s.scalar(select(func.count()).select_from(Product))
        orders = await s.scalar(select(func.count()).select_from(Order))
        guests = await s.scalar(select(func.count()).select_from(Guest).where(Guest.demo_id == demos[0].id))
    assert people[ADMIN.id].role == Role.ADMIN
    manager = people[MANAGER.id]
    assert manager.role == Role.MANAGER and manager.upline_id == people[ADMIN.id].id
    advisors = [u for u in people.values() if u.role == Role.RESELLER]
    assert len(advisors) == 3 and {a.upline_id for a in advisors} == {manager.id}
    assert all(u.onboarded for u in people.values() if u.role)
    past, upcoming = demos
    assert past.starts_at < now and past.status == DemoStatus.CONFIRMED and guests == 3 and orders == 2
    assert upcoming.status == DemoStatus.AWAITING_HOST and upcoming.host_user_id is None
    assert timedelta(days=4) < upcoming.starts_at - now < timedelta(days=14)  # next week
    assert products >= 5
    # The sales force's menus are set, as their onboarding would have left them.
    assert "newdemo" in [c["command"] for c in sandbox.api.menu_for(ADVISOR.id, "en")]


async def test_an_empty_sandbox_starts_from_nothing():
    empty = Sandbox(Settings(_env_file=None), Options(port=0, empty=True))
    await empty.start()
    try:
        async with empty.application.bot_data["db"].session_scope() as s:
            assert await s.scalar(select(func.count()).select_from(User)) == 0
            assert await s.scalar(select(func.count()).select_from(Product)) == 0
        assert len(empty.table.people) == 5
    finally:
        await empty.stop()


# ---- the page ----


async def next_event(stream, kind: str, match=lambda data: True) -> dict:
    """Reads the server-sent events until one of that kind matches."""
    event = None
    async for raw in stream.content:
        line = raw.decode().rstrip("\n")
        if line.startswith("event: "):
            event = line[len("event: ") :]
        elif line.startswith("data: ") and event == kind:
            data = json.loads(line[len("data: ") :])
            if match(data):
                return data
    raise AssertionError(f"the stream ended before a {kind} event")


async def test_a_bot_message_reaches_the_page_as_an_event_without_asking(sandbox, page):
    async with page.get("/api/events") as stream:
        state = await next_event(stream, "state")
        assert [p["name"] for p in state["people"]][:2] == ["Marta", "Anna"]
        status, said = await post(page, "/api/say", {"person": ADVISOR.id, "text": "/demos"})
        assert status == 200 and said["result"]["sender"] == "me"
        item = await asyncio.wait_for(
            next_event(stream, "item", lambda i: i["sender"] == "bot" and i["chat"] == ADVISOR.id), 10
        )
        received = time.monotonic()
        assert item["text"].startswith("Your upcoming demos (1).")
        assert "Anna Bianchi" in item["buttons"][0][0]["text"]
        sent = next(at for chat, at in reversed(sandbox.api.delivered_at) if chat == ADVISOR.id)
        print(f"\nfrom the local Bot API server to the page: {(received - sent) * 1000:.1f} ms")


async def test_a_deep_link_opens_as_the_person_picked(sandbox, page):
    token = (await _upcoming(sandbox)).host_token
    await post(page, "/api/open", {"person": 2001, "payload": f"h_{token}"})
    await _until(lambda: any("Confirm" in str(e.buttons) for e in sandbox.api.chats.get(2001, [])))


async def test_bad_requests_are_refused_with_a_reason(page):
    assert (await post(page, "/api/say", {"person": 999, "text": "hi"}))[0] == 400
    assert (await post(page, "/api/clock", {"move": "backwards"}))[1]["error"].startswith("The clock moves by")
    status, added = await post(page, "/api/people", {"name": "", "language": "en"})
    assert status == 400 and "name" in added["error"]
    async with page.post("/api/say", data="person=1003&text=hi") as response:  # a cross-site form
        assert response.status == 415


async def test_someone_new_joins_the_table_in_their_language(sandbox, page):
    status, added = await post(page, "/api/people", {"name": "Rosa", "language": "it"})
    assert status == 200 and added["result"] == {"id": 3001, "name": "Rosa", "language": "it", "role": "someone"}
    await post(page, "/api/say", {"person": 3001, "text": "/start"})
    await _until(lambda: sandbox.api.chats.get(3001))
    assert sandbox.api.chats[3001][0].kind == "message"


async def test_a_reply_keyboard_stays_under_the_chat_until_removed(sandbox, page):
    from telegram import ReplyKeyboardMarkup, ReplyKeyboardRemove

    bot = sandbox.application.bot
    async with page.get("/api/events") as stream:
        await next_event(stream, "state")
        await bot.send_message(ADVISOR.id, "Which?", reply_markup=ReplyKeyboardMarkup([["Yes", "No"]]))
        item = await next_event(stream, "item", lambda i: i["text"] == "Which?")
        assert item["keyboard"] == [["Yes", "No"]]
        await bot.send_message(ADVISOR.id, "Thanks", reply_markup=ReplyKeyboardRemove())
        assert (await next_event(stream, "item", lambda i: i["text"] == "Thanks"))["keyboard"] is None


# ---- the clock ----


async def test_moving_the_clock_to_the_next_reminder_sends_it(sandbox, page):
    upcoming = await _upcoming(sandbox)
    status, moved = await post(page, "/api/clock", {"move": "reminder"})
    assert status == 200 and moved["result"]["sent"] >= 1
    assert datetime.fromisoformat(moved["result"]["moved_to"]) == upcoming.starts_at - timedelta(hours=24)
    texts = [e.text for e in sandbox.api.chats[ADVISOR.id]]
    assert any(t.startswith("⏰ Reminder: demo at Anna Bianchi's") for t in texts)
    # What the bot reads is the moved time too: the demo is now tomorrow.
    assert sandbox.application.bot_data["clock"] is sandbox.clock


async def test_moving_the_clock_to_monday_sends_the_weekly_digests(sandbox, page):
    status, moved = await post(page, "/api/clock", {"move": "digest"})
    assert status == 200
    now = datetime.fromisoformat(moved["result"]["moved_to"]).astimezone(START.tzinfo)
    assert (now.weekday(), now.hour, now.minute, now.second) == (0, 8, 0, 0)
    assert any(e.text.startswith("📊 Your week from 12 May") for e in sandbox.api.chats[ADVISOR.id])
    assert any(e.kind == "photo" for e in sandbox.api.chats[MANAGER.id])  # the team's chart


async def _upcoming(sandbox) -> Demo:
    async with sandbox.application.bot_data["db"].session_scope() as s:
        return await s.scalar(select(Demo).where(Demo.status == DemoStatus.AWAITING_HOST))


async def _until(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not in time"
        await asyncio.sleep(0.02)
