"""Career titles from sales only: the ladder in the plan file, a small team's standings, and a
ladder tied to recruiting flagged, never awarded."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from models import DomainError, orders
from models.careers import period_start, standings
from models.orders import Customer, WithdrawalPolicy
from models.plan import parse_plan
from tests.factories import NOW, load_catalog, make_user

PLAN = Path(__file__).resolve().parents[2] / "bot" / "commission_plan.toml"
BASE = PLAN.read_text(encoding="utf-8").split("[careers]")[0]
LADDER = """
[careers]
months = 3

[[careers.titles]]
name = { en = "Advisor", it = "Consulente" }

[[careers.titles]]
name = { en = "Senior Advisor", it = "Consulente senior" }
personal_sales = "1500.00"

[[careers.titles]]
name = { en = "Team Leader", it = "Team leader" }
personal_sales = "1500.00"
team_sales = "4000.00"
"""


def test_the_shipped_plan_has_a_ladder_of_sales_only():
    ladder = parse_plan(PLAN.read_text(encoding="utf-8")).careers
    assert [t.name_in("it") for t in ladder.titles][:2] == ["Consulente", "Consulente senior"]
    assert ladder.months == 3 and ladder.flags == ()


def test_a_title_tied_to_recruits_is_flagged_with_its_line_and_never_awarded():
    text = BASE + LADDER + '\n[[careers.titles]]\nname = "Director"\nteam_sales = "9000.00"\nrecruits = 10\n'
    ladder = parse_plan(text).careers
    (flag,) = ladder.flags
    assert (flag.title.name_in("en"), flag.key) == ("Director", "recruits")
    assert text.splitlines()[flag.line - 1] == "recruits = 10"
    assert "Director" not in [t.name_in("en") for t in ladder.titles]


@pytest.mark.parametrize("key", ["sign_ups", "frontline_count", "team_size", "new_members"])
def test_every_way_of_counting_people_is_flagged(key):
    ladder = parse_plan(BASE + LADDER + f'\n[[careers.titles]]\nname = "X"\n{key} = 3\n').careers
    assert [f.key for f in ladder.flags] == [key]


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ('\n[[careers.titles]]\nname = "X"\ncustomers_served = 3\n', "unknown requirement 'customers_served'"),
        ('\n[[careers.titles]]\nname = "X"\npersonal_sales = "10.00"\n', "at least the sales of the one before"),
        ('\n[[careers.titles]]\npersonal_sales = "9000.00"\n', "needs a name"),
    ],
)
def test_a_ladder_that_makes_no_sense_is_refused(extra, reason):
    with pytest.raises(DomainError) as refused:
        parse_plan(BASE + LADDER + extra)
    assert refused.value.code == "plan_invalid" and reason in refused.value.params["reason"]


def test_the_period_is_the_running_month_and_the_two_before_in_the_company_timezone():
    assert period_start(datetime(2031, 3, 31, 22, 30, tzinfo=UTC), months=3, tz="Europe/Rome").isoformat() == (
        "2031-02-01"  # already 1 April in Rome
    )
    assert period_start(datetime(2031, 2, 10, tzinfo=UTC), months=3, tz="Europe/Rome").isoformat() == "2030-12-01"


async def test_a_small_team_earns_titles_by_sales_not_by_recruits(session):
    """Marta recruited three people who sell little; Bea recruited nobody and sells a lot.
    Own purchases and returned goods count for nobody."""
    ladder = parse_plan(BASE + LADDER).careers
    products = await load_catalog(session)
    marta = await make_user(session, name="Marta")
    bea = await make_user(session, name="Bea", upline_id=marta.id)
    carla = await make_user(session, name="Carla", upline_id=marta.id)
    dino = await make_user(session, name="Dino", upline_id=marta.id)
    ezio = await make_user(session, name="Ezio", upline_id=bea.id)
    keys = iter(range(1000))

    async def sell(who, sku, quantity, *, own=False, at=NOW):
        return await orders.create_order(
            session,
            reseller=who,
            demo=None,
            customer=Customer(own_use=True) if own else Customer(name="Zoe"),
            items=[(products[sku].id, quantity)],
            idempotency_key=f"k{next(keys)}",
            policy=WithdrawalPolicy(),
            now=at,
        )

    await sell(bea, "TM7", 1)  # 1,549.00
    await sell(ezio, "TM7", 1)
    await sell(carla, "BOOK", 1)  # 34.90
    await sell(marta, "TM7", 1, own=True)  # own use: no title from buying
    returned = await sell(marta, "TM7", 1)
    await orders.withdraw(session, order=returned, actor=marta, quantities=None, reason=None, now=NOW)
    await sell(marta, "TM7", 5, at=NOW - timedelta(days=120))  # before the period
    await sell(dino, "BOOK", 1, at=NOW + timedelta(days=1))  # after now

    found = await standings(
        session, ladder=ladder, user_ids=[marta.id, bea.id, dino.id], now=NOW, tz="Europe/Rome", currency="EUR"
    )
    assert (found[marta.id].personal_sales_minor, found[marta.id].team_sales_minor) == (0, 154900 * 2 + 3490)
    assert found[marta.id].title.name_in("en") == "Advisor"
    assert (found[marta.id].missing_personal_minor, found[marta.id].missing_team_minor) == (150000, 0)
    assert found[marta.id].since.isoformat() == "2031-01-01"

    assert (found[bea.id].personal_sales_minor, found[bea.id].team_sales_minor) == (154900, 309800)
    assert found[bea.id].title.name_in("it") == "Consulente senior"
    assert found[bea.id].next_title.name_in("en") == "Team Leader"
    assert (found[bea.id].missing_personal_minor, found[bea.id].missing_team_minor) == (0, 90200)

    assert (found[dino.id].team_sales_minor, found[dino.id].title.name_in("en")) == (0, "Advisor")
