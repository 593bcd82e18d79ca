"""Deployment settings and commands: the webhook's secret and path, `python -m bot health`."""

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings, webhook_path
from bot.db import Database
from bot.health import check, check_settings
from models.notifications import Notification
from tests.factories import make_user

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:TEST-TOKEN"


@pytest.mark.parametrize("secret", ["", "has space", "no/slash", "é", "x" * 257])
def test_a_webhook_secret_telegram_would_refuse_stops_start_up(secret):
    with pytest.raises(SettingsError) as error:
        load_settings(_env_file=None, webhook_secret=secret)
    assert "WEBHOOK_SECRET: must be 1-256 characters of A-Z, a-z, 0-9, _ and -" in str(error.value)
    assert "secrets.token_urlsafe(32)" in str(error.value)


def test_the_webhook_path_comes_from_the_secret_and_reveals_neither_it_nor_the_token():
    settings = load_settings(
        _env_file=None, bot_token=TOKEN, webhook_url="https://bot.example.test/", webhook_secret="s3cret_-X"
    )
    url, path, secret = settings.webhook()
    assert url == "https://bot.example.test" + path and secret == "s3cret_-X"
    assert path == webhook_path("s3cret_-X") != webhook_path("s3cret_-Y")
    assert "s3cret" not in path and "123456" not in path and "TEST-TOKEN" not in path


def _run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_webhook_mode_without_a_secret_refuses_to_start_and_says_how_to_make_one(tmp_path):
    done = _run(
        "webhook",
        cwd=tmp_path,
        BOT_TOKEN=TOKEN,
        WEBHOOK_URL="https://bot.example.test",
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}",
    )
    assert done.returncode == 2
    assert "WEBHOOK_SECRET is not set" in done.stderr
    assert 'python -c "import secrets; print(secrets.token_urlsafe(32))"' in done.stderr


async def _late_message(db: Database, now: datetime, minutes: int) -> None:
    async with db.session_scope() as s:
        marta = await make_user(s)
        s.add(
            Notification(
                key=f"late:{minutes}",
                recipient_id=marta.id,
                kind="reseller_reminder",
                payload=json.dumps({}),
                status="pending",
                due_at=now - timedelta(minutes=minutes),
                attempts=0,
                created_at=now,
            )
        )


async def test_health_is_ok_while_the_outbox_keeps_up(db):
    now = datetime.now(UTC)
    await _late_message(db, now, minutes=4)
    health = await check(db, now=now, max_lag=timedelta(minutes=5))
    assert health.ok and health.details["outbox_lag_seconds"] == 240


async def test_health_fails_when_a_due_message_waits_past_the_threshold(db):
    now = datetime.now(UTC)
    await _late_message(db, now, minutes=6)
    health = await check(db, now=now, max_lag=timedelta(minutes=5))
    assert not health.ok and health.reason == "outbox lag 360 s is over 300 s"


@pytest.mark.parametrize(
    "url", ["sqlite:////nonexistent-folder/homedemo.sqlite3", "postgresql://postgres@127.0.0.1:9/homedemo"]
)
async def test_health_fails_when_the_database_does_not_answer(url):
    health = await check_settings(load_settings(_env_file=None, database_url=url), now=datetime.now(UTC))
    assert not health.ok and health.reason.startswith("database unreachable (")


def test_the_health_command_exits_0_when_healthy_and_1_with_the_reason_when_not(tmp_path):
    url = f"sqlite:///{tmp_path / 'homedemo.sqlite3'}"
    assert _run("migrate", cwd=tmp_path, DATABASE_URL=url).returncode == 0
    healthy = _run("health", cwd=tmp_path, DATABASE_URL=url)
    assert (healthy.returncode, healthy.stdout.strip()) == (0, "ok")
    missing = _run("health", cwd=tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'gone' / 'homedemo.sqlite3'}")
    assert missing.returncode == 1 and missing.stdout.startswith("unhealthy: database unreachable")
    lagging = _run("health", cwd=tmp_path, DATABASE_URL=url, HEALTH_MAX_OUTBOX_LAG_SECONDS="60")
    assert lagging.returncode == 0  # nothing is due yet
    asyncio.run(_late_message_then_dispose(Database(url.replace("sqlite://", "sqlite+aiosqlite://"))))
    lagging = _run("health", cwd=tmp_path, DATABASE_URL=url, HEALTH_MAX_OUTBOX_LAG_SECONDS="60")
    assert lagging.returncode == 1 and "unhealthy: outbox lag" in lagging.stdout


async def _late_message_then_dispose(db: Database) -> None:
    await _late_message(db, datetime.now(UTC), minutes=10)
    await db.dispose()
