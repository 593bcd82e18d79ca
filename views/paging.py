"""A list too long for one message, a page at a time: the one paging helper of the bot.

Telegram refuses a text over 4,096 characters, and a keyboard of more than 100 buttons or 8 in a
row (https://core.telegram.org/bots/api#sendmessage). So every list that can grow is shown as a
`Page` (its items, its number, how many pages there are) with a row of buttons to move:
« first · −10 · ‹ previous · 3/25 (this page again, refreshed) · › next · +10 · » last; the
buttons that would lead nowhere new are left out. With jumps of ten pages any of 100 pages is
at most 9 presses away, any of 1,000 at most 54. Each list picks a page size whose longest page
fits in one message, so moving between pages edits the message in place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from views.payloads import Payload

T = TypeVar("T")
JUMP = 10


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    number: int  # from 0
    count: int  # pages in all, at least 1
    total: int  # items in all
    start: int  # where the first item is in the whole list, from 0

    @property
    def label(self) -> str:
        return f"{self.number + 1}/{self.count}"

    def numbered(self) -> Iterator[tuple[int, T]]:
        """The items with their position in the whole list, from 1."""
        return enumerate(self.items, self.start + 1)


def page_count(total: int, size: int) -> int:
    return max(1, -(-total // size))


def locate(number: int, *, total: int, size: int) -> tuple[int, int]:
    """The page asked for, within the list (a button may be older than the list's last change),
    and the offset of its first item: for a query that fetches one page."""
    number = min(max(number, 0), page_count(total, size) - 1)
    return number, number * size


def window(items: Sequence[T], *, number: int, total: int, size: int) -> Page[T]:
    """The page whose items the caller fetched (at locate's offset)."""
    number, start = locate(number, total=total, size=size)
    return Page(items, number, page_count(total, size), total, start)


def page_of(items: Sequence[T], number: int, size: int) -> Page[T]:
    """One page of a list already in hand."""
    number, start = locate(number, total=len(items), size=size)
    return Page(items[start : start + size], number, page_count(len(items), size), len(items), start)


def nav_row(page: Page, to: Callable[[int], Payload]) -> list[tuple[str, Payload]]:
    """The buttons that move from this page (none when there is only one); `to` makes the
    payload that shows a page."""
    if page.count == 1:
        return []
    n, last = page.number, page.count - 1
    targets = [
        ("«", 0, n > 1),
        (f"−{JUMP}", n - JUMP, n - JUMP > 0),
        ("‹", n - 1, n > 0),
        (page.label, n, True),
        ("›", n + 1, n < last),
        (f"+{JUMP}", n + JUMP, n + JUMP < last),
        ("»", last, n < last - 1),
    ]
    return [(label, to(target)) for label, target, shown in targets if shown]


def with_nav(
    rows: list[list[tuple[str, Payload]]], page: Page, to: Callable[[int], Payload]
) -> list[list[tuple[str, Payload]]]:
    """The rows, then the navigation row if there is more than one page."""
    nav = nav_row(page, to)
    return [*rows, nav] if nav else rows
