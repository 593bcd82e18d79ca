"""`python -m bot catalog import FILE.csv`: all lines or none, every bad line reported by number."""

from __future__ import annotations

import asyncio
import sys

from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from models.catalog import CatalogFileError, import_catalog
from views.errors import error_text
from views.i18n import _, ngettext, use_locale


async def _import(settings: Settings, text: str) -> tuple[int, int]:
    db = Database(settings.database_url)
    try:
        async with db.session_scope() as session:
            result = await import_catalog(session, text=text, now=Clock().now())
        return result.created, result.updated
    finally:
        await db.dispose()


def import_file(settings: Settings, path: str) -> int:
    with use_locale(settings.default_locale):
        try:
            with open(path, encoding="utf-8-sig") as source:
                text = source.read()
        except (OSError, UnicodeDecodeError) as error:
            print(_("Cannot read {file}: {reason}").format(file=path, reason=error), file=sys.stderr)
            return 1
        try:
            created, updated = asyncio.run(_import(settings, text))
        except CatalogFileError as failure:
            for problem in failure.errors:
                print(
                    _("line {line}: {problem}").format(line=problem.line, problem=error_text(problem)), file=sys.stderr
                )
            print(
                ngettext(
                    "Nothing was imported: {count} problem. Fix it and run the import again.",
                    "Nothing was imported: {count} problems. Fix them and run the import again.",
                    len(failure.errors),
                ).format(count=len(failure.errors)),
                file=sys.stderr,
            )
            return 1
        print(
            _("Catalog imported: {created}, {updated}.").format(
                created=ngettext("{count} new product", "{count} new products", created).format(count=created),
                updated=ngettext("{count} product updated", "{count} products updated", updated).format(count=updated),
            )
        )
        return 0
