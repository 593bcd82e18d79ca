"""Catalogs are complete, consistent with the code, and compiled."""

import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from views.i18n import LOCALES_DIR, SUPPORTED_LOCALES, translations

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("bot", "handlers", "views", "models")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _catalog(lang: str):
    with open(LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po)


def _ids_in_code() -> set[str]:
    found = set()
    for folder in SOURCES:
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")]
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("lang", SUPPORTED_LOCALES)
def test_every_string_in_the_code_is_in_the_catalog_and_translated(lang):
    catalog = _catalog(lang)
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    assert _ids_in_code() - ids == set(), "run: python -m bot locales"
    untranslated = [m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
    assert untranslated == []
    assert [m.id for m in catalog if m.id and m.fuzzy] == []


@pytest.mark.parametrize("lang", SUPPORTED_LOCALES)
def test_translations_keep_the_placeholders(lang):
    for message in _catalog(lang):
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        targets = [message.string] if isinstance(message.string, str) else list(message.string)
        for target in targets:
            assert set(PLACEHOLDER.findall(target)) == set(PLACEHOLDER.findall(source)), source


@pytest.mark.parametrize("lang", SUPPORTED_LOCALES)
def test_compiled_catalogs_match_the_po_files(lang):
    compiled = translations(lang)
    for message in _catalog(lang):
        if message.id and isinstance(message.id, str):
            assert compiled.gettext(message.id) == message.string, "run: python -m bot locales"


def test_no_f_string_or_formatting_inside_gettext():
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) in {"_", "N_", "ngettext"}:
                    for argument in node.args:
                        assert not isinstance(argument, (ast.JoinedStr, ast.BinOp, ast.Call)), f"{path}:{node.lineno}"
