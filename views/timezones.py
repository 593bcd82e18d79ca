"""Finding an IANA timezone from what a person types: 'Europe/Rome', 'Roma', 'London', 'Italia'."""

from __future__ import annotations

import unicodedata
import zoneinfo
from collections import defaultdict
from functools import cache

from babel import Locale
from babel.core import get_global
from babel.dates import get_timezone_location

from views.i18n import SUPPORTED_LOCALES

REGIONS = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")
# The short list offered as buttons: our users are in Italy first, then the rest of Europe.
COMMON = ("Europe/Rome", "Europe/London", "Europe/Madrid", "Europe/Berlin", "Europe/Zurich", "Europe/Athens")
MAX_CHOICES = 8


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if c.isalnum())


@cache
def _index() -> dict[str, frozenset[str]]:
    aliases = get_global("zone_aliases")  # old names kept by tzdata, such as Europe/Belfast
    zones = sorted(z for z in zoneinfo.available_timezones() if z.split("/")[0] in REGIONS and z not in aliases)
    index: dict[str, set[str]] = defaultdict(set)
    by_territory: dict[str, set[str]] = defaultdict(set)
    for zone, territory in get_global("zone_territories").items():
        if zone in zones:
            by_territory[territory].add(zone)
    for zone in zones:
        index[_key(zone)].add(zone)
        index[_key(zone.rsplit("/", 1)[-1])].add(zone)
        for lang in SUPPORTED_LOCALES:
            index[_key(get_timezone_location(zone, locale=lang, return_city=True))].add(zone)
    for lang in SUPPORTED_LOCALES:
        for territory, name in Locale.parse(lang).territories.items():
            if territory in by_territory:
                index[_key(name)].update(by_territory[territory])
    return {key: frozenset(value) for key, value in index.items()}


@cache
def _representative() -> frozenset[str]:
    # CLDR names one zone per Windows zone (New York for US Eastern): the well-known ones.
    return frozenset(get_global("windows_zone_mapping").values())


def _best_first(zones) -> list[str]:
    return sorted(zones, key=lambda z: (z not in COMMON, z not in _representative(), z))[:MAX_CHOICES]


def find_timezones(text: str) -> list[str]:
    """Every zone the words could mean, best guesses first; empty when nothing matches."""
    key = _key(text)
    if not key:
        return []
    exact = _index().get(key)
    if exact:
        return _best_first(exact)
    partial = {z for k, zones in _index().items() if len(key) >= 4 and k.startswith(key) for z in zones}
    return _best_first(partial)


def is_timezone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True
