"""`python -m bot locales`: extract new strings, merge them into each catalog, compile .mo files.

The code is written in English, so the English catalog is filled with the source text; a
translator may still reword an English entry without touching the code.

`python -m bot locales --apply de=de.json` first writes a translator's JSON file into that catalog:
a list of {"msgid": "..." or [singular, plural], "msgstr": "..." or [one string per plural form]}.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

from views.i18n import DOMAIN, LOCALES_DIR, SUPPORTED_LOCALES

ROOT = LOCALES_DIR.parent
TEMPLATE = LOCALES_DIR / f"{DOMAIN}.pot"
SOURCE_LANGUAGE = "en"


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def po_path(lang: str) -> Path:
    return LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def refresh(apply: dict[str, Path] | None = None) -> list[str]:
    """Extract, merge, apply the translators' JSON files (lang -> path), compile; returns the
    problems found in those files (their entries are skipped, the rest applied)."""
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
        po = po_path(lang)
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
    problems = []
    for lang, path in (apply or {}).items():
        report = apply_json(po_path(lang), json.loads(Path(path).read_text(encoding="utf-8")))
        problems += [f"{lang}: {problem}" for problem in report.problems]
        print(f"{lang}: {report.applied} translations applied from {path}")
    _fill_source_catalog(po_path(SOURCE_LANGUAGE))
    _pybabel("compile", "-d", str(LOCALES_DIR), "-D", DOMAIN, "--statistics")
    return problems


@dataclass
class ApplyReport:
    applied: int = 0
    problems: list[str] = field(default_factory=list)


def _key(msgid) -> str | tuple[str, ...]:
    return msgid if isinstance(msgid, str) else tuple(msgid)


def apply_json(path: Path, entries: list[dict]) -> ApplyReport:
    """Writes the translations into the .po file; an entry whose msgid the catalog no longer has
    (the code changed since) or whose plural forms do not fit the language is reported, not written."""
    with open(path, "rb") as source:
        catalog = read_po(source)
    report = ApplyReport()
    for entry in entries:
        msgid, msgstr = _key(entry.get("msgid")), entry.get("msgstr")
        message = catalog.get(msgid[0] if isinstance(msgid, tuple) else msgid)
        if message is None or _key(message.id) != msgid:
            report.problems.append(f"not in the catalog (changed or removed): {msgid!r}")
            continue
        if isinstance(msgid, tuple):
            forms = [msgstr] if isinstance(msgstr, str) else list(msgstr or [])
            if len(forms) != catalog.num_plurals or not all(forms):
                report.problems.append(f"needs {catalog.num_plurals} plural forms: {msgid!r}")
                continue
            message.string = tuple(forms)
        else:
            if not isinstance(msgstr, str) or not msgstr:
                report.problems.append(f"empty or not a string: {msgid!r}")
                continue
            message.string = msgstr
        message.flags.discard("fuzzy")
        report.applied += 1
    with open(path, "wb") as target:
        write_po(target, catalog, omit_header=False, sort_output=True, no_location=True)
    return report


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
