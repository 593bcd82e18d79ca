"""The one source of "now", so that tests can move time instead of waiting for it."""

from datetime import UTC, datetime


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)
