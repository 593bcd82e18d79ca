"""One person's replies while 50 others keep the bot busy, their Telegram calls answered slowly.

Goal: one user's stalled or slow Telegram traffic does not delay others. The bot runs as in
production, its own process (`python -m bot run`, long polling, its real rate limiter) against
the fake Bot API server running here, which does not enforce Telegram's limits in this bench.
One advisor sends a light command (/demos) about once a second; a reply's latency is the
time from the update being pushed to the fake server until the fake records the bot's answer
in that chat. Four such advisors (--measured) take turns, one round trip at a time, so that a
phase gathers 600 samples in 150 s and its p99 is the sixth-slowest reply, not the second (the
bot never has two of theirs at once: each is "one person" as far as it can tell).
Phase A: the measured advisors alone. Phase B: the same while 50 other onboarded advisors
each open /demos, open a demo, ask for its calendar every fourth time and go back to the list,
--think-ms after each reply (2 s by default: about 22 updates a second in all), and every
Telegram call to their chats answers --stall-ms late (a slow network or Telegram for them
only). The phases alternate, A B A B ... (--rounds, 3 by default), each round gathering its share
of the samples, pooled per phase: whatever drifts on the machine over the minutes of a run (other
work on the cores, the CPU's clock) meets both phases alike. Prints both phases, each round's
p99s (their spread says how far one figure can be trusted) and the ratio p99(B) / p99(A) of the
pooled samples (goal: at most 1.5), with a 95 % interval for it by resampling both phases' samples:
a p99 of 600 samples rests on its six slowest, so two runs of the same code can differ by 0.3; an
interval wholly under 1.5 is a verdict this run's noise cannot overturn. This process (the fake
server, the people) runs on the bot's own loop, uvloop, and says how late that loop woke a 2 ms sleep
at p99 in each phase: that much of a latency may be the bench's own rather than the bot's. With
`python -m bot run` it also says how long the measured updates waited here, at p99, for the bot's
getUpdates to take them: PTB's Updater asks for the next updates once the loop has run the first
steps of those it fetched last (4.3-4.6 ms at p99 in B, 0.1-0.3 alone). A poller asking first
took that to 1.2-1.5 ms, and the replies were no faster: the one event loop still had the same
work ahead of them, in its own queue instead of Telegram's (not kept; see the README).
Exits non-zero only if something crashed, never on timing.
A phase ends after --samples replies or --phase-limit seconds, whichever comes first.
--profile FILE runs the bot under bench/profiled_bot.py and profiles an extra B round, first,
left out of the figures (the profiler slows the bot).
The sends/s column is what reached the fake server: at 30.0, the bot's own limit of 30 Telegram
calls a second is what the replies queue for. --think-ms keeps the busy advisors below it.
CPU ms/upd is the bot's processes' CPU time (user and system) over the updates of the phase:
what the others' updates cost is what the measured reply can wait for on the bot's event loop.
The measured advisor sends once a second by default: the bot answers one chat about once a
second (Telegram's limit), so a faster sender would measure that limit. The bot process's own
full garbage collections used to be most of B's tail (40-75 ms pauses, seen with gc.callbacks);
the bench freezes its own heap before measuring, so that its clock and fake server do not pause.
With --web N the bot runs as production's `web` does instead: N `python -m bot webhook` processes
on PostgreSQL (N > 1), this process playing Telegram and a balancer that sends each chat to one
of them (WebProcesses in common.py); the first process also sends the outbox.
Run: .venv/bin/python bench/concurrency.py [--busy 50] [--stall-ms 200] [--think-ms 2000] [--rounds 3]
     [--db postgresql] [--web N] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from common import (
    PG_URL,
    LoopLag,
    WebProcesses,
    add_people,
    ask,
    cpu_seconds,
    fake_server,
    fresh_database,
    machine,
    percentile,
    person,
    ratio_interval,
    round_trip,
    start_bot,
    stop_processes,
    write_profile,
)
from sqlalchemy import select, update

from bot.runner import run_on_bot_loop
from models.demos import schedule_demo
from models.digests import plan_weekly_digests
from models.notifications import Notification
from models.users import User

FIRST_ID = 100_000  # the advisors measured (--measured of them); the busy ones follow
DEMOS_EACH = 5


@dataclass
class Traffic:
    """Round trips completed (when), and the busy advisors' own latencies."""

    done: list[float] = field(default_factory=list)
    busy: list[float] = field(default_factory=list)
    unanswered: int = 0
    other: dict[str, int] = field(default_factory=dict)  # replies that were not the list of demos, by text
    fetch_waits: list[float] = field(default_factory=list)  # measured updates: until the bot asked for them

    def record(self, latency: float | None, *, busy: bool) -> bool:
        if latency is None:
            self.unanswered += 1
            return False
        self.done.append(time.monotonic())
        if busy:
            self.busy.append(latency)
        return True


async def seed(db, count: int, now: datetime) -> None:
    """`count` onboarded advisors with DEMOS_EACH upcoming demos each; nothing due to send."""
    await add_people(db, count, first_id=FIRST_ID, created=now - timedelta(days=60))
    async with db.session_scope() as session:
        for n, advisor in enumerate((await session.scalars(select(User).order_by(User.id))).all()):
            for k in range(DEMOS_EACH):
                await schedule_demo(
                    session,
                    reseller=advisor,
                    host_name=f"Host {n}-{k}",
                    host_phone=None,
                    address=f"Via Roma {k + 1}, Torino",
                    starts_at=now + timedelta(days=k + 1, hours=n % 5),
                    duration_minutes=120,
                    notes=None,
                    timezone="Europe/Rome",
                    now=now - timedelta(days=1),
                )
        # This week's digests went out already: the bot's dispatcher has nothing to send.
        await plan_weekly_digests(session, now=now, weekday=0, hour=8)
        await session.execute(update(Notification).values(status="sent"))


def button(api, user_id: int, message_id: int, prefix: str, nth: int = 0) -> str | None:
    found = [
        b["callback_data"]
        for row in api.messages[(user_id, message_id)].get("reply_markup", {}).get("inline_keyboard", [])
        for b in row
        if b.get("callback_data", "").startswith(prefix)
    ]
    return found[nth % len(found)] if found else None


async def keep_busy(api, user_id: int, stop: asyncio.Event, traffic: Traffic, think: float) -> None:
    """An advisor going through their demos, as fast as the bot answers (or `think` s after)."""
    me = person(user_id)
    cycle = 0
    await asyncio.sleep(random.Random(user_id).uniform(0, max(think, 0.2)))  # not all at the same instant
    while not stop.is_set():
        cycle += 1
        if not traffic.record(await ask(api, user_id, "/demos"), busy=True):
            continue
        reply = api.chats[user_id][-1]
        view = button(api, user_id, reply.message_id, "demo:view:", cycle) if reply.message_id else None
        if view is None:  # an error message, say
            traffic.other[reply.text[:80]] = traffic.other.get(reply.text[:80], 0) + 1
            continue
        await asyncio.sleep(think)
        listing, steps = reply.message_id, [view]
        if cycle % 4 == 0:
            steps.append(steps[0].replace(":view:", ":ics:"))  # the .ics file: a document
        steps.append("demos:page:0")  # "« All demos": the detail becomes the list again
        for data in steps:
            if stop.is_set() or not traffic.record(
                await round_trip(api, user_id, api.button_press(me, listing, data)), busy=True
            ):
                break
            await asyncio.sleep(think)


async def measure(
    api, user_ids: list[int], command: str, samples: int, rate: float, limit: float, traffic: Traffic
) -> tuple[list[float], float]:
    """`samples` round trips, the measured advisors taking turns, one round trip at a time (each
    advisor every 1/rate s; the next starts when the previous reply has come back), for at most
    `limit` s. Returns the latencies and the time taken."""
    found: list[float] = []
    started = time.monotonic()
    turns = itertools.cycle(user_ids)
    while len(found) < samples and time.monotonic() - started < limit:
        sent = time.monotonic()
        user_id = next(turns)
        latency = await ask(api, user_id, command)
        if traffic.record(latency, busy=False):
            found.append(latency)
            if (waited := api.fetch_wait.pop(user_id, None)) is not None:
                traffic.fetch_waits.append(waited)
        await asyncio.sleep(max(0.0, sent + 1 / (rate * len(user_ids)) - time.monotonic()))
    return found, time.monotonic() - started


@dataclass
class Phase:
    name: str
    latencies: list[float]
    seconds: float
    updates: int
    calls: int
    busy: list[float]
    unanswered: int
    cpu: float  # CPU seconds the bot's processes spent over the phase
    lags: list[float] = field(default_factory=list)  # this process's own event loop, late by (s)
    fetch_waits: list[float] = field(default_factory=list)  # until the bot's getUpdates took the update (s)

    @classmethod
    def pooled(cls, name: str, rounds: list[Phase]) -> Phase:
        """The rounds of one phase as one: their samples together, their durations added."""
        return cls(
            name,
            [v for r in rounds for v in r.latencies],
            sum(r.seconds for r in rounds),
            sum(r.updates for r in rounds),
            sum(r.calls for r in rounds),
            [v for r in rounds for v in r.busy],
            sum(r.unanswered for r in rounds),
            sum(r.cpu for r in rounds),
            [v for r in rounds for v in r.lags],
            [v for r in rounds for v in r.fetch_waits],
        )

    def row(self) -> str:
        ms = [
            f"{v * 1000:7.0f}"
            for v in (
                statistics.median(self.latencies),
                percentile(self.latencies, 95),
                percentile(self.latencies, 99),
                max(self.latencies),
            )
        ]
        return (
            f"{self.name:<22}{len(self.latencies):>8} {' '.join(ms)} {self.updates / self.seconds:>10.1f} "
            f"{self.calls / self.seconds:>10.1f} {self.cpu * 1000 / max(1, self.updates):>10.2f}"
        )


async def phase(
    api, name: str, args, traffic: Traffic, measured: list[int], busy_ids: list[int], bots: list, on_start=None
) -> Phase:
    stop = asyncio.Event()
    workers = [
        asyncio.create_task(keep_busy(api, user_id, stop, traffic, args.think_ms / 1000)) for user_id in busy_ids
    ]
    try:
        if workers:
            await asyncio.sleep(args.warm_up)
        first_done, first_busy, first_unanswered = len(traffic.done), len(traffic.busy), traffic.unanswered
        first_fetch = len(traffic.fetch_waits)
        calls_before = len(api.delivered_at)
        cpu = sum(cpu_seconds(bot.pid) for bot in bots)
        started = time.monotonic()
        if on_start is not None:
            on_start()
        samples, limit = -(-args.samples // args.rounds), args.phase_limit / args.rounds
        with LoopLag() as lag:
            found, seconds = await measure(api, measured, args.command, samples, args.rate, limit, traffic)
        cpu = sum(cpu_seconds(bot.pid) for bot in bots) - cpu
        updates = sum(1 for t in traffic.done[first_done:] if t <= started + seconds)
        calls = sum(1 for _chat, t in api.delivered_at[calls_before:] if started <= t <= started + seconds)
        result = Phase(
            name,
            found,
            seconds,
            updates,
            calls,
            traffic.busy[first_busy:],
            traffic.unanswered - first_unanswered,
            cpu,
            lag.lags,
            traffic.fetch_waits[first_fetch:],
        )
    finally:
        stop.set()
        if workers:
            _done, late = await asyncio.wait(workers, timeout=20)
            for task in late:
                task.cancel()
            for task in workers:
                if task.done() and not task.cancelled() and task.exception():
                    raise task.exception()
    if not found:
        raise RuntimeError(f"phase {name}: the measured advisor got no reply at all")
    return result


def alive(bot) -> None:
    if bot.returncode is not None:
        raise RuntimeError(f"the bot exited with {bot.returncode}")


async def main(args) -> int:
    now = datetime.now(UTC)
    measured = [FIRST_ID + n for n in range(args.measured)]
    busy_ids = [FIRST_ID + args.measured + n for n in range(args.busy)]
    db = await fresh_database(PG_URL if args.db == "postgresql" else None)
    log = Path(tempfile.mkdtemp(prefix="homedemo-bench-")) / "bot.log"
    bot = web = None
    profile = log.parent / "concurrency.prof" if args.profile else None
    api = await fake_server([*measured, *busy_ids])
    try:
        await seed(db, args.measured + args.busy, now)
        if args.web:
            web = WebProcesses(api, db, args.web, log)
            await web.start()
            bot = web.processes[0]
        else:
            bot = await start_bot(api, db, log=log, profile=profile)
        traffic = Traffic()
        rounds_a: list[Phase] = []
        rounds_b: list[Phase] = []
        first = asyncio.ensure_future(ask(api, FIRST_ID, "/demos", timeout=60))
        await asyncio.wait([first, asyncio.ensure_future(bot.wait())], return_when=asyncio.FIRST_COMPLETED)
        alive(bot)
        if await first is None:
            raise RuntimeError("the bot did not answer within 60 s")
        for user_id in [*measured[1:], *busy_ids]:  # everyone has spoken to the bot once
            await ask(api, user_id, "/demos")
        # This process's own full collections would pause its clock and its fake server mid-sample.
        gc.collect()
        gc.freeze()
        stall = {user_id: args.stall_ms / 1000 for user_id in busy_ids}
        bots = web.processes if web is not None else [bot]
        if profile is not None:  # an extra busy round, left out of the figures: the profiler slows the bot
            api.stall = stall
            start = partial(os.kill, bot.pid, signal.SIGUSR1)
            await phase(api, "profiled", args, traffic, measured, busy_ids, bots, start)
            alive(bot)
            os.kill(bot.pid, signal.SIGUSR2)
            write_profile(profile, Path(args.profile), f"B, {args.busy} busy, {db.engine.dialect.name}")
        for _ in range(args.rounds):  # A B A B ...: whatever drifts on the machine meets both alike
            api.stall = {}
            rounds_a.append(await phase(api, "A  alone", args, traffic, measured, [], bots))
            alive(bot)
            api.stall = stall
            rounds_b.append(await phase(api, f"B  {args.busy} busy", args, traffic, measured, busy_ids, bots))
            alive(bot)
    except BaseException:
        if log.exists():
            print(
                f"bot log ({log}), last lines:",
                *log.read_text(errors="replace").splitlines()[-20:],
                sep="\n",
                file=sys.stderr,
            )
        raise
    finally:
        if web is not None:
            await web.stop()
        else:
            await stop_processes(bot)
        await api.stop()
        await db.dispose()
    log.unlink(missing_ok=True)
    idle, loaded = Phase.pooled("A  alone", rounds_a), Phase.pooled(f"B  {args.busy} busy", rounds_b)
    ratio = percentile(loaded.latencies, 99) / percentile(idle.latencies, 99)
    low, high = ratio_interval(idle.latencies, loaded.latencies)
    shape = f"{args.web} web process{'es' if args.web > 1 else ''} (webhook)" if args.web else "python -m bot run"
    print(
        f"{shape}; database {db.engine.dialect.name}; measured: {args.measured} advisor(s) taking turns, each "
        f"{args.command} about {args.rate:g}/s, {args.samples} samples "
        f"(at most {args.phase_limit:g} s) per phase, "
        f"in {args.rounds} rounds of A then B; B: {args.busy} advisors going through their demos "
        f"{f'{args.think_ms} ms after each reply' if args.think_ms else 'as fast as answered'}, "
        f"every Telegram call to their chats {args.stall_ms} ms late"
    )
    print(
        f"{'phase':<22}{'samples':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} "
        f"{'updates/s':>10} {'sends/s':>10} {'CPU ms/upd':>10}"
    )
    print(idle.row())
    print(loaded.row())
    if loaded.busy:
        print(
            f"busy advisors in B: {len(loaded.busy)} round trips, p50 {statistics.median(loaded.busy) * 1000:.0f} ms, "
            f"p99 {percentile(loaded.busy, 99) * 1000:.0f} ms"
        )
    if args.rounds > 1:
        print(
            "p99 ms by round, A / B: "
            + ", ".join(
                f"{percentile(a.latencies, 99) * 1000:.0f} / {percentile(b.latencies, 99) * 1000:.0f}"
                for a, b in zip(rounds_a, rounds_b, strict=True)
            )
        )
    if idle.fetch_waits and loaded.fetch_waits:
        print(
            "of which waiting for the bot's getUpdates to take the update: p99 "
            f"{percentile(idle.fetch_waits, 99) * 1000:.1f} ms in A, "
            f"{percentile(loaded.fetch_waits, 99) * 1000:.1f} ms in B"
        )
    print(
        "this process's own loop (fake Telegram, clients) late by p99 "
        f"{percentile(idle.lags, 99) * 1000:.1f} ms in A, {percentile(loaded.lags, 99) * 1000:.1f} ms in B"
    )
    print(f"unanswered within 15 s: A {idle.unanswered}, B {loaded.unanswered}")
    for text, times in traffic.other.items():
        print(f"busy advisors answered {times} times, instead of their demos: {text!r}")
    if high <= 1.5:
        verdict = "met, beyond this run's noise"
    elif ratio <= 1.5:
        verdict = "met, within this run's noise"
    else:
        verdict = "missed" if low > 1.5 else "missed, within this run's noise"
    print(
        f"ratio p99 B / p99 A: {ratio:.2f}, 95 % interval by resampling {low:.2f}-{high:.2f} (goal <= 1.5: {verdict})"
    )
    return 0


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--busy", type=int, default=50, help="advisors keeping the bot busy in phase B (default 50)")
    parser.add_argument(
        "--stall-ms",
        type=int,
        default=200,
        help="delay of every Telegram call to a busy advisor's chat in B (default 200)",
    )
    parser.add_argument(
        "--think-ms",
        type=int,
        default=2000,
        help="pause of a busy advisor after each reply (default 2000; 0: as fast as the replies come back)",
    )
    parser.add_argument("--samples", type=int, default=600, help="replies measured per phase (default 600)")
    parser.add_argument(
        "--measured",
        type=int,
        default=4,
        help="advisors measured, taking turns: one round trip at a time, each advisor once every 1/rate s (default 4)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=1,
        help="commands a second from each measured advisor (default 1: Telegram's, and the bot's, limit in one chat)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="phases alternate A B A B ..., each round a share of the samples; pooled per phase (default 3)",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="cProfile the bot over an extra B round, left out of the figures; top functions and SQL to FILE",
    )
    parser.add_argument("--command", default="/demos", help="what the measured advisor sends (default /demos)")
    parser.add_argument("--phase-limit", type=float, default=160, help="seconds a phase may take at most (default 160)")
    parser.add_argument(
        "--warm-up", type=float, default=3, help="seconds of load before B's measurement starts (default 3)"
    )
    parser.add_argument(
        "--web",
        type=int,
        default=0,
        help="run N `python -m bot webhook` processes instead of `run` (each chat to one of them; N > 1: PostgreSQL)",
    )
    parser.add_argument(
        "--db",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help=f"sqlite (a fresh file) or postgresql ({PG_URL}, emptied first)",
    )
    args = parser.parse_args()
    if args.profile and args.web:
        parser.error("--profile profiles `python -m bot run`, not web processes")
    if args.web > 1 and args.db != "postgresql":
        parser.error("several web processes need PostgreSQL (--db postgresql): SQLite is for one process")
    return args


if __name__ == "__main__":
    options = arguments()
    print(machine(), flush=True)
    # The bot's own event loop: the fake Telegram and the people here add as little as they can.
    sys.exit(run_on_bot_loop(main(options)))
