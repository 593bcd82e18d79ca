"""The migrations build exactly the schema the models describe, on each backend."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from models import Base


async def test_migrations_match_the_models(db):
    def diff(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []
