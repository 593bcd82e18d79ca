"""What the operator sees: one line per update (JSON on request) without people's data or
the token, and an alert in Telegram at most once an hour per kind of error."""

import io
import json
import logging
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from telegram.ext import CommandHandler

from bot import logs
from models.notifications import Notification


@pytest.fixture
def log_output(bot):
    """The process's log handler, as `python -m bot` configures it with LOG_FORMAT=json."""
    stream = io.StringIO()
    handler = logs.configure("json", [bot.api.token], stream=stream)
    yield stream
    logging.getLogger().removeHandler(handler)


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


async def test_each_update_logs_one_line_with_its_id_chat_handler_and_duration_and_nothing_private(bot, log_output):
    eve = bot.person("Eve", language_code="en")
    await eve.send("/start")
    await eve.send("my secret address is Via Roma 1, call +39 333 1234567")
    updates = [line for line in _lines(log_output) if line["logger"] == "bot.updates"]
    assert len(updates) == 2
    for line in updates:
        assert line["chat_id"] == eve.id and isinstance(line["update_id"], int)
        assert line["duration_ms"] >= 0 and line["level"] == "INFO"
    assert [line["handler"] for line in updates] == ["onboarding.start", "handlers.unknown_text"]
    assert [line["outcome"] for line in updates] == ["committed", "committed"]
    everything = log_output.getvalue()
    # (The phone's digits as written: a bare "333" also matched a line's time, 00:25:45,333.)
    assert "Via Roma" not in everything and "secret address" not in everything
    assert "+39 333" not in everything and "1234567" not in everything
    assert bot.api.token not in everything


async def test_the_token_is_redacted_from_every_record_even_in_tracebacks(bot, log_output):
    token = bot.api.token
    logging.getLogger("httpx").warning("HTTP Request: POST %s/bot%s/getMe", bot.api.url, token)
    real_looking = "7012345678:AAHk3x9_Zq2-VbLmNoPqRsTuVwXyZ012345"
    try:
        raise httpx.ConnectError(f"cannot reach https://api.telegram.org/bot{real_looking}/sendMessage")
    except httpx.ConnectError:
        logging.getLogger("telegram.ext").exception("network trouble")
    everything = log_output.getvalue()
    assert token not in everything and real_looking not in everything
    assert everything.count(logs.REDACTED) == 2 and "network trouble" in everything


async def test_text_logs_are_redacted_too(bot):
    stream = io.StringIO()
    handler = logs.configure("text", [bot.api.token], stream=stream)
    try:
        logging.getLogger("httpx").warning("GET %s/bot%s/getUpdates", bot.api.url, bot.api.token)
    finally:
        logging.getLogger().removeHandler(handler)
    assert bot.api.token not in stream.getvalue() and logs.REDACTED in stream.getvalue()


async def _boom(update, context):
    raise RuntimeError("the same bug every time")


async def _alert_rows(db) -> list[Notification]:
    async with db.session_scope() as s:
        return list((await s.scalars(select(Notification).where(Notification.kind == "error_alert"))).all())


async def test_an_unhandled_error_alerts_the_admins_once_an_hour_per_kind(bot, admin, db, caplog):
    bot.app.add_handler(CommandHandler("boom", _boom), group=1)
    logs.label_handlers(bot.app)
    eve = bot.person("Eve", language_code="en")
    with caplog.at_level(logging.INFO, logger="bot.updates"):
        first = await eve.send("/boom")
    assert "Nothing was saved" in first[-1].text  # the sender is told, in their language
    assert "handler test_operator_logs._boom failed" in caplog.text
    await eve.send("/boom")
    [row] = await _alert_rows(db)
    assert row.data["error"] == "RuntimeError" and row.data["where"].endswith(":_boom")
    [alert] = [e for e in admin.received() if e.text.startswith("⚠️")]
    assert "RuntimeError" in alert.text and "once an hour" in alert.text  # the admin reads English
    bot.clock.set(bot.clock.now() + timedelta(minutes=61))
    await eve.send("/boom")
    assert len(await _alert_rows(db)) == 2
