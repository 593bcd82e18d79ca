"""Watches the event loop while a block runs: whether everyone else's work could go on."""

from __future__ import annotations

import asyncio
import contextlib
import time


class LoopProbe:
    """How often the loop came back to a sleep of `every` seconds (`ticks`) while the block ran,
    and the longest it once took (`longest`)."""

    def __init__(self, every: float) -> None:
        self.every = every
        self.ticks = 0
        self.longest = 0.0
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> LoopProbe:
        self._task = asyncio.create_task(self._watch())
        await asyncio.sleep(0)  # started before the block's work
        return self

    async def __aexit__(self, *_exc) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _watch(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(self.every)
            now = time.monotonic()
            self.ticks += 1
            self.longest, last = max(self.longest, now - last), now
