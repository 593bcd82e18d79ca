"""The one source of "now", so that tests can move time instead of waiting for it.

One clock is handed to everything in a process that asks the time (the boundary, the
persistence, the dispatcher and its digests); the sandbox hands them a MovableClock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class MovableClock(Clock):
    """Real time, shifted: it keeps running, and can be moved forward by hand (the sandbox's
    "+1 day"). Never backwards: what is already sent stays in the past."""

    def __init__(self, start: datetime | None = None) -> None:
        self.offset = timedelta()
        if start is not None:
            self.offset = start.astimezone(UTC) - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta():
            raise ValueError("the clock only moves forward")
        self.offset += delta
        return self.now()

    def move_to(self, when: datetime) -> datetime:
        return self.advance(max(timedelta(), when.astimezone(UTC) - self.now()))

    def timestamp(self) -> float:
        return self.now().timestamp()
