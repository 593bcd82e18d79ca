"""Heavy, pure work (drawing charts, building CSV files) on worker threads, off the event loop,
so that replies to everyone else never wait for it.

The work runs in a copy of the caller's context: the reader's language and timezone (views.i18n
keeps them in context variables) go with it. Matplotlib's figures are drawn with its
object-oriented API (views.charts), which needs no global state, so two may be drawn at once.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TypeVar

T = TypeVar("T")

WORKERS = 2  # the machine's cores; the work holds the GIL much of the time anyway
_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="offload")
    return _pool


async def off_loop(work: Callable[..., T], /, *args, **kwargs) -> T:
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(_executor(), partial(context.run, work, *args, **kwargs))
