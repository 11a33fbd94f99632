"""The municipal card (kuntakortti): its content, as functions the card notebook calls one by one.

The notebook ``notebooks/municipal_card.ipynb`` is thin: each code cell makes one call here and its
output is Markdown (``IPython.display.Markdown``), which Quarto renders as part of the page
(cells carry ``#| output: asis``). Figures are saved as SVG files beside the card and shown with
Quarto's figure syntax, so that every figure has a book-wide unique id, a caption and alt text::

    ![Pääindikaattorit: ...](179-jyvaskyla-kuvat/spine.svg){#fig-179-spine fig-alt="..." width="100%"}

Order of the card: header (with the demo-data banner), strengths and concerns, the spine chart of the
headline indicators, one section per population group (trend small multiples and a short text),
women and men, the HYTE-kerroin indicators, the full indicator table, sources and methods.

Pure text/table functions (``strengths_and_concerns_markdown``, ``group_text``,
``indicator_table`` ...) take a summary from :func:`hyte.stats.summary.indicator_summary` and are tested on
hand-made frames; :class:`Card` ties them to a loaded context. After papermill has run the notebook,
:func:`finalize_notebook` adds the Quarto front matter and hides the parameter cells.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hyte import fmt
from hyte.card.names import card_stem
from hyte.card.sexes import SEX_MAX_AGE_YEARS, sex_differences
from hyte.data.catalog import Catalog, Indicator
from hyte.data.snapshot import SYNTHETIC_LABEL_FI
from hyte.errors import HyteError
from hyte.markup import Raw, attribute_text, escape_markdown, markdown_table
from hyte.stats import outcomes, stats

__all__ = [
    "FIGURE_MAX_PANELS",
    "Card",
    "card_data",
    "card_front_matter",
    "demo_banner_markdown",
    "figure_markdown",
    "figures_in",
    "finalize_notebook",
    "group_text",
    "header_data",
    "header_markdown",
    "indicator_table",
    "indicator_table_markdown",
    "load_front_matter",
    "markdown_outputs",
    "open_card",
    "population_change",
    "SEX_MAX_AGE_YEARS",
    "sex_differences",
    "sex_text",
    "strengths_and_concerns_markdown",
]

#: Most trend panels in one figure (3 × 3); a group with more indicators gets several figures.
FIGURE_MAX_PANELS = 9
#: Most rows in the women/men chart (largest relative differences first).
SEX_CHART_MAX_ROWS = 16
#: Most indicators named in one sentence before "ja N muuta".
NAMES_IN_SENTENCE = 6
POPULATION_INDICATOR = 127
DEMO_BANNER_TITLE = (
    SYNTHETIC_LABEL_FI[0].upper() + SYNTHETIC_LABEL_FI[1:]
)  # "Esimerkkiaineisto – ..."
_METADATA_KEY = "hyte"
_FRONT_MATTER_MARK = "hyte-card-front-matter"

_COMPARISON_SHORT = {  # table cells
    "better": "parempi",
    "similar": "ei eroa",
    "worse": "heikompi",
    "higher": "korkeampi",
    "lower": "matalampi",
    "not_compared": "–",
}
_TREND_SHORT = {
    "improving": "paraneva",
    "worsening": "heikkenevä",
    "increasing": "kasvava",
    "decreasing": "laskeva",
    "no_change": "ei muutosta",
    "cannot_calculate": "–",
}
_ROLE_FI = {"process": "prosessi", "outcome": "tulos"}
#: The methods paragraph of the card's sources (Markdown bullets; hyte.stats.stats implements them).
METHODS_FI = (
    (
        "- *Luottamusväli* (95\u00a0%): osuuksille Wilsonin menetelmä, ilmaantuvuuksille (/1 000, "
        "/10 000, /100 000) Byarin menetelmä ja alle 10 tapauksen luvuille tarkka Poisson-väli. "
        "Nimittäjä johdetaan Sotkanetin arvosta ja lukumäärästä; indekseille ja luvuille, joilta "
        "lukumäärä puuttuu, luottamusväliä ei lasketa."
    ),
    (
        "- *Vertailu*: kunnan luottamusväliä verrataan hyvinvointialueen ja koko maan arvoon. Väli "
        "kokonaan paremmalla puolella = parempi, kokonaan huonommalla = heikompi, muuten ei "
        "merkitsevää eroa. Indikaattoreille, joilla ei ole hyvää suuntaa (esim. palvelujen käyttö), "
        "korkeampi tai matalampi."
    ),
    "- *Kehitys*: " + outcomes.TREND_RULE_FI,
    "- *Vanha tieto*: " + outcomes.STALE_RULE_FI,
    (
        "- *Pienet luvut*: arvo ja luottamusväli salataan, kun lukumäärä on pienempi kuin "
        "indikaattorin kynnys (tavallisesti 5) mutta ei nolla."
    ),
    (
        "- *Naiset ja miehet*: ero on merkitsevä, kun naisten ja miesten luottamusvälit eivät ole "
        "päällekkäin (varovainen testi)."
    ),
)

#: The methods paragraph's first bullet when no CI, comparison or trend test could be made.
METHODS_NOTHING_COMPARED_FI = (
    "- *Vertailut ja kehitys*: luottamusvälejä, vertailuja ja kehityksen "
    "testejä ei tästä aineistosta voitu tehdä (syyt kohdassa Vahvuudet ja "
    "haasteet)."
)


# --- small text helpers -------------------------------------------------------------------------


def _md(text: object) -> str:
    """Text as one line of Markdown that renders as that text. No-break spaces (between a number
    and its unit, in thousands) are kept: ``escape_markdown(inline=True)`` would turn them into spaces."""
    if isinstance(text, Raw):
        return str(text)
    return escape_markdown(re.sub(r"[ \t\r\n]+", " ", str(text)).strip())


def _cells(values: Sequence[object]) -> list[Raw]:
    """Table cells escaped by :func:`_md` (so that no-break spaces survive)."""
    return [Raw(_md(v)) for v in values]


def _join(names: Sequence[str], limit: int | None = NAMES_IN_SENTENCE) -> str:
    """Finnish list of names, at most ``limit`` named (see hyte.fmt.join_names)."""
    return fmt.join_names(names, limit)


def _indicators(count: int, case: str = "inessive") -> str:
    """'1 indikaattorissa', '3 indikaattorissa'; case 'partitive': '1 indikaattori', '3 indikaattoria'."""
    if case == "partitive":
        return f"{count} indikaattori" if count == 1 else f"{count} indikaattoria"
    return f"{count} indikaattorissa"


def _value(value: float, decimals: int, unit: str) -> str:
    return fmt.with_unit(value, decimals, unit)


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _years(first: Any, last: Any) -> str:
    if first is None or last is None or pd.isna(first) or pd.isna(last):
        return ""
    return f"{int(first)}\u2013{int(last)}"


def _slug(text: str) -> str:
    """'lapset_nuoret' -> 'lapset-nuoret' (ids: no underscores, see Quarto's cross-reference docs)."""
    import unicodedata

    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


# --- header ---------------------------------------------------------------------------------------


def population_change(table: pd.DataFrame, region_id: int, years: int = 5) -> dict[str, Any] | None:
    """The region's population (Sotkanet 127, total) in its latest year and the change from
    ``years`` years earlier: ``{year, value, base_year, base_value, change, percent}`` (base and change
    None when that earlier year is missing); None when the table has no population for the region."""
    rows = table[
        (table["indicator"] == POPULATION_INDICATOR)
        & (table["region_id"] == int(region_id))
        & (table["sex"] == "total")
        & table["value"].notna()
    ]
    if rows.empty:
        return None
    series = rows.set_index("year")["value"].sort_index()
    year = int(series.index[-1])
    value = float(series.iloc[-1])
    out: dict[str, Any] = {
        "year": year,
        "value": value,
        "base_year": None,
        "base_value": None,
        "change": None,
        "percent": None,
    }
    base_year = year - years
    if base_year in series.index:
        base = float(series[base_year])
        out.update(
            base_year=base_year,
            base_value=base,
            change=value - base,
            percent=(value - base) / base * 100 if base else None,
        )
    return out


def header_data(
    *,
    municipality_code: str,
    municipality_name: str,
    county_name: str,
    table: pd.DataFrame,
    region_id: int,
    summary: pd.DataFrame,
    snapshot_id: str,
    snapshot_created: str,
    synthetic: bool,
    catalog_total: int | None = None,
) -> dict[str, Any]:
    """What the card's header states: names, population and its 5-year change, the data vintage
    (years of the values shown, most common year) and the snapshot."""
    years = summary["year"].dropna().astype(int) if len(summary) else pd.Series(dtype="int64")
    return {
        "municipality_code": municipality_code,
        "municipality": municipality_name,
        "county": county_name,
        "population": population_change(table, region_id),
        "first_year": int(years.min()) if len(years) else None,
        "last_year": int(years.max()) if len(years) else None,
        "common_year": int(years.mode().max()) if len(years) else None,
        "indicators": len(summary),
        "catalog_total": catalog_total,
        "snapshot_id": snapshot_id,
        "snapshot_date": fmt.date_fi(snapshot_created) if snapshot_created else None,
        "synthetic": bool(synthetic),
    }


def demo_banner_markdown(snapshot_id: str) -> str:
    """The demo-data callout: 'Esimerkkiaineisto – ei todellisia lukuja' (Quarto callout)."""
    return (
        "::: {.callout-warning}\n"
        f"## {_md(DEMO_BANNER_TITLE)}\n\n"
        f"Tämän kortin luvut on tuotettu keksitystä esimerkkiaineistosta ({_md(snapshot_id)}). "
        "Ne eivät kuvaa kunnan todellista tilannetta, eikä niistä voi tehdä johtopäätöksiä.\n"
        ":::\n"
    )


def header_markdown(data: dict[str, Any]) -> str:
    """The header as Markdown: the demo banner (synthetic data) and the key facts."""
    # The demo-data warning is the banner of every HTML page and the footer of every PDF page
    # (hyte.book.files), so the card does not repeat it (demo_banner_markdown stays for other uses).
    parts = []
    lines = [f"- **Hyvinvointialue:** {_md(data['county'])}"]
    population = data["population"]
    if population:
        text = f"{fmt.number(population['value'])} asukasta 31.12.{population['year']}"
        if population["change"] is not None:
            change = population["change"]
            verb = "kasvoi" if change > 0 else "väheni" if change < 0 else "pysyi ennallaan"
            if change:
                text += (
                    f"; väkiluku {verb} viidessä vuodessa {fmt.number(abs(change))} asukkaalla "
                    f"({fmt.percent(population['percent'], 1, signed=True)} vuodesta "
                    f"{population['base_year']})"
                )
            else:
                text += f"; väkiluku pysyi ennallaan vuodesta {population['base_year']}"
        lines.append(f"- **Väkiluku:** {_md(text)}")
    else:
        lines.append(
            "- **Väkiluku:** ei tietoa tässä aineistossa (Sotkanet-indikaattori 127 puuttuu)"
        )
    if data["indicators"]:
        if data["first_year"] == data["last_year"]:
            span = f"vuodelta {data['first_year']}"
        else:
            span = (
                f"vuosilta {data['first_year']}\u2013{data['last_year']}; useimmat vuodelta "
                f"{data['common_year']}"
            )
        coverage = (
            f" (luettelon {data['catalog_total']} indikaattorista)"
            if data.get("catalog_total") and data["catalog_total"] != data["indicators"]
            else ""
        )
        lines.append(
            f"- **Tiedot:** {_indicators(data['indicators'], 'partitive')}{coverage} {span}"
        )
    else:
        lines.append("- **Tiedot:** aineistossa ei ole kunnan arvoja luettelon indikaattoreista")
    version = _md(data["snapshot_id"])
    if data["snapshot_date"]:
        version += f", muodostettu {data['snapshot_date']}"
    lines.append(
        f"- **Aineistoversio (snapshot):** {version} · kuntanumero {_md(data['municipality_code'])}"
    )
    parts.append("\n".join(lines) + "\n")
    if data.get("notice"):
        parts.append(
            "::: {.callout-note}\n## Vertailut eivät ole mahdollisia\n\n"
            f"{_md(data['notice'])}\n:::\n"
        )
    return "\n".join(parts)


def card_front_matter(
    municipality_name: str, county_name: str, year: int | str, data_years: str | None = None
) -> dict[str, Any]:
    """The card's Quarto front matter: title = the municipality, subtitle
    'Kuntakortti · <county> · <year>' (+ ' · tiedot <years>' when the data are much older), lang fi."""
    subtitle = f"Kuntakortti · {county_name} · {year}"
    if data_years:
        subtitle += f" · tiedot vuosilta {data_years}"
    return {
        "title": municipality_name,
        "subtitle": subtitle,
        "lang": "fi",
    }


# --- strengths and concerns ---------------------------------------------------------------------


def _comparison_names(items: list[dict[str, Any]]) -> list[str]:
    return [
        f"{item['short']} {_value(item['value'], item['decimals'], item['unit'])} "
        f"(vertailuarvo {_value(item['benchmark'], item['decimals'], item['unit'])})"
        for item in items
    ]


def _trend_names(items: list[dict[str, Any]]) -> list[str]:
    return [
        f"{item['short']} ({_years(item['first_year'], item['last_year'])})".replace(" ()", "")
        for item in items
    ]


def strengths_and_concerns_markdown(summary: pd.DataFrame, language: str = "fi") -> str:
    """'Vahvuudet' and 'Haasteet' as Markdown bullet lists from
    :func:`hyte.stats.summary.strengths_and_concerns`: significantly better/worse than the county and the
    country (value and benchmark value given), significantly improving/worsening trends. A block
    with no items is left out; with nothing significant at all the result is ''."""
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
            if key in ("improving", "worsening"):
                heading = f"{_capitalise(label(key, language))} kehitys"
                names = _trend_names(items)
            else:
                heading = _capitalise(label(key, language))
                names = _comparison_names(items)
            bullets.append(f"- **{_md(heading)}** ({len(items)}): {_md(_join(names))}.")
        if bullets:
            blocks.append(f"### {title}\n\n" + "\n".join(bullets) + "\n")
    return "\n".join(blocks)


# --- population groups --------------------------------------------------------------------------


def _group_word(group_label: str, word: str) -> str:
    """Finnish compound with a group name: 'Ikääntyneet-ryhmästä', 'Lapset ja nuoret -ryhmän'
    (a name of several words takes a space before the hyphen)."""
    name = _capitalise(group_label.strip())
    return f"{name} -{word}" if " " in name else f"{name}-{word}"


def group_text(rows: pd.DataFrame, *, group_label: str, missing: Sequence[str] = ()) -> str:
    """A short Finnish text on one population group's summary rows: how many indicators, which are
    significantly better/worse (or higher/lower, without polarity) than the county and the country,
    which trends are significant, and which catalog indicators have no data."""
    sentences = []
    count = len(rows)
    if count == 0:
        sentences.append(
            f"{_group_word(group_label, 'ryhmästä')} ei ole kunnan arvoja tässä aineistossa."
        )
    else:
        sentences.append(
            f"{_group_word(group_label, 'ryhmän')} indikaattoreista kunnalle on tietoja "
            f"{count}:stä."
        )
    significant = differences_found = False
    for column, where in (("vs_county", "Hyvinvointialueeseen"), ("vs_country", "Koko maahan")):
        parts = []
        for noun, codes in (
            ("tilanne", (("better", "parempi"), ("worse", "heikompi"))),
            ("arvo", (("higher", "korkeampi"), ("lower", "matalampi"))),
        ):
            found = []
            for code, word in codes:
                names = list(rows.loc[rows[column] == code, "short"]) if count else []
                if names:
                    found.append(f"{word} {_indicators(len(names))} ({_join(names)})")
            if found:
                parts.append(f"{noun} oli {_join(found, None)}")
        if parts:
            significant = differences_found = True
            sentences.append(f"{where} verrattuna kunnan {'; '.join(parts)}.")
    trends = []
    for code, word in (
        ("improving", "paraneva"),
        ("worsening", "heikkenevä"),
        ("increasing", "kasvava"),
        ("decreasing", "laskeva"),
    ):
        names = list(rows.loc[rows["trend"] == code, "short"]) if count else []
        if names:
            trends.append(f"{word} {_indicators(len(names))} ({_join(names)})")
    if trends:
        significant = True
        sentences.append(f"Viimeisten viiden mittauksen kehitys oli {_join(trends, None)}.")
    if count:
        made = outcomes.made_sentence(
            rows, differences_found=differences_found, trends_found=bool(trends)
        )
        if made:
            sentences.append(made)
        elif not significant:
            sentences.append(
                "Vertailuja ja trenditestejä ei voitu tehdä yhdessäkään ryhmän indikaattorissa."
            )
        sentences.extend(outcomes.not_compared_sentences(rows[~rows["suppressed"]]))
        sentences.append(outcomes.not_tested_sentence(rows[~rows["suppressed"]]))
    suppressed = list(rows.loc[rows["suppressed"], "short"]) if count else []
    if suppressed:
        sentences.append(
            f"Pienen lukumäärän vuoksi salattu (ei verrattu eikä testattu): {_join(suppressed)}."
        )
    stale = (
        list(rows.loc[rows["stale"] & ~rows["suppressed"], "short"])
        if count and "stale" in rows
        else []
    )
    if stale:
        sentences.append(f"Vanhentunut tieto (merkitty * taulukossa): {_join(stale)}.")
    if missing:
        sentences.append(f"Ei tietoja kunnalle: {_join(list(missing))}.")
    return _md(" ".join(x for x in sentences if x)) + "\n"


# --- tables -------------------------------------------------------------------------------------

CI_HEADER = "95\u00a0%:n lv"
TABLE_HEADERS = [
    "Indikaattori (yksikkö)",
    "Vuosi",
    "Arvo",
    CI_HEADER,
    "Lkm",
    "Alue",
    "Koko maa",
    "Vrt. alue",
    "Vrt. maa",
    "Kehitys",
]


def indicator_table(summary: pd.DataFrame, *, suppressed_text: str = "salattu") -> pd.DataFrame:
    """The full indicator table as Finnish-formatted text cells (columns :data:`TABLE_HEADERS` and
    ``group``). Suppressed values show ``suppressed_text`` and no count or interval."""
    records = []
    for _, r in summary.iterrows():
        decimals = int(r["decimals"])
        hidden = bool(r["suppressed"])
        records.append(
            {
                "group": r["group"],
                "Indikaattori (yksikkö)": outcomes.name_with_unit(r["short"], r["unit"]),
                "Vuosi": str(int(r["year"])) + ("*" if bool(r.get("stale", False)) else ""),
                "Arvo": suppressed_text if hidden else fmt.number(r["value"], decimals),
                CI_HEADER: fmt.MISSING
                if hidden
                else fmt.interval(r["lower"], r["upper"], decimals),
                "Lkm": fmt.MISSING if hidden else fmt.number(r["count"], 0),
                "Alue": fmt.number(r["county_value"], decimals),
                "Koko maa": fmt.number(r["country_value"], decimals),
                "Vrt. alue": _COMPARISON_SHORT.get(r["vs_county"], r["vs_county"]),
                "Vrt. maa": _COMPARISON_SHORT.get(r["vs_country"], r["vs_country"]),
                "Kehitys": _TREND_SHORT.get(r["trend"], r["trend"])
                + (
                    f" ({_years(r['trend_first_year'], r['trend_last_year'])})"
                    if r["trend"] not in ("cannot_calculate",)
                    and _years(r["trend_first_year"], r["trend_last_year"])
                    else ""
                ),
            }
        )
    return pd.DataFrame.from_records(records, columns=["group", *TABLE_HEADERS])


def indicator_table_markdown(
    summary: pd.DataFrame, catalog: Catalog, *, caption: str, table_id: str
) -> str:
    """The full indicator table as a Markdown pipe table with a caption and id (Quarto's
    ``: caption {#tbl-...}``), grouped by population group (a bold row starts each group)."""
    cells = indicator_table(summary)
    rows: list[list[object]] = []
    for group in catalog.ordered_groups():
        part = cells[cells["group"] == group]
        if part.empty:
            continue
        rows.append(
            [Raw(f"**{_md(catalog.group_label(group))}**")] + [""] * (len(TABLE_HEADERS) - 1)
        )
        rows += [_cells(values) for values in part[TABLE_HEADERS].values.tolist()]
    table = markdown_table(_cells(TABLE_HEADERS), rows, align="lrrrrrrlll")
    widths = "[27,6,7,11,7,7,7,9,9,10]"
    return f'{table}\n: {_md(caption)} {{#{table_id} tbl-colwidths="{widths}"}}\n'


# --- women and men ------------------------------------------------------------------------------


def sex_text(data: pd.DataFrame, shown: pd.DataFrame, *, snapshot_has_sexes: bool = True) -> str:
    """What the women/men chart shows, in Finnish. An empty chart says what the snapshot lacks (it
    does not claim that the values were never published); differences are called significant or not
    only where both confidence intervals could be computed."""
    if data.empty:
        if not snapshot_has_sexes:
            return (
                "Tässä aineistossa ei ole naisten ja miesten arvoja (vain sukupuolet yhteensä), "
                "joten naisia ja miehiä ei verrata.\n"
            )
        return (
            "Tässä aineistossa ei ole kunnan naisten ja miesten arvoja luettelon indikaattoreista "
            "samalta, enintään neljä vuotta vanhalta vuodelta (tai ne ovat alle tietosuojarajan).\n"
        )
    parts = [f"Naisten ja miesten arvot ovat saatavilla {len(data)} indikaattorista."]
    if len(shown) < len(data):
        parts.append(
            f"Kuviossa on niistä {len(shown)}, joissa ero on suhteellisesti suurin; kaikki "
            "ovat kortin CSV-tiedostossa."
        )
    significant = data[data["significant"]]
    tested = data[["female_lower", "female_upper", "male_lower", "male_upper"]].notna().all(axis=1)
    if not tested.any():
        parts.append(
            "Eroja ei testattu tilastollisesti, koska aineistossa ei ole lukumääriä, joista "
            "luottamusvälit lasketaan."
        )
    elif len(significant):
        names = [
            f"{r['short']} (naiset {_value(r['female'], r['decimals'], r['unit'])}, miehet "
            f"{_value(r['male'], r['decimals'], r['unit'])})"
            for _, r in significant.iterrows()
        ]
        parts.append(
            f"Ero oli tilastollisesti merkitsevä {_indicators(len(significant))}: {_join(names)}."
        )
    else:
        parts.append(
            f"Ero testattiin {_indicators(int(tested.sum()))}; yhdessäkään se ei ollut "
            "tilastollisesti merkitsevä."
        )
    return _md(" ".join(parts)) + "\n"


# --- figures as Markdown ------------------------------------------------------------------------


def _attribute(text: str) -> str:
    """Text for a double-quoted Pandoc attribute value (one line, no double quotes, no shortcode)."""
    return attribute_text(text)


def figure_markdown(path: str, *, figure_id: str, caption: str, alt: str) -> str:
    """Quarto figure syntax: ``![caption](path){#fig-... fig-alt="..." width="100%"}``. An alt text
    longer than :data:`hyte.figures.a11y.ALT_MAX` characters is shortened, and the whole description follows
    the figure as visible text ("Kuvion kuvaus")."""
    from hyte.figures.a11y import description_markdown, needs_description, short_alt

    if not figure_id.startswith("fig-"):
        raise ValueError(f"a figure id starts with 'fig-': {figure_id!r}")
    text = (
        f'![{_md(caption)}]({path}){{#{figure_id} fig-alt="{_attribute(short_alt(alt))}" '
        f'width="100%"}}\n'
    )
    if needs_description(alt):
        text += description_markdown(_md(alt))
    return text


# --- card data (CSV) ----------------------------------------------------------------------------


def card_data(
    summary: pd.DataFrame,
    *,
    municipality_code: str,
    municipality_name: str,
    county_code: str,
    county_name: str,
    snapshot_id: str,
    sex: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The card's numbers as one table (written as ``<code>-<name>.csv`` beside the card): the
    summary columns prefixed by the municipality, county and snapshot, and, where the data have
    them, women's and men's values (``female``, ``male``, ``sex_year``)."""
    frame = summary.copy()
    frame.insert(0, "snapshot_id", snapshot_id)
    frame.insert(0, "county", county_name)
    frame.insert(0, "county_code", county_code)
    frame.insert(0, "municipality", municipality_name)
    frame.insert(0, "municipality_code", municipality_code)
    if sex is not None and len(sex):
        extra = sex[["indicator", "year", "female", "male"]].rename(columns={"year": "sex_year"})
        frame = frame.merge(extra, on="indicator", how="left")
    else:
        frame["sex_year"] = pd.array([pd.NA] * len(frame), dtype="Int64")
        frame["female"] = np.nan
        frame["male"] = np.nan
    frame["sex_year"] = frame["sex_year"].astype("Int64")
    return frame.reset_index(drop=True)


# --- the card -----------------------------------------------------------------------------------


def _markdown(text: str, **metadata: Any):
    from IPython.display import Markdown

    return Markdown(
        outcomes.tidy_stops(text), metadata={_METADATA_KEY: metadata} if metadata else None
    )


@dataclass
class Card:
    """One municipality's card over a loaded context. Build with :func:`open_card`."""

    ctx: Any  # hyte.context.Context
    municipality: Any  # hyte.data.regions.Municipality
    county: Any  # hyte.data.regions.County
    output_dir: Path
    language: str = "fi"
    figure_ids: list[str] = field(default_factory=list)  # the figures drawn so far, in order

    # -- data ----------------------------------------------------------------------------------

    @property
    def code(self) -> str:
        return self.municipality.code

    @property
    def name(self) -> str:
        return self.municipality.name_fi

    @property
    def stem(self) -> str:
        """File stem shared with the executed notebook: '179-jyvaskyla'."""
        return card_stem(self.municipality)

    @property
    def figure_folder(self) -> str:
        """The card's figure folder, relative to the card (and to ``output_dir``)."""
        return f"{self.stem}-kuvat"

    @cached_property
    def own_rows(self) -> pd.DataFrame:
        """The table's rows of the municipality (hyte.context.Context.region_rows)."""
        return self.ctx.region_rows([self.municipality.sotkanet_id])

    @cached_property
    def rows(self) -> pd.DataFrame:
        """The table's rows of the municipality, its county and the whole country: what the trend
        figures draw."""
        return self.ctx.region_rows(
            [self.municipality.sotkanet_id, self.county.sotkanet_id, self.ctx.country_id]
        )

    @cached_property
    def peer_ids(self) -> list[int]:
        return [m.sotkanet_id for m in self.ctx.regions.county_municipalities(self.county.code)]

    @cached_property
    def shared(self):
        """The county-wide results computed once per snapshot and configuration
        (:mod:`hyte.card.shared`), or None when the card's county is not its context's."""
        if self.county.code != self.ctx.config.county:
            return None
        from hyte.card.shared import for_context

        return for_context(self.ctx, self.language)

    @cached_property
    def summary(self) -> pd.DataFrame:
        from hyte.stats.summary import indicator_summary

        if self.shared is not None:
            return self.shared.municipality_summary(self.code)
        return indicator_summary(
            self.ctx.table,
            self.ctx.catalog,
            self.municipality.sotkanet_id,
            county_id=self.county.sotkanet_id,
            country_id=self.ctx.country_id,
            peer_ids=self.peer_ids,
            language=self.language,
        )

    @cached_property
    def sex_data(self) -> pd.DataFrame:
        if self.shared is not None:
            return self.shared.sex_data(self.municipality.sotkanet_id)
        return sex_differences(
            self.own_rows,
            self.ctx.catalog,
            self.municipality.sotkanet_id,
            self.language,
            latest_years=self.ctx.latest_years,
        )

    @cached_property
    def fitness(self):
        """What the snapshot allows for this county (hyte.data.fitness)."""
        from hyte.data.fitness import assess

        if self.shared is not None:
            return self.shared.fitness
        return assess(self.ctx.table, self.ctx.catalog, self.county, self.ctx.regions)

    @cached_property
    def available_ids(self) -> set[int]:
        """Catalog indicators that are in the snapshot at all (any region)."""
        return {int(i) for i in self.ctx.table["indicator"].unique()}

    def missing(self, indicators: Sequence[Indicator]) -> list[str]:
        """Short names of the indicators that have no value for the municipality."""
        shown = set(self.summary["indicator"])
        return [i.short(self.language) for i in indicators if i.id not in shown]

    @property
    def year(self) -> int:
        return int(self.ctx.config.reporting_year)

    def front_matter(self) -> dict[str, Any]:
        years = self.summary["year"] if len(self.summary) else None
        last = int(years.max()) if years is not None else None
        data_years = None
        if last is not None and self.year - last > 2:  # data much older than the report: say so
            data_years = (
                f"{int(years.min())}\u2013{last}" if int(years.min()) != last else str(last)
            )
        return card_front_matter(self.name, self.county.name_fi, self.year, data_years=data_years)

    # -- figures -------------------------------------------------------------------------------

    def _save(self, figure, name: str) -> str:
        """Save a figure in the card's figure folder: an SVG figure (hyte.figures.svg) as SVG, a
        matplotlib figure as a palette PNG; returns its path relative to the card."""
        from hyte.data.snapshot import write_bytes_atomic
        from hyte.figures.svg import SvgFigure

        if isinstance(figure, SvgFigure):
            relative = f"{self.figure_folder}/{name}.svg"
            write_bytes_atomic(self.output_dir / relative, figure.to_svg().encode("utf-8"))
            return relative
        import io

        from hyte.figures.figures import close
        from hyte.figures.images import optimise_png

        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
        close(figure)
        relative = f"{self.figure_folder}/{name}.png"
        write_bytes_atomic(self.output_dir / relative, optimise_png(buffer.getvalue()))
        return relative

    def _figure(self, figure, alt: str, name: str, caption: str) -> str:
        figure_id = f"fig-{self.code}-{name}"  # a rerun of a cell redraws the same figure
        if figure_id not in self.figure_ids:
            self.figure_ids.append(figure_id)
        path = self._save(figure, name)
        return figure_markdown(path, figure_id=figure_id, caption=caption, alt=alt)

    # -- sections (each returns Markdown for one notebook cell) ----------------------------------

    def header(self):
        """Demo banner (synthetic data) and key facts; carries the front matter for
        :func:`finalize_notebook` in the output's metadata."""
        snapshot = self.ctx.snapshot
        data = header_data(
            municipality_code=self.code,
            municipality_name=self.name,
            county_name=self.county.name_fi,
            table=self.own_rows,
            region_id=self.municipality.sotkanet_id,
            summary=self.summary,
            snapshot_id=snapshot.id,
            snapshot_created=snapshot.created,
            synthetic=snapshot.synthetic,
            catalog_total=len(self.ctx.catalog),
        )
        data["notice"] = self.fitness.notice_fi()
        return _markdown(
            header_markdown(data), front_matter=self.front_matter(), municipality=self.code
        )

    def strengths(self):
        """'Vahvuudet ja haasteet', generated from the significant comparisons and trends; the
        comparisons and tests that were made are counted, and those not made named with the reason."""
        from hyte.stats.summary import strengths_and_concerns

        summary = self.summary
        if summary.empty:
            return _markdown(
                "Kunnalle ei ole tässä aineistossa arvoja luettelon indikaattoreista, "
                "joten vahvuuksia ja haasteita ei voi arvioida.\n"
            )
        notes = [
            *outcomes.not_compared_sentences(summary, limit=8),
            outcomes.not_tested_sentence(summary, limit=8),
        ]
        note_text = "".join(f"\n{_md(n)}\n" for n in notes if n)
        if outcomes.nothing_compared(summary):
            return _markdown(outcomes.NOTHING_COMPARED_FI + "\n" + note_text)
        text = strengths_and_concerns_markdown(summary, self.language)
        intro = (
            "Vahvuuksiksi ja haasteiksi on poimittu indikaattorit, joissa kunnan arvo eroaa "
            f"tilastollisesti merkitsevästi hyvinvointialueen ({_md(self.county.name_fi)}) tai "
            "koko maan arvosta (95\u00a0%:n luottamusväli) tai joiden kehitys viiden viimeisen "
            "mittauksen aikana on merkitsevästi paraneva tai heikkenevä.\n\n"
        )
        found = strengths_and_concerns(summary, self.language)
        differences = any(found[k] for k in found if k not in ("improving", "worsening"))
        trends = bool(found["improving"] or found["worsening"])
        made = outcomes.made_sentence(summary, differences_found=differences, trends_found=trends)
        if not text:
            text = (
                made
                + (
                    " Pienessä kunnassa luottamusvälit ovat leveitä, joten todellisiakaan "
                    "eroja ei aina voi osoittaa."
                    if made
                    else ""
                )
                + "\n"
            )
        else:
            text += f"\n{_md(made)}\n"
        return _markdown(intro + text + note_text)

    def spine(self):
        """The spine chart of the headline indicators (plain counts such as the population left out)."""
        from hyte.figures.figures import spine_chart

        rows = self.summary[self.summary["headline"] & (self.summary["value_type"] != "COUNT")]
        rows = rows.reset_index(drop=True)
        if rows.empty:
            names = [i.short(self.language) for i in self.ctx.catalog.headline()]
            return _markdown(
                "Pääindikaattoreista ei ole kunnan tietoja tässä aineistossa"
                + (f": {_md(_join(names, 12))}.\n" if names else ".\n")
            )
        fig, alt = spine_chart(rows, region_name=self.name, county_name=self.county.name_fi)
        caption = f"Pääindikaattorit: {self.name}"
        if rows["county_value"].notna().any():
            caption += f", vertailukohtana {self.county.name_fi} (keskiviiva)"
            if rows["country_value"].notna().any():
                caption += " ja koko maa"
            caption += "."
            if rows["vs_county"].isin(outcomes.COMPARED).any():
                caption += (
                    " Merkin väri ja muoto kertovat, eroaako kunta tilastollisesti "
                    "merkitsevästi hyvinvointialueesta."
                )
            if (rows["peer_n"] >= 2).any():
                caption += " Harmaa alue on alueen kuntien vaihteluväli, paremman suunta oikealla."
        else:
            caption += (
                ". Aineistossa ei ole hyvinvointialueen arvoja, joten vertailua ei ole piirretty."
            )
        if rows["stale"].any():
            caption += " * = vanha tieto, ei verrattu."
        text = self._figure(fig, alt, "spine", caption)
        missing = self.missing(self.ctx.catalog.headline())
        if missing:
            text += f"\nPääindikaattoreista ei ole kunnan tietoja: {_md(_join(missing, None))}.\n"
        return _markdown(text)

    def group_section(self, group: str):
        """One population group: a short text and trend small multiples (≤ 9 panels a figure)."""
        from hyte.figures.figures import trend_small_multiples

        catalog = self.ctx.catalog
        if group not in catalog.groups:
            return _markdown(f"Indikaattoriluettelossa ei ole väestöryhmää '{_md(group)}'.\n")
        group_label = catalog.group_label(group, self.language)
        indicators = catalog.in_group(group)
        rows = self.summary[self.summary["group"] == group]
        text = group_text(rows, group_label=group_label, missing=self.missing(indicators))
        shown_ids = set(rows["indicator"])
        drawable = [i for i in indicators if i.id in shown_ids and i.value_type.value != "COUNT"]
        chunks = [
            drawable[i : i + FIGURE_MAX_PANELS] for i in range(0, len(drawable), FIGURE_MAX_PANELS)
        ]
        figures = []
        for number, chunk in enumerate(chunks, start=1):
            fig, alt = trend_small_multiples(
                self.rows,
                chunk,
                self.municipality.sotkanet_id,
                self.county.sotkanet_id,
                self.ctx.country_id,
                region_name=self.name,
                county_name=self.county.name_fi,
                language=self.language,
            )
            part = f" ({number}/{len(chunks)})" if len(chunks) > 1 else ""
            name = f"{_slug(group)}-{number}" if len(chunks) > 1 else _slug(group)
            drawn = getattr(fig, "hyte_drawn", {"band": True, "county": True, "country": True})
            others = [
                name
                for key, name in (("county", self.county.name_fi), ("country", "koko maa"))
                if drawn.get(key)
            ]
            caption = (
                f"{group_label}{part}: kehitys, {self.name}"
                + (" (luottamusväli varjostettuna)" if drawn.get("band") else "")
                + (f", {_join(others, None)}" if others else "")
                + "."
            )
            figures.append(self._figure(fig, alt, name, caption))
        return _markdown(text + "".join("\n" + f for f in figures))

    def sex_section(self):
        """Women and men: a dot chart of the largest relative differences and a short text."""
        from hyte.figures.figures import sex_difference_chart

        data = self.sex_data
        if data.empty:
            has_sexes = bool(self.ctx.table["sex"].isin(["male", "female"]).any())
            return _markdown(sex_text(data, data, snapshot_has_sexes=has_sexes))
        shown = data.sort_values(["relative_difference", "indicator"], ascending=[False, True])
        shown = shown.head(SEX_CHART_MAX_ROWS)
        order = {i: n for n, i in enumerate(self.ctx.catalog.ids)}
        shown = shown.sort_values("indicator", key=lambda s: s.map(order)).reset_index(drop=True)
        fig, alt = sex_difference_chart(shown, region_name=self.name)
        caption = (
            f"Naiset ja miehet: {self.name}, tuorein vuosi, jolta aineistossa on molempien arvot."
        )
        if data["significant"].any():
            caption += " Tähti (*) merkitsee tilastollisesti merkitsevää eroa."
        return _markdown(
            sex_text(data, shown) + "\n" + self._figure(fig, alt, "sukupuolet", caption)
        )

    def hyte_kerroin(self):
        """The catalog's HYTE-kerroin indicators (hyte_kerroin ≠ none): the municipality's values."""
        catalog = self.ctx.catalog
        entries = [i for i in catalog if i.hyte_kerroin.value != "none"]
        text = (
            "HYTE-kerroin on osa hyvinvointialueen valtionrahoitusta (laki 617/2021): se "
            "lasketaan koko hyvinvointialueelle prosessi- ja tulosindikaattoreista. Kunnan luvut "
            "eivät muodosta omaa kerrointa, mutta ne näyttävät, miten kunnan tilanne vaikuttaa "
            "alueen tulokseen.\n\n"
        )
        if not entries:
            return _markdown(
                text + "Indikaattoriluettelossa ei ole HYTE-kertoimen indikaattoreita.\n"
            )
        rows = self.summary.set_index("indicator")
        cells = []
        for indicator in entries:
            role = _ROLE_FI[indicator.hyte_kerroin.value]
            name = outcomes.name_with_unit(
                indicator.short(self.language), indicator.unit(self.language)
            )
            if indicator.id not in rows.index:
                cells.append(
                    [
                        role,
                        name,
                        fmt.MISSING,
                        "ei tietoja",
                        fmt.MISSING,
                        fmt.MISSING,
                        fmt.MISSING,
                        fmt.MISSING,
                    ]
                )
                continue
            r = rows.loc[indicator.id]
            decimals = int(r["decimals"])
            value = "salattu" if r["suppressed"] else fmt.number(r["value"], decimals)
            change = self._five_year_change(indicator, int(r["year"]))
            cells.append(
                [
                    role,
                    name,
                    str(int(r["year"])),
                    value,
                    fmt.number(r["county_value"], decimals),
                    fmt.number(r["country_value"], decimals),
                    change,
                    _TREND_SHORT.get(r["trend"], r["trend"]),
                ]
            )
        table = markdown_table(
            _cells(
                [
                    "Osa",
                    "Indikaattori (yksikkö)",
                    "Vuosi",
                    self.name,
                    "Alue",
                    "Koko maa",
                    "Muutos 5 v.",
                    "Kehitys",
                ]
            ),
            [_cells(c) for c in cells],
            align="llrrrrrl",
        )
        caption = f"HYTE-kertoimen indikaattorit: {self.name}, {self.county.name_fi} ja koko maa."
        widths = "[8,38,7,10,8,9,10,10]"
        table += f'\n: {_md(caption)} {{#tbl-{self.code}-hyte-kerroin tbl-colwidths="{widths}"}}\n'
        roles = {i.hyte_kerroin.value for i in entries}
        notes = []
        if "process" not in roles:
            notes.append(
                "Indikaattoriluettelossa ei ole vielä kertoimen prosessi-indikaattoreita "
                "(esim. elintapaneuvonta, mini-interventio, MPR-rokotuskattavuus), koska "
                "niiden Sotkanet-tunnuksia ei ole vahvistettu."
            )
        note_text = ("\n" + _md(" ".join(notes)) + "\n") if notes else ""
        return _markdown(text + table + note_text)

    def plan(self):
        """The municipality's agreed goals and measures of the county's wellbeing plan, with the
        municipality's values of their follow-up indicators (from data/plan/<term>.yml)."""
        from hyte.plan.plan import load_plan
        from hyte.plan.plan_report import municipality_markdown

        path = self.ctx.config.plan_path
        if not path.is_file():
            return _markdown(f"Hyvinvointisuunnitelmaa ei ole vielä kirjattu ({_md(path.name)}).\n")
        from hyte.plan.consistency import plan_county_problem

        config = self.ctx.config.model_copy(update={"county": self.county.code})
        if plan_county_problem(config):
            return _markdown(
                f"**Virhe:** suunnitelmatiedosto {_md(path.name)} koskee toista "
                f"hyvinvointialuetta kuin {_md(self.county.name_fi)}; kunnan sitoumuksia ei "
                "näytetä. Korjaa hyte.yml:n 'plan' tai 'county' (hyte plan-check).\n"
            )
        plan = load_plan(path, self.ctx.catalog, self.ctx.regions)
        return _markdown(municipality_markdown(plan, self.own_rows, self.code))

    def measure_progress(self):
        """The status in the reporting year of the plan's measures the municipality agreed to
        (from data/plan/seuranta/<year>.yml)."""
        from hyte.plan.plan import load_plan
        from hyte.plan.progress import load_year
        from hyte.plan.progress_report import municipality_progress_markdown

        path = self.ctx.config.plan_path
        if not path.is_file():
            return _markdown("Hyvinvointisuunnitelmaa ei ole vielä kirjattu.\n")
        plan = load_plan(path, self.ctx.catalog, self.ctx.regions)
        if plan.county != self.county.code:
            return _markdown("Hyvinvointisuunnitelma koskee toista hyvinvointialuetta.\n")
        year = self.ctx.config.reporting_year
        return _markdown(
            municipality_progress_markdown(plan, load_year(plan, year), year, self.code)
        )

    def _five_year_change(self, indicator: Indicator, year: int) -> str:
        table = self.own_rows
        rows = table[
            (table["indicator"] == indicator.id)
            & (table["region_id"] == self.municipality.sotkanet_id)
            & (table["sex"] == "total")
            & table["value"].notna()
        ]
        rows = rows[
            ~np.asarray(
                stats.suppress(
                    rows["value"].to_numpy(),
                    rows["count"].to_numpy(),
                    indicator.small_number_threshold,
                ),
                dtype=bool,
            )
        ]
        by_year = rows.set_index("year")["value"]
        if year in by_year.index and (year - 5) in by_year.index:
            return fmt.number(by_year[year] - by_year[year - 5], indicator.decimals, signed=True)
        return fmt.MISSING

    def indicator_table(self):
        """Every indicator with a value: value, CI, count, county, country, comparisons, trend."""
        if self.summary.empty:
            return _markdown("Kunnalle ei ole tietoja yhdestäkään luettelon indikaattorista.\n")
        summary = self.summary
        caption = (
            f"Kaikki indikaattorit: {self.name}, vertailukohtana {self.county.name_fi} "
            "(Alue) ja koko maa."
        )
        if outcomes.nothing_compared(summary):
            caption += " Vertailuja ja trenditestejä ei voitu tehdä (– = ei verrattu)."
        else:
            caption += (
                " Vrt. = vertailu 95\u00a0%:n luottamusvälillä; – = ei verrattu (syyt tekstissä)."
            )
        if summary["suppressed"].any():
            caption += " Salattu = pieni lukumäärä."
        if summary["stale"].any():
            caption += " * = vanha tieto (vanhempi kuin muiden alueiden tuorein), ei verrattu."
        text = indicator_table_markdown(
            self.summary,
            self.ctx.catalog,
            caption=caption,
            table_id=f"tbl-{self.code}-indikaattorit",
        )
        return _markdown(text)

    def sources(self):
        """Sources (THL Sotkanet, CC BY 4.0, producers), methods and the data version."""
        catalog = self.ctx.catalog
        snapshot = self.ctx.snapshot
        shown = self.summary
        producers: dict[str, list[str]] = {}
        for _, r in shown.iterrows():
            producers.setdefault(str(r["producer"]), []).append(str(r["short"]))
        producer_text = "; ".join(
            f"{p}: {_indicators(len(v), 'partitive')}" for p, v in producers.items()
        )
        lines = [
            "**Lähde:** THL, Sotkanet (sotkanet.fi), lisenssi CC BY 4.0. "
            + (f"Tietojen tuottajat – {_md(producer_text)}." if producer_text else ""),
            "",
            "### Menetelmät",
            "",
            *(
                METHODS_FI
                if not outcomes.nothing_compared(shown)
                else (METHODS_NOTHING_COMPARED_FI, METHODS_FI[4])
            ),
            (
                f"- *Alueen kunnat*: vaihteluväli ja neljännekset lasketaan alueen "
                f"{len(self.peer_ids)} kunnan arvoista samalta vuodelta."
            ),
            "",
            (
                f"**Aineisto:** {_md(snapshot.id)}, muodostettu "
                f"{fmt.date_fi(snapshot.created) if snapshot.created else 'päiväys ei tiedossa'}."
            ),
        ]
        if snapshot.synthetic:
            lines.append("")
            lines.append(
                f"**{_md(DEMO_BANNER_TITLE)}:** luvut on arvottu hyte-ohjelmalla "
                "Sotkanetin muotoon, eivätkä ne ole THL:n tietoja."
            )
        not_in_snapshot = [
            i.short(self.language) for i in catalog if i.id not in self.available_ids
        ]
        no_value = [
            i.short(self.language)
            for i in catalog
            if i.id in self.available_ids and i.id not in set(shown["indicator"])
        ]
        if not_in_snapshot:
            lines += [
                "",
                (
                    f"**Puuttuvat indikaattorit:** {len(not_in_snapshot)}/{len(catalog)} "
                    f"luettelon indikaattoria ei ole tässä aineistossa: "
                    f"{_md(_join(not_in_snapshot, 12))}."
                ),
            ]
        if no_value:
            lines += ["", f"**Ei kunnan arvoa:** {_md(_join(no_value, 12))}."]
        return _markdown("\n".join(lines) + "\n")

    def local_sources(self):
        """The source and licence of each indicator from outside Sotkanet on this card ('' if none)."""
        from hyte.data.local import LocalIndicator, sources_markdown

        shown = set(self.summary["indicator"]) if not self.summary.empty else set()
        ids = [
            i.id
            for i in self.ctx.catalog
            if isinstance(i, LocalIndicator) and (i.id in shown or i.hyte_kerroin.value != "none")
        ]
        text = sources_markdown(self.ctx.catalog, self.ctx.local_values, ids) if ids else ""
        return _markdown("**Sotkanetin ulkopuoliset indikaattorit:**\n\n" + text if text else "")

    def write_data(self):
        """Write the card's numbers as CSV beside the card; returns a line that links to it."""
        from hyte.data.snapshot import write_text_atomic

        frame = card_data(
            self.summary,
            municipality_code=self.code,
            municipality_name=self.name,
            county_code=self.county.code,
            county_name=self.county.name_fi,
            snapshot_id=self.ctx.snapshot.id,
            sex=self.sex_data,
        )
        name = f"{self.stem}.csv"
        write_text_atomic(self.output_dir / name, frame.to_csv(index=False))
        return _markdown(f"Kortin luvut taulukkona (CSV, UTF-8): [{_md(name)}]({name})\n")


def open_card(
    municipality: str,
    *,
    snapshot: str | None = None,
    county: str | None = None,
    config_path: str | Path | None = None,
    output_dir: str | Path | None = None,
    language: str = "fi",
) -> Card:
    """Load the inputs of one card. ``snapshot`` and ``county`` override hyte.yml; the municipality
    must belong to the county (hyte.yml's when ``county`` is None). Figures and the CSV go to
    ``output_dir`` (default: hyte.yml's outputs.cards), where the executed notebook belongs too."""
    from hyte.config import load_config
    from hyte.context import load_context
    from hyte.data.regions import ALL_COUNTIES, load_regions

    if config_path:
        path = Path(config_path).resolve()
        config = load_config(path, root=path.parent)
    else:
        config = load_config()
    regions = load_regions(config.root / "data" / "reference")
    place = regions.municipality(municipality)
    if county is None and config.county == ALL_COUNTIES:
        county = place.county_code  # hyte.yml county: all — each card within its own county
    chosen = regions.county(county if county is not None else config.county)
    if place.county_code != chosen.code:
        where = f"county {chosen.code} {chosen.name_fi}" + (
            "" if county is not None else " (hyte.yml 'county')"
        )
        own = regions.county(place.county_code)
        raise HyteError(
            f"Municipality {place.code} {place.name_fi} is not in {where}: run its card "
            f'with county="{own.code}" ({own.name_fi}) or choose a municipality of '
            f"{chosen.name_fi}."
        )
    ctx = load_context(config, snapshot=snapshot, county=chosen.code)
    folder = Path(output_dir) if output_dir else config.cards_dir
    return Card(ctx=ctx, municipality=place, county=chosen, output_dir=folder, language=language)


# --- after papermill ------------------------------------------------------------------------------


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []) or [])


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _front_matter_from_outputs(nb) -> dict[str, Any] | None:
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) or []:
            metadata = output.get("metadata") or {}
            for candidate in (metadata, metadata.get("text/markdown") or {}):
                found = (candidate.get(_METADATA_KEY) or {}).get("front_matter")
                if found:
                    return dict(found)
    return None


def _parameter(nb, name: str) -> str | None:
    """The value of ``name`` as last set in the injected or declared parameter cells."""
    import ast

    value = None
    for tag in ("parameters", "injected-parameters"):
        for cell in nb.get("cells", []):
            if cell.get("cell_type") != "code" or tag not in _tags(cell):
                continue
            try:
                tree = ast.parse(_source(cell))
            except SyntaxError:
                continue
            for node in tree.body:
                if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == name for t in node.targets
                ):
                    try:
                        value = ast.literal_eval(node.value)
                    except ValueError:
                        pass
    return None if value is None else str(value)


def _fallback_front_matter(nb, municipality: str | None) -> dict[str, Any]:
    from hyte.config import load_config
    from hyte.data.regions import load_regions

    code = municipality or _parameter(nb, "municipality")
    if not code:
        raise HyteError(
            "finalize_notebook: the notebook names no municipality (no 'municipality' "
            "parameter and no card header output); pass municipality=."
        )
    config_path = _parameter(nb, "config_path")
    config = (
        load_config(Path(config_path), root=Path(config_path).parent)
        if config_path
        else load_config()
    )
    regions = load_regions(config.root / "data" / "reference")
    place = regions.municipality(code)
    county = regions.county(_parameter(nb, "county") or place.county_code)
    return card_front_matter(place.name_fi, county.name_fi, config.reporting_year)


def finalize_notebook(nb, municipality: str | None = None):
    """Prepare an executed card notebook for Quarto (in place; also returned):

    1. insert (or replace) a first raw cell with the YAML front matter: title (the municipality),
       subtitle 'Kuntakortti · <county> · <year>', lang fi; taken from the header cell's output
       metadata, else worked out from ``municipality`` or the notebook's parameters;
    2. tag the ``parameters`` and papermill's ``injected-parameters`` cells ``remove-cell``;
    3. drop papermill's per-cell ``papermill``/``execution`` metadata and empty ``tags``, which Quarto
       would otherwise forward as attributes of a wrapping div.

    ``nb`` is an ``nbformat.NotebookNode`` (or a plain dict of the same shape).
    """
    import nbformat
    import yaml

    front = _front_matter_from_outputs(nb) or _fallback_front_matter(nb, municipality)
    cells = nb["cells"]
    if (
        cells
        and cells[0].get("cell_type") == "raw"
        and cells[0].get("metadata", {}).get(_FRONT_MATTER_MARK)
    ):
        cells.pop(0)
    for cell in cells:
        tags = _tags(cell)
        metadata = cell.setdefault("metadata", {})
        if "parameters" in tags or "injected-parameters" in tags:
            if "remove-cell" not in tags:
                tags.append("remove-cell")
            metadata["tags"] = tags
        for key in ("papermill", "execution"):
            metadata.pop(key, None)
        if "tags" in metadata and not metadata["tags"]:
            metadata.pop("tags")
    text = "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---"
    cell = nbformat.v4.new_raw_cell(text, metadata={_FRONT_MATTER_MARK: True})
    if int(nb.get("nbformat_minor", 5)) < 5:  # cell ids exist from nbformat 4.5 on
        cell.pop("id", None)
    else:
        cell["id"] = "hyte-front-matter"  # the same in every run
    cells.insert(0, cell)
    return nb


def load_front_matter(nb) -> dict[str, Any] | None:
    """The YAML front matter of a finalized card notebook (None if there is none)."""
    import yaml

    cells = nb.get("cells", [])
    if not cells or cells[0].get("cell_type") != "raw":
        return None
    text = _source(cells[0]).strip()
    if not text.startswith("---"):
        return None
    return yaml.safe_load(text.strip("-\n"))


def markdown_outputs(nb) -> list[str]:
    """The text/markdown outputs of an executed notebook, in order (for checks and tests)."""
    texts = []
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) or []:
            data = output.get("data") or {}
            if "text/markdown" in data:
                value = data["text/markdown"]
                texts.append("".join(value) if isinstance(value, list) else str(value))
    return texts


_FIGURE = re.compile(
    r"!\[(?P<caption>(?:\\.|[^\]\\])*)\]\((?P<path>[^)\s]+)\)\{#(?P<id>fig-[A-Za-z0-9-]+)"
    r"(?P<attrs>[^}]*)\}"
)


def figures_in(markdown: str) -> list[dict[str, str]]:
    """The Quarto figures in a Markdown text: id, caption, path and fig-alt."""
    found = []
    for match in _FIGURE.finditer(markdown):
        alt = re.search(r'fig-alt="([^"]*)"', match["attrs"])
        found.append(
            {
                "id": match["id"],
                "caption": match["caption"],
                "path": match["path"],
                "alt": alt[1] if alt else "",
            }
        )
    return found
