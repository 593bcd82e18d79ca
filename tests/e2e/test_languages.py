"""Five languages: the command menu per language, and a person reads the language Telegram says
they speak (its main part), English when we have no catalog for it."""

import json

import pytest

from views.i18n import SUPPORTED_LOCALES, translations, use_locale
from views.menus import help_text

DEFAULT_SCOPE = json.dumps({"type": "default"}, sort_keys=True)


async def test_the_command_menu_is_set_in_every_language(bot):
    for lang in SUPPORTED_LOCALES:
        menu = bot.api.commands[(DEFAULT_SCOPE, lang)]
        assert menu[0] == {"command": "start", "description": translations(lang).gettext("Start or restart the bot")}
    assert bot.api.commands[(DEFAULT_SCOPE, "de")][0]["description"] != "Start or restart the bot"
    assert bot.api.commands[(DEFAULT_SCOPE, "")][0]["description"] == translations("it").gettext(
        "Start or restart the bot"
    )


@pytest.mark.parametrize(("code", "lang"), [("de-AT", "de"), ("es-MX", "es"), ("fr", "fr"), ("pt-BR", "en")])
async def test_a_stranger_reads_the_language_of_their_telegram(bot, code, lang):
    with use_locale("en"):
        english = help_text(None)
    stranger = bot.person("Kim", language_code=code)
    told = await stranger.send("/help")
    assert told[-1].text == translations(lang).gettext(english)
    assert (told[-1].text == english) == (lang == "en")
