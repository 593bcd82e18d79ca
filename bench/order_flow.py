"""The order flow, 40 advisors at once, against a bare python-telegram-bot echo bot.

Both bots run as their own process (`python -m bot run`, and bench/echo_bot.py), one after the
other, against the same fake Bot API server running here. Each advisor goes through an order
as fast as the replies come back (a closed loop): /order, "No demo", "Own use", a SKU typed,
a quantity pressed, "Review", "Confirm" — seven updates — and starts again. The echo bot gets
the same seven updates (texts and button presses) from as many people. A reply's latency is
the time from the update being pushed to the fake server until the fake records the bot's
answer in that chat.

Printed per bot: updates/s, p50/p99 latency, CPU milliseconds per update (the bot process's
user+system time over the measured window), resident memory idle and the peak under load; then
the ratios order flow / echo (goals: updates/s >= 0.6x, p99 <= 250 ms, CPU <= 6 ms per update,
memory <= 150 MB). Exits non-zero only if something crashed, never on timing.

The bot's per-chat reply limit (about one message a second in a chat, as Telegram asks) would
make this a measure of the limit, not of the bot: 40 chats at one message a second is 40
updates/s, whatever the bot costs. The echo bot has no limiter, so by default the bot runs with
CHAT_MESSAGES_PER_SECOND=1000 CHAT_BURST=1000; --telegram-limits keeps the real limits.
Run: .venv/bin/python bench/order_flow.py [--advisors 40] [--seconds 20] [--db postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from common import (
    NOW,
    PG_URL,
    ROOT,
    add_people,
    ask,
    cpu_seconds,
    fake_server,
    fresh_database,
    machine,
    percentile,
    person,
    round_trip,
    start_bot,
    stop_processes,
    write_profile,
)

from bot.runner import run_on_bot_loop
from tests.factories import load_catalog

FIRST_ID = 100_000
# (what the advisor does, the button's callback data prefix or the text typed)
ORDER = [("text", "/order"), ("press", "od:nodemo"), ("press", "od:own"), ("text", "TM7"),
         ("press", "od:qty"), ("press", "od:review"), ("press", "od:confirm")]  # fmt: skip
ECHO = [(kind, "" if kind == "press" else value) for kind, value in ORDER]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Run:
    name: str
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    cpu: float = 0.0
    rss_idle: float = 0.0
    rss_peak: float = 0.0
    unanswered: int = 0
    off_script: int = 0  # replies without the button the next step needs (an error message, say)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    @property
    def cpu_ms(self) -> float:
        return self.cpu / len(self.latencies) * 1000

    def row(self) -> str:
        p50, p99 = statistics.median(self.latencies) * 1000, percentile(self.latencies, 99) * 1000
        return (
            f"{self.name:<12}{len(self.latencies):>8} {self.rate:>10.1f} {p50:>7.0f} {p99:>7.0f} "
            f"{self.cpu_ms:>8.2f} {self.rss_idle:>8.0f} {self.rss_peak:>8.0f}"
        )


def find_button(api, user_id: int, prefix: str) -> str | None:
    reply = api.chats[user_id][-1] if api.chats.get(user_id) else None
    if reply is None or not reply.message_id:
        return None
    message = api.messages.get((user_id, reply.message_id), {})
    for row in message.get("reply_markup", {}).get("inline_keyboard", []):
        for b in row:
            if b.get("callback_data", "").startswith(prefix):
                return b["callback_data"]
    return None


async def advisor(api, user_id: int, script, stop: asyncio.Event, window: list[float], run: Run) -> None:
    me = person(user_id)
    while not stop.is_set():
        for kind, value in script:
            if stop.is_set():
                return
            if kind == "text":
                update = api.user_message(me, value)
            else:
                data = find_button(api, user_id, value)
                if data is None:
                    run.off_script += 1
                    break  # start the order again
                update = api.button_press(me, api.chats[user_id][-1].message_id, data)
            seen, sent = len(api.chats.get(user_id, [])), time.monotonic()
            latency = await round_trip(api, user_id, update)
            if latency is None:
                run.unanswered += 1
                break
            if value == "od:confirm":  # "Order saved" (the latency), then the receipt, before the next order
                while len(api.chats[user_id]) < seen + 2 and time.monotonic() - sent < 15:
                    await asyncio.sleep(0.005)
            if window[0] <= sent and sent + latency <= window[1]:
                run.latencies.append(latency)


async def load(api, pid: int, ids: list[int], script, args, run: Run, profile: bool) -> None:
    stop = asyncio.Event()
    now = time.monotonic()
    window = [now + args.warm_up, now + args.warm_up + args.seconds]
    workers = [asyncio.create_task(advisor(api, u, script, stop, window, run)) for u in ids]
    await asyncio.sleep(args.warm_up)
    if profile:
        os.kill(pid, signal.SIGUSR1)
    cpu_before, started = cpu_seconds(pid), time.monotonic()
    while time.monotonic() < window[1]:
        run.rss_peak = max(run.rss_peak, rss_mb(pid))
        await asyncio.sleep(0.25)
    run.cpu, run.seconds = cpu_seconds(pid) - cpu_before, time.monotonic() - started
    if profile:
        os.kill(pid, signal.SIGUSR2)
    stop.set()
    await asyncio.wait(workers, timeout=20)
    for task in workers:
        if task.done() and not task.cancelled() and task.exception():
            raise task.exception()
        task.cancel()


async def measure(api, process, ids: list[int], script, args, name: str, profile: bool = False) -> Run:
    run = Run(name)
    first = asyncio.ensure_future(ask(api, ids[0], "/start", timeout=60))
    await asyncio.wait([first, asyncio.ensure_future(process.wait())], return_when=asyncio.FIRST_COMPLETED)
    if process.returncode is not None or await first is None:
        raise RuntimeError(f"{name}: the bot did not answer within 60 s (exit code {process.returncode})")
    await asyncio.sleep(2)
    run.rss_idle = rss_mb(process.pid)
    await load(api, process.pid, ids, script, args, run, profile)
    if process.returncode is not None:
        raise RuntimeError(f"{name}: the bot exited with {process.returncode}")
    if not run.latencies:
        raise RuntimeError(f"{name}: no reply in the measured window")
    return run


async def start_echo(api, log: Path) -> asyncio.subprocess.Process:
    env = dict(os.environ, BOT_TOKEN=api.token, TELEGRAM_API_URL=api.url)
    with log.open("ab") as output:
        return await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "bench" / "echo_bot.py"), env=env, stdout=output, stderr=output
        )


async def main(args) -> int:
    ids = [FIRST_ID + n for n in range(args.advisors)]
    db = await fresh_database(PG_URL if args.db == "postgresql" else None)
    await add_people(db, args.advisors, first_id=FIRST_ID, created=NOW)
    async with db.session_scope() as session:
        await load_catalog(session)
    log = Path(tempfile.mkdtemp(prefix="homedemo-bench-")) / "bot.log"
    api = await fake_server(ids)
    echo = bot = None
    limits = {} if args.telegram_limits else {"CHAT_MESSAGES_PER_SECOND": "1000", "CHAT_BURST": "1000"}
    try:
        echo = await start_echo(api, log)
        baseline = await measure(api, echo, ids, ECHO, args, "echo bot")
        await stop_processes(echo)
        stats = log.parent / "order_flow.prof" if args.profile else None
        bot = await start_bot(api, db, log=log, profile=stats, DISPATCH_IN_BOT="true", **limits)
        orders = await measure(api, bot, ids, ORDER, args, "order flow", bool(args.profile))
        if args.profile:
            title = f"order flow, {args.advisors} advisors, {db.engine.dialect.name}, {orders.cpu_ms:.2f} ms CPU/update"
            write_profile(stats, Path(args.profile), title + " (the profiler's own cost included)")
    except BaseException:
        if log.exists():
            print(f"log ({log}), last lines:", *log.read_text(errors="replace").splitlines()[-20:], sep="\n")
        raise
    finally:
        await stop_processes(echo, bot)
        await api.stop()
        await db.dispose()
    print(
        f"database {db.engine.dialect.name}; {args.advisors} advisors in a closed loop, {args.seconds:g} s measured "
        f"after {args.warm_up:g} s; per-chat limit: {'Telegram' if args.telegram_limits else 'lifted (1000/s)'}"
    )
    print(f"{'bot':<12}{'replies':>8} {'updates/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms':>8} {'RSS idle':>8} "
          f"{'RSS load':>8}")  # fmt: skip
    print(baseline.row())
    print(orders.row())
    for run in (baseline, orders):
        if run.unanswered or run.off_script:
            print(f"{run.name}: {run.unanswered} updates unanswered within 15 s, {run.off_script} off-script replies")
    ratio = orders.rate / baseline.rate
    p99 = percentile(orders.latencies, 99) * 1000
    goals = [
        ("updates/s order / echo", f"{ratio:.2f}", ratio >= 0.6, ">= 0.6"),
        ("p99 order flow", f"{p99:.0f} ms", p99 <= 250, "<= 250 ms"),
        ("CPU per update", f"{orders.cpu_ms:.2f} ms ({orders.cpu_ms / baseline.cpu_ms:.1f}x echo)",
         orders.cpu_ms <= 6, "<= 6 ms"),
        ("RSS idle / load", f"{orders.rss_idle:.0f} / {orders.rss_peak:.0f} MB", orders.rss_peak <= 150, "<= 150 MB"),
    ]  # fmt: skip
    for name, value, met, goal in goals:
        print(f"{name}: {value} (goal {goal}: {'met' if met else 'missed'})")
    return 0


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--advisors", type=int, default=40, help="advisors ordering at once (default 40)")
    parser.add_argument("--seconds", type=float, default=20, help="seconds measured per bot (default 20)")
    parser.add_argument("--warm-up", type=float, default=3, help="seconds of load before measuring (default 3)")
    parser.add_argument("--telegram-limits", action="store_true", help="keep the bot's per-chat reply limit")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the bot over the window; top 20 to FILE")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite", help=f"or {PG_URL}, emptied")
    return parser.parse_args()


if __name__ == "__main__":
    options = arguments()
    print(machine(), flush=True)
    # The bot's own event loop: the fake Telegram and the people here add as little as they can.
    sys.exit(run_on_bot_loop(main(options)))
