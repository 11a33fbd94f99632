"""The print layout of the municipal card: at most four A4 pages per municipality in the council's PDF.

One card notebook makes both layouts with Quarto's conditional content
(https://quarto.org/docs/authoring/conditional.html): the full card (trend small multiples, women and
men, the plan's commitments, the full indicator table) is inside ``.content-visible
unless-format="typst"``, and this print layout inside ``.content-visible when-format="typst"``:

- page 1: (the shared header above both layouts), key figures, strengths and concerns;
- page 2: the spine chart of the headline indicators;
- pages 3–4: every indicator in a compact table (value, county, country, comparisons, trend).

Headings of the print layout are ``.unlisted`` so that the book's table of contents lists each card
once (its title), not its sections.
"""

from __future__ import annotations

import re

import pandas as pd

from hyte.fmt import keep_together
from hyte.markup import Raw, escape_markdown, markdown_table
from hyte.stats import outcomes, stats

__all__ = [
    "COMPACT_HEADERS",
    "COMPACT_WIDTHS",
    "HTML_CLASS",
    "PRINT_CLASS",
    "compact_strengths_markdown",
    "compact_table_markdown",
    "key_figures_markdown",
    "print_card",
    "print_card_markdown",
    "typst_rules_block",
]

#: The fenced-div attributes of the two layouts.
PRINT_CLASS = '{.content-visible when-format="typst"}'
HTML_CLASS = '{.content-visible unless-format="typst"}'
#: A page break between the print pages. Outside the typst-only divs: pandoc writes a div as a typst
#: block, and typst allows no page break inside a container. Raw typst is dropped by the HTML format.
PAGE_BREAK = f":::\n\n```{{=typst}}\n#pagebreak(weak: true)\n```\n\n::: {PRINT_CLASS}\n"
COMPACT_HEADERS = [
    "Indikaattori (yksikkö)",
    "Vuosi",
    "Arvo",
    "Alue",
    "Koko maa",
    "Vrt. alue",
    "Vrt. maa",
    "Kehitys",
]
#: Column widths (per cent of the text width) of the compact table, for Quarto's tbl-colwidths.
COMPACT_WIDTHS = [40, 7, 8, 8, 8, 10, 9, 10]


#: Most indicators named per line of the print card's strengths and concerns ("ja N muuta").
PRINT_NAMES = 4


def compact_strengths_markdown(summary: pd.DataFrame, language: str = "fi") -> str:
    """Strengths and concerns for print: per kind, how many and the first :data:`PRINT_NAMES` names
    (values and benchmarks are in the table on the following pages); '' when nothing is significant."""
    from hyte.fmt import join_names
    from hyte.stats.summary import label, strengths_and_concerns

    found = strengths_and_concerns(summary, language)
    blocks = []
    for title, keys in (
        ("Vahvuudet", ("better_than_county", "better_than_country", "improving")),
        ("Haasteet", ("worse_than_county", "worse_than_country", "worsening")),
    ):
        bullets = []
        for key in keys:
            items = found[key]
            if not items:
                continue
            heading = label(key, language)
            heading = heading[:1].upper() + heading[1:]
            if key in ("improving", "worsening"):
                heading += " kehitys"
            names = join_names([item["short"] for item in items], PRINT_NAMES)
            bullets.append(
                f"- **{escape_markdown(heading, inline=True)}** ({len(items)}): "
                f"{escape_markdown(names, inline=True)}."
            )
        if bullets:
            blocks.append(f"### {title} {{.unlisted}}\n\n" + "\n".join(bullets) + "\n")
    return "\n".join(blocks)


def key_figures_markdown(summary: pd.DataFrame, county_name: str) -> str:
    """How many indicators were better, worse, not different or not compared against the county and
    the country (counts of the computed comparisons), as a small table."""

    def count(column: str, codes: tuple[str, ...]) -> str:
        return str(int(summary[column].isin(codes).sum())) if len(summary) else "0"

    rows = [
        ["Parempi", count("vs_county", (stats.BETTER,)), count("vs_country", (stats.BETTER,))],
        ["Heikompi", count("vs_county", (stats.WORSE,)), count("vs_country", (stats.WORSE,))],
        [
            "Ei tilastollisesti merkitsevää eroa",
            count("vs_county", (stats.SIMILAR,)),
            count("vs_country", (stats.SIMILAR,)),
        ],
        [
            "Korkeampi tai matalampi (ei hyvää suuntaa)",
            count("vs_county", (stats.HIGHER, stats.LOWER)),
            count("vs_country", (stats.HIGHER, stats.LOWER)),
        ],
        [
            "Ei vertailukelpoista tietoa",
            count("vs_county", (stats.NOT_COMPARED,)),
            count("vs_country", (stats.NOT_COMPARED,)),
        ],
    ]
    tested = len(outcomes.tested(summary))
    trends = (
        f"Kehitys viiden viimeisen mittauksen aikana (testattu {tested} indikaattorissa): "
        f"merkitsevästi paraneva {int((summary['trend'] == stats.IMPROVING).sum())}, heikkenevä "
        f"{int((summary['trend'] == stats.WORSENING).sum())}."
        if tested
        else "Kehitystä ei voitu testata yhdessäkään indikaattorissa."
        if len(summary)
        else ""
    )
    table = markdown_table(["Kunnan tilanne", county_name, "Koko maa"], rows, align="lrr")
    return (
        table + f"\n: Indikaattorit ({len(summary)}) vertailun tuloksen mukaan (95\u00a0%:n "
        'luottamusväli). {tbl-colwidths="[60,20,20]"}\n\n' + (trends + "\n" if trends else "")
    )


def compact_table_markdown(summary: pd.DataFrame, catalog, *, caption: str, table_id: str) -> str:
    """Every indicator in a compact table for print: no interval, count or trend years (they are in
    the HTML card and its CSV); grouped by population group."""
    from hyte.card.card import indicator_table

    cells = indicator_table(summary)
    cells["Kehitys"] = cells["Kehitys"].str.replace(r"\s*\(\d{4}\u2013\d{4}\)$", "", regex=True)
    rows: list[list[object]] = []
    for group in catalog.ordered_groups():
        part = cells[cells["group"] == group]
        if part.empty:
            continue
        rows.append([Raw(f"**{catalog.group_label(group)}**")] + [""] * (len(COMPACT_HEADERS) - 1))
        rows += part[COMPACT_HEADERS].values.tolist()
    table = markdown_table(COMPACT_HEADERS, rows, align="lrrrrlll")
    widths = "[" + ",".join(str(w) for w in COMPACT_WIDTHS) + "]"
    return f'{table}\n: {caption} {{#{table_id} tbl-colwidths="{widths}"}}\n'


def _print_figure(markdown: str) -> str:
    """A figure of the HTML layout reused in print under its own id (ids are unique book-wide). The
    long visible description is left to the HTML card: in print the values are in the table on the
    next page, and the page budget is one page for the chart."""
    from hyte.figures.a11y import DESCRIPTION_CLASS

    markdown = re.sub(
        r"\n::: \{\." + DESCRIPTION_CLASS + r"\}\n.*?\n:::\n", "\n", markdown, flags=re.DOTALL
    )
    return re.sub(r"\{#(fig-[A-Za-z0-9-]+)", r"{#\1-print", markdown)


def print_card_markdown(kortti) -> str:
    """The print layout of one card (a card from :func:`hyte.card.card.open_card`) as Markdown, inside a
    typst-only div."""
    summary = kortti.summary
    parts = [f"::: {PRINT_CLASS}\n"]
    parts.append(key_figures_markdown(summary, kortti.county.name_fi))
    parts.append("## Vahvuudet ja haasteet {.unlisted}\n")
    strengths = compact_strengths_markdown(summary, kortti.language)
    if not strengths:  # only what was made: the same rule as the HTML card's strengths
        strengths = (
            outcomes.NOTHING_COMPARED_FI
            if outcomes.nothing_compared(summary)
            else outcomes.made_sentence(summary, differences_found=False, trends_found=False)
        ) + "\n"
    parts.append(strengths)
    parts.append(PAGE_BREAK)
    parts.append("## Pääindikaattorit {.unlisted}\n")
    parts.append(_print_figure(str(kortti.spine().data)))
    parts.append(PAGE_BREAK)
    parts.append("## Kaikki indikaattorit {.unlisted}\n")
    if summary.empty:
        parts.append("Kunnalle ei ole tietoja yhdestäkään luettelon indikaattorista.\n")
    else:
        caption = (
            f"Kaikki indikaattorit: {kortti.name}, vertailukohtana {kortti.county.name_fi} "
            "(Alue) ja koko maa. Vrt. = vertailu 95\u00a0%:n luottamusvälillä; – = ei verrattu "
            "(syyt tekstissä). Luottamusvälit, lukumäärät ja kehityksen vuodet ovat "
            "verkkosivun kuntakortissa ja sen CSV-tiedostossa."
        )
        caption = keep_together(escape_markdown(caption, inline=True))
        parts.append(
            compact_table_markdown(
                summary, kortti.ctx.catalog, caption=caption, table_id=f"tbl-{kortti.code}-tiivis"
            )
        )
    parts.append(
        "\nLähde: THL, Sotkanet (sotkanet.fi), CC BY 4.0. Menetelmät: liite "
        "*Menetelmät ja aineistot*.\n"
    )
    parts.append(":::\n")
    return "\n".join(parts)


def print_card(kortti):
    """The notebook cell's output: the print layout as Markdown (``output: asis``)."""
    from IPython.display import Markdown

    return Markdown(print_card_markdown(kortti))


RULES_FILE = "styles/hyte.typ"


def typst_rules_block(root) -> str:
    """hyte's typst rules (``styles/hyte.typ``) as a raw typst block for the start of the book body.

    The same file is in the typst header (``include-in-header``), but rules there come before the
    book template's own show rules, which win over them; a show rule placed in the body comes after
    the template's and applies to the rest of the book. Ignored by HTML."""
    from pathlib import Path

    text = (Path(root) / RULES_FILE).read_text(encoding="utf-8")
    return "```{=typst}\n" + text.rstrip("\n") + "\n```\n"
