"""The bot's event loop: the ready work of the update that arrived first is run first.

An event loop runs whatever is ready in the order it became ready, so on a busy evening the
steps of all updates in flight take turns: an update waits, at each of its database queries and
Telegram calls, behind a step of every update that arrived after it (processor sharing). Its
reply takes its own work plus a share of all the work that came in meanwhile, and the slowest
replies grow with the load.

Here each update is stamped when its processing begins (`arrived`, called by the boundary), and
its ready steps run before those of updates that arrived later: first come, first served. A
reply then waits for the updates that were there before it, not for those behind it. Steps of
the same update keep their order. Work that belongs to no update (receiving updates, the
outbox, timers, the web server) goes through the loop's own queue, as before. An old update
takes precedence for at most `HEAD_START` over work that became ready after it, so a long piece
of work (an export, a big digest) still lets newer replies through once it has had its head
start, as the plain loop would.

How: asyncio's tasks and futures schedule every step with the loop's public `call_soon`, in the
task's own contextvars.Context, where the stamp is. This loop (uvloop's, or asyncio's own where
uvloop is not built) takes an update's step into a queue ordered by age instead, and one drain in
the loop's own queue runs the steps waiting there, oldest first. uvloop keeps doing the I/O in C.
tests/test_scheduling.py shows the order, and the same evening on a plain loop for contrast.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from contextvars import Context, ContextVar
from typing import Any

try:
    import uvloop  # libuv's event loop: about 9 % less CPU per update (bench/order_flow.py)
except ImportError:  # not built for Windows; asyncio's own loop serves there
    uvloop = None

HEAD_START = 0.25  # seconds: at most this much precedence of older work over newer

_ARRIVED: ContextVar[float] = ContextVar("arrived")


def arrived(at: float | None = None) -> None:
    """Stamps the work of the running task (and of the tasks it starts) as arrived `at`
    (time.monotonic(); now by default): its steps run before those of work that arrived later."""
    _ARRIVED.set(time.monotonic() if at is None else at)


def arrival() -> float | None:
    """When the work running now arrived (time.monotonic()); None when it belongs to no update."""
    return _ARRIVED.get(None)


class _OldestFirst:
    """What is scheduled with `call_soon` (every step of every task: asyncio's tasks and futures
    schedule their steps this way) is run oldest first when it belongs to an update; the rest
    goes to the loop's own queue as before. One drain in that queue runs the updates' ready steps
    that are there when it starts, oldest first; a step scheduled meanwhile (the drain is no longer
    marked pending once it starts) schedules the next drain itself."""

    def __init__(self) -> None:
        super().__init__()
        self._by_age: list[tuple[float, int, asyncio.Handle, Any, tuple, Context]] = []
        self._order = itertools.count()
        self._draining = False

    def call_soon(self, callback: Any, *args: Any, context: Context | None = None) -> asyncio.Handle:
        age = None if context is None else context.get(_ARRIVED)
        if age is None:  # not an update's: the loop's own order
            return super().call_soon(callback, *args, context=context)  # type: ignore[misc]
        handle = asyncio.Handle(callback, args, self, context)  # type: ignore[arg-type]
        key = max(age, time.monotonic() - HEAD_START)
        heapq.heappush(self._by_age, (key, next(self._order), handle, callback, args, context))
        if not self._draining:
            self._draining = True
            super().call_soon(self._drain)  # type: ignore[misc]
        return handle

    def _drain(self) -> None:
        self._draining = False
        for _ in range(len(self._by_age)):
            _key, _order, handle, callback, args, context = heapq.heappop(self._by_age)
            if handle.cancelled():
                continue
            try:
                context.run(callback, *args)
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as error:  # as asyncio's own Handle reports a failing callback
                self.call_exception_handler(  # type: ignore[attr-defined]
                    {"message": f"Exception in callback {callback!r}", "exception": error, "handle": handle}
                )


if uvloop is not None:

    class OldestFirstEventLoop(_OldestFirst, uvloop.Loop):  # type: ignore[misc]
        """uvloop's event loop (libuv, in C), the updates' ready work taken oldest first."""

else:  # uvloop is not built for Windows

    class OldestFirstEventLoop(_OldestFirst, asyncio.SelectorEventLoop):  # type: ignore[no-redef]
        """asyncio's event loop, the updates' ready work taken oldest first."""
