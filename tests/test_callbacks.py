"""Button data: every payload travels and comes back as itself; anything else parses to None,
never to an error; nothing over Telegram's 64 bytes is ever built."""

from __future__ import annotations

import typing
from datetime import date, time
from typing import Literal

import pytest
from telegram.ext import CallbackQueryHandler

from handlers.when import WhenSteps
from views import callbacks
from views.callbacks import DemosPage, DemoView, MoveConfirm, ProfileMenu, ProfileTimezone, WhenDay, WhenFold, WhenTime
from views.payloads import CALLBACK_DATA_LIMIT, INT_MAX, AtLeast, Payload, Utf8

PAYLOADS = sorted(
    (c for c in vars(callbacks).values() if isinstance(c, type) and issubclass(c, Payload) and c is not Payload),
    key=lambda c: c.prefix,
)


class WideWord(Payload, prefix="test:wide"):
    word: Literal["è" * 30]  # 40 characters with its prefix, 70 bytes


def extremes(hint) -> tuple[object, object]:
    """The smallest and the largest value a field of this type can carry."""
    if typing.get_origin(hint) is typing.Annotated:
        text = next((extra for extra in typing.get_args(hint)[1:] if isinstance(extra, Utf8)), None)
        if text is not None:  # one letter; the most bytes, in two-byte letters and a space
            return "a", "è " * (text.max_bytes // 3)
        minimum = next(extra.minimum for extra in typing.get_args(hint)[1:] if isinstance(extra, AtLeast))
        return minimum, INT_MAX
    if typing.get_origin(hint) is Literal:
        return typing.get_args(hint)[0], typing.get_args(hint)[-1]
    return {
        int: (1, INT_MAX),
        str: ("UTC", "America/Argentina/ComodRivadavia"),
        bool: (False, True),
        date: (date(1, 1, 1), date(9999, 12, 31)),
        time: (time(0, 0), time(23, 59)),
    }[hint]


def samples(cls: type[Payload]) -> list[Payload]:
    hints = typing.get_type_hints(cls, include_extras=True)
    names = list(cls.__dataclass_fields__)
    lows, highs = zip(*(extremes(hints[name]) for name in names), strict=True) if names else ((), ())
    return [cls(**dict(zip(names, lows, strict=True))), cls(**dict(zip(names, highs, strict=True)))]


def test_every_button_of_the_bot_is_declared():
    assert len(PAYLOADS) == len(set(c.prefix for c in PAYLOADS)) > 60
    assert all(Payload.registry[c.prefix] is c for c in PAYLOADS)


@pytest.mark.parametrize("cls", PAYLOADS, ids=lambda c: c.__name__)
def test_a_payload_comes_back_as_itself_and_as_nothing_else(cls):
    for payload in samples(cls):
        data = payload.encode()
        assert len(data.encode()) <= CALLBACK_DATA_LIMIT
        assert cls.parse(data) == payload
        assert cls.matches(data)
        assert [other for other in PAYLOADS if other.matches(data)] == [cls]


def test_data_over_64_bytes_is_refused_when_built():
    assert ProfileTimezone("x" * 58).encode() == "pf:tz:" + "x" * 58  # 64 bytes
    with pytest.raises(ValueError):
        ProfileTimezone("x" * 59)
    with pytest.raises(ValueError):
        WideWord("è" * 30)  # 64 characters would fit, 64 bytes do not


@pytest.mark.parametrize(
    "build",
    [
        lambda: DemoView(0),
        lambda: DemoView(-1),
        lambda: DemoView(2**31),
        lambda: DemoView(2**63),
        lambda: DemoView(True),
        lambda: DemosPage(-1),
        lambda: ProfileTimezone("Europe:Rome"),
        lambda: ProfileTimezone(""),
        lambda: WhenFold("nd", 2),
        lambda: WhenDay("xx", date.today()),
        lambda: WhenTime("nd", time(10, 30, 15)),
    ],
)
def test_a_value_that_could_not_travel_is_refused_when_built(build):
    with pytest.raises(ValueError):
        build()


@pytest.mark.parametrize(
    "data",
    [
        "demo:view:0",
        "demo:view:-1",
        f"demo:view:{2**31}",
        f"demo:view:{2**63 - 1}",
        f"demo:view:{2**63}",
        "demo:view:99999999999999999999",
        "demo:view:abc",
        "demo:view:1e3",
        "demo:view:01",
        "demo:view:+1",
        "demo:view: 1",
        "demo:view:١٢",
        "demo:view:",
        "demo:view",
        "demo:view:1:2",
        "demo:view:1:",
        "demo:viewx:1",
        "demos:view:1",
        "demo:VIEW:1",
        "",
        "x" * 100,
        None,
        7,
    ],
)
def test_a_malformed_id_parses_to_nothing(data):
    assert DemoView.parse(data) is None
    assert not DemoView.matches(data)


def test_the_largest_id_and_page_zero_are_accepted():
    assert DemoView.parse(f"demo:view:{2**31 - 1}") == DemoView(2**31 - 1)  # ids are INTEGER columns
    assert DemosPage.parse("demos:page:0") == DemosPage(0)
    assert DemoView.parse("demo:view:0") is None  # ids start at 1


@pytest.mark.parametrize(
    "cls, data",
    [
        (WhenDay, "when:day:nd:2031-02-29"),
        (WhenDay, "when:day:nd:2031-13-01"),
        (WhenDay, "when:day:nd:20310220"),
        (WhenDay, "when:day:nd:2031-2-20"),
        (WhenDay, "when:day:xx:2031-02-20"),
        (WhenDay, "when:day:2031-02-20"),
        (WhenTime, "when:at:nd:2460"),
        (WhenTime, "when:at:nd:930"),
        (WhenFold, "when:fold:nd:2"),
        (ProfileMenu, "pf:menu:password"),
        (ProfileTimezone, "pf:tz:Europe/Rome:x"),
        (ProfileTimezone, "pf:tz:Europe Rome"),
        (MoveConfirm, "mv:ok:1"),
        (MoveConfirm, "mv:ok:"),
        (DemosPage, "demos:page:-1"),
        (DemosPage, "demos:page:00"),
    ],
)
def test_a_malformed_field_parses_to_nothing(cls, data):
    assert cls.parse(data) is None


@pytest.mark.parametrize("data", ["nope:1", "nope", "demo", "demo:1", ":", "::", "demo::1"])
def test_an_unknown_prefix_is_nobodys(data):
    assert [cls for cls in PAYLOADS if cls.matches(data)] == []


def test_a_day_button_of_one_flow_is_refused_by_another_flows_step():
    steps = WhenSteps("mv", on_chosen=None)
    [day_button] = [h for h in steps.states()[steps.DATE] if isinstance(h, CallbackQueryHandler)]
    assert day_button.pattern(WhenDay("mv", date(2031, 3, 20)).encode())
    assert not day_button.pattern(WhenDay("nd", date(2031, 3, 20)).encode())


def test_search_words_travel_whatever_their_letters_and_only_as_encoded():
    from views.callbacks import TeamFind

    for words in ("anna", "Nicolò D'Amico", "a:b c", "è " * 10):
        assert TeamFind.parse(TeamFind(words, 3).encode()) == TeamFind(words, 3)
    assert TeamFind.parse("team:find:YW5uYQ:0") == TeamFind("anna", 0)
    for data in (
        "team:find:YW5uYQ=:0",
        "team:find:YW5uYR:0",
        "team:find:_w:0",
        "team:find::0",
        "team:find:YW5u YQ:0",
        "team:find:" + "YWFh" * 10 + "YQ:0",
    ):  # padding, a second spelling, not UTF-8, empty, a space, 31 bytes
        assert TeamFind.parse(data) is None, data
    with pytest.raises(ValueError):
        TeamFind("a" * 31, 0)
    with pytest.raises(ValueError):
        TeamFind("", 0)
