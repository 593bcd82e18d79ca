"""The benches still run: each at a tiny size (their large runs are not part of the tests)."""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def run(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=BENCH, capture_output=True, text=True, timeout=300, check=False)
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
