"""The data-shape matrix: every card section and every chapter runs on snapshots with the shapes real
Sotkanet downloads have (tests/shapes.py), and the generated text claims no comparison, difference or
trend — nor their absence — that was not computed, and names what is missing and why.

Cards are exercised through :class:`hyte.card.card.Card`'s section functions (what the notebook calls),
chapters through tests/chapter_runner.py; no papermill, no Quarto.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from chapter_runner import run_chapter
from shapes import KEPT_MUNICIPALITIES, SHAPES, make_project

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = [*sorted((ROOT / "report").glob("*.qmd")), ROOT / "index.qmd"]
CARD_SECTIONS = (
    "header",
    "strengths",
    "spine",
    "sex_section",
    "hyte_kerroin",
    "plan",
    "indicator_table",
    "sources",
    "write_data",
)
#: Shapes in which nothing can be compared or tested (no counts, so no confidence interval).
NOTHING_COMPARABLE = ("no_counts", "issue")
#: Shapes without any benchmark (county or country) value.
NO_BENCHMARK = ("municipalities_only", "issue")

# A finding about a difference or a trend (or its absence) ...
CLAIM = re.compile(
    r"merkitsev|ei eronnut|eroa ei|ei ollut .*ero|paraneva|heikkenevä|kasvava kehitys|"
    r"laskeva kehitys|ei muutosta|kehitys oli|trendi",
    re.IGNORECASE,
)
# ... is fine in a sentence that says it was NOT made.
NOT_MADE = re.compile(
    r"ei voitu|ei voi|ei verrattu|ei testattu|ei tehty|voitu tehdä|ei lasketa|"
    r"ei ole vertailu|ei piirretty",
    re.IGNORECASE,
)
# A sentence that says nothing significant was found must say how many comparisons/tests were made.
ABSENCE = re.compile(r"(ei ollut|ei eronnut)[^.]*merkitsev|merkitsev[^.]*ei ollut", re.IGNORECASE)


def _sentences(text: str) -> list[str]:
    """Prose sentences of Markdown output: table rows, figure lines and code left out."""
    prose = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("|", "<", "```", ":::", "#|")):
            continue
        if stripped.startswith("!["):
            continue  # figures are checked through their alt text and caption
        prose.append(re.sub(r"\*+", "", stripped))
    return [
        s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9])", " ".join(prose)) if s.strip()
    ]


def _figure_texts(text: str) -> list[str]:
    from hyte.card.card import figures_in

    return [f"{f['caption']} {f['alt']}" for f in figures_in(text)]


def _unmade_claims(texts: list[str]) -> list[str]:
    return [s for t in texts for s in _sentences(t) if CLAIM.search(s) and not NOT_MADE.search(s)]


def _uncounted_absence(texts: list[str]) -> list[str]:
    return [
        s
        for t in texts
        for s in _sentences(t)
        if ABSENCE.search(s) and not re.search(r"\d|verratu|testatu|testattiin|Yhdessä muussa", s)
    ]


@pytest.fixture(autouse=True)
def _quick_png(monkeypatch):
    """Figures are drawn in full but saved at a low resolution: the matrix checks text, not pixels
    (the card's charts are SVG; the chapters' matplotlib figures are PNG)."""
    from matplotlib.figure import Figure

    save = Figure.savefig
    monkeypatch.setattr(Figure, "savefig", lambda self, *a, **k: save(self, *a, **{**k, "dpi": 20}))


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    made: dict[str, Path] = {}

    def get(shape: str) -> Path:
        if shape not in made:
            made[shape] = make_project(tmp_path_factory.mktemp("shapes"), shape)
        return made[shape]

    return get


def _county(root: Path) -> str:
    return yaml.safe_load((root / "hyte.yml").read_text(encoding="utf-8"))["county"]


_CARDS: dict[tuple[str, str], list[str]] = {}


def _cards(root: Path, codes: list[str]) -> dict[str, list[str]]:
    """Every section's Markdown of the municipalities' cards (made once per project and code)."""
    from hyte.card import card
    from hyte.card.print_card import print_card_markdown

    out = {}
    for code in codes:
        if (str(root), code) in _CARDS:
            out[code] = _CARDS[(str(root), code)]
            continue
        kortti = card.open_card(code, config_path=root / "hyte.yml", output_dir=root / "cards")
        texts = [getattr(kortti, name)().data for name in CARD_SECTIONS if name != "plan"]
        kortti.plan()  # runs; its goal texts are the plan's own words, not findings
        texts += [kortti.group_section(g).data for g in kortti.ctx.catalog.ordered_groups()]
        texts.append(print_card_markdown(kortti))  # the council's PDF layout says the same
        out[code] = _CARDS[(str(root), code)] = texts
    return out


def _codes(root: Path) -> list[str]:
    from hyte.data.regions import load_regions

    members = [
        m.code
        for m in load_regions(ROOT / "data" / "reference").county_municipalities(_county(root))
    ]
    kept = [c for c in members if c in KEPT_MUNICIPALITIES] or members
    return [kept[0]]


@pytest.mark.parametrize("shape", SHAPES)
def test_every_card_section_runs_and_claims_only_what_was_computed(shape, projects):
    root = projects(shape)
    cards = _cards(root, _codes(root))
    for code, texts in cards.items():
        figures = [t for text in texts for t in _figure_texts(text)]
        assert not _uncounted_absence(texts), (shape, code, _uncounted_absence(texts))
        if shape in NOTHING_COMPARABLE:
            assert not _unmade_claims(texts), (shape, code, _unmade_claims(texts)[:5])
            assert not _unmade_claims(figures), (shape, code, _unmade_claims(figures)[:5])
            joined = "\n".join(texts)
            assert "Vertailut eivät ole mahdollisia" in joined  # the header's notice
            assert "Vahvuuksia ja haasteita ei voi tässä aineistossa arvioida" in joined
            assert "luottamusväli varjostettuna" not in joined
        if shape in NO_BENCHMARK:
            joined = "\n".join(texts)
            for phrase in (
                "Hyvinvointialueeseen verrattuna",
                "Koko maahan verrattuna",
                "Verrattuja indikaattoreita",
            ):
                assert phrase not in joined, (shape, code, phrase)
            assert "Vertailut eivät ole mahdollisia" in joined
            for text in figures:  # no county or country line, no centre line is drawn
                assert not re.search(
                    r"\((kuvion )?keskiviiva\)|\(katkoviiva\)|\(pisteviiva\)", text
                ), text


#: Chapters that print the plan (they stop with one line when the plan is another county's).
PLAN_CHAPTERS = (
    "hyvinvointisuunnitelma.qmd",
    "seuranta-ja-arviointi.qmd",
    "vaikutusten-ennakkoarviointi.qmd",
)
#: Chapters whose text is the plan's own words or the methods' definitions, not findings from the
#: data (they run in every shape; the plan's follow-up has its own tests in test_plan.py).
NOT_FINDINGS = (
    "hyvinvointisuunnitelma.qmd",
    "seuranta-ja-arviointi.qmd",
    "vaikutusten-ennakkoarviointi.qmd",
    "liite-menetelmat.qmd",
)


@pytest.mark.parametrize("shape", SHAPES)
def test_every_chapter_runs_and_claims_only_what_was_computed(shape, projects):
    from chapter_runner import ChapterError

    root = projects(shape)
    outputs = {}
    for chapter in CHAPTERS:
        try:
            outputs[chapter.name] = run_chapter(chapter, root=root)["__outputs__"]
        except ChapterError as exc:  # another county's plan: one line, never that plan's content
            assert _county(root) != "15" and chapter.name in PLAN_CHAPTERS, exc
            assert (
                "field 'county' is 15 Keski-Suomen hyvinvointialue, but hyte.yml's county is 20"
                in str(exc)
            )
            outputs[chapter.name] = []
    texts = [t for name, out in outputs.items() if name not in NOT_FINDINGS for t in out]
    joined = "\n".join(texts)
    assert not _uncounted_absence(texts), (shape, _uncounted_absence(texts))
    if shape in NOTHING_COMPARABLE:
        assert not _unmade_claims(texts), (shape, _unmade_claims(texts)[:5])
    if shape in NOTHING_COMPARABLE + NO_BENCHMARK:
        regional = "\n".join(outputs["alueelliset-erot.qmd"])
        assert (
            "| 0 | 0 |" not in regional
        )  # the regional-differences table: 'ei verrattu', not 0 and 0
        assert (
            "Kuntia ei voitu verrata hyvinvointialueeseen yhdessäkään indikaattorissa" in regional
        )
        assert "Vertailut eivät ole mahdollisia" in "\n".join(
            outputs["index.qmd"]
        )  # the book's notice
    if shape in ("municipalities_only", "issue", "no_kerroin_score", "few_indicators"):
        assert "laskennallista HYTE-kerrointa ei voitu laskea" in joined


# --- what is missing is named ---------------------------------------------------------------------


def _card_text(projects, shape: str) -> str:
    root = projects(shape)
    return "\n".join(_cards(root, _codes(root)[:1]).popitem()[1])


def test_a_snapshot_without_women_and_men_says_so(projects):
    text = _card_text(projects, "no_sex")
    assert "Tässä aineistossa ei ole naisten ja miesten arvoja" in text
    assert "julkaistu naisten" not in text


def test_a_snapshot_without_counts_names_the_missing_counts(projects):
    text = _card_text(projects, "no_counts")
    assert "aineistossa ei ole lukumäärää, joten luottamusväliä ei voi laskea" in text
    assert "lukumääriä, joista luottamusväli lasketaan" in text  # the header's notice


def test_a_municipalities_only_snapshot_names_the_missing_benchmarks(projects):
    text = _card_text(projects, "municipalities_only")
    assert "aineistossa ei ole vertailualueen arvoa samalta vuodelta" in text
    assert "Aineistossa ei ole hyvinvointialueen arvoja ja koko maan arvoja" in text


def test_a_small_snapshot_names_the_indicators_it_lacks(projects):
    text = _card_text(projects, "few_indicators")
    assert (
        "**Puuttuvat indikaattorit:** 45/54 luettelon indikaattoria ei ole tässä aineistossa"
        in text
    )


def test_stale_values_are_marked_and_not_compared(projects):
    from hyte.card import card

    root = projects("gappy")
    kortti = card.open_card("179", config_path=root / "hyte.yml", output_dir=root / "cards")
    summary = kortti.summary
    stale = summary[summary["stale"]]
    assert len(stale), "the gappy shape has series that end years before the others"
    assert (stale["vs_county"] == "not_compared").all() and (
        stale["vs_county_reason"] == "too_old"
    ).all()
    assert stale["rank"].isna().all()
    table = kortti.indicator_table().data
    assert "* = vanha tieto" in table
    years = dict(zip(summary["short"], summary["year"], strict=True))
    name = stale.iloc[0]["short"]
    assert f"| {years[name]}\\* |" in table or f"| {years[name]}* |" in table


def test_the_four_yearly_indicator_gets_a_trend_over_its_last_five_elections(projects):
    """3076 (municipal elections 2012, 2017, 2021, 2025) is tested over four elections: the catalog's
    frequency 4-yearly, not the old 'gap over 2 years ends the series' rule."""
    from hyte.context import load_context
    from hyte.stats.summary import indicator_summary

    ctx = load_context()
    peers = [m.sotkanet_id for m in ctx.municipalities]
    summary = indicator_summary(
        ctx.table, ctx.catalog, 85, county_id=ctx.county.sotkanet_id, peer_ids=peers
    )
    row = summary.set_index("indicator").loc[3076]
    assert row["trend"] != "cannot_calculate"
    assert (int(row["trend_first_year"]), int(row["trend_last_year"])) == (2012, 2025)


def test_old_county_ids_are_resolved_on_import(projects):
    from hyte.data.snapshot import open_snapshot

    root = projects("old_county_ids")
    table = open_snapshot(root / "data" / "snapshots" / "old_county_ids").table()
    counties = table[table["region_level"] == "county"]
    assert set(counties["region_id"]) <= set(
        range(956, 979)
    )  # today's ids, none of the old 877–898
    kainuu = counties[
        (counties["region_id"] == 962) & (counties["year"] == 2023)
    ]  # Kainuu's old id 882
    assert kainuu["value"].tolist() == [12.9]  # the real value of the fixture file


def test_kainuu_cards_compare_with_kainuu(projects):
    root = projects("kainuu")
    text = _card_text(projects, "kainuu")
    assert "Kainuun hyvinvointialue" in text and "Keski-Suomen" not in text.replace(
        "Hyvinvointisuunnitelma koskee toista hyvinvointialuetta", ""
    )
    assert _county(root) == "20"


# --- county consistency ---------------------------------------------------------------------------


def test_another_countys_plan_is_one_line_in_plan_check_cards_and_the_book(projects):
    from typer.testing import CliRunner

    from hyte.book import prerender
    from hyte.card import card
    from hyte.cli import app
    from hyte.config import load_config

    root = projects("kainuu")  # hyte.yml county 20; data/plan is Keski-Suomi's (county 15)
    result = CliRunner().invoke(app, ["plan-check", "--config", str(root / "hyte.yml")])
    assert result.exit_code != 0
    assert "but hyte.yml's county is 20 Kainuun hyvinvointialue" in result.output
    assert "Traceback" not in result.output and "Plan OK" not in result.output
    result = CliRunner().invoke(app, ["cards", "--config", str(root / "hyte.yml")])
    assert result.exit_code != 0 and "but hyte.yml's county is 20" in result.output
    kortti = card.open_card(
        "205", config_path=root / "hyte.yml", output_dir=root / "cards"
    )  # Kajaani
    text = kortti.plan().data
    assert text.startswith("**Virhe:**") and "Tavoite" not in text
    lines = []
    assert (
        prerender.run({}, config=load_config(root / "hyte.yml", root=root), echo=lines.append) == 1
    )


def test_the_eva_language_fact_comes_from_the_reference_data():
    from hyte.data.regions import load_regions
    from hyte.plan.consistency import language_status_sentence

    regions = load_regions(ROOT / "data" / "reference")
    assert language_status_sentence(regions, "15").endswith(
        "kaikki 22 kuntaa ovat yksikielisesti suomenkielisiä."
    )
    east = language_status_sentence(regions, "01")  # Itä-Uusimaa: Loviisa and Porvoo are bilingual
    assert "kaksikielisiä on" in east and "Loviisa" in east and "Porvoo" in east
