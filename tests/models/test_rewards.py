"""The host reward table, to the cent."""

from datetime import timedelta

import pytest

from models import DomainError, demos, orders
from models.money import parse_amount, percent_of
from models.orders import Customer, WithdrawalPolicy
from models.rewards import host_reward, parse_reward_table, party_reward
from tests.factories import NOW, load_catalog, make_demo, make_user

TABLE = parse_reward_table(
    'currency = "EUR"\nbooking_bonus = "25.00"\n[[tiers]]\nmin_sales = "150.00"\nrate_bp = 1000\n'
    '[[tiers]]\nmin_sales = "500.00"\nrate_bp = 1500\n'
)


@pytest.mark.parametrize(
    ("sales", "bookings", "rate", "total"),
    [
        (14999, 0, 0, 0),
        (15000, 0, 1000, 1500),
        (49999, 1, 1000, 5000 + 2500),
        (50000, 2, 1500, 7500 + 5000),
        (33333, 0, 1000, 3333),
    ],
)
def test_tiers_and_bookings(sales, bookings, rate, total):
    reward = host_reward(TABLE, sales_minor=sales, bookings=bookings)
    assert (reward.rate_bp, reward.total_minor) == (rate, total)


def test_percentages_round_half_up_in_integers():
    assert percent_of(33335, 1000) == 3334 and percent_of(33334, 1000) == 3333 and percent_of(0, 1794) == 0


@pytest.mark.parametrize(
    "text",
    [
        'currency = "EURO"',
        'currency = "EUR"\n[[tiers]]\nmin_sales = "1"\n',
        'currency = "EUR"\n[[tiers]]\nmin_sales = "1"\nrate_bp = 20000\n',
        "not toml [",
    ],
)
def test_a_bad_table_is_refused(text):
    with pytest.raises(DomainError) as refused:
        parse_reward_table(text)
    assert refused.value.code == "rewards_invalid"


def test_amounts_parse_in_either_notation():
    assert [parse_amount(t, "EUR") for t in ("1549", "1549.00", "1.549,00", "1,549.00", "0,5")] == [
        154900,
        154900,
        154900,
        154900,
        50,
    ]
    assert parse_amount("1000", "JPY") == 1000


async def test_party_reward_counts_net_retail_sales_and_bookings_made_at_the_party_once_held(session):
    marta, products = await make_user(session), await load_catalog(session)
    party = await make_demo(session, reseller=marta)
    policy = WithdrawalPolicy()

    async def sell(key, items, customer=None):
        return await orders.create_order(
            session,
            reseller=marta,
            demo=party,
            customer=customer or Customer(name="Ada"),
            items=[(products[s].id, q) for s, q in items],
            idempotency_key=key,
            policy=policy,
            now=NOW,
        )

    await sell("a", [("BOOK", 5)])  # 174.50
    returned = await sell("b", [("TM7", 1)])
    await orders.withdraw(session, order=returned, actor=marta, quantities=None, reason=None, now=NOW)
    await sell("c", [("TM7", 1)], Customer(own_use=True))  # the reseller's own purchase is not party sales
    await make_demo(session, reseller=marta, starts_at=NOW + timedelta(days=20), source_demo_id=party.id)
    cancelled_booking = await make_demo(
        session, reseller=marta, starts_at=NOW + timedelta(days=21), source_demo_id=party.id
    )
    await demos.cancel_demo(session, demo=cancelled_booking, now=NOW)
    # Booked, not yet held: no bonus yet, shown as still to come.
    reward = await party_reward(session, table=TABLE, demo_id=party.id, now=NOW)
    assert (reward.sales_minor, reward.credit_minor, reward.bookings, reward.bookings_pending) == (17450, 1745, 0, 1)
    assert reward.total_minor == 1745
    # Once the booked demo has taken place it earns the bonus; the cancelled one never does.
    reward = await party_reward(session, table=TABLE, demo_id=party.id, now=NOW + timedelta(days=22))
    assert (reward.bookings, reward.bookings_pending, reward.total_minor) == (1, 0, 1745 + 2500)
