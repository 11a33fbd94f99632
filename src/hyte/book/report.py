"""The book's chapters: what a chapter of the wellbeing report computes, as a few calls per chapter.

A chapter (``report/*.qmd``) loads :func:`chapter_context` once and prints what the functions here
return: Markdown (``output: asis``), tables (raw HTML that Quarto also turns into typst tables) and
matplotlib figures. Every sentence that depends on the data (who is above or below the county, which
trends worsen, how men and women differ) is generated here, so that next year's rerun stays true.

Statistics come from :func:`hyte.stats.summary.indicator_summary` (confidence intervals, comparisons with the
county and the country, trends); labels of the categories from ``data/labels.yml``.

Pure functions (sentences, tables) take plain DataFrames and are unit-tested on hand-made data; the
``Chapter`` methods only gather those DataFrames from the snapshot.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from hyte import fmt
from hyte.data.catalog import CIMethod, Indicator, Polarity
from hyte.fmt import join_names
from hyte.markup import escape_html, escape_markdown, markdown_table, plain_figure_text
from hyte.stats import outcomes, stats
from hyte.stats.summary import indicator_summary, label

__all__ = [
    "Chapter",
    "chapter_context",
    "SIGNIFICANCE_STYLE",
    "join_names",
    "provenance_markdown",
    "demo_callout",
    "typst_finnish_labels",
    "comparison_sentence",
    "trend_sentence",
    "country_comparison_sentence",
    "municipality_counts",
    "municipality_counts_table",
    "municipality_ranking_sentence",
    "significance_table",
    "significance_legend",
    "significance_key",
    "table_indicators",
    "group_table",
    "group_municipality_sentences",
    "sex_differences",
    "sex_difference_sentence",
    "sex_compared",
    "sex_difference_table",
    "changes_table",
    "change_sentence",
    "intro_markdown",
    "genitive",
    "population_change",
    "population_change_sentence",
    "catalog_table",
    "snapshot_markdown",
    "population_figure",
    "trend_figure",
    "close",
]

#: Benchmark comparison -> (background, text colour, symbol). Blue/orange are told apart by readers
#: with red–green colour blindness, and the symbol carries the meaning in greyscale print.
SIGNIFICANCE_STYLE: dict[str, tuple[str, str, str]] = {
    stats.BETTER: ("#9ECAE1", "#08306B", "+"),
    stats.WORSE: ("#FDAE6B", "#7F2704", "\u2212"),
    stats.SIMILAR: ("#E5E5E5", "#1B1B1B", "="),
    stats.HIGHER: ("#DADAEB", "#3F007D", "\u2191"),
    stats.LOWER: ("#F2F0F7", "#3F007D", "\u2193"),
    stats.NOT_COMPARED: ("#FFFFFF", "#1B1B1B", ""),
}
_SIGNIFICANT = (stats.BETTER, stats.WORSE, stats.HIGHER, stats.LOWER)
COUNTY_COLOUR = "#00507A"
COUNTRY_COLOUR = "#5B6770"
MAX_TABLE_COLUMNS = 6


# --- the loaded inputs of a chapter ------------------------------------------------------------------


@dataclass
class Chapter:
    """A chapter's inputs (:class:`hyte.context.Context`) and the summaries it is built from."""

    ctx: Any

    @property
    def catalog(self):
        return self.ctx.catalog

    @property
    def county(self):
        return self.ctx.county

    @property
    def county_name(self) -> str:
        return self.ctx.county.name_fi

    @property
    def synthetic(self) -> bool:
        return self.ctx.synthetic

    @property
    def peer_ids(self) -> list[int]:
        return [m.sotkanet_id for m in self.ctx.municipalities]

    @cached_property
    def shared(self):
        """The county-wide results computed once per snapshot and configuration
        (:mod:`hyte.card.shared`)."""
        from hyte.card.shared import for_context

        return for_context(self.ctx)

    def summary(
        self, region_id: int, *, sex: str = "total", year: int | None = None
    ) -> pd.DataFrame:
        if year is None and sex in ("total", "male", "female"):
            if int(region_id) == self.county.sotkanet_id:
                return self.shared.county_summary(sex)
            if sex == "total" and int(region_id) in set(self.peer_ids):
                code = next(m.code for m in self.ctx.municipalities if m.sotkanet_id == region_id)
                return self.shared.municipality_summary(code)
        return indicator_summary(
            self.ctx.table,
            self.catalog,
            region_id,
            county_id=self.county.sotkanet_id,
            country_id=self.ctx.country_id,
            peer_ids=self.peer_ids,
            sex=sex,
            year=year,
        )

    @cached_property
    def county_summary(self) -> pd.DataFrame:
        """The county, every catalog indicator: value, CI, vs the country, trend."""
        return self.summary(self.county.sotkanet_id)

    @cached_property
    def municipal(self) -> pd.DataFrame:
        """Every municipality × indicator (long): the summary columns plus ``code`` and ``name``,
        municipalities in Finnish alphabetical order."""
        return self.shared.municipal

    def series(
        self, indicator_id: int, region_ids: Iterable[int], sex: str = "total"
    ) -> pd.DataFrame:
        """Years × regions of one indicator (values; NaN where missing)."""
        table = self.ctx.table
        rows = table[
            (table["indicator"] == indicator_id)
            & (table["sex"] == sex)
            & table["region_id"].isin(list(region_ids))
        ]
        return rows.pivot_table(index="year", columns="region_id", values="value", aggfunc="first")

    def population(self) -> pd.DataFrame:
        """Latest population (Sotkanet 127) per municipality: code, name, year, value (largest first)."""
        table = self.ctx.table
        rows = table[
            (table["indicator"] == 127)
            & (table["sex"] == "total")
            & table["region_id"].isin(self.peer_ids)
            & table["value"].notna()
        ]
        if rows.empty:
            return pd.DataFrame(columns=["code", "name", "year", "value"])
        latest = rows[rows["year"] == rows["year"].max()]
        names = {m.sotkanet_id: (m.code, m.name_fi) for m in self.ctx.municipalities}
        frame = pd.DataFrame(
            {
                "code": [names[r][0] for r in latest["region_id"]],
                "name": [names[r][1] for r in latest["region_id"]],
                "year": latest["year"].astype("int64").to_numpy(),
                "value": latest["value"].astype("float64").to_numpy(),
            }
        )
        return frame.sort_values("value", ascending=False, ignore_index=True)


_CHAPTERS: dict[tuple, Chapter] = {}


def chapter_context(config=None) -> Chapter:
    """The chapter inputs of the configured project (cached per process, like the context)."""
    from hyte.context import load_context

    ctx = load_context(config)
    key = (str(ctx.config.root), ctx.config.snapshot, ctx.config.county, ctx.config.catalog)
    if key not in _CHAPTERS:
        _CHAPTERS[key] = Chapter(ctx)
    return _CHAPTERS[key]


# --- provenance and the demo-data warning ------------------------------------------------------------


def provenance_markdown(chapter: Chapter, *, today: date | None = None) -> str:
    """The provenance line (snapshot, date, git commit) as a paragraph, then the demo warning if any."""
    from hyte.book.files import provenance, provenance_line

    prov = provenance(chapter.ctx.snapshot, chapter.ctx.config.root, today=today)
    text = f"*{escape_markdown(provenance_line(prov), inline=True)}*\n"
    callout = demo_callout(chapter)
    return text + ("\n" + callout if callout else "")


def demo_callout(chapter: Chapter) -> str:
    """A warning callout for synthetic data ('' for real data)."""
    if not chapter.synthetic:
        return ""
    from hyte.book.files import demo_label

    return (
        "::: {.callout-warning}\n"
        f"## {escape_markdown(demo_label(), inline=True)}\n\n"
        f"Tämän raportin luvut on tuotettu keksitystä esimerkkiaineistosta "
        f"({escape_markdown(chapter.ctx.snapshot.id, inline=True)}). Ne eivät kuvaa hyvinvointialueen "
        f"({escape_markdown(chapter.county_name, inline=True)}) todellista tilannetta, eikä niistä voi "
        "tehdä johtopäätöksiä. Raportti on tarkoitettu raportointijärjestelmän esittelyyn ja testaukseen.\n"
        ":::\n"
    )


def typst_finnish_labels() -> str:
    """A raw typst block for the start of the book: the running header of the typst book names chapters
    'Luku N.' (Quarto 1.9's orange-book format prints its English default 'Chapter' whatever ``lang``
    is; this show-set rule, placed inside the book body, overrides it). Ignored by HTML."""
    return "```{=typst}\n#show heading.where(level: 1): set heading(supplement: [Luku])\n```\n"


# --- Finnish text helpers -------------------------------------------------------------------------------


def _value(value: float, decimals: int, unit: str) -> str:
    return fmt.with_unit(value, decimals, unit)


def _years(first: Any, last: Any) -> str:
    if first is None or last is None or pd.isna(first) or pd.isna(last):
        return ""
    return f"{int(first)}\u2013{int(last)}"


# --- sentences about municipalities against the county -----------------------------------------------


def comparison_sentence(rows: pd.DataFrame) -> str:
    """One indicator's municipalities against the county, as Finnish sentences.

    ``rows``: one row per municipality with ``name`` and ``vs_county`` (better/worse/similar/higher/
    lower/not_compared), in the order the names should appear.
    """

    def names(code: str) -> list[str]:
        return list(rows.loc[rows["vs_county"] == code, "name"])

    if names(stats.HIGHER) or names(stats.LOWER):
        noun, (word1, first), (word2, second) = (
            "arvo",
            ("korkeampi", names(stats.HIGHER)),
            ("matalampi", names(stats.LOWER)),
        )
    else:
        noun, (word1, first), (word2, second) = (
            "tilanne",
            ("parempi", names(stats.BETTER)),
            ("heikompi", names(stats.WORSE)),
        )
    sentences = []
    if first and second:
        sentences.append(
            f"Hyvinvointialuetta {word1} {noun} oli {len(first)} kunnassa ({join_names(first)}) "
            f"ja {word2} {len(second)} kunnassa ({join_names(second)})."
        )
    elif first or second:
        shown, other = (word1, first), word2
        if not first:
            shown, other = (word2, second), word1
        sentences.append(
            f"Hyvinvointialuetta {shown[0]} {noun} oli {len(shown[1])} kunnassa "
            f"({join_names(shown[1])}); yhdessäkään kunnassa {noun} ei ollut merkitsevästi "
            f"{other}."
        )
    elif len(rows) > len(names(stats.NOT_COMPARED)):
        compared = len(rows) - len(names(stats.NOT_COMPARED))
        sentences.append(
            f"Yhdenkään {compared} verratun kunnan ero hyvinvointialueeseen ei ollut "
            "tilastollisesti merkitsevä."
        )
    similar = len(names(stats.SIMILAR))
    if similar and (first or second):
        sentences.append(
            f"Muissa {similar} kunnassa ero ei ollut tilastollisesti merkitsevä."
            if similar > 1
            else "Yhdessä muussa kunnassa ero ei ollut tilastollisesti merkitsevä."
        )
    missing = names(stats.NOT_COMPARED)
    if missing:
        subject = "kunnan luku jäi" if len(missing) == 1 else "kunnan luvut jäivät"
        why = (
            _reason_list(rows, "vs_county")
            if "vs_county_reason" in rows
            else "pieni lukumäärä tai puuttuva tieto"
        )
        sentences.append(
            f"{len(missing)} {subject} vertailun ulkopuolelle ({why}): {join_names(missing)}."
        )
    return " ".join(sentences)


def trend_sentence(
    summary: pd.DataFrame, *, subject: str = "Hyvinvointialueella", limit: int = 5
) -> str:
    """Which indicators worsen and improve significantly (``summary``: indicator summary rows with
    ``short``, ``trend``, ``trend_first_year``, ``trend_last_year``, ``trend_p``); the most significant
    first, at most ``limit`` named per direction."""

    def items(code: str) -> list[str]:
        rows = summary[summary["trend"] == code]
        if "trend_p" in rows:
            rows = rows.sort_values("trend_p", kind="stable")
        return [
            f"{r['short']} ({_years(r['trend_first_year'], r['trend_last_year'])})".replace(
                " ()", ""
            )
            for _, r in rows.iterrows()
        ]

    worsening, improving = items(stats.WORSENING), items(stats.IMPROVING)
    if summary.empty:
        return f"{subject} kehityksestä ei ole tietoja tässä aineistossa."
    tested = int(summary["trend"].isin(outcomes.TESTED).sum())
    if not tested:
        reasons = _reason_list(summary, "trend")
        return f"{subject} kehitystä ei voitu testata yhdessäkään indikaattorissa" + (
            f" ({reasons})." if reasons else "."
        )
    sentences = []
    if worsening:
        sentences.append(
            f"{subject} kehitys oli tilastollisesti merkitsevästi heikkenevä "
            f"{len(worsening)} indikaattorissa: {join_names(worsening, limit)}."
        )
    else:
        sentences.append(
            f"{subject} yhdessäkään testatussa indikaattorissa ei ollut "
            f"tilastollisesti merkitsevästi heikkenevää kehitystä (testattuja {tested})."
        )
    if improving:
        sentences.append(
            f"Paranevaa kehitystä oli {len(improving)} indikaattorissa: {join_names(improving, limit)}."
        )
    untested = int((summary["trend"] == stats.CANNOT_CALCULATE).sum())
    if untested:
        sentences.append(
            f"Kehitystä ei voitu testata {untested} indikaattorissa "
            f"({_reason_list(summary, 'trend')})."
        )
    return " ".join(sentences)


def _reason_list(summary: pd.DataFrame, column: str) -> str:
    """'syy: N; toinen syy: M' for the rows of ``summary`` whose ``column`` was not compared/tested."""
    reason = f"{column}_reason"
    missing = summary[summary[column].isin([stats.NOT_COMPARED, stats.CANNOT_CALCULATE])]
    if missing.empty:
        return ""
    codes = (
        missing[reason].fillna("").astype(str)
        if reason in missing
        else pd.Series([""] * len(missing), index=missing.index)
    )
    return "; ".join(
        f"{outcomes.reason_text(code)}: {int((codes == code).sum())}"
        for code in dict.fromkeys(codes)
    )


def country_comparison_sentence(
    summary: pd.DataFrame, *, subject: str = "Hyvinvointialueella", limit: int = 5
) -> str:
    """The county against the whole country (``summary``: rows with ``short`` and ``vs_country``)."""
    better = list(summary.loc[summary["vs_country"] == stats.BETTER, "short"])
    worse = list(summary.loc[summary["vs_country"] == stats.WORSE, "short"])
    compared = int(summary["vs_country"].isin([stats.BETTER, stats.WORSE, stats.SIMILAR]).sum())
    if not better and not worse:
        if compared:
            return (
                f"{subject} tilanne ei eronnut tilastollisesti merkitsevästi koko maasta yhdessäkään "
                f"{compared} verratusta indikaattorista."
            )
        if summary.empty:
            return f"{subject} ei ole arvoja tässä aineistossa, joten koko maahan ei voitu verrata."
        return f"Koko maahan ei voitu verrata yhtään indikaattoria ({_reason_list(summary, 'vs_country')})."
    parts = []
    if better:
        parts.append(
            f"koko maata parempi {len(better)} indikaattorissa ({join_names(better, limit)})"
        )
    if worse:
        parts.append(f"heikompi {len(worse)} indikaattorissa ({join_names(worse, limit)})")
    return f"{subject} tilanne oli {' ja '.join(parts)}."


# --- municipalities × indicators ---------------------------------------------------------------------


def municipality_counts(long: pd.DataFrame) -> pd.DataFrame:
    """Per municipality: how many indicators are better / worse than the county (name, better, worse),
    most 'worse' first, then by name order."""
    if long.empty:
        return pd.DataFrame(columns=["name", "better", "worse", "compared"])
    counts = (
        long.assign(
            better=(long["vs_county"] == stats.BETTER).astype("int64"),
            worse=(long["vs_county"] == stats.WORSE).astype("int64"),
            compared=long["vs_county"]
            .isin([stats.BETTER, stats.SIMILAR, stats.WORSE])
            .astype("int64"),
        )
        .groupby(["order", "name"], as_index=False)[["better", "worse", "compared"]]
        .sum()
    )
    return counts.sort_values(["worse", "order"], ascending=[False, True], ignore_index=True)[
        ["name", "better", "worse", "compared"]
    ]


def municipality_counts_table(long: pd.DataFrame) -> str:
    """The better/worse counts per municipality as a Markdown table; a municipality with nothing
    comparable says so instead of showing 0 and 0 (the reasons are in
    :func:`municipality_ranking_sentence`)."""
    counts = municipality_counts(long)
    if counts.empty:
        return "*Kuntien tietoja ei ollut käytettävissä.*\n"
    rows = []
    for _, r in counts.iterrows():
        if r["compared"]:
            rows.append([r["name"], str(r["better"]), str(r["worse"]), str(r["compared"])])
        else:
            rows.append([r["name"], "ei verrattu", "ei verrattu", "0"])
    return markdown_table(
        [
            "Kunta",
            "Hyvinvointialuetta parempia",
            "Hyvinvointialuetta heikompia",
            "Verrattuja indikaattoreita",
        ],
        rows,
        align="lrrr",
    )


def municipality_ranking_sentence(long: pd.DataFrame, top: int = 3) -> str:
    """Which municipalities have the most indicators significantly worse (and better) than the county."""
    counts = municipality_counts(long)
    if counts.empty:
        return "Kuntien tietoja ei ollut käytettävissä."
    if not counts["compared"].any():
        reasons = _reason_list(long, "vs_county")
        return "Kuntia ei voitu verrata hyvinvointialueeseen yhdessäkään indikaattorissa" + (
            f" ({reasons})." if reasons else "."
        )
    sentences = []
    for column, word in (("worse", "heikompia"), ("better", "parempia")):
        ranked = (
            counts[counts[column] > 0].sort_values(column, ascending=False, kind="stable").head(top)
        )
        if ranked.empty:
            sentences.append(
                f"Yhdessäkään kunnassa ei ollut hyvinvointialuetta merkitsevästi {word} "
                "indikaattoreita."
            )
            continue
        items = [f"{r['name']} ({r[column]})" for _, r in ranked.iterrows()]
        sentences.append(
            f"Eniten hyvinvointialuetta merkitsevästi {word} indikaattoreita oli kunnissa "
            f"{join_names(items)}."
        )
    return " ".join(sentences)


def table_indicators(
    indicators: Sequence[Indicator], limit: int = MAX_TABLE_COLUMNS
) -> list[Indicator]:
    """The comparable indicators of a group for a municipalities × indicators table: those with a
    confidence interval, headline ones first, at most ``limit`` (so the table fits an A4 page)."""
    comparable = [i for i in indicators if i.ci_method is not CIMethod.none]
    ordered = [i for i in comparable if i.headline] + [i for i in comparable if not i.headline]
    return ordered[:limit]


def _symbol_html(code: str, symbol: str) -> str:
    """The significance symbol, read out as its word by screen readers ("heikompi", not "miinus")."""
    return (
        f'<span role="img" aria-label="{escape_html(label(code))}">{escape_html(symbol)}</span>'
        if symbol
        else ""
    )


def _cell(code: str, text: str) -> str:
    background, colour, symbol = SIGNIFICANCE_STYLE.get(
        code, SIGNIFICANCE_STYLE[stats.NOT_COMPARED]
    )
    shown = (
        f"{escape_html(text)}&nbsp;{_symbol_html(code, symbol)}" if symbol else escape_html(text)
    )
    return (
        f'<td style="background-color: {background}; color: {colour}; text-align: right;">'
        f"{shown}</td>"
    )


def significance_table(
    long: pd.DataFrame,
    county: pd.DataFrame,
    indicators: Sequence[Indicator],
    *,
    label_id: str,
    caption: str,
    county_name: str,
) -> str:
    """Municipalities (rows) × indicators (columns), each cell coloured by its comparison with the
    county AND marked with a symbol (+ better, − worse, = no significant difference, ↑/↓ higher/lower
    for indicators without a direction), with the county's own value as the last row.

    Returns Markdown: a Quarto table cross-reference div around a raw HTML table. Quarto renders the
    HTML table as is in HTML and translates it, inline CSS included, into a typst table for the PDF
    (https://quarto.org/docs/advanced/typst/typst-css.html)."""
    ids = [i.id for i in indicators]
    head = "".join(
        f'<th scope="col" style="text-align: right;">{escape_html(outcomes.name_with_unit(i.short_fi, i.unit_fi))}</th>'
        for i in indicators
    )
    rows_html = []
    municipalities = (
        long[["order", "name"]].drop_duplicates().sort_values("order")["name"]
        if not long.empty
        else []
    )
    lookup = (
        {(r["name"], int(r["indicator"])): r for _, r in long.iterrows()} if not long.empty else {}
    )
    for name in municipalities:
        cells = []
        for indicator in indicators:
            row = lookup.get((name, indicator.id))
            if row is None or pd.isna(
                row["value"]
            ):  # missing, or hidden under the small-number rule
                cells.append(_cell(stats.NOT_COMPARED, fmt.MISSING))
            else:
                mark = "*" if bool(row.get("stale", False)) else ""  # an old value: not compared
                cells.append(
                    _cell(
                        str(row["vs_county"]), fmt.number(row["value"], indicator.decimals) + mark
                    )
                )
        rows_html.append(
            f'<tr><th scope="row" style="text-align: left;">{escape_html(name)}</th>'
            f"{''.join(cells)}</tr>"
        )
    county_rows = {int(r["indicator"]): r for _, r in county.iterrows()} if not county.empty else {}
    county_cells = "".join(
        '<td style="text-align: right; font-weight: bold;">'
        + escape_html(
            fmt.number(county_rows[i.id]["value"], i.decimals)
            if i.id in county_rows
            else fmt.MISSING
        )
        + "</td>"
        for i in indicators
    )
    rows_html.append(
        f'<tr><th scope="row" style="text-align: left; font-weight: bold;">'
        f"{escape_html(county_name)}</th>{county_cells}</tr>"
    )
    years = sorted({int(county_rows[i]["year"]) for i in ids if i in county_rows})
    year_text = f" Vuosi {join_names([str(y) for y in years])}." if years else ""
    shown = long[long["indicator"].isin(ids)] if not long.empty else long
    if len(shown) and "stale" in shown and shown["stale"].any():
        year_text += " * = vanha tieto (vanhempi kuin muiden tuorein), ei verrattu."
    table = (
        '<table class="hyte-significance" style="font-size: 8pt;">\n'
        f'<thead><tr><th scope="col" style="text-align: left;">Kunta</th>{head}</tr></thead>\n<tbody>\n'
        + "\n".join(rows_html)
        + "\n</tbody>\n</table>"
    )
    # The scroll container (styles/hyte.css) around the table float; in typst a plain block.
    region_label = caption.replace('"', "\u201d")
    return (
        f'::: {{.hyte-table-scroll tabindex="0" role="region" '
        f'aria-label="{region_label}"}}\n\n'
        f"::: {{#{label_id}}}\n\n```{{=html}}\n{table}\n```\n\n"
        f"{escape_markdown(caption, inline=True)}{escape_markdown(year_text, inline=True)}\n\n:::\n\n"
        ":::\n"
    )


_KEY_FI = {
    stats.BETTER: "+ parempi",
    stats.WORSE: "\u2212 heikompi",
    stats.SIMILAR: "= ei merkitsevää eroa",
    stats.HIGHER: "\u2191 korkeampi",
    stats.LOWER: "\u2193 matalampi",
    stats.NOT_COMPARED: "\u2013 ei verrattu",
}


def significance_key(long: pd.DataFrame, indicators: Sequence[Indicator]) -> str:
    """' (+ parempi, = ei merkitsevää eroa, – ei verrattu)': the table caption's key of the outcomes
    that occur in the table (a key never lists what the table does not show)."""
    ids = [i.id for i in indicators]
    rows = long[long["indicator"].isin(ids)] if not long.empty else long
    found = set(rows["vs_county"]) if len(rows) else set()
    if len(rows) < len(ids) * max(1, rows["name"].nunique() if len(rows) else 1):
        found.add(stats.NOT_COMPARED)  # missing cells
    keys = [_KEY_FI[c] for c in _KEY_FI if c in found]
    return f" ({', '.join(keys)})" if keys else ""


def significance_legend(long: pd.DataFrame | None = None) -> str:
    """The colour and symbol key of :func:`significance_table`, as a Markdown paragraph; with the
    municipalities' summary ``long``, only the outcomes that occur in it."""
    parts = []
    used = set(long["vs_county"]) if long is not None and len(long) else None
    for code in (
        stats.BETTER,
        stats.WORSE,
        stats.SIMILAR,
        stats.HIGHER,
        stats.LOWER,
        stats.NOT_COMPARED,
    ):
        if used is not None and code not in used and code != stats.NOT_COMPARED:
            continue
        symbol = SIGNIFICANCE_STYLE[code][2] or "ei merkkiä"
        parts.append(f"{escape_markdown(symbol, inline=True)} = {label(code)}")
    return (
        "Merkit ja värit: "
        + "; ".join(parts)
        + ". Vertailu hyvinvointialueeseen: kunnan luvun 95 %:n "
        "luottamusväliä verrataan hyvinvointialueen arvoon; – = tieto puuttuu tai on alle "
        "tietosuojarajan.\n"
    )


# --- chapter tables by population group --------------------------------------------------------------


def group_table(county: pd.DataFrame, long: pd.DataFrame, indicators: Sequence[Indicator]) -> str:
    """A Markdown table of a group's indicators for the county: year, value with CI, whole country,
    comparison with the country, trend, and the range of the municipalities (lowest–highest) in the
    county's year (values of other years are not ranged with it)."""
    rows = []
    county_rows = {int(r["indicator"]): r for _, r in county.iterrows()}
    for indicator in indicators:
        r = county_rows.get(indicator.id)
        if r is None:
            continue
        value = _value(r["value"], indicator.decimals, indicator.unit_fi)
        if not pd.isna(r["lower"]):
            value += f" ({fmt.interval(r['lower'], r['upper'], indicator.decimals)})"
        municipal = (
            long[(long["indicator"] == indicator.id) & long["value"].notna()]
            if not long.empty
            else long
        )
        if municipal is not None and len(
            municipal
        ):  # the range compares values of the county's year only
            municipal = municipal[municipal["year"] == int(r["year"])]
        if municipal is not None and len(municipal):
            low = municipal.loc[municipal["value"].idxmin()]
            high = municipal.loc[municipal["value"].idxmax()]
            spread = (
                f"{fmt.number(low['value'], indicator.decimals)} ({low['name']}) \u2013 "
                f"{fmt.number(high['value'], indicator.decimals)} ({high['name']})"
            )
        else:
            spread = fmt.MISSING
        rows.append(
            [
                indicator.short_fi,
                str(int(r["year"])),
                value,
                _value(r["country_value"], indicator.decimals, indicator.unit_fi),
                label(str(r["vs_country"])),
                label(str(r["trend"])),
                spread,
            ]
        )
    if not rows:
        return "*Ryhmän indikaattoreista ei ole tietoja.*\n"
    return markdown_table(
        [
            "Indikaattori",
            "Vuosi",
            "Alue (95 %:n lv.)",
            "Koko maa",
            "Ero koko maahan",
            "Kehitys",
            "Kunnat: pienin \u2013 suurin",
        ],
        rows,
        align="lrrrllr",
    )


def group_municipality_sentences(long: pd.DataFrame, indicators: Sequence[Indicator]) -> str:
    """A bullet per indicator with significant municipal differences: who is above/below the county."""
    bullets = []
    for indicator in indicators:
        rows = (
            long[long["indicator"] == indicator.id].sort_values("order") if not long.empty else long
        )
        if rows is None or rows.empty or not rows["vs_county"].isin(_SIGNIFICANT).any():
            continue
        bullets.append(
            f"- **{escape_markdown(indicator.short_fi, inline=True)}.** "
            f"{escape_markdown(comparison_sentence(rows), inline=True)}"
        )
    if not bullets:
        ids = [i.id for i in indicators]
        rows = long[long["indicator"].isin(ids)] if not long.empty else long
        if rows is None or rows.empty:
            return "Ryhmän indikaattoreista ei ole kuntien tietoja.\n"
        if not rows["vs_county"].isin(outcomes.COMPARED).any():
            reasons = _reason_list(rows, "vs_county")
            return (
                "Kuntia ei voitu verrata hyvinvointialueeseen yhdessäkään ryhmän indikaattorissa"
                + (f" ({reasons}).\n" if reasons else ".\n")
            )
        return (
            "Yhdessäkään ryhmän verratussa indikaattorissa kuntien ero hyvinvointialueeseen ei "
            "ollut tilastollisesti merkitsevä.\n"
        )
    return "\n".join(bullets) + "\n"


# --- men and women ---------------------------------------------------------------------------------------


def sex_differences(male: pd.DataFrame, female: pd.DataFrame) -> pd.DataFrame:
    """Indicators whose male and female 95 % CIs do not overlap (a conservative test of difference):
    short, unit, decimals, year, male, female, higher ('miehillä'/'naisilla')."""
    columns = ["indicator", "short", "unit", "decimals", "year", "value", "lower", "upper"]
    merged = male[columns].merge(
        female[columns],
        on=["indicator", "short", "unit", "decimals", "year"],
        suffixes=("_male", "_female"),
    )
    apart = merged[
        (merged["lower_male"] > merged["upper_female"])
        | (merged["lower_female"] > merged["upper_male"])
    ].copy()
    apart["higher"] = np.where(apart["value_male"] > apart["value_female"], "miehillä", "naisilla")
    return apart.rename(columns={"value_male": "male", "value_female": "female"})[
        ["indicator", "short", "unit", "decimals", "year", "male", "female", "higher"]
    ].reset_index(drop=True)


def sex_compared(male: pd.DataFrame, female: pd.DataFrame) -> int:
    """How many indicators have both men's and women's 95 % CI in the same year (could be compared)."""
    if male.empty or female.empty:
        return 0
    columns = ["indicator", "year", "lower", "upper"]
    merged = male[columns].merge(female[columns], on=["indicator", "year"], suffixes=("_m", "_f"))
    return int(merged[["lower_m", "upper_m", "lower_f", "upper_f"]].notna().all(axis=1).sum())


def sex_difference_sentence(
    differences: pd.DataFrame,
    limit: int = 5,
    *,
    male: pd.DataFrame | None = None,
    female: pd.DataFrame | None = None,
) -> str:
    """Finnish sentences on the significant differences between men and women (largest relative
    difference named first). With ``male`` and ``female`` (the summaries compared) an empty result
    says whether anything could be compared at all."""
    if differences.empty:
        if male is not None and female is not None:
            if male.empty or female.empty:
                return (
                    "Aineistossa ei ole hyvinvointialueen miesten ja naisten erillisiä arvoja, joten "
                    "heitä ei verrattu."
                )
            compared = sex_compared(male, female)
            if not compared:
                return (
                    "Miesten ja naisten arvoja ei voitu verrata tilastollisesti, koska aineistossa ei "
                    "ole lukumääriä, joista luottamusväli lasketaan."
                )
            return (
                f"Miesten ja naisten välillä ei ollut tilastollisesti merkitseviä eroja yhdessäkään "
                f"{compared} verratusta indikaattorista."
            )
        return (
            "Miesten ja naisten välillä ei ollut tilastollisesti merkitseviä eroja niissä "
            "indikaattoreissa, joista sukupuolittaiset tiedot on saatavilla."
        )
    ratio = (differences["male"] - differences["female"]).abs() / differences[
        ["male", "female"]
    ].abs().max(axis=1).replace(0, np.nan)
    ordered = differences.assign(_ratio=ratio).sort_values("_ratio", ascending=False, kind="stable")
    men = list(ordered.loc[ordered["higher"] == "miehillä", "short"])
    women = list(ordered.loc[ordered["higher"] == "naisilla", "short"])
    sentences = [
        f"Miesten ja naisten luvut erosivat tilastollisesti merkitsevästi {len(ordered)} "
        "indikaattorissa."
    ]
    if men:
        sentences.append(
            f"Miehillä suurempi oli {len(men)} indikaattoria, suhteellisesti eniten "
            f"{join_names(men, limit)}."
        )
    if women:
        sentences.append(
            f"Naisilla suurempi oli {len(women)} indikaattoria, suhteellisesti eniten "
            f"{join_names(women, limit)}."
        )
    return " ".join(sentences)


def sex_difference_table(differences: pd.DataFrame) -> str:
    """The significant differences between men and women as a Markdown table."""
    if differences.empty:
        return ""
    rows = [
        [
            r["short"],
            str(int(r["year"])),
            _value(r["male"], int(r["decimals"]), r["unit"]),
            _value(r["female"], int(r["decimals"]), r["unit"]),
            r["higher"],
        ]
        for _, r in differences.iterrows()
    ]
    return markdown_table(
        ["Indikaattori", "Vuosi", "Miehet", "Naiset", "Suurempi"], rows, align="lrrrl"
    )


# --- the annual report: changes since the previous year -------------------------------------------------


def changes_table(
    series_by_indicator: dict[int, pd.Series], county: pd.DataFrame, indicators: Sequence[Indicator]
) -> pd.DataFrame:
    """The latest value against the one before it: short, unit, decimals, polarity, previous_year,
    previous, year, value, change, direction (better/worse/unchanged/none), trend."""
    records = []
    county_rows = {int(r["indicator"]): r for _, r in county.iterrows()}
    for indicator in indicators:
        values = series_by_indicator.get(indicator.id)
        if values is None:
            continue
        values = values.dropna().sort_index()
        if len(values) < 2:
            continue
        (previous_year, previous), (year, value) = list(values.items())[-2:]
        change = float(value) - float(previous)
        direction = _direction(change, indicator.polarity, indicator.decimals)
        trend = county_rows.get(indicator.id)
        records.append(
            {
                "indicator": indicator.id,
                "short": indicator.short_fi,
                "unit": indicator.unit_fi,
                "decimals": indicator.decimals,
                "polarity": indicator.polarity.value,
                "previous_year": int(previous_year),
                "previous": float(previous),
                "year": int(year),
                "value": float(value),
                "change": change,
                "direction": direction,
                "trend": str(trend["trend"]) if trend is not None else stats.CANNOT_CALCULATE,
            }
        )
    return pd.DataFrame.from_records(
        records,
        columns=[
            "indicator",
            "short",
            "unit",
            "decimals",
            "polarity",
            "previous_year",
            "previous",
            "year",
            "value",
            "change",
            "direction",
            "trend",
        ],
    )


def _direction(change: float, polarity: Polarity, decimals: int) -> str:
    if round(change, decimals) == 0:
        return "unchanged"
    if polarity is Polarity.none:
        return "none"
    up_is_good = polarity is Polarity.higher_is_better
    return "better" if (change > 0) == up_is_good else "worse"


def change_sentence(changes: pd.DataFrame) -> str:
    """Which indicators changed for the worse or better since the previous value, and which of those
    changes are part of a significant trend."""
    if changes.empty:
        return "Edellisen vuoden vertailutietoja ei ollut käytettävissä."
    worse = changes[changes["direction"] == "worse"]
    better = changes[changes["direction"] == "better"]
    sentences = [
        f"Edelliseen havaintoon verrattuna tilanne heikkeni {len(worse)} ja parani {len(better)} "
        f"indikaattorissa {len(changes)}:stä."
    ]
    confirmed = worse[worse["trend"] == stats.WORSENING]
    if len(confirmed):
        sentences.append(
            "Heikkeneminen on osa tilastollisesti merkitsevää heikkenevää kehitystä "
            f"indikaattoreissa {join_names(list(confirmed['short']), 5)}."
        )
    elif len(worse) and worse["trend"].isin(outcomes.TESTED).any():
        sentences.append(
            "Yksikään testatuista heikkenemisistä ei ole osa tilastollisesti merkitsevää "
            "heikkenevää kehitystä; vuosivaihtelu voi selittää ne."
        )
    elif len(worse):
        sentences.append(
            "Heikkenemisten kehitystä ei voitu testata, joten niiden merkitystä ei arvioida."
        )
    return " ".join(sentences)


# --- chapter texts -----------------------------------------------------------------------------------

POLARITY_FI = {
    "higher_is_better": "suurempi on parempi",
    "lower_is_better": "pienempi on parempi",
    "none": "ei suuntaa",
}
CI_METHOD_FI = {
    "wilson": "Wilson (osuus)",
    "byar": "Byar / tarkka Poisson (suhdeluku)",
    "none": "ei laskettu",
}


def intro_markdown(chapter: Chapter, profile: str) -> str:
    """The first paragraph of the book: which document this is, for whom, for which area and term."""
    config = chapter.ctx.config
    term = config.council_term.replace("-", "\u2013")
    count = len(chapter.ctx.municipalities)
    county = escape_markdown(genitive(chapter.county_name), inline=True)
    if profile == "vuosiraportti":
        return (
            f"Tämä on {county} vuosiraportti aluevaltuustolle vuodelta {config.reporting_year}. "
            "Sosiaali- ja terveydenhuollon järjestämislain (612/2021) 7 §:n mukaan hyvinvointialue "
            "raportoi aluevaltuustolle vuosittain asukkaidensa hyvinvoinnista ja terveydestä sekä "
            "toteutetuista toimenpiteistä. Raportti päivittää indikaattorit ja seuraa "
            f"hyvinvointisuunnitelman ({term}) toimenpiteitä. Alueeseen kuuluu {count} kuntaa.\n"
        )
    return (
        f"Tämä on {county} laaja hyvinvointikertomus ja alueellinen hyvinvointisuunnitelma "
        f"valtuustokaudelle {term}. Kertomusosa kuvaa asukkaiden hyvinvoinnin, terveyden ja "
        f"elinolojen nykytilan ja kehityksen alueen {count} kunnassa ja väestöryhmittäin; "
        "suunnitelmaosa asettaa tavoitteet, toimenpiteet, vastuut ja seurantamittarit.\n"
    )


def genitive(name: str) -> str:
    """Genitive of a county's name: 'Keski-Suomen hyvinvointialue' -> 'Keski-Suomen hyvinvointialueen',
    'Helsingin kaupunki' -> 'Helsingin kaupungin'."""
    if name.endswith("alue"):
        return name + "en"
    if name.endswith("kaupunki"):
        return name[: -len("kaupunki")] + "kaupungin"
    if name.endswith("maakunta"):
        return name[: -len("maakunta")] + "maakunnan"
    return name + "n"


def population_change(series: pd.Series, years: int = 5) -> dict[str, Any]:
    """Population change of a region over ``years`` years from a year-indexed series: first_year,
    first, last_year, last, change, percent (NaN-safe; {} when there are fewer than two years)."""
    values = series.dropna().sort_index()
    if len(values) < 2:
        return {}
    last_year = int(values.index[-1])
    earlier = values[values.index <= last_year - years]
    first_year = int(earlier.index[-1]) if len(earlier) else int(values.index[0])
    first, last = float(values[first_year]), float(values.iloc[-1])
    return {
        "first_year": first_year,
        "first": first,
        "last_year": last_year,
        "last": last,
        "change": last - first,
        "percent": (last - first) / first * 100 if first else math.nan,
    }


def population_change_sentence(change: dict[str, Any], *, subject: str = "Alueen") -> str:
    """'Alueen väkiluku oli 276 931 vuonna 2025; se kasvoi 1,2 % vuodesta 2020 (3 300 asukasta).'"""
    if not change:
        return f"{subject} väkiluvun kehityksestä ei ole tietoja."
    verb = (
        "kasvoi"
        if change["change"] > 0
        else "väheni"
        if change["change"] < 0
        else "pysyi ennallaan"
    )
    text = f"{subject} väkiluku oli {fmt.number(change['last'])} vuonna {change['last_year']}"
    if verb == "pysyi ennallaan":
        return text + f"; se pysyi ennallaan vuodesta {change['first_year']}."
    return (
        text + f"; se {verb} {fmt.percent(abs(change['percent']))} vuodesta {change['first_year']} "
        f"({fmt.number(abs(change['change']))} asukasta)."
    )


def catalog_table(indicators: Sequence[Indicator], catalog) -> str:
    """The indicator definitions (appendix): id, title, unit, polarity, theme, producer, CI method."""
    from hyte.data.local import display_id

    rows = [
        [
            display_id(i),
            i.title_fi,
            i.unit_fi,
            POLARITY_FI[i.polarity.value],
            catalog.theme_label(i.theme),
            i.producer,
            CI_METHOD_FI[i.ci_method.value],
        ]
        for i in indicators
    ]
    return markdown_table(
        [
            "Id",
            "Indikaattori (Sotkanet)",
            "Yksikkö",
            "Suunta",
            "Teema",
            "Tuottaja",
            "Luottamusväli",
        ],
        rows,
        align="rllllll",
    )


def snapshot_markdown(chapter: Chapter) -> str:
    """The data snapshot in use: id, made, source, years, rows, indicators, and its notes."""
    manifest = chapter.ctx.snapshot.manifest
    years = manifest.get("years") or []
    rows = [
        ["Aineistoversio", str(manifest.get("snapshot_id", chapter.ctx.snapshot.id))],
        [
            "Muodostettu",
            fmt.date_fi(str(manifest.get("created"))) if manifest.get("created") else fmt.MISSING,
        ],
        ["Lähde", str(manifest.get("source", ""))],
        ["Vuodet", "\u2013".join(str(y) for y in years) if years else fmt.MISSING],
        ["Rivejä", fmt.number(manifest.get("rows"))],
        ["Indikaattoreita", fmt.number(manifest.get("indicator_count"))],
        ["Keksitty esimerkkiaineisto", "kyllä" if chapter.synthetic else "ei"],
    ]
    text = markdown_table(["Tieto", "Arvo"], rows, align="ll")
    notes = manifest.get("notes") or []
    if notes:
        text += "\n" + "\n".join(f"- {escape_markdown(n, inline=True)}" for n in notes) + "\n"
    return text


# --- figures ----------------------------------------------------------------------------------------------


def _pyplot():
    import matplotlib.pyplot as plt  # the backend is the caller's (inline in Jupyter, Agg headless)

    return plt


@plain_figure_text
def population_figure(population: pd.DataFrame):
    """Horizontal bars of the municipalities' population, largest on top; returns (figure, alt text)."""
    plt = _pyplot()
    frame = population.sort_values("value")
    fig, ax = plt.subplots(figsize=(7, max(3.0, 0.28 * len(frame) + 0.8)))
    ax.barh(frame["name"], frame["value"], color=COUNTY_COLOUR)
    for position, value in enumerate(
        frame["value"]
    ):  # the number at each bar: small ones stay readable
        ax.text(value, position, " " + fmt.number(value), va="center", fontsize=7)
    ax.set_xlim(0, float(frame["value"].max()) * 1.15 if len(frame) else 1)
    ax.xaxis.set_major_formatter(fmt.axis_formatter(0))
    ax.set_xlabel("Asukkaita")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    if frame.empty:
        return fig, "Kuvio ilman tietoja: kuntien väkilukuja ei ole aineistossa."
    largest, smallest = frame.iloc[-1], frame.iloc[0]
    alt = (
        f"Vaakapylväskuvio {len(frame)} kunnan väkiluvusta vuonna {int(largest['year'])}. Suurin on "
        f"{largest['name']} ({fmt.number(largest['value'])} asukasta), pienin {smallest['name']} "
        f"({fmt.number(smallest['value'])} asukasta)."
    )
    return fig, alt


@plain_figure_text
def trend_figure(chapter: Chapter, indicators: Sequence[Indicator], *, columns: int = 2):
    """Small multiples: the county and the whole country over the years, one panel per indicator
    that has data (all panels on one year range); returns (figure, alt text that states the first
    and last value of each line drawn and names the indicators without data)."""
    plt = _pyplot()
    indicators = list(indicators)
    county_id, country_id = chapter.county.sotkanet_id, chapter.ctx.country_id
    series = {
        i.id: chapter.series(i.id, [county_id, country_id]).dropna(how="all") for i in indicators
    }
    drawn = [i for i in indicators if not series[i.id].empty]
    missing = [i.short_fi for i in indicators if series[i.id].empty]
    if not drawn:
        fig, ax = plt.subplots(figsize=(7, 1.2))
        ax.axis("off")
        ax.text(
            0.5,
            0.5,
            "Aineistossa ei ole hyvinvointialueen eikä koko maan arvoja näistä indikaattoreista.",
            ha="center",
            va="center",
            fontsize=9,
        )
        alt = (
            "Kuviossa ei ole viivoja: aineistossa ei ole hyvinvointialueen eikä koko maan arvoja "
            f"indikaattoreista {join_names(missing)}."
        )
        return fig, alt
    years = [int(y) for i in drawn for y in series[i.id].index]
    first, last = min(years), max(years)
    rows = max(1, math.ceil(len(drawn) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(7, 2.3 * rows + 0.4), squeeze=False)
    descriptions = []
    lines_drawn: dict[int, bool] = {county_id: False, country_id: False}
    for ax, indicator in zip(axes.flat, drawn):
        data = series[indicator.id]
        for region_id, colour, style, name in (
            (county_id, COUNTY_COLOUR, "-", "Alue"),
            (country_id, COUNTRY_COLOUR, "--", "Koko maa"),
        ):
            if region_id in data:
                line = data[region_id].dropna()
                if len(line):
                    ax.plot(
                        line.index,
                        line.values,
                        style,
                        color=colour,
                        marker="o",
                        markersize=3,
                        label=name,
                    )
                    lines_drawn[region_id] = True
                    descriptions.append(
                        f"{indicator.short_fi}, {name.lower()}: {fmt.number(line.iloc[0], indicator.decimals)} "
                        f"vuonna {int(line.index[0])} ja {fmt.number(line.iloc[-1], indicator.decimals)} "
                        f"vuonna {int(line.index[-1])}"
                    )
        ax.set_title(
            _wrap(outcomes.name_with_unit(indicator.short_fi, indicator.unit_fi)), fontsize=8
        )
        ax.set_xlim(first - 0.5, last + 0.5)
        ax.tick_params(labelsize=7)
        ax.yaxis.set_major_formatter(fmt.axis_formatter(indicator.decimals))
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in list(axes.flat)[len(drawn) :]:
        ax.set_visible(False)
    legend = {}
    for ax in axes.flat[: len(drawn)]:
        for handle, text in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(text, handle)
    if legend:
        fig.legend(
            list(legend.values()),
            [chapter.county_name if t == "Alue" else t for t in legend],
            loc="lower center",
            ncol=2,
            fontsize=8,
            frameon=False,
        )
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    shown = [
        text
        for region_id, text in (
            (county_id, "hyvinvointialueella (yhtenäinen viiva)"),
            (country_id, "koko maassa (katkoviiva)"),
        )
        if lines_drawn[region_id]
    ]
    alt = (
        f"Viivakuvio {len(drawn)} indikaattorin kehityksestä vuosina {first}\u2013{last} "
        f"{' ja '.join(shown)}. " + "; ".join(descriptions) + "."
    )
    if missing:
        alt += f" Ei tietoja: {join_names(missing)}."
    return fig, outcomes.tidy_stops(alt)


def _wrap(text: str, width: int = 42) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def close(figure) -> None:
    _pyplot().close(figure)
