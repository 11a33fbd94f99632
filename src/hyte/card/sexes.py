"""Women's and men's values of one region: the rule the card's women/men section and the shared
county-wide results (hyte.card.shared) both use."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from hyte.data.catalog import Catalog
from hyte.stats import stats

__all__ = ["SEX_MAX_AGE_YEARS", "sex_differences"]

#: Women's and men's values are shown only from this many years before the indicator's latest year.
SEX_MAX_AGE_YEARS = 4


def sex_differences(
    table: pd.DataFrame,
    catalog: Catalog,
    region_id: int,
    language: str = "fi",
    *,
    latest_years: pd.Series | None = None,
) -> pd.DataFrame:
    """Women's and men's values of the region for catalog indicators with ``by_sex`` (not plain
    counts), in the latest year where both are published and not suppressed (and at most
    :data:`SEX_MAX_AGE_YEARS` before the indicator's latest year in the table); with 95 % CIs and
    ``significant`` = the two CIs do not overlap (a conservative test). Columns
    :data:`hyte.figures.figures.SEX_COLUMNS` plus ``relative_difference`` (|women − men| / their mean).
    ``latest_years``: each indicator's latest year in the whole table, when ``table`` holds only
    some regions (hyte.context.Context.latest_years); by default from ``table``."""
    from hyte.figures.figures import SEX_COLUMNS

    wanted = [i for i in catalog if i.by_sex and i.value_type.value != "COUNT"]
    ids = [i.id for i in wanted]
    subset = table[table["region_id"] == int(region_id)]
    subset = subset[
        subset["indicator"].isin(ids)
        & subset["sex"].isin(["female", "male"])
        & subset["value"].notna()
    ]
    # One pass over the table (not one scan and two pivots per indicator): indicator -> sex ->
    # year -> (value, count), the first row of each kept.
    found: dict[int, dict[str, dict[int, tuple[float, float]]]] = {}
    for ind, sex, year, value, count in zip(
        subset["indicator"].to_numpy(),
        subset["sex"].to_numpy(),
        subset["year"].to_numpy(),
        subset["value"].to_numpy(dtype=float),
        subset["count"].to_numpy(dtype=float),
    ):
        found.setdefault(int(ind), {"female": {}, "male": {}})[sex].setdefault(
            int(year), (value, count)
        )
    if latest_years is None:
        latest_years = table.groupby("indicator")["year"].max()
    records = []
    for indicator in wanted:
        series = found.get(indicator.id)
        if series is None:
            continue
        threshold = indicator.small_number_threshold
        shown = {  # years whose value the small-number rule does not hide
            sex: {
                year: pair
                for year, pair in by_year.items()
                if not stats.suppress(pair[0], pair[1], threshold)
            }
            for sex, by_year in series.items()
        }
        both = set(shown["female"]) & set(shown["male"])
        if not both:
            continue
        year = max(both)
        latest = int(latest_years[indicator.id])
        if year < latest - SEX_MAX_AGE_YEARS:
            continue  # only older values are published for both: too old to compare today
        sexes = {sex: shown[sex][year] for sex in ("female", "male")}
        record: dict[str, Any] = {
            "indicator": indicator.id,
            "short": indicator.short(language),
            "unit": indicator.unit(language),
            "decimals": indicator.decimals,
            "year": year,
        }
        for sex in ("female", "male"):
            value, count = (float(x) for x in sexes[sex])
            lower, upper = stats.confidence_interval(
                value, count, indicator.ci_method.value, indicator.multiplier
            )
            record.update({sex: value, f"{sex}_lower": float(lower), f"{sex}_upper": float(upper)})
        overlap_known = not any(
            math.isnan(record[k])
            for k in ("female_lower", "female_upper", "male_lower", "male_upper")
        )
        record["significant"] = bool(
            overlap_known
            and (
                record["female_lower"] > record["male_upper"]
                or record["male_lower"] > record["female_upper"]
            )
        )
        mean = (record["female"] + record["male"]) / 2
        record["relative_difference"] = (
            abs(record["female"] - record["male"]) / mean if mean else 0.0
        )
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=[*SEX_COLUMNS, "relative_difference"])
    return frame.astype(
        {"indicator": "int64", "decimals": "int64", "year": "int64", "significant": "bool"}
    )
