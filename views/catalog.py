"""/catalog: the active products, sorted by name, a page at a time."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from models.catalog import Product
from models.users import User
from views.callbacks import CatalogPage
from views.i18n import _
from views.keyboards import keyboard
from views.money import money_for
from views.paging import Page, with_nav

# A line is at most about 175 characters (a 32-character SKU, a 120-character name, the price):
# twenty fit in one message, so moving between pages edits it in place.
CATALOG_PAGE = 20


def catalog_page(page: Page[Product], reader: User) -> tuple[str, InlineKeyboardMarkup | None]:
    lines = [
        f"{p.sku} · {p.name_in(reader.locale)} · {money_for(p.unit_price_minor, p.currency, reader)}"
        for p in page.items
    ]
    rows = with_nav([], page, CatalogPage)
    return _("Products ({count}):").format(count=page.total) + "\n" + "\n".join(lines), keyboard(rows) if rows else None
