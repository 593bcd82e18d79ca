"""`python -m bot run` under cProfile, switched on by SIGUSR1 and off by SIGUSR2, which also
writes the statistics to $PROFILE_OUT (pstats format): bench/order_flow.py --profile uses it to
profile the measured window only, not the start-up. cProfile sees the event loop's thread; the
SQLite driver's thread (aiosqlite) is not in it. The SQL sent while profiling is counted by
statement, those SQLAlchemy compiles anew on every execution marked "(compiled each time)"."""

from __future__ import annotations

import collections
import cProfile
import os
import signal
import sys
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.__main__ import main
from bot.boundary import BoundaryProcessor
from tests.sql_cache import compiled_each_time

profiler = cProfile.Profile()
statements: collections.Counter[str] | None = None  # SQL sent while profiling, by its first words
updates = 0  # updates that began while profiling
_process = BoundaryProcessor.do_process_update


async def _counted(self, update, coroutine) -> None:
    global updates
    if statements is not None:
        updates += 1
    await _process(self, update, coroutine)


def _count(_conn, _cursor, statement: str, _parameters, context, _executemany) -> None:
    if statements is not None:
        marked = "(compiled each time) " if compiled_each_time(context) else ""
        statements[marked + " ".join(statement.split())[:90]] += 1


def _start(*_args) -> None:
    global statements, updates
    statements, updates = collections.Counter(), 0
    profiler.enable()


def _stop(*_args) -> None:
    global statements
    profiler.disable()
    Path(os.environ["PROFILE_OUT"] + ".sql").write_text(
        f"{updates}\n" + "".join(f"{n:>7}  {sql}\n" for sql, n in (statements or {}).most_common(40))
    )
    statements = None
    profiler.dump_stats(os.environ["PROFILE_OUT"])


if __name__ == "__main__":
    event.listen(Engine, "after_cursor_execute", _count)
    BoundaryProcessor.do_process_update = _counted
    signal.signal(signal.SIGUSR1, _start)
    signal.signal(signal.SIGUSR2, _stop)
    sys.exit(main(sys.argv[1:]))
