"""The synthetic demo snapshot: Sotkanet-shaped, consistent sums, realistic noise, deterministic."""

from __future__ import annotations

import gzip
import json
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from hyte.data.catalog import Indicator, load_catalog
from hyte.data.demo import generate_demo
from hyte.data.snapshot import open_snapshot
from hyte.data.tidy import tidy_from_rows
from hyte.errors import HyteError

KS_COUNTY_ID = 965
COUNTRY_ID = 658
JYVASKYLA, LUHANKA, KINNULA = 85, 208, 132
KOULUTERVEYSKYSELY = [2010, 2013, 2015, 2017, 2019, 2021, 2023, 2025]


@pytest.fixture(scope="module")
def catalog(root):
    return load_catalog(root / "data" / "indicators.yml")


@pytest.fixture(scope="module")
def settings_path(root):
    return root / "data" / "demo" / "generator.yml"


@pytest.fixture(scope="module")
def demo(tmp_path_factory, catalog, regions, settings_path):
    return generate_demo(tmp_path_factory.mktemp("demo") / "demo", catalog, regions, settings_path)


@pytest.fixture(scope="module")
def table(demo):
    return demo.table()


def _subset(catalog, ids):
    return catalog.model_copy(update={"indicators": [catalog.get(i) for i in ids]})


def test_same_seed_same_table_and_indicators_independent(
    tmp_path, demo, table, catalog, regions, settings_path
):
    ids = [127, 699, 3106, 243]
    again = generate_demo(tmp_path / "d", _subset(catalog, ids), regions, settings_path).table()
    expected = table[table.indicator.isin(ids)].reset_index(drop=True)
    pd.testing.assert_frame_equal(again, expected)
    other = generate_demo(
        tmp_path / "e", _subset(catalog, ids), regions, settings_path, seed=7
    ).table()
    assert not np.array_equal(other.value.fillna(-1).to_numpy(), again.value.fillna(-1).to_numpy())


def test_manifest_says_synthetic(demo):
    assert demo.synthetic and demo.source == "demo"
    assert demo.id == "demo-keski-suomi"
    assert "esimerkkiaineisto" in demo.label() and "exempeldata" in demo.label("sv")
    assert any("Synteettinen" in note for note in demo.manifest["notes"])
    assert demo.manifest["generator"]["seed"] == 2026
    assert (demo.path / "generator.yml").is_file()
    assert demo.verify() == []


def test_every_indicator_year_and_sex(table, catalog):
    assert set(table.indicator) == set(catalog.ids)
    assert sorted(table.year.unique()) == list(range(2010, 2026))
    for indicator in catalog:
        sexes = set(table.loc[table.indicator == indicator.id, "sex"])
        assert sexes == ({"total", "male", "female"} if indicator.by_sex else {"total"}), (
            indicator.id
        )
    # survey indicators only in survey years, elections only in election years, a late start
    assert sorted(table.loc[table.indicator == 1514, "year"].unique()) == KOULUTERVEYSKYSELY
    assert sorted(table.loc[table.indicator == 3076, "year"].unique()) == [2012, 2017, 2021, 2025]
    assert table.loc[table.indicator == 3336, "year"].min() == 2019


def test_regions(table, regions):
    municipal = set(table.loc[table.region_level == "municipality", "region_id"])
    assert municipal == {m.sotkanet_id for m in regions.county_municipalities("15")}
    assert set(table.loc[table.region_level == "county", "region_id"]) == {
        c.sotkanet_id for c in regions.counties.values()
    }
    assert set(table.loc[table.region_level == "country", "region_id"]) == {COUNTRY_ID}
    names = table.drop_duplicates("region_id").set_index("region_id").region_name
    assert names[LUHANKA] == "Luhanka" and names[KS_COUNTY_ID] == "Keski-Suomen hyvinvointialue"


def test_population_is_plausible(table):
    population = table[(table.indicator == 127) & (table.sex == "total") & (table.year == 2024)]
    by_region = population.set_index("region_id").value
    assert 140_000 < by_region[JYVASKYLA] < 160_000
    assert 500 < by_region[LUHANKA] < 900
    assert 5_400_000 < by_region[COUNTRY_ID] < 5_800_000


def test_county_is_sum_of_municipalities_and_country_of_counties(table):
    counted = table[table["count"].notna()]
    key = ["indicator", "year", "sex"]
    municipal = counted[counted.region_level == "municipality"]
    complete = municipal.groupby(key)["count"].agg(["sum", "size"])
    complete = complete[complete["size"] == 22]["sum"]
    county = counted[counted.region_id == KS_COUNTY_ID].set_index(key)["count"]
    joined = pd.concat(
        [complete.rename("municipalities"), county.rename("county")], axis=1, join="inner"
    )
    assert len(joined) > 500
    assert (joined.municipalities == joined.county).all()

    counties = counted[counted.region_level == "county"].groupby(key)["count"].agg(["sum", "size"])
    assert (counties["size"] == 23).all()
    country = counted[counted.region_id == COUNTRY_ID].set_index(key)["count"]
    assert (counties["sum"].reindex(country.index) == country).all()

    population = table[(table.indicator == 127) & (table.sex == "total") & (table.year == 2025)]
    municipal_sum = population[population.region_level == "municipality"].value.sum()
    assert population.set_index("region_id").value[KS_COUNTY_ID] == municipal_sum


def test_male_plus_female_is_total(table):
    counts = table[table["count"].notna()].pivot_table(
        index=["indicator", "region_id", "year"], columns="sex", values="count"
    )
    both = counts.dropna()
    assert len(both) > 10_000
    assert (both.male + both.female == both.total).all()


def test_percentages_are_percentages(table, catalog):
    pros = [i.id for i in catalog if i.value_type.value == "PROS"]
    values = table.loc[table.indicator.isin(pros), "value"].dropna()
    assert values.between(0, 100).all() and len(values) > 10_000


def test_value_is_count_over_population(table, catalog):
    """Rates per resident: value = count / population (indicator 127) × multiplier, rounded."""
    population = table[table.indicator == 127].set_index(["region_id", "year", "sex"]).value
    for indicator_id in (186, 3113, 3336, 493):
        indicator = catalog.get(indicator_id)
        rows = table[(table.indicator == indicator_id) & table["count"].notna()]
        denominator = population.reindex(
            pd.MultiIndex.from_frame(rows[["region_id", "year", "sex"]])
        )
        expected = rows["count"].to_numpy() / denominator.to_numpy() * indicator.multiplier
        assert (
            np.abs(rows.value.to_numpy() - expected).max() <= 0.5 * 10**-indicator.decimals + 1e-9
        )


def test_small_municipalities_swing_more(table):
    def swing(region_id, indicator_id):
        series = (
            table[
                (table.indicator == indicator_id)
                & (table.region_id == region_id)
                & (table.sex == "total")
            ]
            .sort_values("year")
            .value
        )
        return series.diff().std()  # year-to-year change around the trend

    for indicator_id in (5, 683, 234):
        big = swing(JYVASKYLA, indicator_id)
        assert swing(LUHANKA, indicator_id) > 2 * big, indicator_id
        assert swing(KINNULA, indicator_id) > 2 * big, indicator_id


def test_small_counts_are_hidden_and_some_values_missing(table, catalog):
    municipal = table[table.region_level == "municipality"]
    hidden = municipal[municipal.value.isna()]
    assert len(hidden) > 100 and hidden["count"].isna().all()
    for indicator in catalog:
        if indicator.small_number_threshold == 0:
            continue
        shown = municipal.loc[(municipal.indicator == indicator.id), "count"].dropna()
        assert ((shown == 0) | (shown >= indicator.small_number_threshold)).all(), indicator.id
    # 3106 (suicides, threshold 10) is hidden in Luhanka every year it is not zero
    assert table[(table.indicator == 3106) & (table.region_id == LUHANKA)].value.isna().any()
    # some municipal rows are absent altogether
    per_indicator_year = municipal.groupby(["indicator", "year", "sex"]).region_id.nunique()
    assert (per_indicator_year < 22).any()
    # counties and the country are never hidden
    assert table.loc[table.region_level != "municipality", "value"].notna().all()


def test_raw_json_reparses_to_the_table(demo, table, regions, catalog):
    raw = demo.path / "raw"
    parts = []
    for indicator_id in catalog.ids:
        rows = json.loads(gzip.decompress((raw / f"data_{indicator_id}.json.gz").read_bytes()))
        assert set(rows[0]) <= {"indicator", "region", "year", "gender", "value", "absValue"}
        parts.append(tidy_from_rows(rows, regions)[0])
    reparsed = (
        pd.concat(parts, ignore_index=True)
        .sort_values(["indicator", "region_id", "year", "sex"], kind="stable")
        .reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(reparsed, table, check_dtype=False)

    listed = json.loads(gzip.decompress((raw / "regions.json.gz").read_bytes()))
    by_id = {r["id"]: r for r in listed}
    assert set(by_id) == set(table.region_id)
    assert (
        by_id[KS_COUNTY_ID]["category"] == "HYVINVOINTIALUE"
        and by_id[COUNTRY_ID]["category"] == "MAA"
    )
    assert by_id[LUHANKA] | {} == {**by_id[LUHANKA], "code": "435", "category": "KUNTA"}

    meta = json.loads(gzip.decompress((raw / "indicator_699.json.gz").read_bytes()))
    assert meta["title"]["fi"] == catalog.get(699).title_fi
    assert meta["primaryValueType"]["code"] == "PROS" and meta["decimals"] == 1
    assert demo.indicator_metadata(699)["organization"]["title"]["fi"].startswith("Terveyden ja")


def test_indicator_added_later_gets_data(tmp_path, catalog, regions, settings_path):
    extra = Indicator(
        id=99999,
        title_fi="Uusi testi-indikaattori / 1 000 asukasta",
        title_sv="Ny testindikator / 1 000 invånare",
        short_fi="Uusi",
        short_sv="Ny",
        value_type="PER1000",
        unit_fi="/1 000 as.",
        unit_sv="/1 000 inv.",
        decimals=1,
        polarity="none",
        group="koko_vaesto",
        theme="palvelut",
        ci_method="byar",
        producer="THL",
    )
    small = catalog.model_copy(update={"indicators": [catalog.get(127), extra]})
    table = generate_demo(tmp_path / "d", small, regions, settings_path).table()
    national = table[
        (table.indicator == 99999) & (table.region_id == COUNTRY_ID) & (table.sex == "total")
    ]
    assert len(national) == 16 and national.value.between(10, 40).all()  # default level 20 /1 000


def test_bad_settings_are_one_line_errors(tmp_path, catalog, regions, settings_path):
    raw = yaml.safe_load(settings_path.read_text(encoding="utf-8"))
    del raw["municipalities"]["435"]
    with pytest.raises(HyteError, match=r"'municipalities'.*missing \['435'\]"):
        generate_demo(tmp_path / "x", _subset(catalog, [127]), regions, raw)
    raw = yaml.safe_load(settings_path.read_text(encoding="utf-8"))
    raw["indicators"][699]["denominator"] = "age100_plus"
    with pytest.raises(HyteError, match=r"indicator 699: field 'denominator'.*age100_plus"):
        generate_demo(tmp_path / "x", _subset(catalog, [699]), regions, raw)
    raw = yaml.safe_load(settings_path.read_text(encoding="utf-8"))
    raw["indicators"][699]["levle"] = 1.0
    with pytest.raises(HyteError, match=r"field 'indicators.699.levle'"):
        generate_demo(tmp_path / "x", _subset(catalog, [699]), regions, raw)
    assert not (tmp_path / "x").exists() and not (tmp_path / ".partial-x").exists()


def test_cli_reports_missing_settings_in_one_line(tmp_path, root, monkeypatch):
    from hyte.cli import app

    (tmp_path / "data").mkdir()
    shutil.copy(root / "hyte.yml", tmp_path / "hyte.yml")
    shutil.copy(root / "data" / "indicators.yml", tmp_path / "data" / "indicators.yml")
    shutil.copytree(root / "data" / "reference", tmp_path / "data" / "reference")
    monkeypatch.setenv("HYTE_ROOT", str(tmp_path))
    result = CliRunner().invoke(app, ["demo", "--target", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "generator.yml" in result.output and "git checkout" in result.output
    assert not (tmp_path / "out").exists()


def test_committed_demo_snapshot(root, catalog):
    snapshot = open_snapshot(root / "data" / "demo")
    assert snapshot.verify() == []
    assert snapshot.synthetic
    assert set(catalog.ids) <= set(snapshot.table().indicator)
    assert (root / "data" / "demo" / "generator.yml").is_file()


# --- another county's demo, and the whole country -----------------------------------------------------


def _county_sums_hold(table, regions, county_codes):
    """Population (never suppressed or left out): each drawn county = exact sum of its municipalities;
    the country = exact sum of the 23 counties."""
    population = table[(table.indicator == 127) & (table.sex == "total")]
    by_region_year = population.set_index(["region_id", "year"]).value
    for code in county_codes:
        county = regions.county(code)
        members = [m.sotkanet_id for m in regions.county_municipalities(code)]
        for year in (2010, 2025):
            total = sum(by_region_year[(sid, year)] for sid in members)
            assert by_region_year[(county.sotkanet_id, year)] == total, (code, year)
    counties = (
        population[population.region_level == "county"].groupby("year").value.agg(["sum", "size"])
    )
    assert (counties["size"] == 23).all()
    country = population[population.region_id == COUNTRY_ID].set_index("year").value
    assert (counties["sum"] == country).all()


def test_demo_for_another_county(tmp_path, catalog, regions, settings_path):
    from hyte.data.demo import load_generator_config, settings_for_county

    raw = settings_for_county(load_generator_config(settings_path), "20", regions)
    snapshot = generate_demo(tmp_path / "d", _subset(catalog, [127, 699, 3076]), regions, raw)
    table = snapshot.table()
    assert snapshot.id == "demo-20-kainuu" and snapshot.synthetic
    assert any("Kainuu" in note and "Synteettinen" in note for note in snapshot.manifest["notes"])
    municipal = set(table.loc[table.region_level == "municipality", "region_id"])
    assert municipal == {m.sotkanet_id for m in regions.county_municipalities("20")}
    assert len(municipal) == 8
    _county_sums_hold(table, regions, ["20"])
    # the invented populations add up to about the county's population in the settings (70 000)
    kainuu = table[
        (table.indicator == 127)
        & (table.sex == "total")
        & (table.year == 2024)
        & (table.region_id == regions.county("20").sotkanet_id)
    ].value.iloc[0]
    assert 65_000 < kainuu < 75_000
    # Keski-Suomi is now one of the other counties: its population is the sum of its listed sizes
    ks = table[
        (table.indicator == 127)
        & (table.sex == "total")
        & (table.year == 2024)
        & (table.region_id == KS_COUNTY_ID)
    ].value.iloc[0]
    assert 250_000 < ks < 300_000
    # suppression still applies to small municipal counts; the election indicator keeps its years
    assert sorted(table.loc[table.indicator == 3076, "year"].unique()) == [2012, 2017, 2021, 2025]
    again = generate_demo(tmp_path / "e", _subset(catalog, [127, 699, 3076]), regions, raw).table()
    pd.testing.assert_frame_equal(table, again)


def test_demo_for_the_whole_country(tmp_path, catalog, regions, settings_path):
    from hyte.data.demo import load_generator_config, settings_for_county

    raw = settings_for_county(load_generator_config(settings_path), "all", regions)
    table = generate_demo(tmp_path / "d", _subset(catalog, [127, 699]), regions, raw).table()
    municipal = set(table.loc[table.region_level == "municipality", "region_id"])
    assert municipal == {m.sotkanet_id for m in regions.municipalities.values()}
    assert len(municipal) == 308
    _county_sums_hold(table, regions, sorted(regions.counties))
    population = table[(table.indicator == 127) & (table.sex == "total") & (table.year == 2024)]
    assert 5_400_000 < population.set_index("region_id").value[COUNTRY_ID] < 5_800_000
    # Keski-Suomi's listed populations are kept: Jyväskylä as in the settings
    assert 140_000 < population.set_index("region_id").value[JYVASKYLA] < 160_000
    # a cell with a small count is published without value and count, as THL does
    rates = table[(table.indicator == 699) & (table.region_level == "municipality")]
    assert rates.value.isna().any() and rates.value.notna().mean() > 0.5


def test_keski_suomi_demo_unchanged_by_the_county_option(tmp_path, catalog, regions, settings_path):
    from hyte.data.demo import load_generator_config, settings_for_county

    ids = [127, 699]
    plain = generate_demo(tmp_path / "a", _subset(catalog, ids), regions, settings_path).table()
    raw = settings_for_county(load_generator_config(settings_path), "15", regions)
    redirected = generate_demo(tmp_path / "b", _subset(catalog, ids), regions, raw).table()
    pd.testing.assert_frame_equal(plain, redirected)
    committed = open_snapshot(settings_path.parent).table()
    committed = committed[committed.indicator.isin(ids)].reset_index(drop=True)
    pd.testing.assert_frame_equal(plain.reset_index(drop=True), committed, check_dtype=False)


def test_cli_demo_county(tmp_path, monkeypatch):
    from hyte.cli import app

    result = CliRunner().invoke(app, ["demo", "--county", "99", "--target", str(tmp_path / "x")])
    assert result.exit_code == 2 and "Unknown county code '99'" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "x").exists()
