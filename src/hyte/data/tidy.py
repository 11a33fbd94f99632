"""The tidy indicator table every other module reads.

One row per indicator × region × year × sex:

    indicator     int     Sotkanet indicator id
    region_id     int     Sotkanet region id
    region_code   str     municipality "005", county "15", country "SSS"
    region_level  str     municipality / county / country
    region_name   str     Finnish name
    year          int
    sex           str     total / male / female
    value         float   the indicator value (NaN: suppressed or missing)
    count         float   the absolute number behind it (NaN when not published)
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from hyte.data.regions import LEVELS, Regions
from hyte.errors import HyteError

TIDY_COLUMNS: dict[str, str] = {
    "indicator": "int64",
    "region_id": "int64",
    "region_code": "object",
    "region_level": "object",
    "region_name": "object",
    "year": "int64",
    "sex": "object",
    "value": "float64",
    "count": "float64",
}
KEY = ["indicator", "region_id", "year", "sex"]
SEXES = ("total", "male", "female")
YEAR_RANGE = (1900, 2100)


@dataclass
class LoadReport:
    """What happened to the input rows on their way into the tidy table."""

    rows_in: int = 0
    rows_out: int = 0
    missing_value: int = 0
    duplicates: int = 0
    conflicting_duplicates: list[str] = field(default_factory=list)
    unknown_regions: Counter = field(default_factory=Counter)
    other_levels: Counter = field(default_factory=Counter)
    bad_rows: list[str] = field(default_factory=list)
    indicators_seen: Counter = field(default_factory=Counter)  # indicator -> rows read
    left_out_by_indicator: dict = field(
        default_factory=dict
    )  # indicator -> Counter(level/'unknown')
    dropped_indicators: list[str] = field(
        default_factory=list
    )  # indicators with no row kept, and why

    def note_dropped(self, kept_ids) -> None:
        """Name the indicators that were read but have no row in the table, with the reason."""
        kept = {int(i) for i in kept_ids}
        self.dropped_indicators = []
        for indicator in sorted(set(self.indicators_seen) - kept):
            why = self.left_out_by_indicator.get(indicator) or Counter()
            parts = ", ".join(f"{k} {v}" for k, v in sorted(why.items())) or "no usable rows"
            self.dropped_indicators.append(f"{indicator} (rows only for regions left out: {parts})")

    def lines(self) -> list[str]:
        """Human-readable summary lines."""
        out = [f"{self.rows_in} rows read, {self.rows_out} kept"]
        if self.bad_rows:
            out.append(
                f"{len(self.bad_rows)} bad rows left out (listed below and in the snapshot's "
                "manifest, load_report)"
            )
        if self.indicators_seen:
            kept = len(self.indicators_seen) - len(self.dropped_indicators)
            out.append(f"{len(self.indicators_seen)} indicator(s) read, {kept} kept")
        if self.dropped_indicators:
            out.append(
                f"{len(self.dropped_indicators)} indicator(s) left out entirely: "
                + "; ".join(self.dropped_indicators[:10])
            )
        if self.missing_value:
            out.append(
                f"{self.missing_value} rows without a value (suppressed or missing) kept as empty"
            )
        if self.other_levels:
            parts = ", ".join(f"{k}: {v}" for k, v in sorted(self.other_levels.items()))
            out.append(f"rows of other region levels left out ({parts})")
        if self.unknown_regions:
            ids = ", ".join(str(k) for k in sorted(self.unknown_regions)[:12])
            more = " …" if len(self.unknown_regions) > 12 else ""
            out.append(
                f"{sum(self.unknown_regions.values())} rows of {len(self.unknown_regions)} "
                f"unknown region ids left out ({ids}{more})"
            )
        if self.duplicates:
            out.append(f"{self.duplicates} duplicate rows dropped (first kept)")
        out.extend(f"conflicting duplicate: {c}" for c in self.conflicting_duplicates[:10])
        out.extend(f"bad row: {b}" for b in self.bad_rows[:10])
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "missing_value": self.missing_value,
            "duplicates": self.duplicates,
            "conflicting_duplicates": self.conflicting_duplicates[:50],
            "unknown_regions": {str(k): v for k, v in sorted(self.unknown_regions.items())},
            "other_levels": dict(sorted(self.other_levels.items())),
            "bad_rows": self.bad_rows[:50],
            "dropped_indicators": self.dropped_indicators[:100],
        }


def _number(value: Any) -> float:
    """Sotkanet numbers: None, '', ' ' -> NaN; '1,5' and '1.5' -> 1.5."""
    if value is None:
        return math.nan
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().replace("\u00a0", "").replace(",", ".")
    if text == "" or text in {"-", ".", ".."}:
        return math.nan
    return float(text)


def _value_problem(year: int, value: float, count: float, row: Mapping[str, Any]) -> str | None:
    """Why a parsed row cannot be kept (a value no statistic has), or None."""
    if math.isinf(value):
        return f"value {row.get('value')!r} is not a finite number"
    if math.isinf(count):
        return f"absValue {row.get('absValue')!r} is not a finite number"
    if count < 0:
        return f"absValue {row.get('absValue')!r} is negative (a count is 0 or more)"
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        return f"year {year} is outside {YEAR_RANGE[0]}–{YEAR_RANGE[1]}"
    return None


def tidy_from_rows(
    rows: Iterable[Mapping[str, Any]],
    regions: Regions,
    *,
    other_regions: Mapping[int, str] | None = None,
    source: str = "input",
) -> tuple[pd.DataFrame, LoadReport]:
    """Sotkanet rows ``{indicator, region, year, gender, value, absValue}`` -> tidy table and report.

    Regions that are not a municipality of the 2026 division, a county or the country are left out:
    those named in ``other_regions`` (id -> category, e.g. from /regions) are counted by level, the
    rest as unknown ids. A malformed row is reported with its position; it never stops the load.
    """
    report = LoadReport()
    records: list[dict[str, Any]] = []
    for position, row in enumerate(rows, start=1):
        report.rows_in += 1
        try:
            indicator = int(row["indicator"])
            region_id = int(row["region"])
            year = int(row["year"])
            sex = str(row.get("gender") or "total").strip().lower()
            value = _number(row.get("value"))
            count = _number(row.get("absValue"))
        except (KeyError, TypeError, ValueError) as exc:
            report.bad_rows.append(f"{source} row {position}: {exc!s} in {dict(row)}")
            continue
        problem = _value_problem(year, value, count, row)
        if problem:
            report.bad_rows.append(f"{source} row {position}: {problem}")
            continue
        if sex not in SEXES:
            report.bad_rows.append(f"{source} row {position}: unknown gender '{sex}'")
            continue
        report.indicators_seen[indicator] += 1
        region = regions.by_sotkanet_id(region_id)
        if region is None:
            category = (other_regions or {}).get(region_id)
            if category:
                report.other_levels[category] += 1
            else:
                report.unknown_regions[region_id] += 1
            report.left_out_by_indicator.setdefault(indicator, Counter())[
                category or "unknown region id"
            ] += 1
            continue
        if math.isnan(value):
            report.missing_value += 1
        records.append(
            {
                "indicator": indicator,
                "region_id": region.sotkanet_id,
                "region_code": region.code,
                "region_level": region.level,
                "region_name": region.name_fi,
                "year": year,
                "sex": sex,
                "value": value,
                "count": count,
            }
        )
    table = pd.DataFrame.from_records(records, columns=list(TIDY_COLUMNS))
    table = table.astype(TIDY_COLUMNS)
    duplicated = table.duplicated(KEY, keep="first")
    if duplicated.any():
        report.duplicates = int(duplicated.sum())
        dup_keys = table.loc[duplicated, KEY]
        merged = dup_keys.merge(table[~duplicated], on=KEY, how="left", suffixes=("", "_first"))
        for (_, dup), (_, first) in zip(table[duplicated].iterrows(), merged.iterrows()):
            if not _same(dup["value"], first["value"]):
                report.conflicting_duplicates.append(
                    f"indicator {dup['indicator']} region {dup['region_id']} year {dup['year']} "
                    f"{dup['sex']}: {dup['value']} vs {first['value']}"
                )
        table = table[~duplicated]
    table = table.sort_values(KEY, kind="stable").reset_index(drop=True)
    report.rows_out = len(table)
    report.note_dropped(table["indicator"].unique())
    return table, report


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def validate_tidy(table: pd.DataFrame, source: str | Path = "table") -> pd.DataFrame:
    """Check columns, types and values; return the table with canonical dtypes.

    A problem is a HyteError naming the source and the first offending row.
    """
    missing = [c for c in TIDY_COLUMNS if c not in table.columns]
    if missing:
        raise HyteError(
            f"{source}: missing column(s) {', '.join(missing)}; "
            f"a tidy table has {', '.join(TIDY_COLUMNS)}."
        )
    table = table[list(TIDY_COLUMNS)]
    try:
        table = table.astype(TIDY_COLUMNS)
    except (ValueError, TypeError) as exc:
        raise HyteError(f"{source}: a column has the wrong type ({exc}).") from None
    checks = [
        (~table["region_level"].isin(LEVELS), "region_level must be one of " + ", ".join(LEVELS)),
        (~table["sex"].isin(SEXES), "sex must be total, male or female"),
        ((table["year"] < 1900) | (table["year"] > 2100), "year out of range 1900–2100"),
        (table["count"] < 0, "count is negative"),
        (table.duplicated(KEY), "duplicate indicator/region/year/sex"),
    ]
    for mask, message in checks:
        if mask.any():
            row = table[mask].iloc[0]
            where = ", ".join(f"{k}={row[k]}" for k in KEY)
            raise HyteError(
                f"{source}: row {int(mask.to_numpy().nonzero()[0][0]) + 1} ({where}): "
                f"{message} [{int(mask.sum())} such rows]."
            )
    return table.reset_index(drop=True)


def series(table: pd.DataFrame, indicator: int, region_id: int, sex: str = "total") -> pd.DataFrame:
    """One region's yearly values of one indicator, sorted by year."""
    mask = (
        (table["indicator"] == indicator)
        & (table["region_id"] == region_id)
        & (table["sex"] == sex)
    )
    return table[mask].sort_values("year").reset_index(drop=True)
