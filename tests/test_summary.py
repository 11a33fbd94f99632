"""hyte.stats.summary on a hand-made table with known answers and on real Sotkanet data (683, Kainuu)."""

from __future__ import annotations

import csv
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from hyte.data.catalog import Catalog, Indicator
from hyte.data.tidy import tidy_from_rows, validate_tidy
from hyte.errors import HyteError
from hyte.stats import stats
from hyte.stats.summary import SUMMARY_COLUMNS, indicator_summary, label, strengths_and_concerns

EXPECTED_COLUMNS = [
    "indicator",
    "short",
    "title",
    "group",
    "theme",
    "unit",
    "decimals",
    "polarity",
    "value_type",
    "year",
    "value",
    "count",
    "lower",
    "upper",
    "suppressed",
    "county_value",
    "country_value",
    "vs_county",
    "vs_country",
    "trend",
    "trend_p",
    "trend_first_year",
    "trend_last_year",
    "peer_min",
    "peer_q25",
    "peer_q75",
    "peer_max",
    "peer_n",
    "rank",
    "rank_n",
    "headline",
    "hyte_kerroin",
    "producer",
    "vs_county_reason",
    "vs_country_reason",
    "trend_reason",
    "latest_year",
    "stale",
]

TOWN, COUNTY, COUNTRY = 85, 965, 658  # Jyväskylä, Keski-Suomi, Finland
PEER_A, PEER_B = 35, 78  # Hankasalmi, Joutsa
PEERS = [PEER_A, PEER_B, TOWN]
YEARS = list(range(2018, 2024))
REGION = {
    TOWN: ("179", "municipality", "Jyväskylä"),
    PEER_A: ("077", "municipality", "Hankasalmi"),
    PEER_B: ("172", "municipality", "Joutsa"),
    COUNTY: ("15", "county", "Keski-Suomi"),
    COUNTRY: ("SSS", "country", "Koko maa"),
}


def _indicator(id_: int, value_type: str, ci: str, polarity: str, **extra) -> Indicator:
    fields = {
        "id": id_,
        "title_fi": f"Mittari {id_} otsikko",
        "title_sv": f"Indikator {id_} titel",
        "short_fi": f"Mittari {id_}",
        "short_sv": f"Indikator {id_}",
        "value_type": value_type,
        "unit_fi": "%" if value_type == "PROS" else "/1 000 as.",
        "unit_sv": "%" if value_type == "PROS" else "/1 000 inv.",
        "decimals": 1,
        "polarity": polarity,
        "group": "tyoikaiset",
        "theme": "terveys_sairastavuus",
        "ci_method": ci,
        "small_number_threshold": 5,
        "producer": "THL",
    }
    fields.update(extra)
    return Indicator(**fields)


def _catalog(indicators: list[Indicator]) -> Catalog:
    return Catalog(
        groups={"tyoikaiset": {"fi": "Työikäiset", "sv": "Personer i arbetsför ålder"}},
        themes={
            "terveys_sairastavuus": {"fi": "Terveys ja sairastavuus", "sv": "Hälsa och sjuklighet"}
        },
        indicators=indicators,
    )


HAND_CATALOG = _catalog(
    [
        # 1001: the town rises 10 % -> 15 % (denominator 10 000): worse than the county (12 %),
        # better than the country (16 %), a significant worsening trend; peers 10 % and 20 %.
        _indicator(
            1001, "PROS", "wilson", "lower_is_better", headline=True, hyte_kerroin="outcome"
        ),
        # 1002: a flat rate of 5 per 1 000 (50 events in 10 000); county 5.5 -> similar;
        # country 8 -> lower. Peer A has only 3 events (suppressed), peer B 6.0 per 1 000.
        _indicator(1002, "PER1000", "byar", "none"),
        # 1003: the town's 2023 count is 3: suppressed.
        _indicator(1003, "PROS", "wilson", "higher_is_better"),
        # 1004: an index without counts: no CI, not compared, no trend.
        _indicator(1004, "INDEX", "none", "none"),
        # 1005: no data for the town at all: no row.
        _indicator(1005, "PROS", "wilson", "lower_is_better"),
        # 1006: the town's last value is from 2021.
        _indicator(1006, "PROS", "wilson", "higher_is_better"),
    ]
)


def _hand_table() -> pd.DataFrame:
    rows = []

    def add(indicator, region, year, value, count=math.nan):
        code, level, name = REGION[region]
        rows.append(
            {
                "indicator": indicator,
                "region_id": region,
                "region_code": code,
                "region_level": level,
                "region_name": name,
                "year": year,
                "sex": "total",
                "value": value,
                "count": count,
            }
        )

    for i, year in enumerate(YEARS):
        add(1001, TOWN, year, 10.0 + i, 1000 + 100 * i)
        add(1001, COUNTY, year, 12.0, 12_000)
        add(1001, COUNTRY, year, 16.0, 160_000)
        add(1001, PEER_A, year, 10.0, 100)
        add(1001, PEER_B, year, 20.0, 200)
        add(1002, TOWN, year, 5.0, 50)
        add(1002, COUNTY, year, 5.5, 550)
        add(1002, COUNTRY, year, 8.0, 8000)
        add(1002, PEER_A, year, 4.0, 3)
        add(1002, PEER_B, year, 6.0, 60)
        add(1003, TOWN, year, 30.0 if year == 2023 else 40.0, 3 if year == 2023 else 40)
        add(1003, COUNTY, year, 35.0, 3500)
        add(1004, TOWN, year, 95.0)
        add(1004, COUNTY, year, 100.0)
        add(1005, PEER_A, year, 50.0, 500)
        if year <= 2021:
            add(1006, TOWN, year, 50.0, 500)
            add(1006, COUNTY, year, 40.0, 4000)
            add(1006, COUNTRY, year, 45.0, 450_000)
    table = pd.DataFrame(rows)
    return validate_tidy(table, "hand-made table")


@pytest.fixture(scope="module")
def hand_summary() -> pd.DataFrame:
    return indicator_summary(_hand_table(), HAND_CATALOG, TOWN, county_id=COUNTY, peer_ids=PEERS)


def _row(summary: pd.DataFrame, indicator: int) -> pd.Series:
    rows = summary[summary["indicator"] == indicator]
    assert len(rows) == 1, f"expected one row for {indicator}"
    return rows.iloc[0]


def test_columns_and_rows(hand_summary):
    assert list(hand_summary.columns) == EXPECTED_COLUMNS == list(SUMMARY_COLUMNS)
    assert hand_summary["indicator"].tolist() == [
        1001,
        1002,
        1003,
        1004,
        1006,
    ]  # catalog order, no 1005
    assert str(hand_summary["rank"].dtype) == "Int64" and hand_summary["suppressed"].dtype == bool


def test_proportion_row(hand_summary):
    row = _row(hand_summary, 1001)
    assert (row["year"], row["value"], row["count"]) == (2023, 15.0, 1500.0)
    low, high = stats.wilson_interval(1500, 10_000)
    assert row["lower"] == pytest.approx(low * 100) and row["upper"] == pytest.approx(high * 100)
    assert (row["county_value"], row["country_value"]) == (12.0, 16.0)
    assert (row["vs_county"], row["vs_country"]) == ("worse", "better")
    assert row["trend"] == "worsening" and row["trend_p"] < 1e-10
    assert (row["trend_first_year"], row["trend_last_year"]) == (2019, 2023)
    assert (row["peer_min"], row["peer_q25"], row["peer_q75"], row["peer_max"]) == (
        10.0,
        12.5,
        17.5,
        20.0,
    )
    assert (row["peer_n"], row["rank"], row["rank_n"]) == (3, 2, 3)
    assert row["short"] == "Mittari 1001" and row["unit"] == "%" and row["group"] == "tyoikaiset"
    assert row["polarity"] == "lower_is_better" and row["value_type"] == "PROS"
    assert bool(row["headline"]) and row["hyte_kerroin"] == "outcome" and row["producer"] == "THL"


def test_rate_row_and_suppressed_peer(hand_summary):
    row = _row(hand_summary, 1002)
    low, high = stats.byar_interval(50)
    assert row["lower"] == pytest.approx(low / 10) and row["upper"] == pytest.approx(high / 10)
    assert (row["vs_county"], row["vs_country"]) == ("similar", "lower")
    assert row["trend"] == "no_change" and row["trend_p"] == pytest.approx(1.0)
    # Peer A (3 events) is under the threshold and left out of the range and the ranking.
    assert (row["peer_n"], row["peer_min"], row["peer_max"]) == (2, 5.0, 6.0)
    assert (row["rank"], row["rank_n"]) == (2, 2)


def test_suppressed_row(hand_summary):
    row = _row(hand_summary, 1003)
    assert bool(row["suppressed"]) and row["year"] == 2023
    assert all(math.isnan(row[c]) for c in ("value", "count", "lower", "upper"))
    assert (row["vs_county"], row["vs_country"], row["trend"]) == (
        "not_compared",
        "not_compared",
        "cannot_calculate",
    )
    assert pd.isna(row["rank"]) and math.isnan(row["trend_p"])
    assert row["county_value"] == 35.0  # the benchmark itself is not hidden


def test_row_without_counts(hand_summary):
    row = _row(hand_summary, 1004)
    assert row["value"] == 95.0 and math.isnan(row["lower"]) and math.isnan(row["count"])
    assert (row["vs_county"], row["vs_country"], row["trend"]) == (
        "not_compared",
        "not_compared",
        "cannot_calculate",
    )
    assert math.isnan(row["country_value"]) and not bool(row["suppressed"])


def test_latest_year_is_per_indicator(hand_summary):
    row = _row(hand_summary, 1006)
    assert (row["year"], row["county_value"], row["country_value"]) == (2021, 40.0, 45.0)
    assert row["vs_county"] == "better" and row["vs_country"] == "better"
    assert (row["trend"], row["trend_first_year"], row["trend_last_year"]) == (
        "no_change",
        2018,
        2021,
    )


def test_fixed_year_and_swedish():
    summary = indicator_summary(
        _hand_table(),
        HAND_CATALOG,
        TOWN,
        county_id=COUNTY,
        peer_ids=PEERS,
        year=2022,
        language="sv",
    )
    assert summary["indicator"].tolist() == [1001, 1002, 1003, 1004]  # 1006 has no 2022 value
    row = _row(summary, 1003)
    assert row["value"] == 40.0 and not bool(row["suppressed"]) and row["year"] == 2022
    row = _row(summary, 1001)
    assert row["value"] == 14.0 and (row["trend_first_year"], row["trend_last_year"]) == (
        2018,
        2022,
    )
    assert row["short"] == "Indikator 1001" and row["title"] == "Indikator 1001 titel"


def test_no_data_gives_an_empty_frame_with_the_columns():
    summary = indicator_summary(_hand_table(), HAND_CATALOG, 999, county_id=COUNTY, peer_ids=PEERS)
    assert summary.empty and list(summary.columns) == EXPECTED_COLUMNS


def test_strengths_and_concerns(hand_summary):
    found = strengths_and_concerns(hand_summary)
    assert set(found) == {
        "better_than_county",
        "worse_than_county",
        "better_than_country",
        "worse_than_country",
        "improving",
        "worsening",
    }
    assert [i["indicator"] for i in found["worse_than_county"]] == [1001]
    # largest relative difference first: 1006 (50 vs 45, 11 %) before 1001 (15 vs 16, 6 %)
    assert [i["indicator"] for i in found["better_than_country"]] == [1006, 1001]
    assert [i["indicator"] for i in found["better_than_county"]] == [1006]
    assert found["worse_than_country"] == [] and found["improving"] == []
    worsening = found["worsening"]
    assert [i["indicator"] for i in worsening] == [1001] and worsening[0]["label"] == "heikkenevä"
    assert found["worse_than_county"][0]["benchmark"] == 12.0
    assert strengths_and_concerns(hand_summary, "sv")["worsening"][0]["label"] == "försämras"


def test_labels():
    assert label("better") == "parempi" and label("better", "sv") == "bättre"
    assert (
        label("similar") == "ei merkitsevää eroa" and label("suppressed") == "alle tietosuojarajan"
    )
    for key in (
        stats.BETTER,
        stats.SIMILAR,
        stats.WORSE,
        stats.HIGHER,
        stats.LOWER,
        stats.NOT_COMPARED,
        stats.IMPROVING,
        stats.WORSENING,
        stats.INCREASING,
        stats.DECREASING,
        stats.NO_CHANGE,
        stats.CANNOT_CALCULATE,
        "suppressed",
    ):
        assert label(key, "fi") and label(key, "sv")
    with pytest.raises(HyteError, match="no label 'sideways'"):
        label("sideways")
    with pytest.raises(HyteError, match="use 'fi' or 'sv'"):
        label("better", "en")


# ------------------------------------------------------------------------- real data: Kajaani, 683

KAJAANI, KAINUU = 94, 962
KAINUU_MUNICIPALITIES = [54, 94, 156, 266, 301, 325, 359, 368]


@pytest.fixture(scope="module")
def kainuu(fixtures_dir, regions):
    path = fixtures_dir / "sotkanet_683_kainuu_2015_2023.csv"
    with path.open(encoding="utf-8") as handle:
        raw = list(csv.DictReader(handle))
    table, _report = tidy_from_rows(raw, regions, source=path.name)
    catalog = _catalog(
        [
            Indicator(
                id=683,
                title_fi="Erityiskorvattaviin lääkkeisiin diabeteksen vuoksi oikeutettuja "
                "40 vuotta täyttäneitä, % vastaavanikäisestä väestöstä",
                title_sv="Diabetes, specialersättning för läkemedel, 40 år fyllda",
                short_fi="Diabeteslääkkeiden erityiskorvaus, 40+",
                short_sv="Diabetesläkemedel, 40+",
                value_type="PROS",
                unit_fi="%",
                unit_sv="%",
                decimals=1,
                polarity="lower_is_better",
                group="tyoikaiset",
                theme="terveys_sairastavuus",
                ci_method="wilson",
                producer="Kela",
            )
        ]
    )
    summary = indicator_summary(
        table, catalog, KAJAANI, county_id=KAINUU, country_id=658, peer_ids=KAINUU_MUNICIPALITIES
    )
    return raw, summary


def _fixture_row(raw, region: int, year: int) -> dict:
    hits = [r for r in raw if int(r["region"]) == region and int(r["year"]) == year]
    assert len(hits) == 1
    return hits[0]


def test_kajaani_683_against_the_fixture(kainuu):
    raw, summary = kainuu
    row = _row(summary, 683)
    source = _fixture_row(raw, KAJAANI, 2023)
    assert row["year"] == 2023
    assert row["value"] == float(source["value"]) and row["count"] == float(source["absValue"])
    assert row["lower"] < row["value"] < row["upper"]
    assert row["county_value"] == float(_fixture_row(raw, KAINUU, 2023)["value"])
    assert row["country_value"] == float(_fixture_row(raw, 658, 2023)["value"])


def test_kajaani_683_comparison_follows_from_the_numbers(kainuu):
    raw, summary = kainuu
    row = _row(summary, 683)
    value, count = (
        float(_fixture_row(raw, KAJAANI, 2023)["value"]),
        float(_fixture_row(raw, KAJAANI, 2023)["absValue"]),
    )
    # Independently: Wilson interval from scipy on the derived denominator.
    denominator = round(count * 100 / value)
    ci = sps.binomtest(int(count), denominator).proportion_ci(method="wilson")
    assert row["lower"] == pytest.approx(ci.low * 100, abs=0.005)
    assert row["upper"] == pytest.approx(ci.high * 100, abs=0.005)
    for benchmark, column in (
        (float(_fixture_row(raw, KAINUU, 2023)["value"]), "vs_county"),
        (float(_fixture_row(raw, 658, 2023)["value"]), "vs_country"),
    ):
        if ci.high * 100 < benchmark:
            expected = "better"  # lower is better
        elif ci.low * 100 > benchmark:
            expected = "worse"
        else:
            expected = "similar"
        assert row[column] == expected
    # 12.1 % (CI ≈ 11.7–12.6) against Kainuu 12.9 % and Finland 11.8 %.
    assert (row["vs_county"], row["vs_country"]) == ("better", "similar")


def test_kajaani_683_peers_rank_and_trend(kainuu):
    raw, summary = kainuu
    row = _row(summary, 683)
    peer_values = [float(_fixture_row(raw, r, 2023)["value"]) for r in KAINUU_MUNICIPALITIES]
    assert row["peer_n"] == 8
    assert (row["peer_min"], row["peer_max"]) == (min(peer_values), max(peer_values))
    assert row["peer_q25"] == pytest.approx(np.percentile(peer_values, 25))
    kajaani = float(_fixture_row(raw, KAJAANI, 2023)["value"])
    assert row["rank"] == 1 + sum(v < kajaani for v in peer_values) and row["rank_n"] == 8
    # Trend 2019–2023 from the fixture's counts and derived denominators.
    years = range(2019, 2024)
    counts = np.array([float(_fixture_row(raw, KAJAANI, y)["absValue"]) for y in years])
    values = np.array([float(_fixture_row(raw, KAJAANI, y)["value"]) for y in years])
    _, p_value, _ = stats._chi2_trend_proportions(list(years), counts, counts * 100 / values)
    assert row["trend_p"] == pytest.approx(p_value) and (
        row["trend_first_year"],
        row["trend_last_year"],
    ) == (2019, 2023)
    assert row["trend"] == ("no_change" if p_value >= 0.05 else "worsening")
