"""`python -m bot locales`: extract new strings, merge them into each catalog, compile .mo files.

The code is written in English, so the English catalog is filled with the source text; a
translator may still reword an English entry without touching the code.
"""

from __future__ import annotations

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

from views.i18n import DOMAIN, LOCALES_DIR, SUPPORTED_LOCALES

ROOT = LOCALES_DIR.parent
TEMPLATE = LOCALES_DIR / f"{DOMAIN}.pot"
SOURCE_LANGUAGE = "en"


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def refresh() -> None:
    _pybabel(
        "extract",
        "-F",
        str(ROOT / "babel.cfg"),
        "-o",
        str(TEMPLATE),
        "--no-location",
        "--sort-output",
        "--project",
        "HomeDemo",
        str(ROOT),
    )
    for lang in SUPPORTED_LOCALES:
        po = LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        if po.exists():
            _pybabel(
                "update",
                "-i",
                str(TEMPLATE),
                "-d",
                str(LOCALES_DIR),
                "-D",
                DOMAIN,
                "-l",
                lang,
                "--no-fuzzy-matching",
                "--ignore-obsolete",
            )
        else:
            _pybabel("init", "-i", str(TEMPLATE), "-d", str(LOCALES_DIR), "-D", DOMAIN, "-l", lang)
    _fill_source_catalog(LOCALES_DIR / SOURCE_LANGUAGE / "LC_MESSAGES" / f"{DOMAIN}.po")
    _pybabel("compile", "-d", str(LOCALES_DIR), "-D", DOMAIN, "--statistics")


def _fill_source_catalog(path) -> None:
    with open(path, "rb") as source:
        catalog = read_po(source)
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):  # singular and plural: English needs just the two forms
            if not all(message.string):
                message.string = (message.id[0], message.id[1])
        elif not message.string:
            message.string = message.id
    with open(path, "wb") as target:
        write_po(target, catalog, omit_header=False, sort_output=True, no_location=True)
