"""Webhook mode: only Telegram (who knows the secret) gets updates in; a replay is handled
once; /healthz tells the database and the outbox lag apart."""

import asyncio
import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import ALLOWED_UPDATES
from bot.db import Database
from models.notifications import Notification
from models.users import User
from tests.e2e.flows import NOW
from tests.factories import make_user
from tests.fakebot.harness import SteerableClock
from tests.fakebot.webhook import PUBLIC_URL, SECRET, WebhookHarness


@pytest.fixture
async def web(db):
    clock = SteerableClock()
    clock.set(NOW)
    harness = WebhookHarness(db, clock)
    await harness.start()
    yield harness
    await harness.close()


async def _people(db) -> int:
    async with db.session_scope() as s:
        return await s.scalar(select(func.count()).select_from(User))


def _sends(web) -> list:
    return [call for call in web.api.calls if call[0].lower().startswith(("send", "edit", "answer"))]


async def test_the_webhook_is_registered_with_the_secret_on_a_path_that_reveals_nothing(web):
    registered = web.api.webhook
    assert registered["secret_token"] == SECRET
    assert registered["allowed_updates"] == ALLOWED_UPDATES
    assert registered["url"] == PUBLIC_URL + web.path
    assert web.path.startswith("/telegram/") and len(web.path) > 30
    for secret in (SECRET, web.api.token, web.api.token.split(":")[1]):
        assert secret not in registered["url"]


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x", SECRET[:-1]])
async def test_a_request_without_the_secret_is_refused_and_changes_nothing(web, db, caplog, secret):
    update = await web.stamp(web.api.user_message({"id": 777, "is_bot": False, "first_name": "Eve"}, "/start"))
    with caplog.at_level(logging.WARNING, logger="bot.webhook"):
        assert await web.post(update, secret=secret) == 403
    assert "webhook request refused (403)" in caplog.text
    assert SECRET not in caplog.text and (not secret or secret not in caplog.text)
    assert await _people(db) == 0
    assert _sends(web) == []
    assert web.processor._done == {}  # nothing reached the bot


async def test_the_right_secret_gets_the_update_handled(web):
    eve = web.person("Eve", language_code="en")
    replies = await eve.send("/start")
    assert replies and replies[0].kind == "message"


async def test_other_paths_and_bodies_that_are_not_updates_get_nothing(web, db):
    update = await web.stamp(web.api.user_message({"id": 778, "is_bot": False, "first_name": "Eve"}, "/start"))
    assert await web.post(update, path="/telegram") == 404
    assert await web.post(update, path=f"/bot{web.api.token}") == 404
    async with web.http.post(
        web.path, data="not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
    ) as response:
        assert response.status == 400
    assert await _people(db) == 0 and _sends(web) == []


async def test_an_update_posted_twice_is_handled_once(web):
    eve = web.person("Eve", language_code="en")
    update = await web.stamp(web.api.user_message(eve.user, "/start"))
    assert await web.post(update) == 200
    await web.processor.wait(update["update_id"])
    assert await web.post(json.loads(json.dumps(update))) == 200  # Telegram's retry: same update_id
    await web.post(await web.stamp(web.api.user_message(eve.user, "/help")))  # in order after the replay
    await web.processor.wait(update["update_id"] + 1)
    sent = [params for method, params in web.api.calls if method.lower() == "sendmessage"]
    assert len(sent) == 2  # one reply to /start, one to /help


async def test_the_webhook_answers_once_the_update_is_handled_even_when_posted_twice_at_once(web):
    # Telegram sends a chat's next update only after this answer: it must come after the reply.
    eve = web.person("Eve", language_code="en")
    update = await web.stamp(web.api.user_message(eve.user, "/start"))
    assert await asyncio.gather(web.post(update), web.post(json.loads(json.dumps(update)))) == [200, 200]
    sent = [params for method, params in web.api.calls if method.lower() == "sendmessage"]
    assert len(sent) == 1  # already there when both answers came, and only once


async def test_someone_who_blocks_the_bot_is_marked_unreachable_and_back_when_they_unblock(web, db):
    async with db.session_scope() as s:
        eve = await make_user(s, name="Eve")
    tid = eve.telegram_id
    member = {
        "chat": {"id": tid, "type": "private", "first_name": "Eve"},
        "from": {"id": tid, "is_bot": False, "first_name": "Eve"},
        "date": 1,
        "old_chat_member": {"status": "member", "user": web.api.bot_user},
        "new_chat_member": {"status": "kicked", "until_date": 0, "user": web.api.bot_user},
    }
    await web.deliver({"my_chat_member": member})
    async with db.session_scope() as s:
        assert (await s.get(User, eve.id)).unreachable_at is not None
    member["old_chat_member"], member["new_chat_member"] = member["new_chat_member"], member["old_chat_member"]
    await web.deliver({"my_chat_member": member})
    async with db.session_scope() as s:
        assert (await s.get(User, eve.id)).unreachable_at is None


async def test_healthz_answers_200_when_the_database_answers_and_the_outbox_keeps_up(web):
    status, body = await web.health()
    assert status == 200
    assert body["status"] == "ok" and body["database"] == "ok" and body["outbox_lag_seconds"] == 0


async def test_healthz_answers_503_when_a_due_message_waits_too_long(web, db):
    async with db.session_scope() as s:
        marta = await make_user(s)
        s.add(
            Notification(
                key="late",
                recipient_id=marta.id,
                kind="reseller_reminder",
                payload="{}",
                status="pending",
                due_at=NOW - timedelta(minutes=6),
                attempts=0,
                created_at=NOW - timedelta(minutes=7),
            )
        )
    status, body = await web.health()
    assert status == 503
    assert body["reason"] == "outbox lag 360 s is over 300 s"


async def test_healthz_answers_503_when_the_database_is_unreachable(web):
    # The database goes away under a running bot (here: a port where nothing listens).
    web.app.bot_data["db"] = gone = Database("postgresql+psycopg://postgres@127.0.0.1:9/gone")
    try:
        status, body = await web.health()
    finally:
        web.app.bot_data["db"] = web.db
        await gone.dispose()
    assert status == 503
    assert body["status"] == "failing" and body["reason"].startswith("database unreachable")
