"""Issue 10 item 1: text from the data files reaches the book and the cards as text, never as markup.

The payloads are those of the issue: a live ``<img onerror>``, a Quarto shortcode, maths, bold and a
``$$`` that used to make every figure fail.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from chapter_runner import run_chapter

from hyte import markup

ROOT = Path(__file__).resolve().parents[1]
PAYLOADS = ["<img src=x onerror=alert(1)>", "{{< env HOME >}}", "$x^2$", "**B**", "$$"]
# The payloads as live markup: unescaped in Markdown, or a shortcode Quarto would expand.
LIVE = {
    "html": re.compile(r"(?<!\\)<img"),
    "shortcode": re.compile(r"\{\{\s*(<|&lt;)"),
    "maths": re.compile(r"(?<!\\)\$x"),
    "bold": re.compile(r"(?<!\\)\*\*B\*\*"),
    "display maths": re.compile(r"(?<![\\$])\$(?<!\\)\$"),
}


_ATTRIBUTE_VALUE = re.compile(r'(fig-alt|alt)="[^"]*"')


def _live(text: str) -> list[str]:
    """The payloads that are live. Inside a quoted attribute value (``fig-alt="..."``) Markdown, HTML
    and maths are plain text (Pandoc escapes the value for HTML and typst); only a shortcode is live
    there, because Quarto expands shortcodes before Pandoc reads the attribute."""
    outside = _ATTRIBUTE_VALUE.sub(r'\1=""', text)
    return [
        name
        for name, pattern in LIVE.items()
        if pattern.search(text if name == "shortcode" else outside)
    ]


# --- the escapers --------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_escapes_every_payload(payload):
    text = markup.md_text(f"S1 {payload}")
    assert not _live(text), text
    # The reader sees the same characters: drop the escaping backslashes and the word joiners.
    assert re.sub(r"\\(.)", r"\1", text).replace("\u2060", "") == f"S1 {payload}"


def test_shortcode_is_broken_everywhere_and_no_break_spaces_survive():
    assert markup.escape_markdown("{{< env HOME >}}") == r"\{\{\< env HOME \>\}\}"
    assert markup.escape_html("{{< env HOME >}}") == "&#123;&#123;&lt; env HOME &gt;&#125;&#125;"
    assert markup.attribute_text("{{< meta x >}}") == "{\u2060{< meta x >}\u2060}"
    assert markup.md_text("12\u00a0345 asukasta") == "12\u00a0345 asukasta"
    assert markup.attribute_text('a "b" \\ c\n d') == "a \u201db\u201d / c d"


def test_html_escaping_is_safe_inside_markdown():
    escaped = markup.escape_html("<img src=x onerror=alert(1)> **B** $x^2$ `c`")
    assert "<" not in escaped and "*" not in escaped and "$" not in escaped and "`" not in escaped
    import html

    assert html.unescape(escaped) == "<img src=x onerror=alert(1)> **B** $x^2$ `c`"


def test_typst_string_holds_exactly_the_text():
    assert markup.typst_string('a "b" \\ c\nd') == '"a \\"b\\" \\\\ c\\nd"'


def test_figures_draw_dollar_signs_as_text():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    @markup.plain_figure_text
    def draw():
        fig, ax = plt.subplots()
        ax.set_title("S5 $$ (%)")
        ax.set_xlabel("$x^2$")
        fig.canvas.draw()  # raised ParseException before
        return fig

    fig = draw()
    assert fig.axes[0].get_xlabel() == "$x^2$"
    plt.close(fig)


# --- through the chapters and a card ---------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_project(tmp_path_factory) -> Path:
    """A copy of the project whose every indicator short name and title (and HYTE-kerroin
    indicator name) carries one of the payloads."""
    tmp = tmp_path_factory.mktemp("hostile") / "project"
    shutil.copytree(
        ROOT,
        tmp,
        ignore=shutil.ignore_patterns(
            ".venv",
            ".git",
            "_book*",
            "municipal_cards",
            "__pycache__",
            "benchmarks",
            ".quarto",
            "tests",
        ),
    )
    catalog = tmp / "data" / "indicators.yml"
    counter = iter(range(10_000))

    def payload(match: re.Match) -> str:
        n = next(counter)
        return f'{match[1]}short_fi: "S{n} {PAYLOADS[n % len(PAYLOADS)]}"'

    def title(match: re.Match) -> str:
        n = next(counter)
        return f'{match[1]}title_fi: "T{n} {PAYLOADS[n % len(PAYLOADS)]}"'

    text = re.sub(
        r"^(\s*)short_fi: .*$", payload, catalog.read_text(encoding="utf-8"), flags=re.MULTILINE
    )
    catalog.write_text(
        re.sub(r"^(\s*)title_fi: .*$", title, text, flags=re.MULTILINE), encoding="utf-8"
    )
    kerroin = tmp / "data" / "hyte_kerroin.yml"  # the HYTE-kerroin's own indicator names

    def name(match: re.Match) -> str:
        n = next(counter)
        return f'{match[1]}name_fi: "K{n} {PAYLOADS[n % len(PAYLOADS)]}"'

    kerroin.write_text(
        re.sub(
            r"^(\s*)name_fi: .*$", name, kerroin.read_text(encoding="utf-8"), flags=re.MULTILINE
        ),
        encoding="utf-8",
    )
    return tmp


@pytest.fixture()
def in_hostile_project(hostile_project, monkeypatch):
    monkeypatch.setenv("HYTE_ROOT", str(hostile_project))
    return hostile_project


@pytest.mark.parametrize(
    "chapter",
    [
        "index.qmd",
        "report/alueelliset-erot.qmd",
        "report/muutokset.qmd",
        "report/palvelut-ja-ehkaiseva-tyo.qmd",
        "report/vaesto-ja-elinolot.qmd",
        "report/vaestoryhmat.qmd",
        "report/seuranta-ja-arviointi.qmd",
        "report/hyvinvointisuunnitelma.qmd",
        "report/hyte-kerroin.qmd",
        "report/liite-indikaattorit.qmd",
    ],
)
def test_chapters_print_the_payloads_as_text(in_hostile_project, chapter):
    text = "".join(run_chapter(chapter, root=in_hostile_project)["__outputs__"])
    assert re.search(r"\b[STK]\d+ ", text)  # the names do reach the chapter
    assert not _live(text), [line for line in text.splitlines() if _live(line)][:3]


def test_card_prints_the_payloads_as_text(in_hostile_project, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from hyte.card import card

    kortti = card.open_card("179", config_path=in_hostile_project / "hyte.yml", output_dir=tmp_path)
    texts = []
    for method in (
        "header",
        "strengths",
        "spine",
        "group_section",
        "sex_section",
        "hyte_kerroin",
        "plan",
        "indicator_table",
        "sources",
    ):
        result = getattr(kortti, method)(*(["lapset_nuoret"] if method == "group_section" else []))
        texts.append(getattr(result, "data", "") or "")
    text = "\n".join(texts)
    assert re.search(r"\bS\d+ ", text)
    # Pandoc writes an attribute value escaped: there only a shortcode would be live.
    alts = re.findall(r'fig-alt="([^"]*)"', text)
    # the names reach the short alt texts or the visible long descriptions ("Kuvion kuvaus")
    described = [line for line in text.splitlines() if line.startswith("*Kuvion kuvaus:*")]
    assert alts and any("onerror" in line for line in alts + described)
    assert not any(LIVE["shortcode"].search(alt) for alt in alts), alts
    body = re.sub(r'fig-alt="[^"]*"', "", text)
    assert not _live(body), [line for line in body.splitlines() if _live(line)][:3]
