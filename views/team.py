"""/team: the downline a page at a time, in tree order, and the members found by name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from babel.dates import format_skeleton
from telegram import InlineKeyboardMarkup

from models.users import Role, User
from views.callbacks import TeamFind, TeamMember, TeamPage
from views.dates import to_local
from views.i18n import _, formatting_locale, ngettext
from views.keyboards import keyboard
from views.money import money_for
from views.paging import Page, with_nav

TEAM_PAGE = 15
# The indentation draws the tree; past this depth it stops growing (the level number still says
# how deep someone is), so that a page of a very deep team stays within one message.
INDENT_LEVELS = 10


@dataclass(frozen=True)
class MemberRow:
    """A member of the page shown, with this week's figures."""

    user: User
    depth: int
    week_sales_minor: int
    last_demo_at: datetime | None  # the last demo held to its end
    next_demo_at: datetime | None = None  # the next one still to start
    title: str | None = None  # the career title, from sales only (views.careers)


def member_line(row: MemberRow, reader: User, currency: str, *, indent: bool = True) -> str:
    user = row.user
    status = _("deactivated") if user.deactivated_at else (_("manager") if user.role == Role.MANAGER else _("active"))
    locale = formatting_locale(reader.locale)

    def day(at: datetime | None) -> str:
        return format_skeleton("MMMd", to_local(at, reader.timezone), locale=locale) if at else "—"

    line = _("{level}. {name} · this week {sales} · next demo {next} · last demo {last} · {status}").format(
        level=row.depth,
        name=user.display_name,
        sales=money_for(row.week_sales_minor, currency, reader),
        next=day(row.next_demo_at),
        last=day(row.last_demo_at),
        status=status,
    )
    if row.title:
        line += " · " + row.title
    return ("  " * min(row.depth - 1, INDENT_LEVELS) if indent else "") + line


def _member_buttons(page: Page[MemberRow]) -> list[list[tuple[str, TeamMember]]]:
    return [[(row.user.display_name, TeamMember(row.user.id))] for row in page.items]


def team_page(page: Page[MemberRow], reader: User, currency: str) -> tuple[str, InlineKeyboardMarkup]:
    header = ngettext(
        "Your team: {count} person. Page {page} of {pages}.",
        "Your team: {count} people. Page {page} of {pages}.",
        page.total,
    ).format(count=page.total, page=page.number + 1, pages=page.count)
    lines = [member_line(row, reader, currency) for row in page.items]
    if page.count > 1:
        lines.append(_("To find someone, type /team and part of their name, for example /team anna."))
    return header + "\n" + "\n".join(lines), keyboard(with_nav(_member_buttons(page), page, TeamPage))


def found_page(page: Page[MemberRow], words: str, reader: User, currency: str) -> tuple[str, InlineKeyboardMarkup]:
    header = ngettext(
        "{count} person in your team matches “{words}”. Page {page} of {pages}.",
        "{count} people in your team match “{words}”. Page {page} of {pages}.",
        page.total,
    ).format(count=page.total, words=words, page=page.number + 1, pages=page.count)
    lines = [member_line(row, reader, currency, indent=False) for row in page.items]
    return header + "\n" + "\n".join(lines), keyboard(
        with_nav(_member_buttons(page), page, lambda number: TeamFind(words, number))
    )


def nobody_found(words: str) -> str:
    return _("Nobody in your team matches “{words}”.").format(words=words)
