"""Which executed statements SQLAlchemy had to compile anew: a statement without a cache key is
compiled on every execution (https://docs.sqlalchemy.org/en/20/core/connections.html#sql-compilation-caching),
which costs every update that runs it. Used by the bot-level tests (tests/e2e/conftest.py) and
by the profiled bench bot (bench/profiled_bot.py)."""

from __future__ import annotations

from sqlalchemy.engine.interfaces import CacheStats, ExecutionContext


def compiled_each_time(context: ExecutionContext | None) -> bool:
    """True for a compiled statement (not DDL, not driver SQL) that has no cache key."""
    compiled = getattr(context, "compiled", None)
    return compiled is not None and not context.isddl and context.cache_hit is CacheStats.NO_CACHE_KEY
