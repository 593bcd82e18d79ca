"""The bot's event loop takes ready work oldest first (bot.scheduling): an update that arrived
first is not slowed down by the ones that arrived after it. Asserted by the order in which the
work is done, never by timings; the same scenario on asyncio's own loop shows the difference."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot import scheduling
from bot.runner import run_on_bot_loop
from bot.scheduling import OldestFirstEventLoop, arrived

STEPS = 5  # each update's steps: a query, a render, a Telegram call...


async def _update(name: str, log: list[str], *, at: float | None, work: float = 0.0) -> None:
    if at is not None:
        arrived(at)
        await asyncio.sleep(0)  # as the boundary does: from here on, in its turn
    for _ in range(STEPS):
        log.append(name)
        time.sleep(work)  # CPU work between two waits, holding the loop
        await asyncio.sleep(0)  # waits for something (the database, Telegram): other work runs
    log.append(f"{name} done")


async def _evening(*, first_at: float, later_at: float, work: float = 0.0) -> list[str]:
    """One update arrives, then ten more while it is in flight: what ran, in order."""
    log: list[str] = []
    first = asyncio.create_task(_update("first", log, at=first_at, work=work))
    await asyncio.sleep(0)  # the first one has begun
    later = [asyncio.create_task(_update(f"later {n}", log, at=later_at)) for n in range(10)]
    await asyncio.gather(first, *later)
    return log


def _cut_in(log: list[str]) -> int:
    """Steps of the later updates that ran before the first one was done."""
    return sum(1 for entry in log[: log.index("first done")] if entry.startswith("later"))


def _run(loop: asyncio.AbstractEventLoop, coroutine):
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


def test_the_update_that_arrived_first_is_not_slowed_by_later_ones():
    now = time.monotonic()
    log = _run(OldestFirstEventLoop(), _evening(first_at=now, later_at=now + 0.01))
    assert _cut_in(log) == 0
    assert log[: STEPS + 1] == ["first"] * STEPS + ["first done"]


def test_on_asyncios_own_loop_the_later_ones_cut_in():
    """The same evening on asyncio's own loop: each step of the first update waits behind a step
    of every later one (what the bot's loop removes)."""
    now = time.monotonic()
    log = _run(asyncio.SelectorEventLoop(), _evening(first_at=now, later_at=now + 0.01))
    assert _cut_in(log) >= 10 * (STEPS - 1)


def test_an_old_update_takes_precedence_only_for_its_head_start(monkeypatch):
    """Once later work has been ready for longer than HEAD_START, it runs in the order it became
    ready, as on asyncio's own loop: a long piece of work cannot hold back newer replies for
    good. (A head start of 1 ms here, each step of the first update taking 2 ms; the later ones
    arrived 0.1 ms after it.)"""
    monkeypatch.setattr(scheduling, "HEAD_START", 0.001)
    now = time.monotonic()
    log = _run(OldestFirstEventLoop(), _evening(first_at=now, later_at=now + 0.0001, work=0.002))
    assert _cut_in(log) >= 10  # each later update got steps in before the first one was done


def test_work_of_no_update_keeps_asyncios_order():
    """Callbacks and tasks that belong to no update (receiving, the outbox, timers) run in the
    order they were scheduled, as asyncio promises."""

    async def scheduled() -> list[int]:
        ran: list[int] = []
        loop = asyncio.get_running_loop()
        for n in range(50):
            loop.call_soon(ran.append, n)
        loop.call_later(0.001, ran.append, 50)
        await asyncio.sleep(0.01)
        return ran

    assert _run(OldestFirstEventLoop(), scheduled()) == list(range(51))


def test_updates_stamped_alike_keep_their_order():
    """Equal ages (the same update's own tasks) keep the order in which they became ready."""

    async def same_age() -> list[str]:
        arrived()
        order: list[str] = []

        async def step(name: str) -> None:
            for k in range(3):
                order.append(f"{name}{k}")
                await asyncio.sleep(0)

        await asyncio.gather(step("a"), step("b"))
        return order

    assert _run(OldestFirstEventLoop(), same_age()) == ["a0", "b0", "a1", "b1", "a2", "b2"]


def test_the_bot_runs_on_it():
    async def which() -> type:
        return type(asyncio.get_running_loop())

    assert run_on_bot_loop(which()) is OldestFirstEventLoop


@pytest.mark.parametrize("stop", ["cancel", "error"])
def test_cancelled_and_failed_work_leaves_the_loop_sound(stop):
    """A cancelled update (waiting for an answer that never comes) or a failing callback does not
    stall the rest of the ready work."""

    async def evening() -> list[str]:
        now = time.monotonic()
        log: list[str] = []

        async def waiting() -> None:
            arrived(now - 0.001)
            await asyncio.Event().wait()

        victim = asyncio.create_task(waiting())
        await asyncio.sleep(0)
        if stop == "cancel":
            victim.cancel()
        else:
            asyncio.get_running_loop().call_soon(lambda: 1 / 0)  # reported to the loop's handler
        await asyncio.gather(*(_update(f"u{n}", log, at=now) for n in range(3)))
        if stop == "cancel":
            with pytest.raises(asyncio.CancelledError):
                await victim
        else:
            victim.cancel()
        return log

    loop = OldestFirstEventLoop()
    errors: list[dict] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    log = _run(loop, evening())
    assert [entry for entry in log if entry.endswith("done")] == ["u0 done", "u1 done", "u2 done"]
    assert [type(error.get("exception")) for error in errors] == ([ZeroDivisionError] if stop == "error" else [])
