"""Logs an operator can use: one line per update, text or JSON, and never a secret.

What is left out on purpose: message texts and phone numbers (people's data, not the
operator's), and the bot token, which httpx and PTB would otherwise write in every URL
(`https://api.telegram.org/bot<token>/sendMessage`): whoever reads the logs could run the bot.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import re
import sys
from collections.abc import Callable, Iterable
from typing import Any

from pythonjsonlogger.json import JsonFormatter
from telegram.ext import Application, ApplicationHandlerStop, BaseHandler, ConversationHandler

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# A bot token is "<bot id>:<35 characters>"; shorter tails are matched too, in case the shape changes.
TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
# Phone numbers are stored in international form (+39...); ids and counts never start with "+".
PHONE_SHAPE = re.compile(r"\+\d[\d ().-]{5,}\d")
REDACTED = "[redacted]"

update_log = logging.getLogger("bot.updates")


class Redact(logging.Filter):
    """Removes tokens, secrets and phone numbers from every record the handler writes, from its
    message and its traceback alike (an httpx error may quote the URL)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return PHONE_SHAPE.sub(REDACTED, TOKEN_SHAPE.sub(REDACTED, text))

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg, record.args = self.clean(message), None
        if record.exc_info:
            record.exc_text = self.clean(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None  # the formatters print exc_text instead
        return True


def configure(log_format: str = "text", secrets: Iterable[str] = (), stream=None) -> logging.Handler:
    """One handler on the root logger, for the whole process."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s", rename_fields={"levelname": "level", "name": "logger"}
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.addFilter(Redact(secrets))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_homedemo", False)]:
        root.removeHandler(old)  # configured again once the settings (and so the secrets) are known
    handler._homedemo = True
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # httpx logs every request at INFO, URL (and so token) included; PTB's own request logs too.
    for noisy in ("httpx", "httpcore", "apscheduler", "tornado.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler


# ---- which handler took an update ----


class UpdateLine:
    """Collects, for one update, the handler that took it (or the one that failed); then
    writes its line."""

    def __init__(self) -> None:
        self.took: str | None = None
        self.failed_in: str | None = None

    def __enter__(self) -> UpdateLine:
        self._token = _current.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _current.reset(self._token)

    def write(self, update_id: int, chat_id: int | None, duration_ms: float, outcome: str) -> None:
        handler = self.failed_in or self.took or "none"
        update_log.info(
            "update %s chat %s handler %s %s %.0f ms",
            update_id,
            chat_id,
            handler,
            outcome,
            duration_ms,
            extra={
                "update_id": update_id,
                "chat_id": chat_id,
                "handler": handler,
                "outcome": outcome,
                "duration_ms": round(duration_ms, 1),
            },
        )


_current: contextvars.ContextVar[UpdateLine | None] = contextvars.ContextVar("update_line", default=None)


def label_handlers(application: Application) -> None:
    """Wraps every callback so the update's log line can name the one that took it. Guards
    (negative groups: they look at every update) count only when they stop it."""
    for group, handlers in application.handlers.items():
        for handler in handlers:
            _label(handler, guard=group < 0)


def _label(handler: BaseHandler, *, guard: bool) -> None:
    if isinstance(handler, ConversationHandler):
        for inner in [*handler.entry_points, *(h for hs in handler.states.values() for h in hs), *handler.fallbacks]:
            _label(inner, guard=guard)
    elif handler.callback is not None and not hasattr(handler.callback, "_labelled"):
        handler.callback = _labelled(handler.callback, guard)


def _labelled(callback: Callable, guard: bool) -> Callable:
    name = f"{callback.__module__.rpartition('.')[2]}.{callback.__qualname__}"

    @functools.wraps(callback)
    async def run(update: Any, context: Any) -> Any:
        line = _current.get() or UpdateLine()
        if not guard:
            line.took = name
        try:
            return await callback(update, context)
        except ApplicationHandlerStop:
            line.took = name
            raise
        except Exception:
            line.failed_in = line.failed_in or name
            raise

    run._labelled = True
    return run
