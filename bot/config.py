"""Typed settings read from the environment (and a `.env` file, if present)."""

from __future__ import annotations

import zoneinfo
from typing import Annotated

from babel.numbers import list_currencies
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.i18n import SUPPORTED_LOCALES

TELEGRAM_API_URL = "https://api.telegram.org"


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
    webhook_url: str | None = None
    port: int = 8443

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

    def token(self) -> str:
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise SettingsError(
                "BOT_TOKEN is not set.\n"
                "1. In Telegram, open @BotFather, send /newbot and follow the steps;\n"
                "   it answers with a token like 123456789:AAH...\n"
                "2. Put it in a file named .env in this folder (copy .env.example):\n"
                "   BOT_TOKEN=123456789:AAH...\n"
                "   or export BOT_TOKEN in the environment, then run the command again."
            )
        return self.bot_token.get_secret_value().strip()


def async_database_url(url: str) -> str:
    """Heroku-style and plain URLs become the async drivers we ship (psycopg 3, aiosqlite)."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://"):]
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
