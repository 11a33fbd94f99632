"""The Quarto book without Quarto: its YAML files, the files they name, the generated card list and
book files, every chapter's code on the demo data, and hyte.book.report's sentences and tables on hand-made
data (each expected text written out by hand)."""

from __future__ import annotations

import math
import os
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml
from chapter_runner import python_cells, run_chapter

from hyte.book import files as book
from hyte.book import prerender, render, report
from hyte.config import Config, load_config
from hyte.data.catalog import load_catalog
from hyte.data.regions import load_regions
from hyte.errors import HyteError

ROOT = Path(__file__).resolve().parents[1]
MY_CHAPTERS = [
    "index.qmd",
    "report/lahtokohdat.qmd",
    "report/vaesto-ja-elinolot.qmd",
    "report/vaestoryhmat.qmd",
    "report/alueelliset-erot.qmd",
    "report/palvelut-ja-ehkaiseva-tyo.qmd",
    "report/muutokset.qmd",
    "report/liite-indikaattorit.qmd",
    "report/liite-menetelmat.qmd",
]
BOOK_YAML = ["_quarto.yml", "_quarto-laaja.yml", "_quarto-vuosiraportti.yml", "_brand.yml"]
PROV = book.Provenance(
    snapshot_id="sotkanet-2026-11-28",
    snapshot_date="2026-11-28",
    synthetic=False,
    built=date(2026, 12, 1),
    commit="0123456789abcdef",
    dirty=False,
)
DEMO = book.Provenance(
    snapshot_id="demo-keski-suomi",
    snapshot_date="2026-11-28",
    synthetic=True,
    built=date(2026, 12, 1),
    commit=None,
)


# --- the YAML files and what they name ----------------------------------------------------------------


@pytest.mark.parametrize("name", BOOK_YAML)
def test_book_yaml_is_valid(name):
    data = yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict) and data


def test_quarto_yml_settings_follow_the_issue():
    config = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    assert config["project"]["type"] == "book"
    assert config["project"]["pre-render"] == "python -m hyte.book.prerender"
    assert config["lang"] == "fi"
    assert set(config["format"]) == {"html", "typst"}
    assert config["profile"]["group"] == [list(book.PROFILES)]
    # the pre-executed cards must not run again: no execute enabled / ipynb true anywhere
    execute = config["execute"]
    assert execute.get("enabled", None) is not True and execute.get("ipynb") is False
    assert execute["echo"] is False and execute["warning"] is False
    for profile in book.PROFILES:
        merged = book.book_config(ROOT, profile)
        assert (merged.get("execute") or {}).get("enabled") is not True
    assert book.CARD_LIST in config["metadata-files"]
    language = config["language"]
    assert language["crossref-fig-title"] == "Kuvio" and language["crossref-ch-prefix"] == "Luku"


@pytest.mark.parametrize("profile", book.PROFILES)
def test_every_named_file_exists_or_is_generated(profile):
    named = book.named_files(ROOT, profile)
    assert "index.qmd" in named and "report/liite-menetelmat.qmd" in named
    generated = set(book.GENERATED_FILES)
    assert {book.BOOK_METADATA, book.DEMO_BANNER, book.TYPST_HEADER, book.CARD_LIST} <= set(named)
    missing = [n for n in named if n not in generated and not (ROOT / n).is_file()]
    assert missing == []


def test_generated_files_are_written_and_valid(tmp_path):
    config = load_config(root=ROOT)
    written = book.write_generated(config, "vuosiraportti", today=date(2026, 12, 1), into=tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == sorted(
        [book.BOOK_METADATA, book.DEMO_BANNER, book.TYPST_HEADER]
    )
    metadata = yaml.safe_load((tmp_path / book.BOOK_METADATA).read_text(encoding="utf-8"))
    assert metadata["book"]["title"] == "Hyvinvoinnin vuosiraportti 2026 aluevaltuustolle"
    assert metadata["book"]["author"] == "Keski-Suomen hyvinvointialue"
    assert metadata["book"]["date"] == "2026-12-01"
    assert "ESIMERKKIAINEISTO" in metadata["book"]["subtitle"]  # the demo snapshot is synthetic
    assert "ESIMERKKIAINEISTO" in (tmp_path / book.DEMO_BANNER).read_text(encoding="utf-8")
    assert "#set page(footer:" in (tmp_path / book.TYPST_HEADER).read_text(encoding="utf-8")


def test_profiles_merge_as_quarto_merges(tmp_path):
    laaja = book.book_chapters(ROOT, "laaja")
    annual = book.book_chapters(ROOT, "vuosiraportti")
    assert laaja[0] == annual[0] == "index.qmd"
    # shared appendices from _quarto.yml come last, in both profiles
    assert (
        laaja[-2:]
        == annual[-2:]
        == ["report/liite-indikaattorit.qmd", "report/liite-menetelmat.qmd"]
    )
    assert (
        "report/hyvinvointisuunnitelma.qmd" in laaja
        and "report/hyvinvointisuunnitelma.qmd" not in annual
    )
    assert "report/muutokset.qmd" in annual and "report/seuranta-ja-arviointi.qmd" in annual
    assert render.output_dir(ROOT, "vuosiraportti") == ROOT / "_book-vuosiraportti"
    assert render.output_stem(ROOT, "laaja") == "hyvinvointikertomus"
    # the merge rule itself: objects deep, arrays concatenated, scalars replaced
    assert book._merge(
        {"a": [1], "b": {"c": 1, "d": 2}, "e": 1}, {"a": [2, 1], "b": {"d": 3}, "e": 2}
    ) == {"a": [1, 2], "b": {"c": 1, "d": 3}, "e": 2}


# --- the card list ---------------------------------------------------------------------------------------


def _project_with_cards(tmp_path: Path, codes: list[str]) -> Config:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "reference").symlink_to(ROOT / "data" / "reference")
    cards = tmp_path / "municipal_cards"
    (cards / "_failed").mkdir(parents=True)
    regions = load_regions(ROOT / "data" / "reference")
    from hyte.run.batch import card_stem

    for code in codes:
        (cards / f"{card_stem(regions.municipality(code))}.ipynb").write_text(
            "{}", encoding="utf-8"
        )
    (cards / "_failed" / "179.ipynb").write_text("{}", encoding="utf-8")
    (cards / ".staging-x").mkdir()
    return Config(root=tmp_path)


def test_card_list_lists_the_finished_cards_in_finnish_order(tmp_path):
    config = _project_with_cards(tmp_path, ["992", "077", "182"])  # Äänekoski, Hankasalmi, Jämsä
    book.sync_card_list(config)
    assert book.read_card_list(tmp_path) == [
        "municipal_cards/077-hankasalmi.ipynb",
        "municipal_cards/182-jamsa.ipynb",
        "municipal_cards/992-aanekoski.ipynb",
    ]
    data = yaml.safe_load((tmp_path / book.CARD_LIST).read_text(encoding="utf-8"))
    assert data == {
        "book": {"appendices": [{"part": "Kuntakortit", "chapters": book.read_card_list(tmp_path)}]}
    }


def test_card_list_without_cards_has_no_empty_part(tmp_path):
    config = _project_with_cards(tmp_path, [])
    book.sync_card_list(config)
    assert yaml.safe_load((tmp_path / book.CARD_LIST).read_text(encoding="utf-8")) == {"book": {}}
    assert book.read_card_list(tmp_path) == []


def test_card_list_rejects_cards_outside_the_project(tmp_path):
    with pytest.raises(HyteError, match="outside the project"):
        book.write_card_list([tmp_path.parent / "x.ipynb"], tmp_path)


def test_generated_card_list_matches_municipal_cards():
    config = load_config(root=ROOT)
    book.sync_card_list(config)
    regions = load_regions(ROOT / "data" / "reference")
    county = {m.code for m in regions.county_municipalities(config.county)}
    present = [
        p.relative_to(ROOT).as_posix()
        for p in book.card_notebooks(config.cards_dir)
        if p.name.split("-")[0] in county
    ]
    listed = book.read_card_list(ROOT)
    assert sorted(listed) == sorted(present)
    assert all((ROOT / card).is_file() for card in listed)


# --- the chapters on the demo data -------------------------------------------------------------------


@pytest.fixture(scope="module")
def chapters() -> dict[str, list[str]]:
    return {name: run_chapter(name)["__outputs__"] for name in MY_CHAPTERS}


def test_every_chapter_runs_on_the_demo_data_and_is_marked_as_demo(chapters):
    """The demo warning is on every page through the HTML banner and the PDF footer (generated files,
    test_generated_book_files...); in the text it is said once, in the summary (issue 11)."""
    for name, outputs in chapters.items():
        text = "".join(outputs)
        assert text.strip(), name
        if name not in ("index.qmd", "report/liite-menetelmat.qmd"):
            assert "callout-warning" not in text or "ESIMERKKIAINEISTO" not in text, name
    assert "ESIMERKKIAINEISTO" in "".join(chapters["index.qmd"])


def test_index_has_provenance_and_typst_finnish_chapter_label(chapters):
    text = "".join(chapters["index.qmd"])
    assert "#show heading.where(level: 1): set heading(supplement: [Luku])" in text
    assert re.search(r"Aineisto demo-keski-suomi \(\d+\.\d+\.\d{4}\) · koottu", text)
    assert "Keski-Suomen hyvinvointialueen laaja hyvinvointikertomus" in text


def test_regional_chapter_puts_every_municipality_side_by_side(chapters):
    text = "".join(chapters["report/alueelliset-erot.qmd"])
    regions = load_regions(ROOT / "data" / "reference")
    tables = re.findall(r"::: \{#(tbl-erot-[a-z-]+)\}\n\n```\{=html\}\n(.*?)\n```", text, re.S)
    assert [label for label, _ in tables] == [
        "tbl-erot-lapset",
        "tbl-erot-tyoikaiset",
        "tbl-erot-ikaantyneet",
        "tbl-erot-koko-vaesto",
    ]
    for _, table in tables:
        for municipality in regions.county_municipalities("15"):
            assert f'<th scope="row" style="text-align: left;">{municipality.name_fi}</th>' in table
        assert "Keski-Suomen hyvinvointialue</th>" in table


def test_chapter_figures_have_label_caption_and_alt_text():
    labels = []
    for name in MY_CHAPTERS:
        for cell in python_cells(ROOT / name):
            if "display(figure)" in cell:
                options = dict(re.findall(r"^#\| ([a-z-]+): (.+)$", cell, re.M))
                assert options.get("label", "").startswith("fig-"), name
                assert options.get("fig-cap") and options.get("fig-alt"), name
                labels.append(options["label"])
    assert len(labels) == len(set(labels)) >= 6


def test_labels_are_unique_across_the_whole_book():
    labels = []
    for profile in book.PROFILES:
        for name in book.book_chapters(ROOT, profile):
            path = ROOT / name
            if path.is_file():
                text = path.read_text(encoding="utf-8")
                labels += [
                    (profile, m) for m in re.findall(r"#\| label: ((?:fig|tbl)-[\w-]+)", text)
                ]
                labels += [(profile, m) for m in re.findall(r"\{#((?:fig|tbl|sec)-[\w-]+)", text)]
    duplicates = {item for item in labels if labels.count(item) > 1}
    assert duplicates == set()


# --- sentences on hand-made data -------------------------------------------------------------------------


def _rows(pairs):
    return pd.DataFrame({"name": [p[0] for p in pairs], "vs_county": [p[1] for p in pairs]})


def test_join_names():
    assert report.join_names([]) == ""
    assert report.join_names(["Joutsa"]) == "Joutsa"
    assert report.join_names(["Joutsa", "Multia", "Toivakka"]) == "Joutsa, Multia ja Toivakka"
    assert (
        report.join_names(["Ylipaino, 8.–9. lk", "Työttömät"]) == "Ylipaino, 8.–9. lk ja Työttömät"
    )
    assert report.join_names(["a, x", "b", "c"]) == "a, x; b ja c"
    assert report.join_names(list("abcdefg"), limit=3) == "a, b, c ja 4 muuta"
    assert (
        report.join_names(list("abcd"), limit=3) == "a, b, c ja d"
    )  # one more is named, not counted


def test_comparison_sentence_better_and_worse():
    rows = _rows(
        [
            ("Hankasalmi", "better"),
            ("Joutsa", "worse"),
            ("Jyväskylä", "similar"),
            ("Jämsä", "better"),
            ("Kinnula", "not_compared"),
            ("Luhanka", "similar"),
        ]
    )
    assert report.comparison_sentence(rows) == (
        "Hyvinvointialuetta parempi tilanne oli 2 kunnassa (Hankasalmi ja Jämsä) ja heikompi 1 kunnassa "
        "(Joutsa). Muissa 2 kunnassa ero ei ollut tilastollisesti merkitsevä. 1 kunnan luku jäi "
        "vertailun ulkopuolelle (pieni lukumäärä tai puuttuva tieto): Kinnula."
    )


def test_comparison_sentence_one_direction_and_none():
    worse_only = _rows([("Joutsa", "worse"), ("Multia", "similar")])
    assert report.comparison_sentence(worse_only) == (
        "Hyvinvointialuetta heikompi tilanne oli 1 kunnassa (Joutsa); yhdessäkään kunnassa tilanne ei "
        "ollut merkitsevästi parempi. Yhdessä muussa kunnassa ero ei ollut tilastollisesti merkitsevä."
    )
    none = _rows([("Joutsa", "similar"), ("Multia", "similar")])
    assert (
        report.comparison_sentence(none)
        == "Yhdenkään 2 verratun kunnan ero hyvinvointialueeseen ei ollut tilastollisesti merkitsevä."
    )
    no_polarity = _rows([("Joutsa", "higher"), ("Multia", "lower"), ("Uurainen", "lower")])
    assert report.comparison_sentence(no_polarity) == (
        "Hyvinvointialuetta korkeampi arvo oli 1 kunnassa (Joutsa) ja matalampi 2 kunnassa "
        "(Multia ja Uurainen)."
    )


def _summary(rows):
    columns = ["short", "trend", "trend_first_year", "trend_last_year", "trend_p", "vs_country"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["trend_reason"] = [
        "too_few_points" if t == "cannot_calculate" else "" for t in frame["trend"]
    ]
    return frame


def test_trend_sentence_names_worsening_trends_most_significant_first():
    summary = _summary(
        [
            ("Ylipaino", "worsening", 2017, 2025, 0.03, "similar"),
            ("Työttömät", "improving", 2021, 2025, 0.001, "better"),
            ("Ahdistuneisuus", "worsening", 2017, 2025, 0.0001, "worse"),
            ("Väestö", "cannot_calculate", None, None, math.nan, "not_compared"),
        ]
    )
    assert report.trend_sentence(summary) == (
        "Hyvinvointialueella kehitys oli tilastollisesti merkitsevästi heikkenevä 2 indikaattorissa: "
        "Ahdistuneisuus (2017–2025) ja Ylipaino (2017–2025). Paranevaa kehitystä oli 1 indikaattorissa: "
        "Työttömät (2021–2025). Kehitystä ei voitu testata 1 indikaattorissa (viidestä viimeisestä "
        "mittauksesta on alle kolme arvoa: 1)."
    )
    assert report.trend_sentence(summary.iloc[[1]]) == (
        "Hyvinvointialueella yhdessäkään testatussa indikaattorissa ei ollut tilastollisesti merkitsevästi "
        "heikkenevää kehitystä (testattuja 1). Paranevaa kehitystä oli 1 indikaattorissa: Työttömät "
        "(2021–2025)."
    )
    # nothing tested: no claim about the absence of a worsening trend
    untested = report.trend_sentence(summary.iloc[[3]])
    assert untested.startswith(
        "Hyvinvointialueella kehitystä ei voitu testata yhdessäkään indikaattorissa"
    )
    assert "heikkenevää" not in untested


def test_country_comparison_sentence():
    summary = _summary(
        [
            ("Ylipaino", "no_change", 2017, 2025, 0.5, "worse"),
            ("Työttömät", "no_change", 2021, 2025, 0.5, "better"),
            ("Ahdistuneisuus", "no_change", 2017, 2025, 0.5, "better"),
            ("Väestö", "cannot_calculate", None, None, math.nan, "not_compared"),
        ]
    )
    assert report.country_comparison_sentence(summary) == (
        "Hyvinvointialueella tilanne oli koko maata parempi 2 indikaattorissa (Työttömät ja "
        "Ahdistuneisuus) ja heikompi 1 indikaattorissa (Ylipaino)."
    )
    similar = summary.assign(vs_country=["similar", "similar", "similar", "not_compared"])
    assert report.country_comparison_sentence(similar) == (
        "Hyvinvointialueella tilanne ei eronnut tilastollisesti merkitsevästi koko maasta yhdessäkään "
        "3 verratusta indikaattorista."
    )


def _long():
    return pd.DataFrame(
        {
            "order": [0, 0, 1, 1, 2, 2],
            "name": ["Hankasalmi", "Hankasalmi", "Joutsa", "Joutsa", "Multia", "Multia"],
            "indicator": [1, 2, 1, 2, 1, 2],
            "value": [10.0, 3.26, 12.0, math.nan, 8.0, 4.0],
            "suppressed": [False, False, False, True, False, False],
            "vs_county": ["worse", "worse", "similar", "not_compared", "better", "higher"],
        }
    )


def test_municipality_counts_and_ranking_sentence():
    counts = report.municipality_counts(_long())
    assert counts.to_dict("records") == [
        {"name": "Hankasalmi", "better": 0, "worse": 2, "compared": 2},
        {"name": "Joutsa", "better": 0, "worse": 0, "compared": 1},
        {"name": "Multia", "better": 1, "worse": 0, "compared": 1},
    ]
    nothing = _long().assign(vs_county="not_compared", vs_county_reason="no_benchmark")
    table = report.municipality_counts_table(nothing)
    assert "| Hankasalmi | ei verrattu | ei verrattu | 0 |" in table
    assert report.municipality_ranking_sentence(nothing) == (
        "Kuntia ei voitu verrata hyvinvointialueeseen yhdessäkään indikaattorissa (aineistossa ei ole "
        "vertailualueen arvoa samalta vuodelta: 6)."
    )
    assert report.municipality_ranking_sentence(_long()) == (
        "Eniten hyvinvointialuetta merkitsevästi heikompia indikaattoreita oli kunnissa Hankasalmi (2). "
        "Eniten hyvinvointialuetta merkitsevästi parempia indikaattoreita oli kunnissa Multia (1)."
    )


def test_significance_table_colours_and_marks_every_cell():
    catalog = load_catalog(ROOT / "data" / "indicators.yml")
    first, second = catalog.indicators[0], catalog.indicators[1]
    long = _long().assign(indicator=lambda f: f["indicator"].map({1: first.id, 2: second.id}))
    county = pd.DataFrame(
        {
            "indicator": [first.id, second.id],
            "value": [9.96, 3.5],
            "decimals": [1, 1],
            "year": [2025, 2025],
        }
    )
    text = report.significance_table(
        long,
        county,
        [first, second],
        label_id="tbl-koe",
        caption="Koe",
        county_name="Keski-Suomen hyvinvointialue",
    )
    assert text.startswith(
        '::: {.hyte-table-scroll tabindex="0" role="region" aria-label="Koe"}\n\n'
        "::: {#tbl-koe}\n\n```{=html}\n<table"
    )
    assert text.rstrip().endswith(":::\n\n:::")
    assert "Koe Vuosi 2025.\n\n:::\n\n:::" in text
    cells = re.findall(
        r'<td style="background-color: (#[0-9A-F]{6}); color: #[0-9A-F]{6}; '
        r'text-align: right;">(.*?)</td>',
        text,
    )
    cells = [
        (colour, re.sub(r'<span role="img" aria-label="[^"]+">(.*?)</span>', r"\1", shown))
        for colour, shown in cells
    ]
    assert cells == [
        ("#FDAE6B", "10,0&nbsp;\u2212"),
        ("#FDAE6B", "3,3&nbsp;\u2212"),  # worse
        ("#E5E5E5", "12,0&nbsp;="),
        ("#FFFFFF", "\u2013"),  # similar, hidden
        ("#9ECAE1", "8,0&nbsp;+"),
        ("#DADAEB", "4,0&nbsp;\u2191"),
    ]  # better, higher
    # screen readers read the word, not "minus"
    assert '<span role="img" aria-label="heikompi">\u2212</span>' in text
    assert (
        '<th scope="row" style="text-align: left;">Hankasalmi</th>' in text
        and ">10,0</td>" in text
        and ">3,5</td>" in text
    )
    legend = report.significance_legend()
    assert "\\+ = parempi" in legend and "\u2212 = heikompi" in legend


def test_table_indicators_keep_comparable_headline_first_and_fit_a_page():
    catalog = load_catalog(ROOT / "data" / "indicators.yml")
    chosen = report.table_indicators(catalog.in_group("koko_vaesto"))
    assert len(chosen) <= report.MAX_TABLE_COLUMNS
    assert all(i.ci_method.value != "none" for i in chosen)
    headline = [i.headline for i in chosen]
    assert headline == sorted(headline, reverse=True)


def test_sex_differences_need_non_overlapping_intervals():
    base = {
        "indicator": [1, 2, 3],
        "short": ["A", "B", "C"],
        "unit": ["%"] * 3,
        "decimals": [1] * 3,
        "year": [2025] * 3,
    }
    male = pd.DataFrame(
        {**base, "value": [20.0, 10.0, 5.0], "lower": [18.0, 8.0, 4.0], "upper": [22.0, 12.0, 6.0]}
    )
    female = pd.DataFrame(
        {**base, "value": [15.0, 11.0, 8.0], "lower": [14.0, 9.0, 6.5], "upper": [17.9, 13.0, 9.5]}
    )
    differences = report.sex_differences(male, female)
    assert list(differences["short"]) == ["A", "C"]
    assert list(differences["higher"]) == ["miehillä", "naisilla"]
    assert report.sex_difference_sentence(differences) == (
        "Miesten ja naisten luvut erosivat tilastollisesti merkitsevästi 2 indikaattorissa. Miehillä "
        "suurempi oli 1 indikaattoria, suhteellisesti eniten A. Naisilla suurempi oli 1 indikaattoria, "
        "suhteellisesti eniten C."
    )


def test_changes_table_direction_follows_polarity():
    catalog = load_catalog(ROOT / "data" / "indicators.yml")
    lower_better = next(i for i in catalog if i.polarity.value == "lower_is_better")
    higher_better = next(i for i in catalog if i.polarity.value == "higher_is_better")
    no_direction = next(i for i in catalog if i.polarity.value == "none")
    series = {
        lower_better.id: pd.Series({2023: 10.0, 2024: 12.0, 2025: 11.0}),
        higher_better.id: pd.Series({2024: 90.0, 2025: 90.0}),
        no_direction.id: pd.Series({2024: 5.0, 2025: 6.0}),
    }
    county = pd.DataFrame({"indicator": [lower_better.id], "trend": ["worsening"]})
    changes = report.changes_table(series, county, [lower_better, higher_better, no_direction])
    assert list(changes["direction"]) == ["better", "unchanged", "none"]
    assert list(changes["trend"]) == ["worsening", "cannot_calculate", "cannot_calculate"]
    assert changes.iloc[0][["previous_year", "previous", "year", "value"]].tolist() == [
        2024,
        12.0,
        2025,
        11.0,
    ]
    assert changes.iloc[0]["change"] == pytest.approx(-1.0)
    worse = changes.iloc[:2].assign(direction=["worse", "better"], trend=["worsening", "no_change"])
    assert report.change_sentence(worse) == (
        "Edelliseen havaintoon verrattuna tilanne heikkeni 1 ja parani 1 indikaattorissa 2:stä. "
        "Heikkeneminen on osa tilastollisesti merkitsevää heikkenevää kehitystä indikaattoreissa "
        f"{lower_better.short_fi}."
    )
    assert (
        report.change_sentence(changes.iloc[0:0])
        == "Edellisen vuoden vertailutietoja ei ollut käytettävissä."
    )


def test_population_change_sentence():
    change = report.population_change(pd.Series({2019: 100_000.0, 2020: 101_000.0, 2025: 99_990.0}))
    assert change == {
        "first_year": 2020,
        "first": 101_000.0,
        "last_year": 2025,
        "last": 99_990.0,
        "change": -1010.0,
        "percent": pytest.approx(-1.0),
    }
    assert report.population_change_sentence(change) == (
        "Alueen väkiluku oli 99\u00a0990 vuonna 2025; se väheni 1,0\u00a0% vuodesta 2020 "
        "(1\u00a0010 asukasta)."
    )
    assert report.population_change(pd.Series({2025: 5.0})) == {}
    assert report.population_change_sentence({}) == "Alueen väkiluvun kehityksestä ei ole tietoja."


def test_genitive_of_county_names():
    assert report.genitive("Keski-Suomen hyvinvointialue") == "Keski-Suomen hyvinvointialueen"
    assert report.genitive("Helsingin kaupunki") == "Helsingin kaupungin"
    assert report.genitive("Ahvenanmaa") == "Ahvenanmaan"


# --- provenance, generated files, profiles ------------------------------------------------------------


def test_provenance_line_and_generated_texts():
    assert (
        book.provenance_line(PROV)
        == "Aineisto sotkanet-2026-11-28 (28.11.2026) · koottu 1.12.2026 · ohjelmaversio 0123456"
    )
    assert book.provenance_line(DEMO) == (
        "Aineisto demo-keski-suomi (28.11.2026) · koottu 1.12.2026 · "
        "ohjelmaversio ei tiedossa · ESIMERKKIAINEISTO – ei todellisia lukuja"
    )
    assert book.demo_banner_html(PROV).startswith("<!--")
    assert "ESIMERKKIAINEISTO" in book.demo_banner_html(DEMO)
    header = book.typst_header(book.Provenance(**{**PROV.__dict__, "snapshot_id": 'x"y\\z'}))
    assert '"Aineisto x\\"y\\\\z (28.11.2026)' in header  # typst string escaping
    meta = book.book_metadata(
        "laaja",
        county_name="Keski-Suomen hyvinvointialue",
        council_term="2026-2029",
        reporting_year=2026,
        prov=PROV,
    )
    assert meta["book"]["title"] == "Laaja hyvinvointikertomus ja hyvinvointisuunnitelma 2026–2029"
    assert meta["book"]["subtitle"] == book.provenance_line(PROV)
    with pytest.raises(HyteError, match="Unknown profile"):
        book.book_metadata(
            "x", county_name="", council_term="2026-2029", reporting_year=2026, prov=PROV
        )


def test_active_profile():
    assert book.active_profile(environ={}) == "laaja"
    assert (
        book.active_profile(environ={"QUARTO_PROFILE": "production,vuosiraportti"})
        == "vuosiraportti"
    )
    assert book.active_profile("vuosiraportti", environ={}) == "vuosiraportti"
    with pytest.raises(HyteError, match="Unknown profile 'annual'"):
        book.active_profile("annual")


def test_prerender_runs_cards_only_on_full_renders():
    assert prerender.should_run_cards({"QUARTO_PROJECT_RENDER_ALL": "1"})
    assert not prerender.should_run_cards({})
    assert not prerender.should_run_cards(
        {"QUARTO_PROJECT_RENDER_ALL": "1", "HYTE_SKIP_CARDS": "1"}
    )


def test_prerender_writes_the_book_files_for_the_profile(monkeypatch, tmp_path):
    config = _project_with_cards(tmp_path, ["179"])
    written = {}
    monkeypatch.setattr(
        book, "write_generated", lambda cfg, profile: written.setdefault("profile", profile)
    )
    lines = []
    assert prerender.run({"QUARTO_PROFILE": "vuosiraportti"}, config=config, echo=lines.append) == 0
    assert written == {"profile": "vuosiraportti"}
    assert book.read_card_list(tmp_path) == ["municipal_cards/179-jyvaskyla.ipynb"]
    assert lines == [
        "hyte: card not current, marked on its page: ? (municipal_cards/179-jyvaskyla.ipynb): "
        "no record in the cards manifest (left by an interrupted run?)",
        "hyte: book files written for profile 'vuosiraportti' (1 municipal cards).",
    ]


# --- render without Quarto, and the quarto command ----------------------------------------------------


def test_render_without_quarto_prepares_and_says_how_to_install(monkeypatch):
    monkeypatch.setattr(render, "quarto_executable", lambda: None)
    result = render.render(load_config(root=ROOT), "laaja", "html")
    assert not result.rendered
    assert 'pip install -e ".[quarto]"' in result.message
    assert "conda env create -f environment.yml" in result.message
    assert "https://quarto.org/docs/get-started/" in result.message
    assert (ROOT / book.BOOK_METADATA).is_file() and (ROOT / book.CARD_LIST).is_file()


def test_render_runs_quarto_with_profile_and_format(monkeypatch, tmp_path):
    monkeypatch.setattr(render, "quarto_executable", lambda: "/opt/quarto/bin/quarto")
    monkeypatch.setattr(render, "_quarto_version", lambda quarto: "1.9.18")
    calls = []
    out = render.output_dir(ROOT, "laaja")

    def runner(command, cwd, env, echo):
        calls.append((command, env))
        (Path(cwd) / command[-1]).mkdir(parents=True)  # Quarto writes into the staging folder
        return 0, [
            "[1/3] index.qmd",
            "WARN (/x.qmd) Unable to resolve crossref @fig-x",
            "Output created",
        ]

    monkeypatch.setattr(render, "expected_outputs", lambda root, profile, formats: [])
    monkeypatch.setattr(render, "output_dir", lambda root, profile: tmp_path / "_book")
    result = render.render(load_config(root=ROOT), None, "typst", runner=runner)
    command, env = calls[0]
    assert command == [
        "/opt/quarto/bin/quarto",
        "render",
        "--profile",
        "laaja",
        "--to",
        "typst",
        "--output-dir",
        str(tmp_path / "_book.rendering"),
    ]
    assert (tmp_path / "_book").is_dir() and not (tmp_path / "_book.rendering").exists()
    assert env["HYTE_SKIP_CARDS"] == "1" and env["PATH"].split(os.pathsep)[0] == str(
        Path(os.sys.executable).parent
    )
    assert result.rendered and result.warnings == [
        "WARN (/x.qmd) Unable to resolve crossref @fig-x"
    ]
    assert result.output_dir == tmp_path / "_book" and out == ROOT / "_book"


def test_render_failure_is_one_line(monkeypatch):
    monkeypatch.setattr(render, "quarto_executable", lambda: "quarto")
    monkeypatch.setattr(render, "_quarto_version", lambda quarto: "1.9.18")
    with pytest.raises(HyteError, match=r"quarto render failed \(exit 1\): ERROR: bad chapter"):
        render.render(
            load_config(root=ROOT),
            "laaja",
            None,
            runner=lambda *a: (1, ["Rendering", "ERROR: bad chapter", "Stack trace"]),
        )


def test_old_quarto_is_refused(monkeypatch):
    monkeypatch.setattr(render, "quarto_executable", lambda: "quarto")
    monkeypatch.setattr(render, "_quarto_version", lambda quarto: "1.6.42")
    with pytest.raises(HyteError, match="too old"):
        render.render(load_config(root=ROOT), "laaja", None, runner=lambda *a: (0, []))


def test_formats_and_versions():
    assert render.formats_for(None) == ("html", "typst")
    assert render.formats_for("pdf") == ("typst",)
    with pytest.raises(HyteError, match="--to docx"):
        render.formats_for("docx")
    assert render.parse_version("1.9.18") == (1, 9, 18)
    assert render.parse_version("nothing") is None
    assert render.quarto_command("q", "laaja", ("html", "typst")) == [
        "q",
        "render",
        "--profile",
        "laaja",
    ]


def test_cli_render_without_quarto_exits_1_with_install_help(monkeypatch):
    from typer.testing import CliRunner

    from hyte.cli import app

    monkeypatch.setattr(render, "quarto_executable", lambda: None)
    done = CliRunner().invoke(app, ["render", "--to", "html"])
    assert done.exit_code == 1
    assert 'pip install -e ".[quarto]"' in done.output
