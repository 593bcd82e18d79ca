"""How much a typed date costs an update, once dateparser is warm (views.dates.warm_up runs at
start-up), against the cold first parse a user would otherwise wait for.

    .venv/bin/python bench/dateparse.py

Prints the cold start (import + first parse in each language, in a fresh process), the warm
cost of one parse as an update does it, and their ratio (goal: the warm parse costs under 1% of
the cold start, i.e. nothing is re-initialised per update).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COLD = """
import time
start = time.perf_counter()
from views.dates import warm_up
warm_up()
print(time.perf_counter() - start)
"""
SAMPLES = [
    ("it", "Europe/Rome", "sabato 29 marzo"),
    ("it", "Europe/Rome", "domani alle 18"),
    ("en", "Europe/London", "next saturday"),
    ("de", "Europe/Berlin", "Samstag 18 Uhr"),
    ("es", "Europe/Madrid", "sábado 29 de marzo"),
    ("fr", "Europe/Paris", "samedi 29 mars"),
]


def cold_seconds() -> float:
    runs = [
        float(subprocess.run([sys.executable, "-c", COLD], cwd=ROOT, capture_output=True, text=True, check=True).stdout)
        for _ in range(3)
    ]
    return statistics.median(runs)


def warm_seconds(rounds: int = 200) -> float:
    from views.dates import read_when, warm_up

    warm_up()
    now = datetime(2031, 3, 20, 9, tzinfo=UTC)
    timings = []
    for _ in range(rounds):
        for lang, tz, text in SAMPLES:
            start = time.perf_counter()
            read_when(text, lang=lang, tz=tz, now=now)
            timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    cold = cold_seconds()
    warm = warm_seconds()
    print(f"cold start (import + first parse in 5 languages): {cold * 1000:.0f} ms")
    print(f"warm parse, per update (median of {200 * len(SAMPLES)}): {warm * 1000:.2f} ms")
    print(f"ratio warm / cold: {warm / cold:.4f} (goal < 0.01)")


if __name__ == "__main__":
    main()
