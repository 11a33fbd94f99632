"""Say only what the data support (issue 9): 'not compared' with its reason, one trend rule by the
catalog's measurement frequency, stale values, figures that name only what they draw, the snapshot
fitness report, old county ids, and the Finnish text fixes — unit by unit, on small hand-made data
and on real fixture values."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hyte.book import report
from hyte.card import card
from hyte.data.catalog import load_catalog
from hyte.stats import outcomes, stats
from hyte.stats.summary import SUMMARY_COLUMNS, indicator_summary

ROOT = Path(__file__).resolve().parents[1]
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(ROOT / "data" / "indicators.yml")


def _table(rows):
    """A tidy table from (indicator, region_id, year, value, count) tuples (sex total)."""
    frame = pd.DataFrame(rows, columns=["indicator", "region_id", "year", "value", "count"])
    level = {
        85: "municipality",
        35: "municipality",
        78: "municipality",
        965: "county",
        658: "country",
    }
    frame["region_code"] = frame["region_id"].map(lambda r: str(r))
    frame["region_level"] = frame["region_id"].map(level)
    frame["region_name"] = "x"
    frame["sex"] = "total"
    return frame


# --- not compared, with its reason ---------------------------------------------------------------


def test_reasons_for_not_comparing(catalog):
    """181 unemployed (%): Jyväskylä has a count; the county value exists only in 2023."""
    rows = [(181, 85, y, 10.0 + y - 2019, 2000 + 10 * (y - 2019)) for y in range(2019, 2024)]
    rows += [(181, 35, 2023, 9.0, math.nan), (181, 965, 2023, 9.5, 12000)]
    rows += [(181, 78, y, 8.0, 40) for y in range(2019, 2024)]
    summary = indicator_summary(_table(rows), catalog, 85, county_id=965, peer_ids=[85, 35, 78])
    jkl = summary.set_index("indicator").loc[181]
    assert jkl["vs_county"] == "worse" and jkl["vs_county_reason"] == ""
    assert jkl["vs_country"] == "not_compared" and jkl["vs_country_reason"] == "no_benchmark"
    hankasalmi = indicator_summary(_table(rows), catalog, 35, county_id=965, peer_ids=[85, 35, 78])
    row = hankasalmi.set_index("indicator").loc[181]
    assert row["vs_county_reason"] == "no_count" and row["trend_reason"] == "too_few_points"
    assert (
        outcomes.reason_text("no_count")
        == "aineistossa ei ole lukumäärää, joten luottamusväliä ei voi laskea"
    )


def test_nothing_compared_never_reads_as_no_difference(catalog):
    rows = [(181, 85, y, 10.0, math.nan) for y in range(2019, 2024)]
    summary = indicator_summary(_table(rows), catalog, 85, county_id=965, peer_ids=[85])
    text = card.group_text(summary, group_label="Koko väestö")
    assert "merkitsev" not in text
    assert "Vertailuja ja trenditestejä ei voitu tehdä" in text
    assert (
        "Hyvinvointialueeseen ja koko maahan ei verrattu 1 indikaattorissa (Työttömät, % työvoimasta), koska "
        "aineistossa ei ole vertailualueen arvoa samalta vuodelta." in text
    )
    assert report.trend_sentence(summary).startswith(
        "Hyvinvointialueella kehitystä ei voitu testata yhdessäkään indikaattorissa"
    )
    assert "ei ollut" not in report.country_comparison_sentence(summary)


def test_men_and_women_not_compared_without_counts():
    male = pd.DataFrame(
        {
            "indicator": [1],
            "short": ["A"],
            "unit": ["%"],
            "decimals": [1],
            "year": [2023],
            "value": [5.0],
            "lower": [np.nan],
            "upper": [np.nan],
        }
    )
    female = male.assign(value=6.0)
    text = report.sex_difference_sentence(
        report.sex_differences(male, female), male=male, female=female
    )
    assert text.startswith("Miesten ja naisten arvoja ei voitu verrata tilastollisesti")
    empty = male.iloc[0:0]
    assert (
        "ei ole hyvinvointialueen miesten ja naisten erillisiä arvoja"
        in report.sex_difference_sentence(
            report.sex_differences(empty, empty), male=empty, female=empty
        )
    )


# --- one trend rule ---------------------------------------------------------------------------------


def test_trend_window_counts_measurement_occasions():
    years = np.array([2010, 2013, 2015, 2017, 2019, 2021, 2023, 2025], dtype=float)
    assert list(years[stats.trend_window(years, 5, 2)]) == [2017, 2019, 2021, 2023, 2025]
    elections = np.array([2012, 2017, 2021, 2025], dtype=float)
    assert list(elections[stats.trend_window(elections, 5, 4)]) == [2012, 2017, 2021, 2025]
    gappy = np.array([2015, 2016, 2017, 2018, 2019, 2023], dtype=float)  # 2020–2022 missing
    assert list(gappy[stats.trend_window(gappy, 5, 1)]) == [2019, 2023]  # not 2016–2023 stretched


def test_catalog_frequency_is_validated(tmp_path, catalog):
    from hyte.errors import HyteError

    assert catalog.get(3076).frequency.value == "4-yearly" and catalog.get(3076).frequency.step == 4
    assert (
        catalog.get(1514).frequency.value == "biennial"
        and catalog.get(181).frequency.value == "annual"
    )
    text = (ROOT / "data" / "indicators.yml").read_text(encoding="utf-8")
    bad = tmp_path / "indicators.yml"
    bad.write_text(
        text.replace("frequency: 4-yearly", "frequency: every-election"), encoding="utf-8"
    )
    with pytest.raises(HyteError) as caught:
        load_catalog(bad)
    assert "frequency" in str(caught.value) and "\n" not in str(caught.value)


def test_methods_text_and_appendix_state_the_same_trend_rule():
    assert any(outcomes.TREND_RULE_FI in line for line in card.METHODS_FI)
    appendix = (ROOT / "report" / "liite-menetelmat.qmd").read_text(encoding="utf-8")
    assert "outcomes.TREND_RULE_FI" in appendix and "viiden viimeisimmän havainnon" not in appendix


# --- stale values ----------------------------------------------------------------------------------


def test_a_stale_value_is_marked_not_compared_and_not_ranked(catalog):
    rows = [(181, 85, 2017, 9.0, 1800), (181, 965, 2017, 9.5, 12000)]
    rows += [(181, 35, y, 10.0, 300) for y in range(2019, 2024)] + [(181, 965, 2023, 9.5, 12000)]
    summary = indicator_summary(_table(rows), catalog, 85, county_id=965, peer_ids=[85, 35])
    row = summary.set_index("indicator").loc[181]
    assert int(row["year"]) == 2017 and int(row["latest_year"]) == 2023 and bool(row["stale"])
    assert row["vs_county"] == "not_compared" and row["vs_county_reason"] == "too_old"
    assert pd.isna(row["rank"])
    cells = card.indicator_table(summary).iloc[0]
    assert cells["Vuosi"] == "2017*"


# --- figures name only what they draw ------------------------------------------------------------


def _row(**values):
    base = {c: None for c in SUMMARY_COLUMNS}
    base.update(
        {
            "indicator": 181,
            "short": "Työttömät",
            "title": "T",
            "group": "koko_vaesto",
            "theme": "vaesto",
            "unit": "%",
            "decimals": 1,
            "polarity": "lower_is_better",
            "value_type": "PROS",
            "year": 2023,
            "value": 10.0,
            "count": math.nan,
            "lower": math.nan,
            "upper": math.nan,
            "suppressed": False,
            "county_value": math.nan,
            "country_value": math.nan,
            "vs_county": "not_compared",
            "vs_country": "not_compared",
            "trend": "cannot_calculate",
            "trend_p": math.nan,
            "trend_first_year": pd.NA,
            "trend_last_year": pd.NA,
            "peer_min": math.nan,
            "peer_q25": math.nan,
            "peer_q75": math.nan,
            "peer_max": math.nan,
            "peer_n": 0,
            "rank": pd.NA,
            "rank_n": pd.NA,
            "headline": True,
            "hyte_kerroin": "none",
            "producer": "TEM",
            "vs_county_reason": "no_benchmark",
            "vs_country_reason": "no_benchmark",
            "trend_reason": "no_count",
            "latest_year": 2023,
            "stale": False,
        }
    )
    base.update(values)
    return base


def test_spine_chart_without_benchmarks_draws_and_names_no_centre_line():
    from hyte.figures.figures import close, spine_chart

    summary = pd.DataFrame([_row()], columns=list(SUMMARY_COLUMNS)).astype(SUMMARY_COLUMNS)
    fig, alt = spine_chart(
        summary, region_name="Hankasalmi", county_name="Keski-Suomen hyvinvointialue"
    )
    try:
        assert not fig.drawn["centre"] and not fig.drawn["range"]  # no centre line, no ranges
        assert not any(
            "keskiviiva" in t or "Alueen kunnat" in t or "parempi" in t for t in fig.legend
        )
        assert "(kuvion keskiviiva)" not in alt and "Harmaa alue" not in alt
        assert "keskiviivaa ja sijainteja ei piirretty" in alt
    finally:
        close(fig)


def test_trend_panels_share_the_year_range_and_name_only_drawn_lines(catalog):
    from hyte.figures.figures import close, trend_small_multiples

    rows = [(181, 85, y, 10.0, math.nan) for y in range(2012, 2024)]
    rows += [(5, 85, y, 4.0, math.nan) for y in range(2019, 2022)]
    fig, alt = trend_small_multiples(
        _table(rows),
        [catalog.get(181), catalog.get(5)],
        85,
        965,
        658,
        region_name="Jyväskylä",
        county_name="Keski-Suomen hyvinvointialue",
    )
    try:
        limits = {tuple(round(x, 1) for x in panel["xlim"]) for panel in fig.panels[:2]}
        assert len(limits) == 1  # one year range for both panels
        assert fig.legend == ["Jyväskylä"]  # no band, no county line, no country line drawn
        assert "katkoviiva" not in alt and "pisteviiva" not in alt and "luottamusväli" not in alt
        assert fig.hyte_drawn == {"band": False, "county": False, "country": False}
    finally:
        close(fig)


def test_book_trend_figure_draws_no_empty_panels():
    from hyte.context import load_context

    chapter = report.Chapter(load_context())
    present = chapter.catalog.get(181)
    absent = present.model_copy(update={"id": 999999, "short_fi": "Puuttuva"})
    fig, alt = report.trend_figure(chapter, [present, absent])
    try:
        assert sum(ax.get_visible() for ax in fig.axes) == 1
        assert alt.endswith("Ei tietoja: Puuttuva.") and ". ." not in alt
    finally:
        report.close(fig)


def test_kerroin_ranking_without_any_score_is_a_figure_that_says_so():
    from hyte.kerroin import report as kr

    class Result:
        county = "15"
        table = pd.DataFrame({"score": [np.nan, np.nan], "name_fi": ["A", "B"]}, index=["15", "20"])

    fig, alt = kr.ranking_figure(Result())
    kr.close(fig)
    assert alt.startswith("Kuviossa ei ole pylväitä: yhdellekään alueelle ei voitu laskea")


# --- Finnish -------------------------------------------------------------------------------------


def test_group_names_in_compounds():
    empty = pd.DataFrame(columns=list(SUMMARY_COLUMNS)).astype(SUMMARY_COLUMNS)
    assert card.group_text(empty, group_label="Ikääntyneet").startswith(
        "Ikääntyneet-ryhmästä ei ole"
    )
    one = pd.DataFrame([_row()], columns=list(SUMMARY_COLUMNS)).astype(SUMMARY_COLUMNS)
    assert card.group_text(one, group_label="Lapset ja nuoret").startswith(
        "Lapset ja nuoret -ryhmän indikaattoreista kunnalle on tietoja 1:stä."
    )


def test_no_double_full_stop_after_an_abbreviation():
    assert (
        outcomes.tidy_stops("Alkoholin myynti, litraa 100 % alkoholia/as..")
        == "Alkoholin myynti, litraa 100 % alkoholia/as."
    )
    assert outcomes.tidy_stops("(katkoviiva). .") == "(katkoviiva)."
    assert outcomes.tidy_stops("ja 3 muuta…") == "ja 3 muuta…"


def test_no_doubled_units():
    assert outcomes.name_with_unit("Työttömät, % työvoimasta", "%") == "Työttömät, % työvoimasta"
    assert outcomes.name_with_unit("Kuolleisuus", "/100 000 as.") == "Kuolleisuus (/100 000 as.)"
    summary = pd.DataFrame(
        [_row(short="Työttömät, % työvoimasta")], columns=list(SUMMARY_COLUMNS)
    ).astype(SUMMARY_COLUMNS)
    assert (
        card.indicator_table(summary).iloc[0]["Indikaattori (yksikkö)"]
        == "Työttömät, % työvoimasta"
    )


def test_women_and_men_text_blames_the_snapshot_not_the_publisher():
    from hyte.figures.figures import SEX_COLUMNS

    empty = pd.DataFrame(columns=SEX_COLUMNS)
    text = card.sex_text(empty, empty, snapshot_has_sexes=False)
    assert (
        text.startswith("Tässä aineistossa ei ole naisten ja miesten arvoja")
        and "julkaistu" not in text
    )
    assert "julkaistu" not in card.sex_text(empty, empty)


# --- snapshot fitness ----------------------------------------------------------------------------


def test_fitness_of_the_real_kainuu_download(regions, fixtures_dir, catalog):
    from hyte.data.fitness import assess
    from hyte.data.tidy import tidy_from_rows

    frame = pd.read_csv(fixtures_dir / "sotkanet_683_kainuu_2015_2023.csv")
    table, load = tidy_from_rows(frame.to_dict("records"), regions)
    fitness = assess(table, catalog, regions.county("20"), regions, load_report=load.to_dict())
    assert (fitness.municipalities, fitness.municipalities_total) == (8, 8)  # Vaala (785) moved out
    assert (
        fitness.county_rows and fitness.country_rows
    )  # the file has Kainuu (962) and Finland (658)
    assert fitness.count_share == 1.0 and not fitness.sexes
    assert (fitness.first_year, fitness.last_year) == (2015, 2023)
    assert (fitness.catalog_present, fitness.catalog_total) == (1, 54)
    lines = "\n".join(fitness.lines())
    # the maakunta, seutukunta, hospital district and NUTS rows, without /regions: ids and what to do
    assert "unknown region ids left out: 504, 587, 588, 617, 727" in lines and "/regions" in lines
    assert (
        "WARNING: no women's/men's values" in lines
        and "WARNING: only 1/54 catalog indicators" in lines
    )
    assert fitness.notice_fi() == ""  # comparisons are possible
    municipal = table[table["region_level"] == "municipality"]
    alone = assess(municipal.assign(count=np.nan), catalog, regions.county("20"), regions)
    assert alone.notice_fi().startswith(
        "Aineistossa ei ole hyvinvointialueen arvoja, koko maan arvoja ja "
        "lukumääriä, joista luottamusväli lasketaan, joten vertailuja ja "
        "trenditestejä ei voi tehdä."
    )


def test_import_names_indicators_it_left_out_entirely(regions):
    from hyte.data.tidy import tidy_from_rows

    rows = [
        {"indicator": 5, "region": 85, "year": 2023, "gender": "total", "value": 4.1},
        {"indicator": 7, "region": 999001, "year": 2023, "gender": "total", "value": 1.0},
    ]
    _, load = tidy_from_rows(rows, regions, other_regions={999001: "MAAKUNTA"})
    assert load.dropped_indicators == ["7 (rows only for regions left out: MAAKUNTA 1)"]
    assert "2 indicator(s) read, 1 kept" in load.lines()


# --- old county ids ------------------------------------------------------------------------------


def test_old_county_ids_resolve_to_todays_county(regions):
    old = regions.county("20").sotkanet_id_old
    assert old == 882
    ref = regions.by_sotkanet_id(old)
    assert (ref.code, ref.sotkanet_id, ref.level) == ("20", 962, "county")


def test_group_table_ranges_municipalities_of_the_countys_year_only(catalog):
    county = pd.DataFrame(
        [{**_row(county_value=math.nan), "value": 9.0, "year": 2023, "country_value": 9.2}]
    )
    long = pd.DataFrame(
        [
            {**_row(), "name": "Hankasalmi", "order": 0, "value": 5.0, "year": 2023},
            {**_row(), "name": "Joutsa", "order": 1, "value": 50.0, "year": 2019, "stale": True},
        ]
    )
    table = report.group_table(county, long, [catalog.get(181)])
    assert "5,0 (Hankasalmi) – 5,0 (Hankasalmi)" in table and "Joutsa" not in table


def test_doctor_names_what_the_snapshot_lacks(tmp_path, monkeypatch):
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    from rich.console import Console
    from shapes import make_project

    from hyte.config import load_config
    from hyte.doctor import run_doctor

    root = make_project(tmp_path, "issue")
    console = Console(record=True, width=200)
    code = run_doctor(load_config(root / "hyte.yml", root=root), console)
    text = console.export_text()
    assert code == 0  # everything needed to build is there ...
    assert (
        "WARNING: no county rows" in text and "WARNING: no counts (absValue)" in text
    )  # ... but unfit
    assert "catalog coverage: 9/54 indicators" in text
    assert "The snapshot limits what the reports can say" in text


def test_card_header_names_catalog_coverage_and_the_snapshot_as_such():
    from hyte.context import load_context

    ctx = load_context()
    data = card.header_data(
        municipality_code="179",
        municipality_name="Jyväskylä",
        county_name="Keski-Suomen hyvinvointialue",
        table=ctx.table.iloc[0:0],
        region_id=85,
        summary=pd.DataFrame({"year": [2011, 2011, 2007]}),
        snapshot_id="import-2026-11-30",
        snapshot_created="2026-11-30T10:00:00+00:00",
        synthetic=False,
        catalog_total=54,
    )
    text = card.header_markdown(data)
    assert "**Tiedot:** 3 indikaattoria (luettelon 54 indikaattorista) vuosilta 2007–2011" in text
    assert "**Aineistoversio (snapshot):** import-2026-11-30, muodostettu 30.11.2026" in text
    front = card.card_front_matter(
        "Jyväskylä", "Keski-Suomen hyvinvointialue", 2026, data_years="2007–2011"
    )
    assert (
        front["subtitle"]
        == "Kuntakortti · Keski-Suomen hyvinvointialue · 2026 · tiedot vuosilta 2007–2011"
    )


def test_sex_chart_without_counts_promises_no_intervals():
    from hyte.figures.figures import SEX_COLUMNS, close, sex_difference_chart

    data = pd.DataFrame(
        [
            {
                "indicator": 181,
                "short": "Työttömät",
                "unit": "%",
                "decimals": 1,
                "year": 2023,
                "female": 9.0,
                "female_lower": np.nan,
                "female_upper": np.nan,
                "male": 11.0,
                "male_lower": np.nan,
                "male_upper": np.nan,
                "significant": False,
            }
        ],
        columns=SEX_COLUMNS,
    )
    fig, alt = sex_difference_chart(data, region_name="Jyväskylä")
    try:
        assert fig.legend == ["Naiset", "Miehet"]  # no intervals named
        assert not any("merkitsevä" in t for t in fig.texts)  # no significance note
        assert fig.panels[0]["rows"][0]["female_interval"] is None
        assert "Luottamusvälejä ei piirretty" in alt
    finally:
        close(fig)


def test_spine_chart_without_benchmarks_names_no_direction():
    """Without a centre line no position is drawn, so the chart does not label better and worse."""
    from hyte.figures.figures import spine_chart

    summary = pd.DataFrame([_row()], columns=list(SUMMARY_COLUMNS)).astype(SUMMARY_COLUMNS)
    fig, _ = spine_chart(summary, region_name="Hankasalmi", county_name="Keski-Suomi")
    assert not any("parempi" in t or "heikompi" in t for t in fig.texts)
    assert "ei vertailuarvoa" in fig.texts
