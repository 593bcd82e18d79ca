"""Upgrading a database that already holds demos gives each one its own guest link."""

from alembic import command
from sqlalchemy import text

from bot.migrate import alembic_config


async def test_upgrading_from_0001_with_demos_fills_guest_tokens(db):
    def run(connection, target):
        config = alembic_config(connection=connection)
        if target == "base":
            command.downgrade(config, "base")
        else:
            command.upgrade(config, target)

    async with db.engine.begin() as conn:
        await conn.run_sync(run, "base")
        await conn.run_sync(run, "0001")
        await conn.execute(
            text(
                "insert into users (id, telegram_id, role, display_name, locale, timezone, onboarded, created_at) "
                "values (1, 1, 'reseller', 'M', 'it', 'Europe/Rome', true, '2031-01-01 00:00:00+00')"
            )
        )
        for demo_id in (1, 2):
            await conn.execute(
                text(
                    "insert into demos (id, reseller_id, host_name, address, starts_at, duration_minutes, "
                    "timezone, status, host_token, "
                    "ics_sequence, created_at, updated_at) values (:id, 1, 'A', 'x', '2031-01-02 "
                    "00:00:00+00', 60, 'Europe/Rome', "
                    "'awaiting_host', :token, 0, '2031-01-01 00:00:00+00', '2031-01-01 00:00:00+00')"
                ),
                {"id": demo_id, "token": f"t{demo_id}"},
            )
        await conn.run_sync(run, "head")
        tokens = (await conn.execute(text("select guest_token from demos order by id"))).scalars().all()
        await conn.execute(text("delete from demos"))
        await conn.execute(text("delete from users"))
    assert len(set(tokens)) == 2 and all(len(t) >= 20 for t in tokens)
