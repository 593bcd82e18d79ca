"""Deep links into the bot: a random opaque token after a prefix that says what it opens.

Built with PTB's helper, in this one place (https://core.telegram.org/bots/features#deep-linking):
the payload stays within Telegram's 64 characters of A-Z, a-z, 0-9, _ and -.
"""

from __future__ import annotations

from telegram.helpers import create_deep_linked_url

HOST, GUEST, INVITE = "h_", "g_", "i_"
# The party's shop (its guest token: whoever may see the party may order from it) and an
# advisor's personal shop (their code, unguessable: models.shop.CODE_ALPHABET).
PARTY_SHOP, PERSONAL_SHOP = "p_", "c_"


def deep_link(bot_username: str, prefix: str, token: str) -> str:
    return create_deep_linked_url(bot_username, prefix + token)


def host_link(bot_username: str, host_token: str) -> str:
    return deep_link(bot_username, HOST, host_token)


def guest_link(bot_username: str, guest_token: str) -> str:
    return deep_link(bot_username, GUEST, guest_token)


def invite_link(bot_username: str, invite_token: str) -> str:
    return deep_link(bot_username, INVITE, invite_token)


def party_shop_link(bot_username: str, guest_token: str) -> str:
    return deep_link(bot_username, PARTY_SHOP, guest_token)


def personal_shop_link(bot_username: str, code: str) -> str:
    return deep_link(bot_username, PERSONAL_SHOP, code)
