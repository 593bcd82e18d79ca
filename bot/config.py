"""Typed settings read from the environment (and a `.env` file, if present)."""

from __future__ import annotations

import hashlib
import re
import zoneinfo
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from babel.numbers import list_currencies
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from models import DomainError
from models.notifications import ReminderPlan
from models.orders import WithdrawalPolicy
from models.plan import Plan, parse_plan
from models.rewards import RewardTable, parse_reward_table
from views.i18n import SUPPORTED_LOCALES

TELEGRAM_API_URL = "https://api.telegram.org"
DEFAULT_REWARDS_FILE = Path(__file__).resolve().parent / "host_rewards.toml"
DEFAULT_PLAN_FILE = Path(__file__).resolve().parent / "commission_plan.toml"
# What Telegram accepts as a webhook's secret_token: https://core.telegram.org/bots/api#setwebhook
WEBHOOK_SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")
MAKE_A_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


class SettingsError(Exception):
    """Start-up stops with this message: it names the setting and says what to do."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    database_url: str = "sqlite:///homedemo.sqlite3"
    telegram_api_url: str = TELEGRAM_API_URL
    admin_telegram_ids: Annotated[frozenset[int], NoDecode] = Field(default=frozenset())
    default_locale: str = "it"
    default_timezone: str = "Europe/Rome"
    currency: str = "EUR"
    # Webhook mode (`python -m bot webhook`): the app's public https root, the port it binds
    # (platforms set PORT) and the secret Telegram sends back with every update.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    port: int = Field(default=8443, ge=0, le=65535)  # 0: any free port (tests)
    # /healthz and `python -m bot health` fail when a due message has waited longer than this.
    health_max_outbox_lag_seconds: float = Field(default=300, gt=0)
    log_format: Literal["text", "json"] = "text"
    # Right of withdrawal: EU default, and Italy's longer period for sales at demos in a home
    # (Codice del consumo art. 52 c.1-bis).
    withdrawal_days: int = Field(default=14, ge=14, le=365)
    withdrawal_days_home_demo: int = Field(default=30, ge=14, le=365)
    host_rewards_file: Path = DEFAULT_REWARDS_FILE
    commission_plan_file: Path = DEFAULT_PLAN_FILE
    # Reminders and follow-ups, and the weekly digest (Monday 08:00 in each person's timezone).
    reseller_reminder_hours: Annotated[tuple[int, ...], NoDecode] = (24, 2)
    host_reminder_hours: int = Field(default=24, ge=1, le=24 * 14)
    guest_reminder_hours: int = Field(default=24, ge=1, le=24 * 14)
    followup_minutes_after_demo: int = Field(default=30, ge=0, le=24 * 60)
    host_thanks_hours_after_demo: int = Field(default=24, ge=0, le=24 * 14)
    aftercare_days: int = Field(default=21, ge=1, le=365)
    digest_weekday: int = Field(default=0, ge=0, le=6)  # 0 = Monday
    digest_hour: int = Field(default=8, ge=0, le=23)
    # The bot process sends the outbox itself unless a separate `python -m bot clock` does.
    dispatch_in_bot: bool = True
    dispatch_interval_seconds: float = Field(default=10, gt=0, le=3600)
    send_max_attempts: int = Field(default=5, ge=1, le=50)
    # Telegram allows about 30 messages a second overall; reminders and digests use what replies
    # to people leave, up to this rate.
    dispatch_max_per_second: float = Field(default=29, gt=0, le=30)
    # Sends in flight at once: enough to keep up the rate above, few enough to leave database
    # connections and the event loop to people chatting with the bot.
    dispatch_concurrency: int = Field(default=2, ge=1, le=100)
    # Replies to one person: Telegram asks for about one message a second in a chat, allowing
    # short bursts (a button press is often an edit and a new message); groups 20 a minute.
    chat_messages_per_second: float = Field(default=1.0, gt=0, le=1000)
    chat_burst: int = Field(default=4, ge=1, le=1000)
    # Updates handled at once (one person's always in order, one after the other).
    max_concurrent_updates: int = Field(default=64, ge=1, le=1024)
    # Guests of demos held longer ago than this who bought nothing are deleted (GDPR art. 5(1)(e)).
    guest_retention_months: int = Field(default=12, ge=1, le=120)

    @field_validator("reseller_reminder_hours", mode="before")
    @classmethod
    def _hours_list(cls, value: object) -> object:
        if isinstance(value, str):
            parts = value.replace(",", " ").split()
            if not parts or not all(part.isdigit() and 0 < int(part) <= 24 * 14 for part in parts):
                raise ValueError("must be hours before the demo, separated by commas, such as 24,2")
            return tuple(int(part) for part in parts)
        return value

    @field_validator("host_rewards_file")
    @classmethod
    def _rewards(cls, value: Path) -> Path:
        return _parsed_file(value, parse_reward_table)

    @field_validator("commission_plan_file")
    @classmethod
    def _plan(cls, value: Path) -> Path:
        return _parsed_file(value, parse_plan)

    @cached_property
    def plan(self) -> Plan:
        return parse_plan(self.commission_plan_file.read_text(encoding="utf-8"))

    @cached_property
    def reward_table(self) -> RewardTable:
        return parse_reward_table(self.host_rewards_file.read_text(encoding="utf-8"))

    @property
    def reminder_plan(self) -> ReminderPlan:
        return ReminderPlan(
            reseller_before=tuple(timedelta(hours=h) for h in self.reseller_reminder_hours),
            host_before=timedelta(hours=self.host_reminder_hours),
            guest_before=timedelta(hours=self.guest_reminder_hours),
            reseller_followup_after=timedelta(minutes=self.followup_minutes_after_demo),
            host_thanks_after=timedelta(hours=self.host_thanks_hours_after_demo),
            aftercare_after=timedelta(days=self.aftercare_days),
        )

    @property
    def withdrawal_policy(self) -> WithdrawalPolicy:
        return WithdrawalPolicy(days=self.withdrawal_days, days_home_demo=self.withdrawal_days_home_demo)

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        # "123, 456" or "123 456" in the environment; a list when built in code.
        if isinstance(value, str):
            parts = value.replace(",", " ").split()
            if not all(part.isdigit() for part in parts):
                raise ValueError("must be Telegram user ids (numbers) separated by commas")
            return frozenset(int(part) for part in parts)
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not WEBHOOK_SECRET_SHAPE.fullmatch(value.get_secret_value()):
            raise ValueError(f"must be 1-256 characters of A-Z, a-z, 0-9, _ and -; make one with: {MAKE_A_SECRET}")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        # Telegram calls https:// only; a self-hosted Bot API server may call http://.
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("must be the app's public address, such as https://homedemo.example.com")
        return value.rstrip("/") if value else None

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return async_database_url(value)

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("default_locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError("is not an IANA timezone name such as Europe/Rome") from None
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if value not in list_currencies():
            raise ValueError("is not an ISO 4217 currency code such as EUR")
        return value

    def has_token(self) -> bool:
        return self.bot_token is not None and bool(self.bot_token.get_secret_value().strip())

    def token(self) -> str:
        if not self.has_token():
            raise SettingsError(
                "BOT_TOKEN is not set.\n"
                "1. In Telegram, open @BotFather, send /newbot and follow the steps;\n"
                "   it answers with a token like 123456789:AAH...\n"
                "2. Put it in a file named .env in this folder (copy .env.example):\n"
                "   BOT_TOKEN=123456789:AAH...\n"
                "   or export BOT_TOKEN in the environment, then run the command again."
            )
        return self.bot_token.get_secret_value().strip()

    def webhook(self) -> tuple[str, str, str]:
        """The public URL, the path this app serves it on, and the secret: or how to set them."""
        if not self.webhook_url:
            raise SettingsError(
                "WEBHOOK_URL is not set: the app's public https address, such as https://homedemo.example.com"
            )
        if self.webhook_secret is None:
            raise SettingsError(
                f"WEBHOOK_SECRET is not set. Make one with\n  {MAKE_A_SECRET}\n"
                "and put it in the environment (or .env) as WEBHOOK_SECRET=..."
            )
        secret = self.webhook_secret.get_secret_value()
        path = webhook_path(secret)
        return self.webhook_url + path, path, secret


def webhook_path(secret: str) -> str:
    """A path nobody can guess without the secret, that does not reveal it either (a hash), and
    never the bot token, which would leak into every proxy's access log."""
    return "/telegram/" + hashlib.sha256(f"homedemo-webhook:{secret}".encode()).hexdigest()[:32]


def _parsed_file(path: Path, parse) -> Path:
    """A configuration file is read and checked at start-up, so a mistake stops the bot there,
    with the line (when known) and the reason."""
    try:
        parse(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror}") from None
    except DomainError as error:
        where = f", line {error.params['line']}" if "line" in error.params else ""
        raise ValueError(f"{path}{where}: {error.params['reason']}") from None
    return path


def async_database_url(url: str) -> str:
    """Heroku-style and plain URLs become the async drivers we ship (psycopg 3, aiosqlite)."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    if url.startswith(("postgresql+psycopg://", "sqlite+aiosqlite://")):
        return url
    raise ValueError("must be a sqlite:/// or postgresql:// URL")


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "settings"
            lines.append(f"{name}: {error['msg'].removeprefix('Value error, ')}")
        raise SettingsError("Invalid settings:\n" + "\n".join(lines)) from None
