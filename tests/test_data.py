"""The tidy table: real Sotkanet rows in, validated long table out, problems reported."""

import csv
import math

import pandas as pd
import pytest

from hyte.data.tidy import TIDY_COLUMNS, tidy_from_rows, validate_tidy
from hyte.errors import HyteError


def _rows(fixtures_dir, name):
    with (fixtures_dir / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_kainuu_683_rows_become_tidy(regions, fixtures_dir):
    rows = _rows(fixtures_dir, "sotkanet_683_kainuu_2015_2023.csv")
    table, report = tidy_from_rows(rows, regions)
    assert list(table.columns) == list(TIDY_COLUMNS)
    kajaani_2023 = next(r for r in rows if r["region"] == "94" and r["year"] == "2023")
    got = table[(table.region_id == 94) & (table.year == 2023)].iloc[0]
    assert got.value == float(kajaani_2023["value"]) and got["count"] == float(
        kajaani_2023["absValue"]
    )
    assert (got.region_code, got.region_level, got.region_name) == (
        "205",
        "municipality",
        "Kajaani",
    )
    county = table[(table.region_id == 962)]
    assert set(county.region_level) == {"county"} and len(county) == 9
    # seutukunnat 587/588, maakunta 504, hospital district 617 and Manner-Suomi 727 are not reporting levels
    assert set(report.unknown_regions) == {504, 587, 588, 617, 727}
    assert report.rows_in == 144 and report.rows_out == 144 - 45


def test_county_counts_add_up_in_real_data(regions, fixtures_dir):
    table, _ = tidy_from_rows(_rows(fixtures_dir, "sotkanet_683_kainuu_2015_2023.csv"), regions)
    kainuu = {m.sotkanet_id for m in regions.county_municipalities("20")}
    for year, frame in table.groupby("year"):
        municipal = frame[frame.region_id.isin(kainuu)]["count"].sum()
        assert municipal == frame[frame.region_id == 962]["count"].item(), year


def test_rest_csv_response_with_empty_counts(regions, fixtures_dir):
    with (fixtures_dir / "sotkanet_rest_csv_127_2009_all_regions.csv").open(
        encoding="utf-8"
    ) as handle:
        rows = [
            {
                "indicator": r["indicator"],
                "region": r["region"],
                "year": r["year"],
                "gender": r["gender"],
                "value": r["primary value"],
                "absValue": r["absolute value"],
            }
            for r in csv.DictReader(handle, delimiter=";")
        ]
    table, report = tidy_from_rows(rows, regions)
    assert table["count"].isna().all()
    assert table[table.region_id == 658].value.item() == 5351427
    assert {730, 455, 456} <= set(report.unknown_regions)


def test_rows_without_value_are_kept_empty_and_counted(regions):
    rows = [
        {
            "indicator": 5,
            "region": 85,
            "year": 2024,
            "gender": "total",
            "value": None,
            "absValue": None,
        },
        {
            "indicator": 5,
            "region": 85,
            "year": 2023,
            "gender": "total",
            "value": "3,5",
            "absValue": "",
        },
    ]
    table, report = tidy_from_rows(rows, regions)
    assert report.missing_value == 1
    assert math.isnan(table[table.year == 2024].value.item())
    assert table[table.year == 2023].value.item() == 3.5


def test_duplicates_and_bad_rows_are_reported(regions):
    rows = [
        {"indicator": 5, "region": 85, "year": 2024, "gender": "total", "value": 1.0},
        {"indicator": 5, "region": 85, "year": 2024, "gender": "total", "value": 2.0},
        {"indicator": 5, "region": 85, "year": "20x4", "gender": "total", "value": 2.0},
        {"indicator": 5, "region": 85, "year": 2024, "gender": "other", "value": 2.0},
    ]
    table, report = tidy_from_rows(rows, regions, source="test.json")
    assert len(table) == 1 and table.value.item() == 1.0
    assert report.duplicates == 1 and "1.0" in report.conflicting_duplicates[0]
    assert len(report.bad_rows) == 2 and report.bad_rows[0].startswith("test.json row 3")


def test_validate_names_the_offending_row():
    frame = pd.DataFrame(
        [
            {
                "indicator": 5,
                "region_id": 85,
                "region_code": "179",
                "region_level": "kunta",
                "region_name": "Jyväskylä",
                "year": 2024,
                "sex": "total",
                "value": 1.0,
                "count": 3.0,
            }
        ]
    )
    with pytest.raises(HyteError, match=r"t.parquet: row 1 .*region_level"):
        validate_tidy(frame, "t.parquet")
    with pytest.raises(HyteError, match="missing column"):
        validate_tidy(frame.drop(columns="count"), "t.parquet")
