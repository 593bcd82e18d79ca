"""Catalog QA (run in CI): every catalog is complete, consistent with the code, right in its plural
forms and placeholders, short enough on buttons, and compiled.

A failure names the language and the messages; `python -m bot locales` fixes what is merely out of
date (new strings, stale .mo), a translator the rest.
"""

import ast
import re
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from views.i18n import LOCALES_DIR, SUPPORTED_LOCALES

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("bot", "handlers", "views", "models")
PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")
# What a phone shows of a button before cutting it short ("≈ 30 characters"), placeholders left out:
# what fills them is data, not wording.
BUTTON_LIMIT = 30


def _catalog(lang: str):
    with open(LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=lang)


def _messages(lang: str):
    return [m for m in _catalog(lang) if m.id]


def _forms(message) -> list[str]:
    return [message.string] if isinstance(message.string, str) else list(message.string)


def _key(msgid) -> str | tuple[str, ...]:
    return msgid if isinstance(msgid, str) else tuple(msgid)


def _source(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[-1]


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text.replace("{{", "").replace("}}", "")))


def _ids_in_code() -> set[str]:
    found = set()
    for folder in SOURCES:
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")]
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def button_labels() -> dict[str, str]:
    """Texts marked for translation that are the label of a (label, Payload(...)) button pair."""
    found = {}
    for folder in ("bot", "handlers", "views"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not (isinstance(node, ast.Tuple) and len(node.elts) == 2 and isinstance(node.elts[1], ast.Call)):
                    continue
                payload = node.elts[1].func
                if not getattr(payload, "id", getattr(payload, "attr", ""))[:1].isupper():
                    continue
                for call in ast.walk(node.elts[0]):
                    if isinstance(call, ast.Call) and getattr(call.func, "id", None) in {"_", "ngettext"}:
                        for argument in call.args:
                            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                                found[argument.value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def shown_length(label: str) -> int:
    return len(PLACEHOLDER.sub("", label).strip())


@pytest.mark.parametrize("lang", SUPPORTED_LOCALES)
def test_every_string_in_the_code_is_in_the_catalog(lang):
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in _messages(lang)}
    assert _ids_in_code() - ids == set(), "run: python -m bot locales"


@pytest.mark.parametrize("lang", SUPPORTED_LOCALES)
def test_every_message_is_translated(lang):
    untranslated = [m.id for m in _messages(lang) if not all(_forms(m)) or m.fuzzy]
    assert untranslated == [], f"{len(untranslated)} messages untranslated or fuzzy in {lang}"


@pytest.mark.parametrize("lang", SUPPORTED_LOCALES)
def test_translations_keep_the_placeholders(lang):
    """Every form keeps the source's placeholders, none renamed, none added."""
    wrong = []
    for message in _messages(lang):
        expected = _placeholders(_source(message))
        wrong += [(message.id, form) for form in _forms(message) if form and _placeholders(form) != expected]
    assert wrong == []


@pytest.mark.parametrize("lang", SUPPORTED_LOCALES)
def test_plural_messages_have_every_form_of_the_language(lang):
    catalog = _catalog(lang)
    rule = get_plural(Locale.parse(lang))
    assert (catalog.num_plurals, catalog.plural_expr) == (rule.num_plurals, rule.plural_expr), "Plural-Forms header"
    missing = [m.id for m in catalog if m.id and isinstance(m.id, tuple) and (len(_forms(m)) != rule.num_plurals)]
    assert missing == []


@pytest.mark.parametrize("lang", SUPPORTED_LOCALES)
def test_catalog_compiles_without_format_errors(lang):
    """What `pybabel compile` reports, such as "90% of" read as a printf placeholder."""
    problems = [(m.id, [str(e) for e in errors]) for m, errors in _catalog(lang).check() if errors]
    assert problems == []


@pytest.mark.parametrize("lang", SUPPORTED_LOCALES)
def test_button_labels_fit_on_a_phone(lang):
    labels = button_labels()
    assert len(labels) > 30  # the scan still finds the buttons
    too_long = []
    for message in _messages(lang):
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        if any(i in labels for i in ids):
            too_long += [(labels[ids[0]], f) for f in _forms(message) if f and shown_length(f) > BUTTON_LIMIT]
    assert too_long == []


@pytest.mark.parametrize("lang", SUPPORTED_LOCALES)
def test_compiled_catalog_is_up_to_date(lang):
    with open(LOCALES_DIR / lang / "LC_MESSAGES" / "messages.mo", "rb") as mo:
        compiled = {_key(m.id): tuple(_forms(m)) for m in read_mo(mo) if m.id}
    written = {_key(m.id): tuple(_forms(m)) for m in _messages(lang) if all(_forms(m)) and not m.fuzzy}
    # Babel writes an untranslated plural message with the English forms: that is no translation.
    compiled = {k: v for k, v in compiled.items() if k in written or v != (k if isinstance(k, tuple) else (k,))}
    assert compiled == written, "run: python -m bot locales"


def test_the_qa_catches_what_it_should():
    assert shown_length("{name} · ✅ Confirm order") == len("· ✅ Confirm order")
    assert _placeholders("{count} order") == {"count"} != _placeholders("{n} ordine")
    assert "✅ Confirm order" in button_labels()


def test_no_f_string_or_formatting_inside_gettext():
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) in {"_", "N_", "ngettext"}:
                    texts = node.args[:2] if node.func.id == "ngettext" else node.args
                    for argument in texts:
                        assert not isinstance(argument, (ast.JoinedStr, ast.BinOp, ast.Call)), f"{path}:{node.lineno}"
