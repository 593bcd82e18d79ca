"""The commission plan: a versioned TOML file with effective dates.

Commissions are paid on sales only: a personal rate on the reseller's retail sales and override
rates on the retail sales of their downline, level by level. Anything paid for recruiting itself
(a sign-up or enrolment bonus) is refused when the file is read: it is what makes a pyramid
scheme, an unfair commercial practice in all circumstances under EU Directive 2005/29/EC
(Annex I, point 14) and forbidden in Italy by Law 173/2005, art. 5.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from models.base import DomainError
from models.careers import Ladder, parse_ladder
from models.money import is_currency, parse_amount

RECRUITING_PAY = re.compile(
    r"(sign.?up|enrol|enroll|recruit|joining|registration|starter|welcome|entry).*(bonus|fee|reward|pay)|"
    r"(bonus|reward|pay).*(sign.?up|enrol|enroll|recruit|joining|registration)",
    re.IGNORECASE,
)
RECRUITING_WHY = (
    "a payment for recruiting itself (a sign-up or enrolment bonus) is not allowed: commissions may only "
    "come from sales to customers. Paying for recruitment is what makes a pyramid scheme (EU Directive "
    "2005/29/EC, Annex I point 14; Italian Law 173/2005, art. 5)"
)


@dataclass(frozen=True)
class PlanVersion:
    effective_from: date
    personal_rate_bp: int
    own_use_rate_bp: int
    override_rates_bp: tuple[int, ...]  # level 1 (direct recruits), level 2, ...

    @property
    def total_rate_bp(self) -> int:
        """The most any one sale can pay out in commissions, all levels together."""
        return self.personal_rate_bp + sum(self.override_rates_bp)


@dataclass(frozen=True)
class Withholding:
    effective_from: date
    rate_bp: int  # 2300: Italian withholding on commissions of door-to-door sales agents
    taxable_share_bp: int  # 7800: applied to 78 % of the commission, so 17.94 % in all


@dataclass(frozen=True)
class Thresholds:
    min_retail_share_bp: int = 7000
    max_own_use_share_bp: int = 5000
    recruits_min: int = 3
    min_team_retail_per_recruit_minor: int = 20000
    occasional_income_limit_minor: int = 500000
    occasional_income_warning_bp: int = 8000
    buy_back_min_refund_bp: int = 9000


@dataclass(frozen=True)
class Plan:
    company_timezone: str
    currency: str
    versions: tuple[PlanVersion, ...]
    withholdings: tuple[Withholding, ...]
    thresholds: Thresholds
    careers: Ladder | None = None  # career titles, earned by sales only (models.careers)

    def version_on(self, day: date) -> PlanVersion:
        found = [v for v in self.versions if v.effective_from <= day]
        if not found:
            raise DomainError("plan_no_version", day=day.isoformat())
        return found[-1]

    def withholding_on(self, day: date) -> Withholding | None:
        found = [w for w in self.withholdings if w.effective_from <= day]
        return found[-1] if found else None


class PlanError(DomainError):
    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__("plan_invalid", reason=reason, line=line or "?")


def _find_line(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return None


def _walk_keys(data: object, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield key, f"{path}.{key}" if path else key
            yield from _walk_keys(value, f"{path}.{key}" if path else key)
    elif isinstance(data, list):
        for item in data:
            yield from _walk_keys(item, path)


def _bp(value: object, name: str, text: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10_000:
        raise PlanError(f"{name} must be basis points, a whole number from 0 to 10000", _find_line(text, name))
    return value


def _date(value: object, name: str, text: str) -> date:
    if not isinstance(value, date):
        raise PlanError(f"{name} must be a date such as 2026-01-01", _find_line(text, name))
    return value


def parse_plan(text: str) -> Plan:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"line (\d+)", str(error))
        raise PlanError(str(error), int(match.group(1)) if match else None) from None
    for key, path in _walk_keys(data):
        if RECRUITING_PAY.search(key):
            raise PlanError(f"{path}: {RECRUITING_WHY}", _find_line(text, key))
    currency = data.get("currency")
    if not isinstance(currency, str) or not is_currency(currency):
        raise PlanError("currency must be an ISO 4217 code such as EUR", _find_line(text, "currency"))
    versions = []
    for raw in data.get("versions", []):
        overrides = raw.get("override_rates_bp", [])
        if not isinstance(overrides, list):
            raise PlanError(
                "override_rates_bp must be a list, one rate per level", _find_line(text, "override_rates_bp")
            )
        version = PlanVersion(
            effective_from=_date(raw.get("effective_from"), "effective_from", text),
            personal_rate_bp=_bp(raw.get("personal_rate_bp"), "personal_rate_bp", text),
            own_use_rate_bp=_bp(raw.get("own_use_rate_bp", 0), "own_use_rate_bp", text),
            override_rates_bp=tuple(_bp(rate, "override_rates_bp", text) for rate in overrides),
        )
        if version.total_rate_bp > 10_000:
            raise PlanError(
                "the personal and override rates together exceed 100 % of a sale", _find_line(text, "override_rates_bp")
            )
        versions.append(version)
    if not versions:
        raise PlanError("the plan needs at least one [[versions]] entry with an effective_from date")
    withholdings = tuple(
        sorted(
            (
                Withholding(
                    _date(w.get("effective_from"), "effective_from", text),
                    _bp(w.get("rate_bp"), "rate_bp", text),
                    _bp(w.get("taxable_share_bp"), "taxable_share_bp", text),
                )
                for w in data.get("withholding", {}).get("versions", [])
            ),
            key=lambda w: w.effective_from,
        )
    )
    return Plan(
        company_timezone=str(data.get("company_timezone", "Europe/Rome")),
        currency=currency,
        versions=tuple(sorted(versions, key=lambda v: v.effective_from)),
        withholdings=withholdings,
        thresholds=_thresholds(data.get("compliance", {}), currency, text),
        careers=parse_ladder(data.get("careers"), currency, text),
    )


def _thresholds(raw: dict[str, Any], currency: str, text: str) -> Thresholds:
    defaults = Thresholds()

    def amount(key: str, default: int) -> int:
        return parse_amount(str(raw[key]), currency) if key in raw else default

    try:
        return Thresholds(
            min_retail_share_bp=_bp(
                raw.get("min_retail_share_bp", defaults.min_retail_share_bp), "min_retail_share_bp", text
            ),
            max_own_use_share_bp=_bp(
                raw.get("max_own_use_share_bp", defaults.max_own_use_share_bp), "max_own_use_share_bp", text
            ),
            recruits_min=int(raw.get("recruits_min", defaults.recruits_min)),
            min_team_retail_per_recruit_minor=amount(
                "min_team_retail_per_recruit", defaults.min_team_retail_per_recruit_minor
            ),
            occasional_income_limit_minor=amount("occasional_income_limit", defaults.occasional_income_limit_minor),
            occasional_income_warning_bp=_bp(
                raw.get("occasional_income_warning_bp", defaults.occasional_income_warning_bp),
                "occasional_income_warning_bp",
                text,
            ),
            buy_back_min_refund_bp=_bp(
                raw.get("buy_back_min_refund_bp", defaults.buy_back_min_refund_bp), "buy_back_min_refund_bp", text
            ),
        )
    except (TypeError, ValueError) as error:
        raise PlanError(f"compliance: {error}", _find_line(text, "[compliance]")) from None
