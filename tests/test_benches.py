"""The benches still run: each at a tiny size (their large runs are not part of the tests)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import make_url

BENCH = Path(__file__).resolve().parent.parent / "bench"


def run(*args: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, *args],
        cwd=BENCH,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **env},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_seed_and_the_roll_up_bench_run_and_agree_with_hand_written_sql(tmp_path):
    out = run(
        "rollups.py",
        "--url",
        f"sqlite:///{tmp_path / 'small.sqlite3'}",
        "--seed",
        "--advisors",
        "30",
        "--lines",
        "600",
        "--repeat",
        "1",
    )
    assert "seeded" in out and "worst ratio to hand-written SQL" in out and "team digest at 30 / at 10" in out


def test_the_digest_delivery_bench_runs_and_loses_nothing():
    out = run("digests.py", "15")
    assert "digests: 15, sent 15, delivered to 15 chats, lost 0" in out


def test_the_concurrency_bench_runs_against_python_m_bot_run(tmp_path):
    """Three rounds of A then B, the first B profiled."""
    profile = tmp_path / "profile.txt"
    out = run("concurrency.py", "--busy", "3", "--samples", "6", "--warm-up", "0.5", "--profile", str(profile))
    assert "python -m bot run; database sqlite" in out and "in 3 rounds of A then B" in out
    assert "unanswered within 15 s: A 0, B 0" in out and "ratio p99 B / p99 A" in out
    assert "95 % interval by resampling" in out and "this process's own loop (fake Telegram, clients) late by" in out
    assert "of which waiting for the bot's getUpdates to take the update: p99" in out
    assert out.count(" / ") >= 3 and "p99 ms by round, A / B:" in out
    assert "B, 3 busy, sqlite" in profile.read_text() and "SQL statements:" in profile.read_text()


def test_the_concurrency_bench_runs_against_two_web_processes_on_postgresql(database_urls):
    """Production's shape: `web` scaled to two behind the webhook, on its own bench database."""
    url, reason = database_urls["postgresql"]
    if url is None:
        pytest.skip(reason)
    bench_url = make_url(url).set(database="homedemo_bench_tests").render_as_string(hide_password=False)
    out = run("concurrency.py", "--web", "2", "--db", "postgresql", "--busy", "3", "--samples", "4",
              "--warm-up", "0.5", BENCH_DATABASE_URL=bench_url)  # fmt: skip
    assert "2 web processes (webhook); database postgresql" in out
    assert "unanswered within 15 s: A 0, B 0" in out and "ratio p99 B / p99 A" in out
