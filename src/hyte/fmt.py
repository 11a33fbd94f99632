"""Numbers and dates as Finnish (and Swedish) readers write them: 1 234,5 · 12,3 % · −0,4 · 28.11.2026."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date, datetime

NBSP = "\u00a0"  # between thousands and before units, so they never wrap apart
MINUS = "\u2212"
DASH = "\u2013"
MISSING = "–"


def is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value: float | int | None, decimals: int = 0, *, signed: bool = False) -> str:
    """1234.56 -> '1 234,6' (decimals=1); None/NaN -> '–'. Thousands grouped from 10 000 up,
    as in Finnish official statistics; 4-digit numbers are grouped too for consistency in tables."""
    if is_missing(value):
        return MISSING
    rounded = round(float(value), decimals)
    if rounded == 0:
        rounded = 0.0  # no "−0,0"
    text = f"{abs(rounded):,.{decimals}f}".replace(",", NBSP).replace(".", ",")
    if rounded < 0:
        text = MINUS + text
    elif signed and rounded > 0:
        text = "+" + text
    return text


def percent(value: float | None, decimals: int = 1, *, signed: bool = False) -> str:
    """12.345 -> '12,3 %'."""
    if is_missing(value):
        return MISSING
    return f"{number(value, decimals, signed=signed)}{NBSP}%"


def with_unit(value: float | None, decimals: int, unit: str) -> str:
    """Value and unit: '12,3 %', '4,1 /1 000 as.'."""
    if is_missing(value):
        return MISSING
    if unit.strip() == "%":
        return percent(value, decimals)
    return f"{number(value, decimals)}{NBSP}{unit}" if unit else number(value, decimals)


def interval(lower: float | None, upper: float | None, decimals: int) -> str:
    """Confidence interval '12,1–14,5' (with spaces around the dash when a limit is negative)."""
    if is_missing(lower) or is_missing(upper):
        return MISSING
    low, high = number(lower, decimals), number(upper, decimals)
    joiner = f"{NBSP}{DASH} " if low.startswith(MINUS) or high.startswith(MINUS) else DASH
    return f"{low}{joiner}{high}"


def date_fi(value: date | datetime | str) -> str:
    """ISO date or date -> '28.11.2026'."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return f"{value.day}.{value.month}.{value.year}"


def euros(value: float | None, decimals: int = 0) -> str:
    """1234567 -> '1 234 567 €'."""
    if is_missing(value):
        return MISSING
    return f"{number(value, decimals)}{NBSP}€"


def axis_formatter(decimals: int = 0):
    """A matplotlib tick formatter in Finnish format."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _pos: number(x, decimals))


def join_names(names: Sequence[str], limit: int | None = None) -> str:
    """['A'] -> 'A'; ['A', 'B', 'C'] -> 'A, B ja C'. Items that contain commas are separated by
    semicolons ('A, x; B ja C'). With ``limit`` at most that many are named: 'A, B ja 3 muuta'."""
    names = [str(n) for n in names]
    if not names:
        return ""
    rest = 0
    if limit is not None and len(names) > limit + 1:
        names, rest = names[:limit], len(names) - limit
    separator = "; " if any("," in n for n in names) else ", "
    if rest:
        return separator.join(names) + f" ja {rest} muuta"
    if len(names) == 1:
        return names[0]
    return separator.join(names[:-1]) + " ja " + names[-1]


_THOUSANDS_SPACE = re.compile(r"(?<=\d) (?=\d{3}(?!\d))")
_UNIT_SPACE = re.compile(r"(?<=\d) (?=(%|‰|€|km²|v\.|vuotta|kpl)(?![^\W\d_]))")


def keep_together(text: str) -> str:
    """No-break spaces where a line must not break: inside numbers ('1 000', '/10 000') and between a
    number and its unit ('12,3 %'). Other text is unchanged."""
    text = _THOUSANDS_SPACE.sub(NBSP, str(text))
    return _UNIT_SPACE.sub(NBSP, text)
