"""The paging helper, and the longest page each paged list can show: one message, in every language."""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime

import pytest

from models.catalog import PRODUCT_NAME_MAX, SKU_MAX, Product
from models.demos import HOST_NAME_MAX, Demo
from models.guests import Guest, GuestStatus, GuestTotals
from models.users import NAME_MAX, Role, User
from sandbox.botapi.rules import BUTTONS_IN_ALL, BUTTONS_PER_ROW
from views.callbacks import TeamPage
from views.catalog import CATALOG_PAGE, catalog_page
from views.guests import GUESTS_PAGE, host_guest_list, reseller_guest_list
from views.i18n import SUPPORTED_LOCALES, use_locale
from views.outgoing import MESSAGE_LIMIT, telegram_length
from views.paging import Page, locate, nav_row, page_of, window
from views.team import TEAM_PAGE, MemberRow, found_page, team_page

NOW = datetime(2031, 3, 20, 9, 0, tzinfo=UTC)


def presses_to_every_page(count: int) -> dict[int, int]:
    """The fewest presses from the first page to each page, with the navigation row only."""
    distance, queue = {0: 0}, deque([0])
    while queue:
        number = queue.popleft()
        for _label, payload in nav_row(Page([], number, count, count, 0), TeamPage):
            if payload.page not in distance:
                distance[payload.page] = distance[number] + 1
                queue.append(payload.page)
    return distance


@pytest.mark.parametrize("count, worst", [(1, 0), (2, 1), (10, 5), (25, 5), (100, 9), (134, 11), (1000, 54)])
def test_every_page_is_a_few_presses_away(count, worst):
    distance = presses_to_every_page(count)
    assert sorted(distance) == list(range(count))
    assert max(distance.values()) == worst


def test_the_navigation_row_fits_a_row_and_leaves_out_what_leads_nowhere_new():
    assert nav_row(Page([], 0, 1, 3, 0), TeamPage) == []
    assert [label for label, _p in nav_row(Page([], 0, 3, 60, 0), TeamPage)] == ["1/3", "›", "»"]
    assert [label for label, _p in nav_row(Page([], 1, 3, 60, 20), TeamPage)] == ["‹", "2/3", "›"]
    middle = nav_row(Page([], 50, 134, 2000, 750), TeamPage)
    assert [(label, p.page) for label, p in middle] == [
        ("«", 0),
        ("−10", 40),
        ("‹", 49),
        ("51/134", 50),
        ("›", 51),
        ("+10", 60),
        ("»", 133),
    ]
    assert len(middle) <= BUTTONS_PER_ROW


def test_a_page_asked_for_beyond_the_list_is_its_last_one():
    assert locate(99, total=45, size=20) == (2, 40)
    assert locate(0, total=0, size=20) == (0, 0)
    page = page_of(list(range(45)), 7, 20)
    assert (page.number, page.count, list(page.items), page.label) == (2, 3, list(range(40, 45)), "3/3")
    assert list(window(["a", "b"], number=5, total=22, size=20).numbered()) == [(21, "a"), (22, "b")]


def reader(lang: str) -> User:
    return User(
        id=1,
        telegram_id=1,
        role=Role.RESELLER,
        display_name="M",
        locale=lang,
        timezone="Europe/Rome",
        onboarded=True,
        created_at=NOW,
    )


def check_fits(text: str, markup) -> None:
    assert telegram_length(text) <= MESSAGE_LIMIT
    rows = markup.inline_keyboard if markup else ()
    assert sum(len(row) for row in rows) <= BUTTONS_IN_ALL and all(len(row) <= BUTTONS_PER_ROW for row in rows)


@pytest.mark.parametrize("lang", SUPPORTED_LOCALES)
def test_the_longest_guest_page_fits_one_message(lang):
    demo = Demo(id=1, host_name="H" * HOST_NAME_MAX, capacity=500)
    guests = [
        Guest(
            id=n,
            demo_id=1,
            name="W" * NAME_MAX,
            phone="3" * 32,
            status=GuestStatus.WAITLIST,
            consent_at=None,
            checked_in_at=NOW,
            created_at=NOW,
        )
        for n in range(481, 501)
    ]
    page = window(guests, number=24, total=500, size=GUESTS_PAGE)
    with use_locale(lang):
        check_fits(*reseller_guest_list(demo, page, GuestTotals(500, 500, 500)))
        check_fits(*host_guest_list(demo, page))


@pytest.mark.parametrize("lang", SUPPORTED_LOCALES)
def test_the_longest_catalog_page_fits_one_message(lang):
    products = [
        Product(id=n, sku="S" * SKU_MAX, name="N" * PRODUCT_NAME_MAX, unit_price_minor=99_999_999, currency="EUR")
        for n in range(CATALOG_PAGE)
    ]
    with use_locale(lang):
        check_fits(*catalog_page(window(products, number=4, total=10_000, size=CATALOG_PAGE), reader(lang)))


@pytest.mark.parametrize("lang", SUPPORTED_LOCALES)
def test_the_longest_team_page_fits_one_message_however_deep_the_team(lang):
    member = User(
        id=2,
        telegram_id=2,
        role=Role.MANAGER,
        display_name="W" * NAME_MAX,
        locale=lang,
        timezone="Europe/Rome",
        onboarded=True,
        created_at=NOW,
        deactivated_at=NOW,
    )
    rows = [MemberRow(member, 2000 + n, 99_999_999, NOW) for n in range(TEAM_PAGE)]
    page = window(rows, number=60, total=100_000, size=TEAM_PAGE)
    with use_locale(lang):
        check_fits(*team_page(page, reader(lang), "EUR"))
        check_fits(*found_page(page, "è" * 15, reader(lang), "EUR"))
