"""Which reminders a demo calls for, and when: real hours before the start, DST or not."""

from datetime import UTC, datetime

from sqlalchemy import select

from models import demos, guests
from models.notifications import Notification, ReminderPlan, sync_demo_notifications
from tests.factories import make_demo, make_user

UTC = UTC
PLAN = ReminderPlan()


async def pending(session):
    rows = (await session.scalars(select(Notification).where(Notification.status == "pending"))).all()
    return sorted((r.kind, r.due_at) for r in rows)


async def test_reminders_count_real_hours_across_the_autumn_change(session):
    marta = await make_user(session, created_at=datetime(2026, 10, 1, tzinfo=UTC))
    # Sunday 25 October 2026, 18:00 in Rome (winter time again since 03:00 that night) = 17:00 UTC
    demo = await make_demo(
        session,
        reseller=marta,
        starts_at=datetime(2026, 10, 25, 17, tzinfo=UTC),
        now=datetime(2026, 10, 20, tzinfo=UTC),
    )
    await sync_demo_notifications(session, demo=demo, plan=PLAN, now=datetime(2026, 10, 20, tzinfo=UTC))
    assert await pending(session) == [
        ("reseller_followup", datetime(2026, 10, 25, 19, 30, tzinfo=UTC)),
        (
            "reseller_reminder",
            datetime(2026, 10, 24, 17, tzinfo=UTC),
        ),  # 19:00 summer time the day before: 24 real hours
        ("reseller_reminder", datetime(2026, 10, 25, 15, tzinfo=UTC)),
    ]


async def test_the_plan_follows_the_demo_host_and_guests(session):
    now = datetime(2031, 3, 1, tzinfo=UTC)
    marta, anna, ada = (
        await make_user(session),
        await make_user(session, role=None, name="Anna"),
        await make_user(session, role=None, name="Ada"),
    )
    demo = await make_demo(session, reseller=marta, now=now)
    demo.host_user_id = anna.id
    await demos.confirm_by_host(session, demo=demo, now=now)
    guest = await guests.rsvp(
        session, demo=demo, user=ada, name="Ada", phone=None, region="IT", consent_at=now, now=now
    )
    await sync_demo_notifications(session, demo=demo, plan=PLAN, now=now)
    kinds = [k for k, _due in await pending(session)]
    assert kinds == [
        "guest_reminder",
        "host_reminder",
        "host_thanks",
        "party_close_reminder",
        "reseller_followup",
        "reseller_reminder",
        "reseller_reminder",
    ]
    await guests.cancel_rsvp(session, guest=guest, demo=demo, now=now)
    await sync_demo_notifications(session, demo=demo, plan=PLAN, now=now)
    assert "guest_reminder" not in [k for k, _due in await pending(session)]
    await sync_demo_notifications(session, demo=demo, plan=PLAN, now=now)  # again: nothing doubles
    assert len(await pending(session)) == 6
    await demos.cancel_demo(session, demo=demo, now=now)
    await sync_demo_notifications(session, demo=demo, plan=PLAN, now=now)
    assert await pending(session) == []
