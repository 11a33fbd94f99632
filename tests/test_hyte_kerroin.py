"""HYTE-kerroin: configuration, invariants of the score, what-if, municipal drivers, report, chapter.

Invariants are checked on random configurations and tables (numpy seeds), specific cases by hand and
on the real THL Sotkanet fixture of indicator 683 (all counties 2005–2023, Kainuu's municipalities).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from hyte.errors import HyteError
from hyte.kerroin.model import (
    OUTCOME,
    PROCESS,
    KerroinConfig,
    KerroinInputs,
    build_inputs,
    compute,
    load_kerroin_config,
    municipal_drivers,
    municipality_values,
    sensitivity,
    what_if,
)

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "data" / "hyte_kerroin.yml"
COUNTY = "15"


# --- helpers -------------------------------------------------------------------------------------


def _raw() -> dict:
    return yaml.safe_load(CONFIG.read_text(encoding="utf-8"))


def _write(tmp_path: Path, raw: dict) -> Path:
    path = tmp_path / "hyte_kerroin.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _indicator(
    key: str,
    role: str,
    ind: int | None,
    direction: str = "lower_is_better",
    weight: float = 1,
    **extra,
) -> dict:
    return {
        "key": key,
        "role": role,
        "name_fi": f"Mittari {key}",
        "unit_fi": "%",
        "decimals": 1,
        "direction": direction,
        "indicator": ind,
        "weight": weight,
        "step": 0.5,
        "assumption_fi": "Testi.",
        **extra,
    }


def _config(tmp_path: Path, indicators: list[dict], **settings) -> KerroinConfig:
    raw = _raw()
    raw["indicators"] = indicators
    for name, value in settings.items():
        raw[name] = {"value": value, "assumption_fi": "Testi."}
    return load_kerroin_config(_write(tmp_path, raw))


def _random_config(tmp_path: Path, rng: np.random.Generator):
    """Random weights, directions, halves and methods over 3 process + 3 outcome indicators."""
    methods = ["minmax", "percentile", "target"]
    indicators = []
    for i in range(6):
        role = PROCESS if i < 3 else OUTCOME
        direction = str(rng.choice(["higher_is_better", "lower_is_better"]))
        extra = {"method": str(rng.choice(methods))}
        if role == PROCESS:
            extra["target"] = float(rng.uniform(5, 60))
        else:
            extra["target_change_pct"] = float(rng.uniform(1, 20)) * (
                1 if direction == "higher_is_better" else -1
            )
        indicators.append(
            _indicator(f"k{i}", role, 1000 + i, direction, float(rng.uniform(0.1, 5)), **extra)
        )
    share = float(rng.uniform(0.05, 0.95))
    return _config(
        tmp_path, indicators, halves={"process": share, "outcome": 1 - share}, min_coverage=0.0
    )


def _random_inputs(
    config, rng: np.random.Generator, n: int = 22, holes: float = 0.0
) -> KerroinInputs:
    codes = [f"{i:02d}" for i in range(1, n + 1)]
    current = pd.DataFrame(
        rng.uniform(1, 50, size=(n, len(config.keys))), index=codes, columns=config.keys
    )
    outcome_keys = [e.key for e in config.in_role(OUTCOME)]
    start = pd.DataFrame(
        rng.uniform(1, 50, size=(n, len(outcome_keys))), index=codes, columns=outcome_keys
    )
    if holes:
        current = current.mask(rng.uniform(size=current.shape) < holes)
        start = start.mask(rng.uniform(size=start.shape) < holes)
    counties = pd.DataFrame(
        {
            "name_fi": [f"Alue {c}" for c in codes],
            "residents": rng.integers(60_000, 700_000, size=n).astype(float),
        },
        index=codes,
    )
    return KerroinInputs(config, codes[0], counties, current, start)


def _tidy_table(
    regions,
    rng: np.random.Generator,
    indicators: list[int],
    years=range(2018, 2025),
    municipal: bool = True,
) -> pd.DataFrame:
    """A hand-made tidy table: every county (Åland too), the country, and Keski-Suomi's municipalities."""
    records = []
    for code, county in regions.counties.items():
        for ind in indicators:
            base = rng.uniform(0.5, 20)
            for year in years:
                value = 270_000.0 if ind == 127 else round(base * (1 + rng.normal(0, 0.05)), 1)
                records.append(
                    (
                        ind,
                        county.sotkanet_id,
                        code,
                        "county",
                        county.name_fi,
                        year,
                        "total",
                        value,
                        math.nan,
                    )
                )
    if municipal:
        for m in regions.county_municipalities(COUNTY):
            for ind in indicators:
                for year in years:
                    value = round(rng.uniform(0.5, 20), 1)
                    count = float(rng.integers(1, 400))
                    records.append(
                        (
                            ind,
                            m.sotkanet_id,
                            m.code,
                            "municipality",
                            m.name_fi,
                            year,
                            "total",
                            value,
                            count,
                        )
                    )
    columns = [
        "indicator",
        "region_id",
        "region_code",
        "region_level",
        "region_name",
        "year",
        "sex",
        "value",
        "count",
    ]
    return pd.DataFrame.from_records(records, columns=columns)


# --- configuration -------------------------------------------------------------------------------


def test_project_config_states_what_is_known(root):
    from hyte.data.catalog import load_catalog

    catalog_path = root / "data" / "indicators.yml"
    catalog = load_catalog(catalog_path) if catalog_path.is_file() else None
    config = load_kerroin_config(CONFIG, catalog)
    assert (
        config.funding_year.value == 2026
        and config.lag_years.value == 2
        and config.data_year == 2024
    )
    assert config.halves.value == {"process": 0.5, "outcome": 0.5}
    assert config.pot == 217_000_000
    roles = {e.key: e.role for e in config.indicators}
    assert sorted(roles.values()).count(PROCESS) == 4 and sorted(roles.values()).count(OUTCOME) == 4
    assert {e.indicator for e in config.in_role(OUTCOME)} == {699, 3219, 234, 2422}
    # every assumed (non-sourced) setting carries a sentence a reader sees
    for name, setting in config.settings().items():
        assert setting.source or setting.assumption_fi, name
    # indicators without a known Sotkanet id say so in their assumption
    for entry in config.indicators:
        if entry.indicator is None or entry.proxy:
            text = (entry.assumption_fi or "").lower()
            assert "tunnus" in text or "tilalla" in text, entry.key


def _one_line(info, path: Path, *words: str) -> str:
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    for word in words:
        assert word in message, message
    return message


def test_negative_weight_names_file_entry_and_field(tmp_path):
    raw = _raw()
    raw["indicators"][4]["weight"] = -1
    path = _write(tmp_path, raw)
    with pytest.raises(HyteError) as info:
        load_kerroin_config(path)
    _one_line(info, path, "indicator #5", "lonkkamurtumat", "'weight'")


def test_missing_field_names_it(tmp_path):
    raw = _raw()
    del raw["indicators"][0]["direction"]
    path = _write(tmp_path, raw)
    with pytest.raises(HyteError) as info:
        load_kerroin_config(path)
    _one_line(info, path, "indicator #1", "'direction'", "required")


def test_missing_setting_names_it(tmp_path):
    raw = _raw()
    del raw["lag_years"]
    path = _write(tmp_path, raw)
    with pytest.raises(HyteError) as info:
        load_kerroin_config(path)
    _one_line(info, path, "'lag_years'")


def test_unknown_indicator_is_checked_against_the_catalog(tmp_path):
    class FakeCatalog:
        source = "data/indicators.yml"
        ids = frozenset({127, 699, 3219, 234})

        def __contains__(self, item):
            return item in self.ids

    path = _write(tmp_path, _raw())
    with pytest.raises(HyteError) as info:
        load_kerroin_config(path, FakeCatalog())
    _one_line(info, path, "mt_tyokyvyttomyys", "'indicator'", "2422", "catalog")


@pytest.mark.parametrize(
    "change, words",
    [
        (
            lambda r: r.update(
                halves={"value": {"process": 0.7, "outcome": 0.5}, "source": "domain_brief"}
            ),
            ["'halves", "add up to 1"],
        ),
        (
            lambda r: r["indicators"][0].update(source=["nowhere"]),
            ["indicator #1", "'source'", "nowhere"],
        ),
        (lambda r: r["indicators"][5].update(method="target"), ["neet", "'target_change_pct'"]),
        (lambda r: r["indicators"][1].update(key="elintapaneuvonta"), ["duplicate key"]),
        (lambda r: r.update(min_coverage={"value": 0.5}), ["'min_coverage'", "assumption_fi"]),
        (lambda r: r["indicators"][2].update(colour="red"), ["indicator #3", "'colour'"]),
    ],
)
def test_bad_config_is_one_clear_line(tmp_path, change, words):
    raw = _raw()
    change(raw)
    path = _write(tmp_path, raw)
    with pytest.raises(HyteError) as info:
        load_kerroin_config(path)
    _one_line(info, path, *words)


# --- invariants on random inputs -----------------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
def test_score_within_0_100_and_contributions_add_up(tmp_path, seed):
    rng = np.random.default_rng(seed)
    config = _random_config(tmp_path, rng)
    result = compute(_random_inputs(config, rng, holes=0.15 if seed % 2 else 0.0))
    scores = result.table["score"].dropna()
    assert len(scores) > 0
    assert (scores >= 0).all() and (scores <= 100).all()
    subscores = result.subscores.stack().dropna()
    assert ((subscores >= 0) & (subscores <= 1)).all()
    sums = result.contributions.sum(axis=1, min_count=1)
    assert np.allclose(sums[scores.index], scores, atol=1e-9, rtol=0)
    halves = result.table[PROCESS].fillna(0) + result.table[OUTCOME].fillna(0)
    assert np.allclose(halves[scores.index], scores, atol=1e-9, rtol=0)
    weights = result.weights.sum(axis=1)[scores.index]
    assert np.allclose(weights, 1.0, atol=1e-12)
    ranks = result.table["rank"].dropna()
    assert ranks.min() == 1 and ranks.max() <= len(scores)


@pytest.mark.parametrize("seed", range(10))
def test_improving_an_indicator_never_lowers_the_score(tmp_path, seed):
    rng = np.random.default_rng(100 + seed)
    config = _random_config(tmp_path, rng)
    inputs = _random_inputs(config, rng, holes=0.1)
    before = compute(inputs)
    for county in rng.choice(inputs.counties.index, size=3, replace=False):
        for key in config.keys:
            if pd.isna(inputs.current.loc[county, key]) or pd.isna(
                before.table.loc[county, "score"]
            ):
                continue
            step = float(rng.uniform(0.01, 30))
            result = what_if(inputs, key, step, county=county, before=before)
            assert result.score_after >= result.score_before - 1e-9, (county, key, step)
            assert result.rank_after <= result.rank_before
            if result.points > 1e-9:
                assert result.euros_after > result.euros_before


@pytest.mark.parametrize("seed", range(6))
def test_equal_inputs_give_equal_scores_and_ranks(tmp_path, seed):
    rng = np.random.default_rng(200 + seed)
    config = _random_config(tmp_path, rng)
    inputs = _random_inputs(config, rng)
    inputs.current.loc["05"] = inputs.current.loc["02"]
    inputs.start.loc["05"] = inputs.start.loc["02"]
    result = compute(inputs)
    assert result.table.loc["05", "score"] == result.table.loc["02", "score"]
    assert result.table.loc["05", "rank"] == result.table.loc["02", "rank"]
    again = compute(inputs.copy())
    pd.testing.assert_frame_equal(result.table, again.table)


def test_all_counties_equal_all_get_the_same_score(tmp_path):
    rng = np.random.default_rng(7)
    config = _random_config(tmp_path, rng)
    inputs = _random_inputs(config, rng)
    inputs.current.loc[:] = inputs.current.iloc[[0] * len(inputs.current)].to_numpy()
    inputs.start.loc[:] = inputs.start.iloc[[0] * len(inputs.start)].to_numpy()
    result = compute(inputs)
    assert result.table["score"].nunique() == 1 and (result.table["rank"] == 1).all()


# --- specific cases by hand ----------------------------------------------------------------------


def _hand_config(tmp_path, **settings):
    indicators = [
        _indicator("p1", PROCESS, 1001, "higher_is_better", weight=1),
        _indicator("p2", PROCESS, 1002, "higher_is_better", weight=3),
        _indicator("o1", OUTCOME, 1003, "lower_is_better", weight=1),
    ]
    return _config(tmp_path, indicators, **settings)


def _hand_inputs(config):
    codes = ["01", "02", "03"]
    current = pd.DataFrame(
        {"p1": [10.0, 20.0, 30.0], "p2": [50.0, 40.0, 60.0], "o1": [9.0, 10.0, 8.0]}, index=codes
    )
    start = pd.DataFrame({"o1": [10.0, 10.0, 10.0]}, index=codes)  # changes −10 %, 0 %, −20 %
    counties = pd.DataFrame(
        {"name_fi": ["A", "B", "C"], "residents": [100_000.0, 200_000.0, 100_000.0]}, index=codes
    )
    return KerroinInputs(config, "01", counties, current, start)


def test_hand_checked_scores_ranks_and_euros(tmp_path):
    config = _hand_config(tmp_path)
    result = compute(_hand_inputs(config))
    # A: p1 0.0, p2 0.5, o1 0.5 -> 100 × (0.5 × (0 × 1/4 + 0.5 × 3/4) + 0.5 × 0.5) = 43.75
    # B: p1 0.5, p2 0.0, o1 0.0 -> 100 × (0.5 × 0.5/4) = 6.25;  C: all 1 -> 100
    assert result.table["score"].tolist() == pytest.approx([43.75, 6.25, 100.0], abs=1e-12)
    assert result.table["rank"].tolist() == [2, 3, 1]
    assert result.contributions.loc["01"].tolist() == pytest.approx([0.0, 18.75, 25.0], abs=1e-12)
    assert result.measure.loc["01", "o1"] == pytest.approx(-10.0)
    mass = np.array([100_000 * 43.75, 200_000 * 6.25, 100_000 * 100.0])
    assert result.table["euros"].tolist() == pytest.approx(list(217e6 * mass / mass.sum()))
    assert result.table["euros"].sum() == pytest.approx(217e6)
    assert result.table["euros_by_residents"].tolist() == pytest.approx([54.25e6, 108.5e6, 54.25e6])
    assert result.table["complete"].all()


def test_hand_checked_what_if_and_sensitivity(tmp_path):
    config = _hand_config(tmp_path)
    inputs = _hand_inputs(config)
    # A's p1 10 -> 15: minmax (15−10)/(30−10)=0.25 (min moves to 15? no: B=20, C=30, A=15 -> min 15)
    result = what_if(inputs, "p1", 5.0)
    assert result.value_after == 15.0
    # A is still the minimum, so its p1 sub-score stays 0: no points (minmax)
    assert result.points == pytest.approx(0.0)
    result = what_if(inputs, "p1", 15.0)  # 25: (25−20)/(30−20) = 0.5 -> +0.5 × 1/8 × 100 = 6.25
    assert result.points == pytest.approx(6.25)
    assert (result.rank_before, result.rank_after) == (2, 2)
    result = what_if(inputs, "o1", 1.0)  # 9 -> 8: change −20 % = C's: o1 sub-score 1 -> +25 points
    assert result.points == pytest.approx(25.0) and result.score_after == pytest.approx(68.75)
    table = sensitivity(inputs, steps={"p1": 15.0, "p2": 5.0, "o1": 1.0})
    assert table["key"].tolist()[0] == "o1"
    assert list(table["euros"]) == sorted(table["euros"], reverse=True)
    assert table.set_index("key").loc["p2", "points"] == pytest.approx(
        100 * 0.5 * 0.75 * (55 - 40) / 20 - 18.75
    )


def test_missing_values_are_reported_not_zeroed(tmp_path):
    config = _hand_config(tmp_path)
    inputs = _hand_inputs(config)
    inputs.current.loc["01", "p2"] = math.nan
    result = compute(inputs)
    assert [(m.county_code, m.indicator_key) for m in result.missing] == [("01", "p2")]
    assert pd.isna(result.contributions.loc["01", "p2"])
    # p2 missing: p1 carries the whole process half -> 100 × (0.5 × 0 + 0.5 × 0.5) = 25, coverage 0.5 × 1/4 + 0.5
    assert result.table.loc["01", "score"] == pytest.approx(25.0)
    assert result.table.loc["01", "coverage"] == pytest.approx(0.625)
    assert not result.table.loc["01", "complete"]
    # treating it as 0 would be a different result: A fully covered, and B's p2 no longer the worst
    zeroed = _hand_inputs(config)
    zeroed.current.loc["01", "p2"] = 0.0
    other = compute(zeroed)
    assert other.table.loc["01", "coverage"] == 1.0 and other.missing == []
    assert result.table.loc["02", "score"] == pytest.approx(6.25)
    assert other.table.loc["02", "score"] == pytest.approx(6.25 + 100 * 0.5 * 0.75 * 40 / 60)


def test_null_indicator_is_missing_for_every_county_and_weights_renormalise(tmp_path):
    indicators = [
        _indicator("p1", PROCESS, None, "higher_is_better"),
        _indicator("o1", OUTCOME, 1003, "lower_is_better"),
    ]
    config = _config(tmp_path, indicators)
    codes = ["01", "02"]
    inputs = KerroinInputs(
        config,
        "01",
        pd.DataFrame({"name_fi": ["A", "B"], "residents": [1.0, 1.0]}, index=codes),
        pd.DataFrame({"o1": [9.0, 10.0]}, index=codes),
        pd.DataFrame({"o1": [10.0, 10.0]}, index=codes),
    )
    result = compute(inputs)
    assert result.table["score"].tolist() == [100.0, 0.0]  # the outcome half carries everything
    assert result.table["coverage"].tolist() == [0.5, 0.5]
    assert not result.table["complete"].any()
    assert pd.isna(result.contributions["p1"]).all()


def test_below_min_coverage_no_score_and_no_rank(tmp_path):
    config = _hand_config(tmp_path, min_coverage=0.9)
    inputs = _hand_inputs(config)
    inputs.start.loc["02", "o1"] = math.nan
    result = compute(inputs)
    assert pd.isna(result.table.loc["02", "score"]) and pd.isna(result.table.loc["02", "rank"])
    assert pd.isna(result.table.loc["02", "euros"])
    assert result.table["euros"].sum() == pytest.approx(217e6)
    assert any("B" in note and "kattavuus" in note for note in result.notes)


# --- from the tidy table -------------------------------------------------------------------------


def test_build_inputs_from_a_tidy_table(tmp_path, regions):
    config = load_kerroin_config(CONFIG)
    table = _tidy_table(
        regions, np.random.default_rng(3), [699, 3219, 234, 2422, 127], years=range(2018, 2024)
    )
    inputs = build_inputs(table, config, regions, COUNTY)
    assert len(inputs.counties) == 22 and "91" not in inputs.counties.index
    assert inputs.years["lonkkamurtumat"] == (2020, 2023)  # 2024 absent: latest earlier year
    assert any("vuotta 2023" in note for note in inputs.notes)
    assert inputs.residents_year == 2023
    missing = {(m.indicator_key, m.reason_fi) for m in inputs.missing}
    assert ("elintapaneuvonta", "Sotkanet-tunnus ei tiedossa") in missing
    result = compute(inputs)
    ranks = result.table["rank"]
    assert sorted(ranks.astype(int)) == sorted(
        pd.Series(result.table["score"]).rank(ascending=False, method="min").astype(int)
    )
    assert ranks.min() == 1 and ranks.max() <= 22 and ranks.notna().sum() == 22
    assert (result.table["coverage"] == 0.5).all()
    strict = config.with_updates(year_policy="strict")
    inputs = build_inputs(table, strict, regions, COUNTY)
    assert inputs.years["lonkkamurtumat"] == (None, None)
    assert sum(m.indicator_key == "lonkkamurtumat" for m in inputs.missing) == 22


def test_real_683_counties_rank_by_relative_change(fixtures_dir, regions, tmp_path):
    """Real THL Sotkanet data: indicator 683 for all 23 counties 2005–2023 as the only outcome."""
    raw = pd.read_csv(
        fixtures_dir / "sotkanet_683_hyvinvointialueet_2005_2023.csv", dtype={"region_code": str}
    )
    table = pd.DataFrame(
        {
            "indicator": raw["indicator"],
            "region_id": raw["region"],
            "region_code": raw["region_code"].str.zfill(2),
            "region_level": "county",
            "region_name": raw["region_title_fi"],
            "year": raw["year"],
            "sex": "total",
            "value": raw["value"].astype(float),
            "count": raw["absValue"].astype(float),
        }
    )
    config = _config(
        tmp_path,
        [
            _indicator("p1", PROCESS, None, "higher_is_better"),
            _indicator("diabetes", OUTCOME, 683, "lower_is_better"),
        ],
        funding_year=2025,
        outcome_period_years=3,
    )
    inputs = build_inputs(table, config, regions, "20")
    assert inputs.years["diabetes"] == (2020, 2023)
    result = compute(inputs)
    assert result.table["rank"].notna().sum() == 22 and "91" not in result.table.index
    # independent check: relative change 2020 -> 2023 from the file, min–max, lower is better
    wide = table[table["region_code"] != "91"].pivot(
        index="region_code", columns="year", values="value"
    )
    change = (wide[2023] - wide[2020]) / wide[2020]
    expected = 100 * (change.max() - change) / (change.max() - change.min())
    assert result.table["score"].to_dict() == pytest.approx(expected.to_dict(), abs=1e-9)
    assert result.table["score"].max() == pytest.approx(100) and result.table[
        "score"
    ].min() == pytest.approx(0)
    assert result.table["rank"].min() == 1 and result.table["rank"].max() == 22


def test_real_683_kainuu_municipal_drivers_add_up(fixtures_dir, regions, tmp_path):
    """Real data: Kainuu's municipal counts add up to the county (PROVENANCE); the drivers must too."""
    raw = pd.read_csv(
        fixtures_dir / "sotkanet_683_kainuu_2015_2023.csv", dtype={"region_code": str}
    )
    rows = raw.rename(columns={"absValue": "absValue"}).to_dict("records")
    from hyte.data.tidy import tidy_from_rows

    table, _ = tidy_from_rows(rows, regions)
    config = _config(
        tmp_path,
        [
            _indicator("p1", PROCESS, None, "higher_is_better"),
            _indicator("diabetes", OUTCOME, 683, "lower_is_better"),
        ],
        funding_year=2025,
        outcome_period_years=3,
    )
    inputs = build_inputs(table, config, regions, "20")
    drivers = municipal_drivers(table, inputs, regions)
    assert len(drivers) == 8 and set(drivers["municipality"]) >= {"Kajaani", "Sotkamo"}
    county = raw[raw["region"] == 962].set_index("year")["value"]
    # level from municipal counts ≈ the published county value (values carry one decimal)
    assert drivers["level_points"].sum() == pytest.approx(county[2023], abs=0.05)
    assert drivers["change_points"].sum() == pytest.approx(county[2023] - county[2020], abs=0.1)
    assert drivers["change_share"].sum() == pytest.approx(1.0)
    kajaani = drivers.set_index("municipality").loc["Kajaani"]
    assert (
        kajaani["count_end"]
        == raw[(raw["region"] == 94) & (raw["year"] == 2023)]["absValue"].iloc[0]
    )


def test_municipality_values_for_a_card(regions):
    config = load_kerroin_config(CONFIG)
    table = _tidy_table(regions, np.random.default_rng(5), [699, 3219, 234, 2422])
    values = municipality_values(table, config, regions.municipality("179"))
    assert list(values["key"]) == config.keys
    row = values.set_index("key").loc["lonkkamurtumat"]
    assert row["year"] == 2024 and row["start_year"] == 2021
    assert row["change_pct"] == pytest.approx(
        (row["value"] - row["start_value"]) / row["start_value"] * 100
    )
    assert values.set_index("key").loc["elintapaneuvonta", ["value", "year"]].isna().all()
    from hyte.kerroin.report import municipality_table

    text = municipality_table(values)
    assert text.count("\n") == 1 + len(config.keys)
    assert (
        "| Elintapaneuvonta tyypin 2 diabeteksen riskissä oleville | prosessi | – | – | – |" in text
    )
    assert "(2021–2024)" in text


# --- report --------------------------------------------------------------------------------------


def _run(regions, tmp_path):
    from hyte.kerroin.model import KerroinRun

    config = load_kerroin_config(CONFIG)
    table = _tidy_table(regions, np.random.default_rng(11), [699, 3219, 234, 2422, 127])
    inputs = build_inputs(table, config, regions, COUNTY)
    result = compute(inputs)
    return KerroinRun(
        config, inputs, result, sensitivity(inputs), municipal_drivers(table, inputs, regions), []
    )


def test_report_tables_and_sentences_are_finnish(regions, tmp_path):
    from hyte.kerroin import report

    run = _run(regions, tmp_path)
    ranking = report.ranking_table(run.result)
    assert ranking.count("\n") == 23 and "**Keski-Suomen hyvinvointialue**" in ranking
    assert "Ahvenanmaa" not in ranking
    score = run.result.row()["score"]
    summary = report.summary_markdown(run)
    assert f"{score:.1f}".replace(".", ",") in summary and "sijalle" in summary
    assert "50\u00a0%:iin" in summary  # incomplete: process ids unknown
    decomposition = report.decomposition_table(run.result)
    assert "puuttuu" in decomposition and "korvaava mittari" in decomposition
    assert re.search(r"\d,\d", decomposition) and not re.search(r"\d\.\d", decomposition)
    assert report.what_if_table(run).count("\n") == 1 + len(run.sensitivity)
    assumptions = report.assumptions_table(run.config)
    assert (
        "Oletus:" in assumptions
        and "Lähde:" in assumptions
        and "217\u00a0000\u00a0000\u00a0€" in assumptions
    )
    assert "Sotkanet-tunnus ei tiedossa" in report.missing_markdown(run.result)
    drivers = report.drivers_markdown(run)
    assert (
        "\n### " in "\n" + drivers
        and "####" not in drivers
        and "Jyväskylä" in report.drivers_table(run, "neet")
    )


def test_figures_highlight_the_county_and_carry_alt_text(regions, tmp_path):
    from hyte.kerroin import report

    run = _run(regions, tmp_path)
    fig, alt = report.ranking_figure(run.result)
    bars = fig.axes[0].patches
    hatched = [b for b in bars if b.get_hatch()]
    assert len(bars) == 22 and len(hatched) == 1
    assert hatched[0].get_width() == pytest.approx(run.result.row()["score"])
    assert "Keski-Suomen hyvinvointialue" in alt and "sijalle" in alt
    report.close(fig)
    fig, alt = report.decomposition_figure(run.result)
    assert "tieto puuttuu" in [t.get_text() for t in fig.axes[0].texts]
    assert "Tieto puuttuu: Elintapaneuvonta" in alt
    report.close(fig)


def test_published_point_is_documented_not_faked(fixtures_dir, root):
    """Kanta-Häme 46/100, rank 7 of 22 (2024): our scale and ranks match its form, not its value."""
    points = pd.read_csv(fixtures_dir / "hyte_kerroin_published_points.csv", dtype=str)
    kanta = points[(points["hyvinvointialue_code"] == "07")].set_index("metric")["value"]
    assert kanta["hyte_kerroin_score"] == "46" and kanta["rank_among_counties"] == "7"
    log = (root / "docs" / "aqa" / "hyte_kerroin_assumptions.md").read_text(encoding="utf-8")
    assert "46/100" in log and "not reproduced" in log


# --- CLI and chapter -----------------------------------------------------------------------------


def test_cli_bad_kerroin_config_is_one_line(tmp_path):
    from typer.testing import CliRunner

    from hyte.cli import app

    raw = _raw()
    raw["indicators"][0]["weight"] = -2
    path = _write(tmp_path, raw)
    result = CliRunner().invoke(app, ["kerroin", "--kerroin", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "'weight'" in result.output


def _demo_ready(root: Path) -> bool:
    return (root / "data" / "demo" / "manifest.json").is_file() and (
        root / "data" / "indicators.yml"
    ).is_file()


def test_cli_kerroin_on_demo(root):
    if not _demo_ready(root):
        pytest.skip("demo snapshot not built yet (hyte demo)")
    from typer.testing import CliRunner

    from hyte.cli import app

    result = CliRunner().invoke(app, ["kerroin"])
    assert result.exit_code == 0, result.output
    assert "Keski-Suomen hyvinvointialue" in result.output and "sija" in result.output


def test_chapter_runs_on_demo(root, monkeypatch):
    if not _demo_ready(root):
        pytest.skip("demo snapshot not built yet (hyte demo)")
    chapter = root / "report" / "hyte-kerroin.qmd"
    monkeypatch.chdir(root)
    try:
        from chapter_runner import run_chapter  # written by the book helper
    except ImportError:
        run_chapter = _run_chapter
    outputs = run_chapter(chapter)  # raises if a cell fails
    if isinstance(outputs, list) and outputs and all(isinstance(o, str) for o in outputs):
        assert "Keski-Suomen hyvinvointialue" in "\n".join(outputs)


def test_chapter_runs_on_a_hand_made_snapshot(root, regions, tmp_path, monkeypatch):
    """The chapter's cells run in a temporary project whose snapshot is a hand-made table."""
    import shutil

    from hyte.data.snapshot import SnapshotBuilder

    if not (root / "data" / "indicators.yml").is_file():
        pytest.skip("catalog data/indicators.yml not written yet")
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    shutil.copytree(root / "data" / "reference", project / "data" / "reference")
    for name in ("indicators.yml", "hyte_kerroin.yml"):
        shutil.copy(root / "data" / name, project / "data" / name)
    (project / "hyte.yml").write_text("county: '15'\nsnapshot: demo\n", encoding="utf-8")
    table = _tidy_table(regions, np.random.default_rng(21), [699, 3219, 234, 2422, 127])
    builder = SnapshotBuilder(project / "data" / "demo", source="test", synthetic=True)
    builder.set_table(table)
    builder.finish()
    monkeypatch.setenv("HYTE_ROOT", str(project))
    monkeypatch.chdir(project)
    printed = "\n".join(_run_chapter(root / "report" / "hyte-kerroin.qmd"))
    assert "esimerkkiaineisto" in printed
    assert "**Keski-Suomen hyvinvointialue**" in printed and "sijalle" in printed
    assert "Kuvion kuvaus:" in printed and "Oletus:" in printed
    assert "Traceback" not in printed


def _run_chapter(path: Path) -> list[str]:
    """Execute the ```{python} blocks in order; return what they print."""
    import contextlib
    import io

    source = path.read_text(encoding="utf-8")
    blocks = re.findall(r"```\{python\}\n(.*?)```", source, flags=re.DOTALL)
    assert blocks, "no python cells"
    namespace: dict = {}
    printed = []
    for block in blocks:
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(compile(block, str(path), "exec"), namespace)  # noqa: S102 - the chapter's own cells
        printed.append(buffer.getvalue())
    import matplotlib.pyplot as plt

    plt.close("all")
    return printed
