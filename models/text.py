"""Text people type, made safe to store and to show: what Telegram lets through is not always
what a database or another person's screen should get.

- Control characters go (a NUL byte makes PostgreSQL refuse the row); a tab becomes a space;
  line breaks stay only where several lines make sense (notes, addresses).
- Invisible format characters (zero-width space, direction marks, BOM) go, except the joiners
  that hold emoji sequences together.
- A text with nothing visible left (only fillers such as U+3164 or U+2800) counts as empty.
"""

from __future__ import annotations

import unicodedata

JOINERS = {"\u200c", "\u200d"}  # ZWNJ, ZWJ: part of emoji sequences and of some scripts' spelling
# Characters that render as blank although Unicode calls them letters or symbols.
BLANK_LOOKING = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u180e"}


def clean_text(value: str | None, *, multiline: bool = False) -> str:
    """The text without control and invisible characters, its spaces folded (and, unless it
    may have several lines, its line breaks too); empty if nothing visible is left."""
    if not value:
        return ""
    kept = []
    for char in unicodedata.normalize("NFC", value):
        category = unicodedata.category(char)
        if char == "\n" and multiline:
            kept.append(char)
        elif char in "\t\n\r\v\f\x85\u2028\u2029":
            kept.append(" ")
        elif category in ("Cc", "Cs", "Co", "Cn") or (category == "Cf" and char not in JOINERS):
            continue
        else:
            kept.append(char)
    text = "".join(kept)
    lines = [" ".join(line.split()) for line in text.split("\n")] if multiline else [" ".join(text.split())]
    text = "\n".join(line for line in lines if line) if multiline else lines[0]
    return text if has_visible(text) else ""


def has_visible(text: str) -> bool:
    return any(
        not char.isspace()
        and char not in JOINERS
        and char not in BLANK_LOOKING
        and unicodedata.category(char) not in ("Mn", "Me", "Cf")
        for char in text
    )
