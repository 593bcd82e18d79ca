"""/start, invites, the profile (language, timezone, name) and /settings, /help.

```mermaid
stateDiagram-v2
    [*] --> LANGUAGE: /start (new advisor)
    LANGUAGE --> TIMEZONE: onboarding
    TIMEZONE --> NAME: onboarding
    NAME --> [*]: profile complete
    [*] --> MENU: /settings
    MENU --> LANGUAGE
    MENU --> TIMEZONE
    MENU --> NAME
    LANGUAGE --> [*]: settings
    TIMEZONE --> [*]: settings
    NAME --> [*]: settings
```
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.boundary import current_scope, reads_only
from bot.context import Context
from handlers import host
from handlers.common import ack, answer, cancel, keyboard, say, seller_scope, sender_locale, user_scope
from models import DomainError, users
from models.users import User
from views import links
from views.callbacks import ProfileLanguage, ProfileMenu, ProfileTelegramName, ProfileTimezone
from views.dates import format_clock, format_when
from views.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES, _, set_locale, use_locale
from views.menus import commands_for, help_text
from views.timezones import COMMON, find_timezones, is_timezone

LANGUAGE, TIMEZONE, NAME, MENU = "language", "timezone", "name", "menu"
END = ConversationHandler.END
MODE = "profile_mode"  # in user_data: "onboarding" walks all steps, "settings" one step


async def set_seller_commands(context: Context, me: User) -> None:
    """Advisors see their full menu (by role), in their own language, in their chat with the bot."""
    with use_locale(me.locale):
        commands = commands_for(me)
    current_scope().replies.menu(commands)


async def start(update: Update, context: Context) -> str | int:
    payload = context.args[0] if context.args else ""
    if payload.startswith("h_"):
        return await host.open_host_link(update, context, payload[2:])
    async with user_scope(update, context) as (session, me):
        sender = update.effective_user
        now = context.clock.now()
        wants_in = payload.startswith("i_") or sender.id in context.settings.admin_telegram_ids
        if wants_in and me is None:
            me = await users.get_or_create_user(
                session,
                telegram_id=sender.id,
                name=sender.full_name,
                locale=sender_locale(update, context),
                timezone=context.settings.default_timezone,
                now=now,
            )
        if payload.startswith("i_"):
            await users.redeem_invite(session, token=payload[2:], user=me, now=now)
        if sender.id in context.settings.admin_telegram_ids:
            await users.ensure_admin(session, user=me)
        if me is None or not me.is_seller:
            await say(update, help_text(me))
            return END
        if not me.onboarded:
            context.user_data[MODE] = "onboarding"
            await ask_language(update, me)
            return LANGUAGE
        await say(update, _("Welcome back, {name}!").format(name=me.display_name) + "\n\n" + help_text(me))
        return END


# Five names in one row would be cut short on a phone.
LANGUAGES_PER_ROW = 3


async def ask_language(update: Update, me: User) -> None:
    set_locale(me.locale)
    buttons = [
        (("✓ " if lang == me.locale else "") + LANGUAGE_NAMES[lang], ProfileLanguage(lang))
        for lang in SUPPORTED_LOCALES
    ]
    rows = [buttons[i : i + LANGUAGES_PER_ROW] for i in range(0, len(buttons), LANGUAGES_PER_ROW)]
    if update.callback_query is None:
        intro = _("Welcome to HomeDemo, {name}! Let's set up your profile: three quick questions.").format(
            name=me.display_name
        )
        await say(update, intro)
    await answer(update, _("Which language do you prefer?"), keyboard(rows), edit=update.callback_query is not None)


async def save_language(update: Update, context: Context) -> str | int:
    lang = ProfileLanguage.of(update).locale
    if lang not in SUPPORTED_LOCALES:
        raise DomainError("stale_button")
    async with user_scope(update, context) as (session, me):
        if me is None:
            raise DomainError("stale_button")
        await users.save_profile(session, user=me, locale=lang)
        set_locale(lang)
        if me.is_seller and me.onboarded:
            await set_seller_commands(context, me)
        await answer(update, _("Language: {language}").format(language=LANGUAGE_NAMES[lang]), edit=True)
        if context.user_data.get(MODE) == "onboarding":
            await ask_timezone(update, context, me)
            return TIMEZONE
        return await _settings_saved(update, context, me)


async def ask_timezone(update: Update, context: Context, me: User, zones: list[str] | None = None) -> None:
    now = context.clock.now()
    choices = zones or list(dict.fromkeys([me.timezone, *COMMON]))
    rows = [
        [
            (
                _("{zone} (now {time})").format(zone=zone, time=format_clock(now, tz=zone, lang=me.locale)),
                ProfileTimezone(zone),
            )
        ]
        for zone in choices
    ]
    await say(
        update,
        _("Which timezone are you in? Your demos are shown in it.\nChoose below, or type your city or country."),
        reply_markup=keyboard(rows),
    )


async def save_timezone_button(update: Update, context: Context) -> str | int:
    zone = ProfileTimezone.of(update).zone
    if not is_timezone(zone):
        raise DomainError("timezone_unknown")
    return await _save_timezone(update, context, zone)


async def save_timezone_text(update: Update, context: Context) -> str | int:
    zones = find_timezones(update.message.text)
    if len(zones) == 1:
        return await _save_timezone(update, context, zones[0])
    async with user_scope(update, context) as (_session, me):
        if not zones:
            raise DomainError("timezone_unknown")
        await say(update, _("Several timezones match. Which one?"))
        await ask_timezone(update, context, me, zones)
    return TIMEZONE


async def _save_timezone(update: Update, context: Context, zone: str) -> str | int:
    async with user_scope(update, context) as (session, me):
        if me is None:
            raise DomainError("stale_button")
        await users.save_profile(session, user=me, timezone=zone)
        await answer(update, _("Timezone: {zone}").format(zone=zone), edit=update.callback_query is not None)
        if context.user_data.get(MODE) == "onboarding":
            await ask_name(update, context, me)
            return NAME
        return await _settings_saved(update, context, me)


async def ask_name(update: Update, context: Context, me: User) -> None:
    telegram_name = users.clean_name(update.effective_user.full_name)
    await say(
        update,
        _("Which name should hosts and your team see? Type it, or use your Telegram name."),
        reply_markup=keyboard([[(_("Use “{name}”").format(name=telegram_name), ProfileTelegramName())]]),
    )


async def save_name_text(update: Update, context: Context) -> str | int:
    return await _save_name(update, context, update.message.text)


async def save_name_button(update: Update, context: Context) -> str | int:
    return await _save_name(update, context, update.effective_user.full_name)


async def _save_name(update: Update, context: Context, name: str) -> str | int:
    async with user_scope(update, context) as (session, me):
        if me is None:
            raise DomainError("stale_button")
        await users.save_profile(session, user=me, display_name=name)
        if context.user_data.get(MODE) != "onboarding":
            return await _settings_saved(update, context, me)
        me.onboarded = True
        context.user_data.pop(MODE, None)
        if update.callback_query:
            await ack(update)
        await say(
            update, _("All set, {name}! Your profile is ready.").format(name=me.display_name) + "\n\n" + help_text(me)
        )
        if me.is_seller:
            await set_seller_commands(context, me)
        return END


async def settings_menu(update: Update, context: Context) -> str | int:
    async with user_scope(update, context) as (_session, me):
        if me is None:
            await say(update, help_text(None))
            return END
        if me.is_seller and not me.onboarded:
            raise DomainError("finish_onboarding")
        context.user_data[MODE] = "settings"
        text = _("Your settings:\nLanguage: {language}\nTimezone: {zone}\nName: {name}").format(
            language=LANGUAGE_NAMES[me.locale], zone=me.timezone, name=me.display_name
        )
        rows = [
            [(_("Change language"), ProfileMenu("language"))],
            [(_("Change timezone"), ProfileMenu("timezone"))],
            [(_("Change name"), ProfileMenu("name"))],
        ]
        await answer(update, text, keyboard(rows))
        return MENU


async def settings_choice(update: Update, context: Context) -> str | int:
    choice = ProfileMenu.of(update).choice
    async with user_scope(update, context) as (_session, me):
        if me is None:
            raise DomainError("stale_button")
        await ack(update)
        if choice == "language":
            await ask_language(update, me)
            return LANGUAGE
        if choice == "timezone":
            await ask_timezone(update, context, me)
            return TIMEZONE
        await ask_name(update, context, me)
        return NAME


async def _settings_saved(update: Update, context: Context, me: User) -> int:
    context.user_data.pop(MODE, None)
    await say(update, _("Saved. Send /settings to change something else."))
    return END


@reads_only
async def show_help(update: Update, context: Context) -> None:
    async with user_scope(update, context) as (_session, me):
        await say(update, help_text(me))


async def create_invite(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        invite = await users.create_invite(session, inviter=me, now=context.clock.now())
        link = links.invite_link(context.bot.username, invite.token)
        await say(
            update,
            _(
                "Here is an invite link for a new advisor in your team. It works once, "
                "until {expires}:\n{link}\n\nYou earn only on the sales of your team, never on sign-ups."
            ).format(expires=format_when(invite.expires_at, tz=me.timezone, lang=me.locale), link=link),
        )


def handlers() -> list:
    profile = ConversationHandler(
        name="profile",
        persistent=True,
        allow_reentry=True,
        entry_points=[CommandHandler("start", start), CommandHandler("settings", settings_menu)],
        states={
            LANGUAGE: [CallbackQueryHandler(save_language, pattern=ProfileLanguage.matches)],
            TIMEZONE: [
                CallbackQueryHandler(save_timezone_button, pattern=ProfileTimezone.matches),
                MessageHandler(filters.TEXT & ~filters.COMMAND, save_timezone_text),
            ],
            NAME: [
                CallbackQueryHandler(save_name_button, pattern=ProfileTelegramName.matches),
                MessageHandler(filters.TEXT & ~filters.COMMAND, save_name_text),
            ],
            MENU: [CallbackQueryHandler(settings_choice, pattern=ProfileMenu.matches)],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
    )
    return [
        profile,
        CommandHandler("help", show_help),
        CommandHandler("invite", create_invite),
    ]
