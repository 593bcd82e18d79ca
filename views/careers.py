"""Career titles as people see them: the title, the sales behind it and what the next one takes,
money written the reader's way; and the compliance warning for a ladder tied to recruiting."""

from __future__ import annotations

from babel.dates import format_date

from models.careers import LadderFlag, Standing
from models.users import User
from views.i18n import _, babel_locale
from views.money import money_for


def title_label(standing: Standing | None, reader: User) -> str | None:
    """The short title for a line of the team list (None: no title yet, or no ladder)."""
    if standing is None or standing.title is None:
        return None
    return standing.title.name_in(reader.locale)


def title_text(standing: Standing, reader: User, currency: str, *, name: str | None = None) -> str:
    """A seller's title, the sales it rests on and what is missing for the next one."""
    money = lambda minor: money_for(minor, currency, reader)  # noqa: E731
    since = format_date(standing.since, "MMMM yyyy", locale=babel_locale(reader.locale, reader.timezone))
    values = {
        "since": since,
        "personal": money(standing.personal_sales_minor),
        "team": money(standing.team_sales_minor),
    }
    if standing.title is None:
        first = _("No title yet. Sales since {since}: personal {personal}, team {team}.").format(**values)
    else:
        first = _("🏅 {title}. Sales since {since}: personal {personal}, team {team}.").format(
            title=standing.title.name_in(reader.locale), **values
        )
    if name is not None:
        first = _("{name}: {standing}").format(name=name, standing=first)
    following = standing.next_title
    if following is None:
        return first + "\n" + _("This is the highest title.")
    title = following.name_in(reader.locale)
    personal, team = standing.missing_personal_minor, standing.missing_team_minor
    if personal and team:
        rest = _("Next title, {title}: {personal} more personal sales and {team} more team sales.").format(
            title=title, personal=money(personal), team=money(team)
        )
    elif personal:
        rest = _("Next title, {title}: {amount} more personal sales.").format(title=title, amount=money(personal))
    else:
        rest = _("Next title, {title}: {amount} more team sales.").format(title=title, amount=money(team))
    return first + "\n" + rest


def ladder_flag_text(flag: LadderFlag, reader: User) -> str:
    return "⚠️ " + _(
        "The commission plan ties the title “{title}” to “{key}”, a count of people recruited: titles may only be "
        "earned by sales (Law 173/2005, art. 5). Nobody gets this title until the plan file is corrected (line {line})."
    ).format(title=flag.title.name_in(reader.locale), key=flag.key, line=flag.line or "?")
