"""hyte.card.card: generated texts and tables on hand-made summaries, figure Markdown, the front matter and
finalize_notebook, and a card over a snapshot that has only some catalog indicators."""

from __future__ import annotations

import math
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import nbformat
import pandas as pd
import pytest

from hyte.card import card
from hyte.data.catalog import load_catalog
from hyte.errors import HyteError
from hyte.stats.summary import SUMMARY_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
NBSP = "\u00a0"


def row(**values) -> dict:
    base = {
        "indicator": 1,
        "short": "Testi",
        "title": "Testi",
        "group": "koko_vaesto",
        "theme": "vaesto",
        "unit": "%",
        "decimals": 1,
        "polarity": "lower_is_better",
        "value_type": "PROS",
        "year": 2023,
        "value": 10.0,
        "count": 100.0,
        "lower": 8.0,
        "upper": 12.0,
        "suppressed": False,
        "county_value": 10.5,
        "country_value": 10.2,
        "vs_county": "similar",
        "vs_country": "similar",
        "trend": "no_change",
        "trend_p": 0.5,
        "trend_first_year": 2019,
        "trend_last_year": 2023,
        "peer_min": 5.0,
        "peer_q25": 7.0,
        "peer_q75": 11.0,
        "peer_max": 15.0,
        "peer_n": 22,
        "rank": 5,
        "rank_n": 22,
        "headline": False,
        "hyte_kerroin": "none",
        "producer": "THL",
        "vs_county_reason": "",
        "vs_country_reason": "",
        "trend_reason": "",
        "latest_year": 2023,
        "stale": False,
    }
    base.update(values)
    return base


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(rows), columns=list(SUMMARY_COLUMNS)).astype(
        SUMMARY_COLUMNS
    )


@pytest.fixture
def mixed() -> pd.DataFrame:
    return frame(
        row(
            indicator=328,
            short="Ahdistuneisuus",
            value=12.6,
            lower=11.4,
            upper=13.9,
            county_value=14.3,
            vs_county="better",
            group="lapset_nuoret",
        ),
        row(
            indicator=1514,
            short="Koulukiusattu",
            value=8.6,
            lower=7.6,
            upper=9.7,
            country_value=7.0,
            vs_country="worse",
            group="lapset_nuoret",
        ),
        row(
            indicator=4404,
            short="Tupakoi päivittäin",
            trend="improving",
            trend_p=0.01,
            trend_first_year=2020,
            trend_last_year=2024,
        ),
        row(
            indicator=1252,
            short="Tehostettu palveluasuminen",
            polarity="none",
            vs_county="higher",
            trend="increasing",
            trend_p=0.02,
            group="ikaantyneet",
        ),
        row(indicator=181, short="Työttömät", value=9.9, count=2386.0, lower=9.7, upper=10.1),
    )


@pytest.fixture
def quiet() -> pd.DataFrame:
    return frame(
        row(indicator=181, short="Työttömät"),
        row(indicator=1252, short="Palveluasuminen", polarity="none"),
        row(
            indicator=243,
            short="Sairastavuusindeksi",
            vs_county="not_compared",
            vs_country="not_compared",
            trend="cannot_calculate",
        ),
    )


# --- strengths and concerns ----------------------------------------------------------------------


def test_strengths_and_concerns_name_values_and_benchmarks(mixed):
    text = card.strengths_and_concerns_markdown(mixed)
    strengths, concerns = text.split("### Haasteet")
    assert strengths.startswith("### Vahvuudet")  # real headings, not bold paragraphs
    assert (
        f"- **Parempi kuin hyvinvointialueella** (1): Ahdistuneisuus 12,6{NBSP}% "
        f"(vertailuarvo 14,3{NBSP}%)."
    ) in strengths
    assert "- **Paraneva kehitys** (1): Tupakoi päivittäin (2020–2024)." in strengths
    assert (
        f"- **Heikompi kuin koko maassa** (1): Koulukiusattu 8,6{NBSP}% (vertailuarvo 7,0{NBSP}%)."
    ) in concerns
    assert "Ahdistuneisuus" not in concerns and "Koulukiusattu" not in strengths
    # indicators without polarity are never strengths or concerns, similar ones never named
    assert "Tehostettu" not in text and "Työttömät" not in text


def test_strengths_and_concerns_say_nothing_when_nothing_is_significant(quiet, mixed):
    assert card.strengths_and_concerns_markdown(quiet) == ""
    only_good = mixed[mixed["indicator"] == 328]
    text = card.strengths_and_concerns_markdown(only_good)
    assert "Vahvuudet" in text and "Haasteet" not in text


def test_group_text(mixed, quiet):
    text = card.group_text(mixed, group_label="Lapset ja nuoret", missing=["Ylipaino"])
    assert "kunnalle on tietoja 5:stä" in text
    assert (
        "Hyvinvointialueeseen verrattuna kunnan tilanne oli parempi 1 indikaattorissa "
        "(Ahdistuneisuus); arvo oli korkeampi 1 indikaattorissa (Tehostettu palveluasuminen)."
        in text
    )
    assert (
        "Koko maahan verrattuna kunnan tilanne oli heikompi 1 indikaattorissa (Koulukiusattu)."
        in text
    )
    assert "paraneva 1 indikaattorissa (Tupakoi päivittäin) ja kasvava 1 indikaattorissa" in text
    assert "Ei tietoja kunnalle: Ylipaino." in text
    assert "merkitseviä eroja" not in text
    calm = card.group_text(quiet, group_label="Koko väestö")
    # "no difference" only for what was compared, and what was not is named with its reason
    assert (
        "Verrattuja indikaattoreita oli hyvinvointialueeseen 2 ja koko maahan 2; yhdessäkään niistä "
        "ero ei ollut tilastollisesti merkitsevä." in calm
    )
    assert (
        "Hyvinvointialueeseen ja koko maahan ei verrattu 1 indikaattorissa (Sairastavuusindeksi), koska "
        in calm
    )
    assert "Kehitys testattiin 2 indikaattorissa; yhdessäkään muutos ei ollut" in calm
    assert calm.startswith("Koko väestö -ryhmän indikaattoreista")
    assert "parempi" not in calm and "heikompi" not in calm
    assert card.group_text(quiet.iloc[0:0], group_label="Ikääntyneet").startswith(
        "Ikääntyneet-ryhmästä ei ole kunnan arvoja"
    )


# --- the indicator table -------------------------------------------------------------------------


def test_indicator_table_is_finnish_and_hides_suppressed_values(mixed):
    secret = row(
        indicator=3106,
        short="Itsemurhakuolleisuus",
        unit="/100 000 as.",
        value=37.7,
        count=3.0,
        lower=7.8,
        upper=110.3,
        suppressed=True,
        vs_county="not_compared",
        vs_country="not_compared",
        trend="cannot_calculate",
    )
    summary = pd.concat([mixed, frame(secret)], ignore_index=True)
    table = card.indicator_table(summary).set_index("Indikaattori (yksikkö)")
    unemployed = table.loc["Työttömät (%)"]
    assert unemployed["Arvo"] == "9,9"
    assert unemployed[card.CI_HEADER] == "9,7–10,1"
    assert unemployed["Lkm"] == f"2{NBSP}386"
    assert unemployed["Alue"] == "10,5" and unemployed["Koko maa"] == "10,2"
    assert unemployed["Kehitys"] == "ei muutosta (2019–2023)"
    hidden = table.loc["Itsemurhakuolleisuus (/100 000 as.)"]
    assert hidden["Arvo"] == "salattu" and hidden["Lkm"] == "–" and hidden[card.CI_HEADER] == "–"
    assert table.loc["Koulukiusattu (%)", "Vrt. maa"] == "heikompi"

    catalog = load_catalog(ROOT / "data" / "indicators.yml")
    text = card.indicator_table_markdown(
        summary, catalog, caption="Kaikki indikaattorit: Testi", table_id="tbl-179-indikaattorit"
    )
    assert (
        "37,7" not in text and "37.7" not in text and "7,8" not in text
    )  # suppressed: no value or CI
    assert not re.search(r"\d\.\d", text)  # decimal commas only
    assert "| **Lapset ja nuoret** |" in text and "| **Ikääntyneet** |" in text
    assert (
        text.index("**Lapset ja nuoret**")
        < text.index("**Ikääntyneet**")
        < text.index("**Koko väestö**")
    )
    assert re.search(
        r"^: Kaikki indikaattorit: Testi \{#tbl-179-indikaattorit tbl-colwidths=",
        text,
        re.MULTILINE,
    )


# --- header, front matter, figures ---------------------------------------------------------------


def _tidy(rows: list[tuple]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=["indicator", "region_id", "year", "sex", "value", "count"])
    table["region_code"] = "179"
    table["region_level"] = "municipality"
    table["region_name"] = "Jyväskylä"
    return table.astype({"value": "float64", "count": "float64"})


def test_population_change_and_header(mixed):
    table = _tidy(
        [
            (127, 85, 2020, "total", 1000.0, 1000.0),
            (127, 85, 2025, "total", 950.0, 950.0),
            (127, 85, 2024, "total", 960.0, 960.0),
            (127, 35, 2025, "total", 5.0, 5.0),
        ]
    )
    change = card.population_change(table, 85)
    assert change == {
        "year": 2025,
        "value": 950.0,
        "base_year": 2020,
        "base_value": 1000.0,
        "change": -50.0,
        "percent": -5.0,
    }
    data = card.header_data(
        municipality_code="179",
        municipality_name="Jyväskylä",
        county_name="Keski-Suomen hyvinvointialue",
        table=table,
        region_id=85,
        summary=mixed,
        snapshot_id="demo-x",
        snapshot_created="2026-11-28T02:20:46",
        synthetic=True,
    )
    text = card.header_markdown(data)
    # the demo warning is the page banner / PDF footer, not repeated in the card (issue 11)
    assert "callout" not in text and text.startswith("- **Hyvinvointialue:**")
    assert (
        f"950 asukasta 31.12.2025; väkiluku väheni viidessä vuodessa 50 asukkaalla "
        f"(−5,0{NBSP}% vuodesta 2020)" in text
    )
    assert "**Aineistoversio (snapshot):** demo-x, muodostettu 28.11.2026" in text
    assert "- **Tiedot:** 5 indikaattoria vuodelta 2023\n" in text
    spread = card.header_markdown(
        {**data, "first_year": 2017, "common_year": 2023, "indicators": 1}
    )
    assert "- **Tiedot:** 1 indikaattori vuosilta 2017–2023; useimmat vuodelta 2023" in spread
    real = card.header_markdown({**data, "synthetic": False, "population": None})
    assert "callout" not in real and "Esimerkkiaineisto" not in real
    assert "ei tietoa tässä aineistossa" in real
    assert card.population_change(table, 999) is None


def test_front_matter():
    assert card.card_front_matter("Jyväskylä", "Keski-Suomen hyvinvointialue", 2026) == {
        "title": "Jyväskylä",
        "subtitle": "Kuntakortti · Keski-Suomen hyvinvointialue · 2026",
        "lang": "fi",
    }


def test_figure_markdown_round_trip():
    text = card.figure_markdown(
        "179-jyvaskyla-kuvat/spine.png",
        figure_id="fig-179-spine",
        caption="Pääindikaattorit: Jyväskylä [demo]",
        alt='Kuvio, jossa "lainaus"\nja rivinvaihto',
    )
    found = card.figures_in(text)
    assert found == [
        {
            "id": "fig-179-spine",
            "caption": r"Pääindikaattorit: Jyväskylä \[demo\]",
            "path": "179-jyvaskyla-kuvat/spine.png",
            "alt": "Kuvio, jossa ”lainaus” ja rivinvaihto",
        }
    ]
    with pytest.raises(ValueError):
        card.figure_markdown("x.png", figure_id="spine", caption="x", alt="y")


# --- finalize_notebook ---------------------------------------------------------------------------


def _executed_notebook() -> nbformat.NotebookNode:
    from IPython.display import Markdown

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('municipality = "179"', metadata={"tags": ["parameters"]})
    injected = nbformat.v4.new_code_cell(
        'municipality = "435"\nsnapshot = "demo"\n',
        metadata={"tags": ["injected-parameters"], "papermill": {"duration": 0.1}},
    )
    header = nbformat.v4.new_code_cell(
        "kortti.header()", metadata={"papermill": {"duration": 1}, "execution": {}, "tags": []}
    )
    data, metadata = Markdown(
        "x",
        metadata={
            "hyte": {
                "front_matter": card.card_front_matter(
                    "Luhanka", "Keski-Suomen hyvinvointialue", 2026
                )
            }
        },
    )._repr_markdown_()
    header.outputs = [
        nbformat.v4.new_output(
            "execute_result",
            data={"text/markdown": data},
            metadata={"text/markdown": metadata},
            execution_count=3,
        )
    ]
    nb.cells = [params, injected, header]
    return nb


def test_finalize_notebook_adds_front_matter_and_hides_parameters():
    nb = card.finalize_notebook(_executed_notebook())
    assert nb.cells[0].cell_type == "raw"
    assert card.load_front_matter(nb) == {
        "title": "Luhanka",
        "subtitle": "Kuntakortti · Keski-Suomen hyvinvointialue · 2026",
        "lang": "fi",
    }
    assert "remove-cell" in nb.cells[1].metadata.tags and "remove-cell" in nb.cells[2].metadata.tags
    assert "parameters" in nb.cells[1].metadata.tags
    header = nb.cells[3]
    assert "papermill" not in header.metadata and "execution" not in header.metadata
    assert "tags" not in header.metadata
    nbformat.validate(nb)
    again = card.finalize_notebook(nb)  # idempotent: one front matter cell
    assert sum(c.cell_type == "raw" for c in again.cells) == 1
    assert again.cells[1].metadata.tags.count("remove-cell") == 1


def test_finalize_notebook_without_header_output_uses_the_parameters():
    nb = _executed_notebook()
    nb.cells[2].outputs = []
    card.finalize_notebook(nb)
    front = card.load_front_matter(nb)
    assert front["title"] == "Luhanka"  # the injected value wins over the default 179
    assert front["subtitle"].startswith("Kuntakortti · Keski-Suomen hyvinvointialue · ")


# --- women and men -------------------------------------------------------------------------------


def test_sex_differences(tmp_path):
    catalog = load_catalog(ROOT / "data" / "indicators.yml")
    rows = [
        # 237 living alone 75+: 2023 women 62,0 % (620), men 28,0 % (280) -> significant
        (237, 85, 2023, "female", 62.0, 620.0),
        (237, 85, 2023, "male", 28.0, 280.0),
        (237, 85, 2022, "female", 60.0, 600.0),
        (237, 85, 2022, "male", 30.0, 300.0),
        # 181 unemployed: close values, wide intervals -> not significant
        (181, 85, 2023, "female", 9.0, 90.0),
        (181, 85, 2023, "male", 10.0, 100.0),
        # 3106 suicides (threshold 10): men's count 3 is suppressed in 2023, so 2022 is used
        (3106, 85, 2023, "female", 5.0, 12.0),
        (3106, 85, 2023, "male", 3.0, 3.0),
        (3106, 85, 2022, "female", 5.0, 12.0),
        (3106, 85, 2022, "male", 15.0, 36.0),
        # 189 youth unemployment: both only in 2012, the indicator runs to 2023 -> left out
        (189, 85, 2012, "female", 10.0, 50.0),
        (189, 85, 2012, "male", 20.0, 100.0),
        (189, 85, 2023, "female", 11.0, 55.0),
        (189, 965, 2023, "total", 12.0, 500.0),
        # 127 population is a count: never compared
        (127, 85, 2023, "female", 500.0, 500.0),
        (127, 85, 2023, "male", 490.0, 490.0),
    ]
    data = card.sex_differences(_tidy(rows), catalog, 85).set_index("indicator")
    assert set(data.index) == {237, 181, 3106}
    assert data.loc[237, "year"] == 2023 and bool(data.loc[237, "significant"])
    assert data.loc[237, "female"] == 62.0 and data.loc[237, "male"] == 28.0
    assert data.loc[237, "female_lower"] < 62.0 < data.loc[237, "female_upper"]
    assert not bool(data.loc[181, "significant"])
    assert data.loc[3106, "year"] == 2022 and data.loc[3106, "male"] == 15.0
    # Byar 95 % limits: 12 cases -> 2,6–8,7 and 36 cases -> 10,5–20,8 per 100 000: no overlap
    assert data.loc[3106, "female_upper"] == pytest.approx(8.72, abs=0.02)
    assert data.loc[3106, "male_lower"] == pytest.approx(10.51, abs=0.02)
    assert bool(data.loc[3106, "significant"])
    assert data.loc[237, "relative_difference"] == pytest.approx(34 / 45)
    text = card.sex_text(data.reset_index(), data.reset_index())
    assert "Yksin asuvat, 75 v. täyttäneet (naiset 62,0" in text
    assert "merkitsevä 2 indikaattorissa" in text and "Työttömät" not in text


def test_card_data_adds_identity_and_sex_columns(mixed):
    sex = pd.DataFrame({"indicator": [181], "year": [2023], "female": [9.0], "male": [10.0]})
    data = card.card_data(
        mixed,
        municipality_code="179",
        municipality_name="Jyväskylä",
        county_code="15",
        county_name="Keski-Suomen hyvinvointialue",
        snapshot_id="demo",
        sex=sex,
    )
    assert list(data.columns[:5]) == [
        "municipality_code",
        "municipality",
        "county_code",
        "county",
        "snapshot_id",
    ]
    assert len(data) == len(mixed)
    unemployed = data[data["indicator"] == 181].iloc[0]
    assert unemployed["female"] == 9.0 and unemployed["sex_year"] == 2023
    assert math.isnan(data[data["indicator"] == 328].iloc[0]["female"])


# --- a card over a loaded context ----------------------------------------------------------------


def test_open_card_needs_the_municipality_in_the_county(tmp_path):
    with pytest.raises(HyteError, match=r"205 Kajaani is not in county 15 .*county=\"20\""):
        card.open_card("205", output_dir=tmp_path)
    with pytest.raises(HyteError, match="not in county 20"):
        card.open_card("179", county="20", output_dir=tmp_path)


@pytest.fixture(scope="module")
def partial_snapshot(tmp_path_factory) -> Path:
    """The demo data with only three catalog indicators and no population (127)."""
    from hyte.data.snapshot import SnapshotBuilder, open_snapshot

    table = open_snapshot(ROOT / "data" / "demo").table()
    table = table[table["indicator"].isin([683, 181, 1514])]
    target = tmp_path_factory.mktemp("snapshots") / "partial"
    builder = SnapshotBuilder(target, source="test", synthetic=True)
    builder.set_table(table)
    builder.finish("partial-test")
    return target


def test_card_with_only_some_indicators_says_what_is_missing(partial_snapshot, tmp_path):
    kortti = card.open_card("435", snapshot=str(partial_snapshot), output_dir=tmp_path)
    assert sorted(kortti.summary["indicator"]) == [181, 683, 1514]
    header = kortti.header().data
    assert "callout" not in header
    assert "ei tietoa tässä aineistossa (Sotkanet-indikaattori 127 puuttuu)" in header
    spine = kortti.spine().data
    assert "Pääindikaattoreista ei ole kunnan tietoja" in spine and "Väestö 31.12." in spine
    [figure] = card.figures_in(spine)
    assert figure["id"] == "fig-435-spine" and figure["alt"]
    assert (tmp_path / figure["path"]).is_file()
    group = kortti.group_section("ikaantyneet").data
    assert "ei ole kunnan arvoja" in group and not card.figures_in(group)
    working_age = kortti.group_section("tyoikaiset").data
    assert [f["id"] for f in card.figures_in(working_age)] == ["fig-435-tyoikaiset"]
    kerroin = kortti.hyte_kerroin().data
    assert "ei tietoja" in kerroin and "{#tbl-435-hyte-kerroin " in kerroin
    sources = kortti.sources().data
    assert "Lähde:** THL, Sotkanet" in sources and "CC BY 4.0" in sources
    assert (
        f"**Puuttuvat indikaattorit:** {len(kortti.ctx.catalog) - 3}/{len(kortti.ctx.catalog)}"
        in sources
    )
    assert "partial-test" in sources
    link = kortti.write_data().data
    assert "[435-luhanka.csv](435-luhanka.csv)" in link
    written = pd.read_csv(tmp_path / "435-luhanka.csv")
    assert sorted(written["indicator"]) == [181, 683, 1514]
    assert set(written["municipality_code"]) == {435}
    assert kortti.spine().data == spine  # a rerun of a cell redraws the same figure


def test_card_shows_the_municipality_agreed_plan_goals():
    """Issue 5: each card shows the municipality's agreed goals and measures from the plan."""
    from hyte.card import card
    from hyte.plan.plan import plan_from_context

    kortti = card.open_card("435")
    text = kortti.plan().data
    plan = plan_from_context(kortti.ctx)
    agreed = plan.agreements_for("435")
    assert agreed, "the demo plan has agreements for every Keski-Suomi municipality"
    for agreement in agreed:
        for goal in agreement.goals:
            assert f"Tavoite {goal}" in text
        for measure in agreement.measures:
            assert f"**{measure}**" in text
    other = plan.agreements_for("179")
    only_elsewhere = {g for a in other for g in a.goals} - {g for a in agreed for g in a.goals}
    for goal in only_elsewhere:
        assert f"Tavoite {goal}:" not in text
