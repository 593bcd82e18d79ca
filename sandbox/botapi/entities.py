"""Telegram's text formatting for the fake server: parse_mode HTML, MarkdownV2 and legacy
Markdown become plain text plus entities, and malformed markup is refused with the wording the
Bot API uses ("can't parse entities: ...", byte offsets in UTF-8 as it reports them).

Entity offsets and lengths, like every text length Telegram checks, are in UTF-16 code units:
most characters count 1, a character outside the Basic Multilingual Plane (most emoji) counts 2.
The rules follow tdlib's parsers (td/telegram/MessageEntity.cpp), which the Bot API server runs.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser


class ParseError(ValueError):
    """Malformed markup; str() is what follows "can't parse entities: "."""


def utf16_len(text: str) -> int:
    """Length as Telegram measures it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def parse(text: str, parse_mode: str | None, entities: list[dict] | None = None) -> tuple[str, list[dict]]:
    """The plain text and entities a message shows. Explicit entities win over parse_mode, as
    in the Bot API."""
    if entities is not None:
        return text, list(entities)
    mode = (parse_mode or "").lower()  # the Bot API lowercases parse_mode
    if not mode:
        return text, []
    if mode == "html":
        return _Html(text).run()
    if mode == "markdownv2":
        return _MarkdownV2(text).run()
    if mode == "markdown":
        return _markdown_v1(text)
    raise ValueError("unsupported parse_mode")


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode())


def _sorted(entities: list[dict]) -> list[dict]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


# ---- HTML ----

HTML_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}  # the only named ones Telegram decodes
_REF = re.compile(r"&(?:#[xX]([0-9a-fA-F]+)|#([0-9]+)|([a-zA-Z]+));?")


def _unescape(raw: str) -> str:
    """Character references as tdlib decodes them: &lt; &gt; &amp; &quot; and numeric ones
    (the ';' optional); anything else stays as written."""

    def one(match: re.Match) -> str:
        hex_digits, digits, name = match.groups()
        if name is not None:
            return NAMED_REFS.get(name, match.group())
        code = int(hex_digits, 16) if hex_digits is not None else int(digits)
        return chr(code) if 0 < code < 0x10FFFF and not 0xD800 <= code <= 0xDFFF else match.group()

    return _REF.sub(one, raw)


class _Html(HTMLParser):
    """html.parser does the tokenizing; what Telegram refuses and html.parser tolerates (a bare
    '<', comments, unknown tags, end tags out of order) is refused here."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self.source = source
        self.line_starts = [0] + [i + 1 for i, c in enumerate(source) if c == "\n"]
        self.out: list[str] = []
        self.length = 0  # UTF-16 units written so far
        self.open: list[dict] = []  # tag, start, byte, entity fields
        self.entities: list[dict] = []

    def run(self) -> tuple[str, list[dict]]:
        self.feed(self.source)
        self.close()
        if self.open:
            raise ParseError(f'Can\'t find end tag corresponding to start tag "{self.open[-1]["tag"]}"')
        return "".join(self.out), _sorted(self.entities)

    def _here(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def _emit(self, text: str) -> None:
        self.out.append(text)
        self.length += utf16_len(text)

    def _bad_tag(self, index: int) -> ParseError:
        """Telegram reads a tag name up to a space or '>'; a name it does not know is refused."""
        end = index + 1
        while end < len(self.source) and not self.source[end].isspace() and self.source[end] != ">":
            end += 1
        if end == len(self.source):
            return ParseError(f"Unclosed start tag at byte offset {_byte_offset(self.source, index)}")
        name = self.source[index + 1 : end].lower()
        return ParseError(f'Unsupported start tag "{name}" at byte offset {_byte_offset(self.source, index)}')

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        here = self._here()
        if tag not in HTML_TYPES:
            raise self._bad_tag(here)
        byte = _byte_offset(self.source, here)
        entity: dict = {"type": HTML_TYPES[tag]}
        for name, value in attrs:
            if value is None and not (tag == "blockquote" and name == "expandable"):
                raise ParseError(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}" at byte offset {byte}'
                )
            if tag == "a" and name == "href":
                entity["url"] = value
            elif tag == "span" and name == "class" and value == "tg-spoiler":
                entity["spoiler_class"] = True
            elif tag == "code" and name == "class" and value.startswith("language-"):
                entity["language"] = value[len("language-") :]
            elif tag == "blockquote" and name == "expandable":
                entity["type"] = "expandable_blockquote"
        if tag == "span" and not entity.pop("spoiler_class", False):
            raise ParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {byte}')
        self.open.append({"tag": tag, "start": self.length, "text_at": len(self.out), "entity": entity})

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        raise self._bad_tag(self._here())  # "<b/>": Telegram reads the tag name "b/"

    def handle_endtag(self, tag: str) -> None:
        byte = _byte_offset(self.source, self._here())
        if not self.open:
            raise ParseError(f"Unexpected end tag at byte offset {byte}")
        top = self.open.pop()
        if tag != top["tag"]:
            raise ParseError(f'Unmatched end tag at byte offset {byte}, expected "</{top["tag"]}>", found "</{tag}>"')
        entity, length = top["entity"], self.length - top["start"]
        if tag == "a" and not entity.get("url"):
            entity["url"] = "".join(self.out[top["text_at"] :])  # <a> without href links its text
        parent = self.open[-1] if self.open else None
        if (
            tag == "code"
            and "language" in entity
            and parent
            and parent["tag"] == "pre"
            and parent["start"] == top["start"]
        ):
            parent["entity"]["language"] = entity[
                "language"
            ]  # <pre><code class="language-x">: one pre, with a language
            return
        if entity["type"] == "code":
            entity.pop("language", None)  # a language only counts on a code block inside pre
        if length > 0 and (entity["type"] != "text_link" or entity["url"]):
            self.entities.append({**entity, "offset": top["start"], "length": length})

    def handle_data(self, data: str) -> None:
        if "<" in data:  # html.parser lets a lone '<' through as text; Telegram reads a tag there
            raise self._bad_tag(self._here() + data.index("<"))
        self._emit(_unescape(data))

    def _reference(self, name: str) -> None:
        here = self._here()
        end = here + 1 + len(name)
        if self.source[end : end + 1] == ";":
            end += 1
        self._emit(_unescape(self.source[here:end]))

    def handle_entityref(self, name: str) -> None:
        self._reference(name)

    def handle_charref(self, name: str) -> None:
        self._reference("#" + name)

    def _refuse(self, *_args) -> None:
        raise self._bad_tag(self._here())

    handle_comment = handle_decl = handle_pi = unknown_decl = _refuse


# ---- MarkdownV2 ----

RESERVED_V2 = set("_*[]()~`>#+-=|{}.!")
TDLIB_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "code": "Code",
    "pre": "Pre",
    "custom_emoji": "CustomEmoji",
}


def _reserved(char: str) -> ParseError:
    return ParseError(f"Character '{char}' is reserved and must be escaped with the preceding '\\'")


class _MarkdownV2:
    """A port of tdlib's parse_markdown_v2: '\\' escapes any ASCII character, every reserved
    character outside an entity's delimiters must be escaped, and inside code and pre only '`'
    (and '\\') must be. Lines starting with '>' are a block quote ('**>' an expandable one)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.out: list[str] = []
        self.length = 0
        self.stack: list[dict] = []
        self.quote: dict | None = None
        self.entities: list[dict] = []

    def at(self, index: int) -> str:
        return self.text[index] if index < len(self.text) else ""

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.length += utf16_len(text)

    def close_quote(self) -> None:
        if self.length > self.quote["offset"]:
            self.entities.append(
                {
                    "type": self.quote["type"],
                    "offset": self.quote["offset"],
                    "length": self.length - self.quote["offset"],
                }
            )
        self.quote = None

    def run(self) -> tuple[str, list[dict]]:
        text, i = self.text, 0
        while i < len(text):
            c = text[i]
            if c == "\\" and 0 < ord(self.at(i + 1) or "\0") <= 126:
                self.emit(text[i + 1])
                i += 2
                continue
            in_code = bool(self.stack) and self.stack[-1]["type"] in ("code", "pre")
            if not in_code and (i == 0 or text[i - 1] == "\n"):
                if self.quote is None and text.startswith("**>", i):
                    self.quote = {"type": "expandable_blockquote", "offset": self.length}
                    i += 3
                    continue
                if c == ">":
                    if self.quote is None:
                        self.quote = {"type": "blockquote", "offset": self.length}
                    i += 1
                    continue
            if self.quote is not None and not in_code:
                if c == "\n" and self.at(i + 1) != ">":
                    self.close_quote()
                elif (
                    self.quote["type"] == "expandable_blockquote"
                    and text.startswith("||", i)
                    and self.at(i + 2) in ("", "\n")
                ):
                    self.close_quote()
                    i += 2
                    continue
            if c not in ("`" if in_code else RESERVED_V2):
                self.emit(c)
                i += 1
                continue
            i = self.end_entity(i) if self.closes(i) else self.begin_entity(i)
        if self.quote is not None:
            self.close_quote()
        if self.stack:
            top = self.stack[-1]
            name = "PreCode" if top.get("language") else TDLIB_NAMES[top["type"]]
            raise ParseError(f"Can't find end of {name} entity at byte offset {top['byte']}")
        return "".join(self.out), _sorted(self.entities)

    def closes(self, i: int) -> bool:
        if not self.stack:
            return False
        c, kind = self.text[i], self.stack[-1]["type"]
        return {
            "bold": c == "*",
            "italic": c == "_" and self.at(i + 1) != "_",
            "code": c == "`",
            "pre": self.text.startswith("```", i),
            "text_link": c == "]",
            "custom_emoji": c == "]",
            "underline": self.text.startswith("__", i),
            "strikethrough": c == "~",
            "spoiler": self.text.startswith("||", i),
        }[kind]

    def begin_entity(self, i: int) -> int:
        text, c = self.text, self.text[i]
        entity = {"offset": self.length, "byte": _byte_offset(text, i), "text_at": len(self.out)}
        if c == "_":
            entity["type"], i = ("underline", i + 2) if self.at(i + 1) == "_" else ("italic", i + 1)
        elif c in "*~[":
            entity["type"], i = {"*": "bold", "~": "strikethrough", "[": "text_link"}[c], i + 1
        elif c == "|" and self.at(i + 1) == "|":
            entity["type"], i = "spoiler", i + 2
        elif c == "!" and self.at(i + 1) == "[":
            entity["type"], i = "custom_emoji", i + 2
        elif c == "`" and text.startswith("```", i):
            entity["type"], i = "pre", i + 3
            end = i
            while end < len(text) and not text[end].isspace() and text[end] != "`":
                end += 1
            if end != i and end < len(text) and text[end] != "`":
                entity["language"], i = text[i:end], end
            if self.at(i) in ("\n", "\r"):  # one line break after the language is not content
                i += 2 if self.at(i + 1) in ("\n", "\r") and self.at(i + 1) != self.at(i) else 1
        elif c == "`":
            entity["type"], i = "code", i + 1
        else:
            raise _reserved(c)
        self.stack.append(entity)
        return i

    def end_entity(self, i: int) -> int:
        top = self.stack.pop()
        kind, fields = top["type"], {}
        i += {"underline": 2, "spoiler": 2, "pre": 3}.get(kind, 1)
        if kind in ("text_link", "custom_emoji"):
            url = ""
            if self.at(i) == "(":
                i += 1
                begin = i
                while i < len(self.text) and self.text[i] != ")":
                    if self.text[i] == "\\" and 0 < ord(self.at(i + 1) or "\0") <= 126:
                        url, i = url + self.text[i + 1], i + 2
                        continue
                    url, i = url + self.text[i], i + 1
                if i == len(self.text):
                    raise ParseError(f"Can't find end of a URL at byte offset {_byte_offset(self.text, begin)}")
                i += 1
            if kind == "custom_emoji":
                fields["custom_emoji_id"] = url.rpartition("id=")[2]
            elif url:
                fields["url"] = url
            else:
                return i  # "[text]" without a URL: Telegram makes no link of it
        if top.get("language"):
            fields["language"] = top["language"]
        if self.length > top["offset"]:
            self.entities.append(
                {"type": kind, "offset": top["offset"], "length": self.length - top["offset"], **fields}
            )
        return i


# ---- legacy Markdown ----


def _markdown_v1(text: str) -> tuple[str, list[dict]]:
    """A port of tdlib's parse_markdown: _italic_, *bold*, `code`, ```pre```, [text](url);
    only those four characters can be escaped, everything else is plain text."""
    out: list[str] = []
    entities: list[dict] = []
    length, i, size = 0, 0, len(text)
    while i < size:
        c = text[i]
        if c == "\\" and text[i + 1 : i + 2] in ("_", "*", "`", "["):
            out.append(text[i + 1])
            length += 1
            i += 2
            continue
        if c not in "_*`[":
            out.append(c)
            length += utf16_len(c)
            i += 1
            continue
        begin, end_char, is_pre, language = i, "]" if c == "[" else c, False, None
        i += 1
        if text.startswith("``", i) and c == "`":
            i, is_pre = i + 2, True
            end = i
            while end < size and not text[end].isspace() and text[end] != "`":
                end += 1
            if end != i and end < size and text[end] != "`":
                language, i = text[i:end], end
            if text[i : i + 1] in ("\n", "\r"):
                i += 2 if text[i + 1 : i + 2] in ("\n", "\r") and text[i + 1] != text[i] else 1
        offset = length
        while i < size and (text[i] != end_char or (is_pre and not text.startswith("``", i + 1))):
            out.append(text[i])
            length += utf16_len(text[i])
            i += 1
        if i == size:
            raise ParseError(f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}")
        if length > offset:
            entity = {"offset": offset, "length": length - offset}
            if c == "[":
                url = text[begin + 1 : i]
                if text[i + 1 : i + 2] == "(":
                    close = text.find(")", i + 2)
                    close = size if close < 0 else close
                    url, i = text[i + 2 : close], close
                entity.update(type="text_link", url=url)
            elif c == "`":
                entity["type"] = "pre" if is_pre else "code"
                if language:
                    entity["language"] = language
            else:
                entity["type"] = "italic" if c == "_" else "bold"
            entities.append(entity)
        i += 3 if is_pre else 1
    return "".join(out), _sorted(entities)
