"""The command menus and the help text, per role, in the reader's language."""

from __future__ import annotations

from telegram import BotCommand

from models.users import User
from views.i18n import N_, _

BASIC_COMMANDS = (
    ("start", N_("Start or restart the bot")),
    ("help", N_("What I can do for you")),
    ("settings", N_("Language, timezone and name")),
    ("privacy", N_("What we keep about you")),
    ("code", N_("Shop with an advisor's code")),
)
SELLER_COMMANDS = (
    ("newdemo", N_("Schedule a home demo")),
    ("demos", N_("Your upcoming demos")),
    ("order", N_("Log an order")),
    ("orders", N_("Your latest orders")),
    ("sales", N_("Sales today, this week, this month")),
    ("catalog", N_("Products and prices")),
    ("shop", N_("Your shop link and code")),
    ("export", N_("Your orders as a CSV file")),
    ("team", N_("Your team")),
    ("commissions", N_("Your commissions and statements")),
    ("invite", N_("Invite a new advisor")),
    ("privacy", N_("What we keep about you")),
    ("settings", N_("Language, timezone and name")),
    ("help", N_("What I can do for you")),
    ("cancel", N_("Stop what you are doing")),
)


MANAGER_COMMANDS = (("compliance", N_("Warning signs in your team")),)
ADMIN_COMMANDS = (("statement", N_("A month's commission statement (CSV)")),)


def bot_commands(pairs) -> list[BotCommand]:
    return [BotCommand(name, _(description)) for name, description in pairs]


def commands_for(user: User) -> list[BotCommand]:
    """Everything this person may use, and nothing else: a deactivated advisor is back to the
    basic menu; managers and admins see their own commands too."""
    if not user.is_seller:
        return bot_commands(BASIC_COMMANDS)
    pairs = list(SELLER_COMMANDS)
    if user.is_manager:
        pairs[-3:-3] = MANAGER_COMMANDS  # before settings, help and cancel
    if user.is_admin:
        pairs[-3:-3] = ADMIN_COMMANDS
    return bot_commands(pairs)


def help_text(me: User | None) -> str:
    if me is not None and me.is_seller:
        return _(
            "Here is what you can do:\n"
            "/newdemo – schedule a home demo and invite the host\n"
            "/demos – your upcoming demos: guests, orders, host reward, reschedule, cancel\n"
            "/order – log a sale or your own purchase\n"
            "/orders, /sales, /export – your orders and figures\n"
            "/catalog – products and prices\n"
            "/team, /commissions – your team and what you earn on sales\n"
            "/compliance – warning signs in your team (managers)\n"
            "/invite – a link that makes someone a new advisor in your team\n"
            "/settings – language, timezone and the name people see\n"
            "/cancel – stop what you are doing, nothing is saved"
        )
    if me is not None:
        return _(
            "Open the link your advisor sent you to see your demo: as a host you can confirm it, decline it "
            "or propose another time; as a guest you can sign up or say you can't come.\n"
            "/settings – language and timezone\n/privacy – what we keep about you"
        )
    return _(
        "Hi! HomeDemo helps independent advisors organise product demonstrations in people's homes.\n\n"
        "To use it as an advisor you need an invite link from your upline or team leader.\n"
        "If you are hosting a demo, open the link your advisor sent you."
    )
