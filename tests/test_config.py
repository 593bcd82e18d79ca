"""Settings: defaults, Heroku-style URLs, and clear messages for what is wrong or missing."""

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_and_heroku_urls(monkeypatch):
    for name in ("DATABASE_URL", "BOT_TOKEN", "DEFAULT_LOCALE", "DEFAULT_TIMEZONE", "CURRENCY", "TELEGRAM_API_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(_env_file=None)
    assert settings.database_url == "sqlite+aiosqlite:///homedemo.sqlite3"
    assert (settings.default_locale, settings.default_timezone, settings.currency) == ("it", "Europe/Rome", "EUR")
    assert settings.telegram_api_url == "https://api.telegram.org"
    heroku = load_settings(_env_file=None, database_url="postgres://u:p@host:5432/db", admin_telegram_ids="1, 2 3")
    assert heroku.database_url == "postgresql+psycopg://u:p@host:5432/db"
    assert heroku.admin_telegram_ids == {1, 2, 3}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("default_timezone", "Mars/Base", "DEFAULT_TIMEZONE: is not an IANA timezone name"),
        ("currency", "EURO", "CURRENCY: is not an ISO 4217 currency code"),
        ("default_locale", "pt", "DEFAULT_LOCALE: must be one of it, en, de, es, fr"),
        ("database_url", "mysql://x", "DATABASE_URL: must be a sqlite:/// or postgresql:// URL"),
        ("admin_telegram_ids", "me", "ADMIN_TELEGRAM_IDS: must be Telegram user ids"),
        ("telegram_api_url", "api.telegram.org", "TELEGRAM_API_URL: must start with http"),
    ],
)
def test_invalid_settings_name_the_setting(name, value, message):
    with pytest.raises(SettingsError) as error:
        load_settings(_env_file=None, **{name: value})
    assert message in str(error.value)


def test_serving_telegram_without_a_token_says_how_to_get_one(tmp_path):
    """The webhook needs a token; `run` without one opens the sandbox (tests/test_sandbox.py)."""
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "webhook"],
        cwd=tmp_path,
        env=env | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "BOT_TOKEN is not set" in done.stderr and "@BotFather" in done.stderr and ".env" in done.stderr


def test_a_malformed_commission_plan_stops_start_up_with_the_line_and_the_reason(tmp_path):
    plan = tmp_path / "plan.toml"
    plan.write_text(
        'currency = "EUR"\n[[versions]]\neffective_from = 2026-01-01\npersonal_rate_bp = 2000\nsignup_bonus = "10.00"\n'
    )
    with pytest.raises(SettingsError) as error:
        load_settings(_env_file=None, commission_plan_file=str(plan))
    message = str(error.value)
    assert f"COMMISSION_PLAN_FILE: {plan}, line 5: versions.signup_bonus: a payment for recruiting itself" in message
    assert "Annex I point 14" in message


def test_a_broken_host_reward_table_stops_start_up(tmp_path):
    table = tmp_path / "rewards.toml"
    table.write_text('currency = "EUR"\n[[tiers]]\nmin_sales = "100.00"\nrate_bp = 20000\n')
    with pytest.raises(SettingsError) as error:
        load_settings(_env_file=None, host_rewards_file=str(table))
    assert f"HOST_REWARDS_FILE: {table}: rates are basis points from 0 to 10000" in str(error.value)
