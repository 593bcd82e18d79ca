"""Shared set-up for the benchmarks: a migrated database (SQLite in a temporary folder, or a
PostgreSQL database emptied first), many resellers, the fake Bot API server (enforcing
Telegram's limits when asked), the bot as its own process, and reply latencies."""

from __future__ import annotations

import asyncio
import io
import json
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from sqlalchemy import make_url, text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from bot.config import webhook_path  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.migrate import upgrade_on  # noqa: E402
from models.notifications import Notification  # noqa: E402
from models.users import User  # noqa: E402
from sandbox.botapi.server import Event, FakeBotAPI  # noqa: E402
from tests.fakebot.processes import free_port, wait_until_healthy  # noqa: E402

NOW = datetime(2031, 3, 24, 7, 0, tzinfo=UTC)  # a Monday, 08:00 in Rome
# The PostgreSQL database of `--db postgresql`: emptied first, so never one that matters.
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/wt_bench")


def machine() -> str:
    """What the numbers were measured on: they mean little without it."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " ".join(f"{v:.1f}" for v in os.getloadavg())  # other work on the same cores skews every figure
    return f"machine: nproc {os.cpu_count()}, {model}, Python {sys.version.split()[0]}, load average {load}"


async def fresh_database(url: str | None = None) -> Database:
    """A migrated, empty database: SQLite in a new temporary folder, or the PostgreSQL database
    at `url` with its public schema dropped and rebuilt (everything in it is lost)."""
    if url is None:
        folder = Path(tempfile.mkdtemp(prefix="homedemo-bench-"))
        url = f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}"
    elif url.startswith("postgresql"):
        await _create_if_missing(url)
    db = Database(url)
    async with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await conn.run_sync(upgrade_on)
    return db


async def _create_if_missing(url: str) -> None:
    """The bench database is made on first use (a fresh machine has only `postgres`)."""
    target = make_url(url)
    server = create_async_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with server.connect() as conn:
            exists = text("SELECT 1 FROM pg_database WHERE datname = :name")
            found = await conn.scalar(exists, {"name": target.database})
            if not found:
                await conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        await server.dispose()


async def add_people(
    db: Database, count: int, *, first_id: int = 100_000, created: datetime = NOW - timedelta(days=60)
) -> list[int]:
    async with db.session_scope() as session:
        people = [
            User(
                telegram_id=first_id + n,
                role="reseller",
                display_name=f"Reseller {n}",
                locale="it" if n % 2 else "en",
                timezone="Europe/Rome",
                onboarded=True,
                created_at=created,
            )
            for n in range(count)
        ]
        session.add_all(people)
        await session.flush()
        return [p.id for p in people]


async def add_due(
    db: Database, recipients: list[int], *, kind: str, payload: dict, due: datetime, expires: datetime | None = None
) -> None:
    async with db.session_scope() as session:
        session.add_all(
            Notification(
                key=f"bench:{kind}:{r}",
                recipient_id=r,
                kind=kind,
                payload=json.dumps(payload),
                due_at=due,
                expires_at=expires,
                status="pending",
                attempts=0,
                created_at=due,
            )
            for r in recipients
        )


class BenchBotAPI(FakeBotAPI):
    """The fake server, plus what benchmarks need: a wait for the next thing a chat shows
    (no polling, which would load the machine being measured), and chats whose Telegram is
    slow (each call naming them answers `stall` seconds late)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stall: dict[int, float] = {}  # chat id -> seconds added to each call to it
        self._watchers: dict[int, list[asyncio.Future]] = {}
        # Set by WebProcesses: updates are posted to the webhook instead of waiting for getUpdates.
        self.deliver = None
        self._posting: set[asyncio.Task] = set()
        # getUpdates: how long each chat's last update waited here for the bot to ask for it.
        self._pushed: dict[int, tuple[int, float]] = {}  # update id -> (chat id, pushed at)
        self.fetch_wait: dict[int, float] = {}  # chat id -> seconds

    async def push(self, update: dict) -> int:
        pushed, chat_id = time.monotonic(), int(self.chat_of(update)["id"])
        update_id = await super().push(update)
        if self.deliver is None:  # the bot's getUpdates will take it
            self._pushed[update_id] = (chat_id, pushed)
        else:
            task = asyncio.create_task(self.deliver(update, chat_id))
            self._posting.add(task)
            task.add_done_callback(self._posting.discard)
        return update_id

    def next_event(self, chat_id: int) -> asyncio.Future:
        """Resolves with the time.monotonic() at which the chat next shows something."""
        future = asyncio.get_running_loop().create_future()
        self._watchers.setdefault(chat_id, []).append(future)
        return future

    def _see(self, chat_id: int, event: Event) -> None:
        super()._see(chat_id, event)
        now = time.monotonic()
        for future in self._watchers.pop(chat_id, []):
            if not future.done():
                future.set_result(now)

    async def api_getupdates(self, params: dict, files: dict) -> list[dict]:
        updates = await super().api_getupdates(params, files)
        now = time.monotonic()
        for update in updates:
            if (pushed := self._pushed.pop(update["update_id"], None)) is not None:
                self.fetch_wait[pushed[0]] = now - pushed[1]
        return updates

    async def _slow(self, chat_id: object) -> None:
        delay = self.stall.get(int(chat_id or 0), 0)
        if delay:
            await asyncio.sleep(delay)

    async def api_sendmessage(self, params: dict, files: dict) -> dict:
        await self._slow(params.get("chat_id"))
        return await super().api_sendmessage(params, files)

    async def api_senddocument(self, params: dict, files: dict) -> dict:
        await self._slow(params.get("chat_id"))
        return await super().api_senddocument(params, files)

    async def api_editmessagetext(self, params: dict, files: dict) -> dict:
        await self._slow(params.get("chat_id"))
        return await super().api_editmessagetext(params, files)

    async def api_editmessagereplymarkup(self, params: dict, files: dict) -> dict:
        await self._slow(params.get("chat_id"))
        return await super().api_editmessagereplymarkup(params, files)

    async def api_answercallbackquery(self, params: dict, files: dict) -> bool:
        await self._slow(self._callback_owner.get(params.get("callback_query_id")))
        return await super().api_answercallbackquery(params, files)


async def fake_server(chats: range | list[int] = (), *, enforce_limits: bool = False) -> BenchBotAPI:
    """The fake server, with the chats of people who started the bot (it refuses any other)."""
    api = BenchBotAPI()
    api.meet(*chats)
    api.enforce_limits = enforce_limits
    await api.start()
    return api


async def limited_server(chats: range | list[int] = ()) -> BenchBotAPI:
    """The fake server enforcing Telegram's limits (30 messages a second, one a second per chat)."""
    return await fake_server(chats, enforce_limits=True)


def person(telegram_id: int) -> dict:
    return {"id": telegram_id, "is_bot": False, "first_name": f"R{telegram_id}", "language_code": "en"}


async def round_trip(api: BenchBotAPI, user_id: int, update: dict, timeout: float = 15) -> float | None:
    """Pushes an update from user_id; seconds until the fake records the bot's next message,
    edit or alert in that chat (None if nothing came within `timeout`)."""
    shown = api.next_event(user_id)
    started = time.monotonic()
    await api.push(update)
    try:
        return await asyncio.wait_for(shown, timeout) - started
    except TimeoutError:
        return None


async def ask(api: BenchBotAPI, user_id: int, text: str = "/demos", timeout: float = 15) -> float | None:
    return await round_trip(api, user_id, api.user_message(person(user_id), text), timeout)


async def start_bot(
    api: FakeBotAPI,
    db: Database,
    command: str = "run",
    log: Path | None = None,
    profile: Path | None = None,
    **env: str,
) -> asyncio.subprocess.Process:
    """`python -m bot run` (or clock) as its own process, as in production, speaking to the
    fake server over HTTP; its log goes to `log` (or nowhere). With `profile`, the bot runs under
    bench/profiled_bot.py: cProfile from SIGUSR1 to SIGUSR2, its statistics written to `profile`
    (read them with write_profile)."""
    url = db.engine.url.render_as_string(hide_password=False).replace("+aiosqlite", "").replace("+psycopg", "")
    environment = dict(os.environ, BOT_TOKEN=api.token, TELEGRAM_API_URL=api.url, DATABASE_URL=url, **env)
    program = ["-m", "bot"]
    if profile is not None:
        environment["PROFILE_OUT"] = str(profile)
        program = [str(ROOT / "bench" / "profiled_bot.py")]
    output = _log_file(log) if log else asyncio.subprocess.DEVNULL
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable, *program, command, cwd=ROOT, env=environment, stdout=output, stderr=output
        )
    finally:
        if log:
            output.close()


def write_profile(stats_file: Path, target: Path, title: str) -> None:
    """The top 20 functions by own time and by cumulative time, and the SQL sent, as text."""
    for _ in range(100):  # the bot writes it on SIGUSR2
        if stats_file.exists() and stats_file.stat().st_size:
            break
        time.sleep(0.1)
    text = io.StringIO()
    text.write(title + "\n")
    stats = pstats.Stats(str(stats_file), stream=text).strip_dirs()
    stats.sort_stats("tottime").print_stats(20)
    stats.sort_stats("cumulative").print_stats(20)
    handled, sql = Path(str(stats_file) + ".sql").read_text().split("\n", 1)
    total = sum(int(line.split()[0]) for line in sql.splitlines())
    text.write(f"SQL statements: {total} for {handled} updates ({total / max(1, int(handled)):.1f} an update)\n{sql}")
    target.write_text(text.getvalue())


class WebProcesses:
    """`python -m bot webhook` processes, as `web` scaled to `count` on one PostgreSQL database,
    with this process playing Telegram and a balancer that sends each chat to one of them (as a
    balancer hashing the chat id would; every step of one person's flow then reaches the process
    that holds it). Telegram keeps one update in flight per chat: so do the clients here."""

    SECRET = "bench-secret_0123456789"

    def __init__(self, api: BenchBotAPI, db: Database, count: int, log: Path) -> None:
        self.api, self.db, self.count, self.log = api, db, count, log
        self.ports = [free_port() for _ in range(count)]
        self.processes: list[asyncio.subprocess.Process] = []
        self._http = None

    async def start(self) -> None:
        for n, port in enumerate(self.ports):
            self.processes.append(
                await start_bot(
                    self.api,
                    self.db,
                    "webhook",
                    log=self.log,
                    WEBHOOK_URL="https://homedemo.bench.test",
                    WEBHOOK_SECRET=self.SECRET,
                    PORT=str(port),
                    DISPATCH_IN_BOT="true" if n == 0 else "false",  # one sender for the outbox
                )
            )
        self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        self._path = webhook_path(self.SECRET)
        for port, process in zip(self.ports, self.processes, strict=True):
            await wait_until_healthy(process, port, self.log)
        self.api.deliver = self._deliver

    async def _deliver(self, update: dict, chat_id: int) -> None:
        port = self.ports[chat_id % self.count]
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.SECRET}
        async with self._http.post(f"http://127.0.0.1:{port}{self._path}", json=update, headers=headers) as response:
            await response.read()

    async def stop(self) -> None:
        await stop_processes(*self.processes)
        if self._http is not None:
            await self._http.close()


def _log_file(path: Path):
    return path.open("ab")  # the child gets its own copy of the descriptor; ours is closed at once


async def stop_processes(*processes: asyncio.subprocess.Process | None) -> None:
    for process in processes:
        if process is not None and process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux: /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def p99(values: list[float]) -> float:
    return percentile(values, 99)


class LoopLag:
    """How late this process's own event loop wakes a 2 ms sleep, sampled while it runs: the
    share of a measured latency that is the bench's own (its fake server and clients), not the bot's."""

    PERIOD = 0.002

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._task: asyncio.Task | None = None

    async def _sample(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(self.PERIOD)
            self.lags.append(time.perf_counter() - started - self.PERIOD)

    def __enter__(self) -> LoopLag:
        self._task = asyncio.get_running_loop().create_task(self._sample())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()


def ratio_interval(
    base: list[float], loaded: list[float], q: int = 99, draws: int = 1000, seed: int = 1
) -> tuple[float, float]:
    """A 95 % interval for percentile(loaded, q) / percentile(base, q), by resampling both sets
    of samples (bootstrap): how far a run's ratio can be trusted, given how few samples its p99 rests on."""
    rng = random.Random(seed)
    ratios = sorted(
        percentile(rng.choices(loaded, k=len(loaded)), q) / percentile(rng.choices(base, k=len(base)), q)
        for _ in range(draws)
    )
    return ratios[int(draws * 0.025)], ratios[int(draws * 0.975) - 1]
