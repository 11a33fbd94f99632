"""The per-indicator summary a municipal card shows: value, confidence interval, benchmarks, trend,
the county's municipalities as peers, rank, and the strengths and concerns they add up to.

Applies :mod:`hyte.stats.stats` to the tidy table (:mod:`hyte.data.tidy`) and the catalog
(:mod:`hyte.data.catalog`). Categories stay as codes (``better``, ``improving`` ...); :func:`label`
turns a code into the reader's language from ``data/labels.yml``.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hyte.data.catalog import Catalog, Indicator
from hyte.data.regions import COUNTRY_SOTKANET_ID
from hyte.errors import HyteError
from hyte.paths import data_dir
from hyte.stats import stats

__all__ = ["SUMMARY_COLUMNS", "indicator_summary", "label", "labels_path", "strengths_and_concerns"]

#: Columns of :func:`indicator_summary`, in order, with their dtypes.
SUMMARY_COLUMNS: dict[str, str] = {
    "indicator": "int64",  # Sotkanet id
    "short": "str",  # short label in the requested language
    "title": "str",  # Sotkanet title in the requested language
    "group": "str",  # population group KEY (catalog.group_label(key, language) for text)
    "theme": "str",  # theme KEY (catalog.theme_label)
    "unit": "str",  # unit in the requested language
    "decimals": "int64",
    "polarity": "str",  # higher_is_better / lower_is_better / none
    "value_type": "str",  # PROS, PER1000, ...
    "year": "int64",  # the year shown
    "value": "float64",  # NaN when suppressed
    "count": "float64",  # NaN when suppressed or not published
    "lower": "float64",  # 95 % CI; NaN when suppressed, no count or ci_method none
    "upper": "float64",
    "suppressed": "bool",
    "county_value": "float64",  # benchmark values in the same year
    "country_value": "float64",
    "vs_county": "str",  # better/similar/worse, higher/similar/lower, not_compared
    "vs_country": "str",
    "trend": "str",  # improving/worsening/increasing/decreasing/no_change/cannot_calculate
    "trend_p": "float64",
    "trend_first_year": "Int64",
    "trend_last_year": "Int64",
    "peer_min": "float64",  # the peers' (county's municipalities') values in the same year
    "peer_q25": "float64",
    "peer_q75": "float64",
    "peer_max": "float64",
    "peer_n": "int64",
    "rank": "Int64",  # 1 = best among the peers and the region; <NA> when not ranked
    "rank_n": "Int64",
    "headline": "bool",
    "hyte_kerroin": "str",  # process / outcome / none
    "producer": "str",
    # Why a comparison or a trend was not made ('' when it was): see NOT_COMPARED_REASONS.
    "vs_county_reason": "str",
    "vs_country_reason": "str",
    "trend_reason": "str",
    "latest_year": "Int64",  # the indicator's latest year in the data (any of the county's areas)
    "stale": "bool",  # the value is more than one measurement interval older than latest_year
}

#: A value is stale (not compared, not ranked, marked) when it is more than one measurement interval
#: older than the indicator's latest value in the county's areas, or more than the interval plus this
#: many years (the usual publication lag) older than the latest year in the data.
STALE_LAG_YEARS = 2

#: Reasons for 'not compared' / 'cannot be calculated' (label keys ``reason_<code>``).
NOT_COMPARED_REASONS = (
    "suppressed",
    "too_old",
    "no_benchmark",
    "no_count",
    "no_ci",
    "too_few_points",
    "not_testable",
)

_LANGUAGES = ("fi", "sv")


# ------------------------------------------------------------------------------------------ labels


def labels_path(root: Path | None = None) -> Path:
    """``data/labels.yml`` of the project."""
    return data_dir(root) / "labels.yml"


@lru_cache(maxsize=4)
def _labels(path: Path) -> dict[str, dict[str, str]]:
    from hyte.yamlio import read_yaml

    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise HyteError(f"{path}: expected a mapping of keys to {{fi: ..., sv: ...}}.")
    for key, texts in raw.items():
        if not isinstance(texts, dict) or not all(
            isinstance(texts.get(lang), str) for lang in _LANGUAGES
        ):
            raise HyteError(
                f'{path}: entry \'{key}\': give both texts, e.g. {key}: {{fi: "...", sv: "..."}}.'
            )
    return raw


def label(key: str, language: str = "fi") -> str:
    """The reader's text of a category code, e.g. ``label("better") == "parempi"``,
    ``label("better", "sv") == "bättre"``. Read from ``data/labels.yml`` (cached)."""
    if language not in _LANGUAGES:
        raise HyteError(f"language '{language}' is not supported: use 'fi' or 'sv'.")
    path = labels_path()
    labels = _labels(path)
    if key not in labels:
        raise HyteError(f'{path}: no label \'{key}\'; add it as {key}: {{fi: "...", sv: "..."}}.')
    return labels[key][language]


# ----------------------------------------------------------------------------------------- summary


def _empty_summary() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in SUMMARY_COLUMNS.items()})


def _value_at(rows: pd.DataFrame, region_id: int, year: int) -> float:
    # numpy masks: the same first row as a DataFrame filter, without pandas' per-call overhead
    hit = np.flatnonzero(
        (rows["region_id"].to_numpy() == region_id) & (rows["year"].to_numpy() == year)
    )
    return float(rows["value"].to_numpy()[hit[0]]) if len(hit) else math.nan


def _value_in(
    regions: np.ndarray, years: np.ndarray, values: np.ndarray, region_id: int, year: int
):
    """The first value of ``region_id`` in ``year`` (NaN when there is none): :func:`_value_at` on
    columns already taken out of the frame."""
    hit = np.flatnonzero((regions == region_id) & (years == year))
    return float(values[hit[0]]) if len(hit) else math.nan


def _summary_row(
    indicator: Indicator,
    rows: pd.DataFrame,
    region_id: int,
    *,
    county_id: int,
    country_id: int,
    peer_ids: list[int],
    year: int | None,
    language: str,
    reference_year: int | None = None,
    latest_in_areas: int | None = None,
) -> dict[str, Any] | None:
    """One indicator's summary, or None when the region has no value (in the year asked)."""
    # Plain numpy columns: the same selections as DataFrame filters, without pandas' per-call cost
    # (this runs once per indicator and region: 54 × every municipality of a county).
    regions = rows["region_id"].to_numpy()
    years = rows["year"].to_numpy()
    values = rows["value"].to_numpy(dtype="float64")
    counts = rows["count"].to_numpy(dtype="float64")
    valued = ~np.isnan(values)
    own = np.flatnonzero((regions == region_id) & valued)
    own = own[np.argsort(years[own], kind="stable")]
    if year is not None:
        own = own[years[own] <= year]
        if not (years[own] == year).any():
            return None
    elif not len(own):
        return None
    own_years, own_values, own_counts = years[own], values[own], counts[own]
    shown_year = int(own_years[-1])
    value, count = float(own_values[-1]), float(own_counts[-1])
    threshold = indicator.small_number_threshold
    polarity = indicator.polarity.value
    method = indicator.ci_method.value
    multiplier = indicator.multiplier
    hidden = bool(stats.suppress(value, count, threshold))

    county_value = _value_in(regions, years, values, county_id, shown_year)
    country_value = _value_in(regions, years, values, country_id, shown_year)
    step = indicator.frequency.step
    latest_year = max(shown_year, latest_in_areas if latest_in_areas is not None else shown_year)
    stale = (latest_year - shown_year > step) or (
        reference_year is not None and reference_year - shown_year > step + STALE_LAG_YEARS
    )
    vs_county_reason = vs_country_reason = trend_reason = ""

    if hidden:
        value = count = lower = upper = math.nan
        vs_county = vs_country = stats.NOT_COMPARED
        vs_county_reason = vs_country_reason = trend_reason = "suppressed"
        trend = stats.TrendResult(stats.CANNOT_CALCULATE, math.nan, math.nan, None, None, 0)
    else:
        lower, upper = stats.confidence_interval(value, count, method, multiplier)
        if stale:  # a value of years ago is not today's difference from the benchmark
            vs_county = vs_country = stats.NOT_COMPARED
            vs_county_reason = vs_country_reason = "too_old"
        else:
            vs_county = stats.compare(value, lower, upper, county_value, polarity)
            vs_country = stats.compare(value, lower, upper, country_value, polarity)
            no_ci = _no_ci_reason(method, count, lower, upper)
            vs_county_reason = _comparison_reason(vs_county, county_value, no_ci)
            vs_country_reason = _comparison_reason(vs_country, country_value, no_ci)
        # Earlier years hidden by the small-number rule are left out of the trend.
        shown = ~np.asarray(stats.suppress(own_values, own_counts, threshold), dtype=bool)
        series_years, series_values, series_counts = (
            own_years[shown],
            own_values[shown],
            own_counts[shown],
        )
        trend = stats.trend(
            series_years,
            series_values,
            series_counts,
            method=method,
            multiplier=multiplier,
            polarity=polarity,
            points=5,
            step=step,
        )
        if stale:
            trend = stats.TrendResult(
                stats.CANNOT_CALCULATE,
                math.nan,
                math.nan,
                trend.first_year,
                trend.last_year,
                trend.n,
            )
            trend_reason = "too_old"
        elif trend.label == stats.CANNOT_CALCULATE:
            window = series_counts[series_years >= (trend.first_year or shown_year)]
            if method == "none":
                trend_reason = "no_ci"
            elif trend.n < stats.MIN_TREND_POINTS:
                trend_reason = "too_few_points"
            elif np.isnan(window).any():
                trend_reason = "no_count"
            else:
                trend_reason = "not_testable"

    in_year = np.flatnonzero((years == shown_year) & valued)
    in_year = in_year[
        ~np.asarray(stats.suppress(values[in_year], counts[in_year], threshold), dtype=bool)
    ]
    peer_rows = in_year[np.isin(regions[in_year], list(peer_ids))]
    peer_values = values[peer_rows]
    peer_min, peer_q25, peer_q75, peer_max = stats.quartiles(peer_values)
    ranked_ids = set(peer_ids) | {region_id}
    ranked = in_year[np.isin(regions[in_year], list(ranked_ids))]
    ranked_values = dict(zip((int(r) for r in regions[ranked]), values[ranked], strict=True))
    positions = stats.rank(ranked_values, polarity)
    position, rank_n = (
        positions.get(region_id, (pd.NA, pd.NA)) if not (hidden or stale) else (pd.NA, pd.NA)
    )

    return {
        "indicator": indicator.id,
        "short": indicator.short(language),
        "title": indicator.title(language),
        "group": indicator.group,
        "theme": indicator.theme,
        "unit": indicator.unit(language),
        "decimals": indicator.decimals,
        "polarity": polarity,
        "value_type": indicator.value_type.value,
        "year": shown_year,
        "value": value,
        "count": count,
        "lower": lower,
        "upper": upper,
        "suppressed": hidden,
        "county_value": county_value,
        "country_value": country_value,
        "vs_county": vs_county,
        "vs_country": vs_country,
        "trend": trend.label,
        "trend_p": trend.p_value,
        "trend_first_year": pd.NA if trend.first_year is None else trend.first_year,
        "trend_last_year": pd.NA if trend.last_year is None else trend.last_year,
        "peer_min": peer_min,
        "peer_q25": peer_q25,
        "peer_q75": peer_q75,
        "peer_max": peer_max,
        "peer_n": len(peer_values),
        "rank": position,
        "rank_n": rank_n,
        "headline": indicator.headline,
        "hyte_kerroin": indicator.hyte_kerroin.value,
        "producer": indicator.producer,
        "vs_county_reason": vs_county_reason,
        "vs_country_reason": vs_country_reason,
        "trend_reason": trend_reason,
        "latest_year": latest_year,
        "stale": bool(stale),
    }


def _no_ci_reason(method: str, count: float, lower: float, upper: float) -> str:
    if not (math.isnan(lower) or math.isnan(upper)):
        return ""
    if method == "none":
        return "no_ci"
    return "no_count" if math.isnan(count) else "no_ci"


def _comparison_reason(outcome: str, benchmark: float, no_ci: str) -> str:
    """Why :func:`hyte.stats.stats.compare` said not_compared ('' when it compared)."""
    if outcome != stats.NOT_COMPARED:
        return ""
    if math.isnan(benchmark):
        return "no_benchmark"
    return no_ci or "no_ci"


def indicator_summary(
    table: pd.DataFrame,
    catalog: Catalog,
    region_id: int,
    *,
    county_id: int,
    country_id: int = COUNTRY_SOTKANET_ID,
    peer_ids: list[int] | tuple[int, ...] | set[int],
    sex: str = "total",
    year: int | None = None,
    language: str = "fi",
) -> pd.DataFrame:
    """One row per catalog indicator with a value for the region, in catalog order
    (columns :data:`SUMMARY_COLUMNS`).

    ``region_id``, ``county_id``, ``country_id`` and ``peer_ids`` are Sotkanet region ids; the peers
    are normally the county's municipalities (the region among them or not: it is always ranked
    with them). The year is the region's latest year with a value (``year=None``) or ``year`` (an
    indicator without a value for the region that year is left out); benchmarks and peers are taken
    in the same year. The CI comes from the catalog's ``ci_method``; ``vs_county``/``vs_country``
    from :func:`hyte.stats.stats.compare`; the trend from :func:`hyte.stats.stats.trend` over the region's last
    five values up to that year. A value whose count is under the indicator's
    ``small_number_threshold`` is suppressed: value, count and CI NaN, comparisons ``not_compared``,
    trend ``cannot_calculate``, no rank; suppressed peer values are left out of the peer range and
    the ranking, and suppressed earlier years out of the trend.
    """
    if language not in _LANGUAGES:
        raise HyteError(f"language '{language}' is not supported: use 'fi' or 'sv'.")
    peers = [int(p) for p in peer_ids]
    # Only the numeric columns travel on: filtering the text columns row by row is most of the cost.
    subset = table.loc[
        (table["sex"] == sex) & table["indicator"].isin(catalog.ids),
        ["indicator", "region_id", "year", "value", "count"],
    ]
    by_indicator = {int(k): g for k, g in subset.groupby("indicator", sort=False)}
    valued_years = subset.loc[subset["value"].notna(), "year"]
    if year is not None:
        valued_years = valued_years[valued_years <= year]
    reference_year = int(valued_years.max()) if len(valued_years) else None
    areas = set(peers) | {int(region_id), int(county_id), int(country_id)}
    in_areas = subset[subset["region_id"].isin(areas) & subset["value"].notna()]
    if year is not None:
        in_areas = in_areas[in_areas["year"] <= year]
    latest = {int(k): int(v) for k, v in in_areas.groupby("indicator")["year"].max().items()}
    records = []
    for indicator in catalog:
        rows = by_indicator.get(indicator.id)
        if rows is None:
            continue
        record = _summary_row(
            indicator,
            rows,
            int(region_id),
            county_id=int(county_id),
            country_id=int(country_id),
            peer_ids=peers,
            year=year,
            language=language,
            reference_year=reference_year,
            latest_in_areas=latest.get(indicator.id),
        )
        if record is not None:
            records.append(record)
    if not records:
        return _empty_summary()
    frame = pd.DataFrame.from_records(records, columns=list(SUMMARY_COLUMNS))
    return frame.astype(SUMMARY_COLUMNS).reset_index(drop=True)


# -------------------------------------------------------------------------- strengths and concerns


def _comparison_items(
    summary: pd.DataFrame, column: str, benchmark: str, wanted: str, language: str
) -> list[dict[str, Any]]:
    rows = summary[summary[column] == wanted].copy()
    rows["_distance"] = (rows["value"] - rows[benchmark]).abs() / rows[benchmark].abs().replace(
        0, np.nan
    )
    rows = rows.sort_values(["_distance", "indicator"], ascending=[False, True], na_position="last")
    return [
        {
            "indicator": int(r["indicator"]),
            "short": r["short"],
            "year": int(r["year"]),
            "value": float(r["value"]),
            "lower": float(r["lower"]),
            "upper": float(r["upper"]),
            "benchmark": float(r[benchmark]),
            "unit": r["unit"],
            "decimals": int(r["decimals"]),
            "label": label(wanted, language),
        }
        for _, r in rows.iterrows()
    ]


def _trend_items(summary: pd.DataFrame, wanted: str, language: str) -> list[dict[str, Any]]:
    rows = summary[summary["trend"] == wanted].sort_values(["trend_p", "indicator"])
    return [
        {
            "indicator": int(r["indicator"]),
            "short": r["short"],
            "p_value": float(r["trend_p"]),
            "first_year": int(r["trend_first_year"]),
            "last_year": int(r["trend_last_year"]),
            "label": label(wanted, language),
        }
        for _, r in rows.iterrows()
    ]


def strengths_and_concerns(
    summary: pd.DataFrame, language: str = "fi"
) -> dict[str, list[dict[str, Any]]]:
    """The card's strengths and concerns from an :func:`indicator_summary`.

    Keys ``better_than_county``, ``worse_than_county``, ``better_than_country``,
    ``worse_than_country`` (significant differences, largest relative difference first) and
    ``improving``, ``worsening`` (significant trends, smallest p first). Each item is a dict:
    indicator, short, label (the category in ``language``) and, for comparisons, year, value, lower,
    upper, benchmark, unit, decimals; for trends, p_value, first_year, last_year. Headings for the
    keys are in ``data/labels.yml`` (``label("better_than_county")``). Indicators without polarity
    never appear (they are only higher/lower, increasing/decreasing).
    """
    if language not in _LANGUAGES:
        raise HyteError(f"language '{language}' is not supported: use 'fi' or 'sv'.")
    return {
        "better_than_county": _comparison_items(
            summary, "vs_county", "county_value", stats.BETTER, language
        ),
        "worse_than_county": _comparison_items(
            summary, "vs_county", "county_value", stats.WORSE, language
        ),
        "better_than_country": _comparison_items(
            summary, "vs_country", "country_value", stats.BETTER, language
        ),
        "worse_than_country": _comparison_items(
            summary, "vs_country", "country_value", stats.WORSE, language
        ),
        "improving": _trend_items(summary, stats.IMPROVING, language),
        "worsening": _trend_items(summary, stats.WORSENING, language),
    }
