"""The HYTE-kerroin as readers see it: Finnish sentences, Markdown tables and figures.

Everything here reads a computed :class:`hyte.kerroin.model.KerroinRun` (or its parts); nothing reads
files. Numbers go through :mod:`hyte.fmt`. Figures use the Okabe–Ito colour-blind-safe palette plus
hatching, so they also read in greyscale; each figure function returns ``(Figure, alt_text_fi)``.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from hyte import fmt
from hyte.data.catalog import Catalog
from hyte.data.local import LocalIndicator, is_local_id, shown_id
from hyte.data.regions import COUNTY
from hyte.kerroin.model import OUTCOME, PROCESS, ROLE_FI, KerroinConfig, KerroinResult, KerroinRun
from hyte.markup import Document, Raw, md_text, plain_figure_text

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
    "grey": "#999999",
}
ROLE_STYLE = {
    PROCESS: {"color": OKABE_ITO["blue"], "hatch": "//"},
    OUTCOME: {"color": OKABE_ITO["orange"], "hatch": ".."},
}
HIGHLIGHT = {"color": OKABE_ITO["vermillion"], "hatch": "xx"}
OTHERS = {"color": OKABE_ITO["sky_blue"], "hatch": ""}
ROLE_PLURAL_FI = {PROCESS: "prosessi-indikaattorit", OUTCOME: "tulosindikaattorit"}

_SETTING_LABELS_FI = {
    "funding_year": "Rahoitusvuosi",
    "lag_years": "Tietojen viive (vuotta)",
    "year_policy": "Puuttuva tietovuosi",
    "halves": "Prosessi- ja tulosindikaattoreiden osuudet",
    "normalisation": "Normalisointi",
    "outcome_period_years": "Tulosindikaattorin muutosjakso (vuotta)",
    "min_coverage": "Vähimmäiskattavuus",
    "euro_formula": "Euro-osuuden kaava",
    "residents_indicator": "Asukasluku (Sotkanet-indikaattori)",
    "pot_eur": "Jaettava summa",
}
_METHOD_FI = {
    "minmax": "min–max alueiden kesken",
    "percentile": "sijaluku alueiden kesken",
    "target": "suhteessa tavoitearvoon",
}


# --- small helpers -------------------------------------------------------------------------------


def markdown_table(headers: list[str], rows: list[list[str]], align: str | None = None) -> str:
    """A pipe table; ``align`` is one letter per column: l(eft) or r(ight). Cells are text, escaped
    (hyte.markup); a :class:`~hyte.markup.Raw` cell is Markdown built from escaped parts."""
    align = align or "l" * len(headers)
    rule = ["---:" if a == "r" else ":---" for a in align]
    clean = [
        [str(cell).replace("\n", " ") if isinstance(cell, Raw) else md_text(cell) for cell in row]
        for row in rows
    ]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in clean]
    return "\n".join(lines)


def _points(value: float, signed: bool = False) -> str:
    return fmt.number(value, 1, signed=signed)


def _rank(value: float) -> str:
    return "–" if fmt.is_missing(value) or pd.isna(value) else f"{int(value)}."


def _euros(value: float, signed: bool = False) -> str:
    if fmt.is_missing(value) or pd.isna(value):
        return fmt.MISSING
    text = fmt.number(value, 0, signed=signed)
    return f"{text}{fmt.NBSP}€"


def _value(value: float, decimals: int, unit: str) -> str:
    return fmt.with_unit(None if pd.isna(value) else float(value), decimals, unit)


def _setting_value_fi(name: str, value) -> str:
    if name == "halves":
        return ", ".join(
            f"{ROLE_FI[r]} {fmt.percent(value[r] * 100, 0)}" for r in (PROCESS, OUTCOME)
        )
    if name == "normalisation":
        return ", ".join(
            f"{ROLE_FI[r]}: {_METHOD_FI[getattr(value[r], 'value', value[r])]}"
            for r in (PROCESS, OUTCOME)
        )
    if name == "min_coverage":
        return fmt.percent(value * 100, 0)
    if name == "pot_eur":
        return ", ".join(f"{year}: {_euros(amount)}" for year, amount in sorted(value.items()))
    if name == "year_policy":
        return {"latest_available": "viimeisin aiempi vuosi", "strict": "tieto puuttuu"}[
            getattr(value, "value", value)
        ]
    if name == "euro_formula":
        return "asukasluku × pisteet"
    return str(getattr(value, "value", value))


# --- sentences -----------------------------------------------------------------------------------


def summary_markdown(run: KerroinRun) -> str:
    """Where the county stands: score, rank, halves, coverage and euros, as Finnish sentences."""
    result = run.result
    config = run.config
    row = result.row()
    name = md_text(row["name_fi"])
    counted = result.counted
    if pd.isna(row["score"]):
        return (
            f"{name}: laskennallista HYTE-kerrointa ei voitu laskea, koska tietojen kattavuus on "
            f"{fmt.percent(row['coverage'] * 100, 0)} (vaaditaan vähintään "
            f"{fmt.percent(config.min_coverage.value * 100, 0)}). Puuttuvat tiedot on lueteltu alla."
        )
    best = result.table.sort_values("score", ascending=False).iloc[0]
    parts = [
        (
            f"{name} saa mallin mukaan **{_points(row['score'])} pistettä** asteikolla 0–100 ja sijoittuu "
            f"**{_rank(row['rank'])} sijalle** {counted} alueen joukossa (tietovuosi {config.data_year}, "
            f"rahoitusvuosi {config.funding_year.value})."
        ),
        _halves_sentence(row),
    ]
    if best.name != result.county:
        parts.append(f"Parhaat pisteet sai {md_text(best['name_fi'])} ({_points(best['score'])}).")
    if not row["complete"]:
        parts.append(
            f"Pisteet perustuvat {fmt.percent(row['coverage'] * 100, 0)}:iin mallin painoista: "
            "puuttuvien indikaattoreiden painot on jaettu uudelleen niille, joista tieto on, "
            "joten tulos on vajaa ja voi muuttua, kun puuttuvat tiedot saadaan."
        )
    if pd.notna(row["euros"]):
        difference = row["euros_difference"]
        direction = "enemmän" if difference >= 0 else "vähemmän"
        parts.append(
            f"Jaettavasta {_euros(config.pot)}:sta alueen laskennallinen osuus on **{_euros(row['euros'])}** "
            f"({_euros(row['euros_per_resident'])} asukasta kohden), eli {_euros(abs(difference))} "
            f"{direction} kuin pelkän asukasluvun mukaan jaettuna."
        )
    else:
        parts.append("Euromäärää ei voitu laskea (jaettava summa tai asukasluku puuttuu).")
    return " ".join(parts)


def _halves_sentence(row: pd.Series) -> str:
    process, outcome = row[PROCESS], row[OUTCOME]
    if pd.isna(process):
        return f"Prosessi-indikaattoreista ei ole tietoa; tulosindikaattoreista kertyy {_points(outcome)} pistettä."
    if pd.isna(outcome):
        return f"Tulosindikaattoreista ei ole tietoa; prosessi-indikaattoreista kertyy {_points(process)} pistettä."
    return (
        f"Prosessi-indikaattoreista kertyy {_points(process)} ja tulosindikaattoreista "
        f"{_points(outcome)} pistettä."
    )


def _step_text(entry, step: float) -> str:
    """'0,5 prosenttiyksikön' or '2,0 litraa/as.' (genitive for percentages)."""
    number = fmt.number(step, max(entry.decimals, 1))
    return f"{number} prosenttiyksikön" if entry.is_percentage else f"{number} {entry.unit_fi}"


def sensitivity_markdown(run: KerroinRun) -> str:
    """Which indicator would move the score most, as a sentence."""
    table = run.sensitivity
    if table is None or table.empty:
        return "Herkkyyttä ei voitu laskea, koska alueelta puuttuvat pisteet."
    top = table.iloc[0]
    entry = run.config.get(top["key"])
    if top["points"] <= 0:
        return (
            "Yhdenkään indikaattorin kokeiltu parannus ei nostaisi pisteitä: alue on jo paras "
            "kaikissa niissä indikaattoreissa, joista sillä on tieto."
        )
    text = (
        f"Kokeilluista parannuksista eniten toisi indikaattori **{md_text(entry.name_fi)}**: "
        f"{md_text(_step_text(entry, top['step']))} parannus nostaisi pisteitä {_points(top['points'])}"
    )
    if pd.notna(top["euros"]):
        text += f" ja osuutta noin {_euros(top['euros'])}"
    if top["rank_after"] != top["rank_before"]:
        text += f" (sija {_rank(top['rank_before'])} → {_rank(top['rank_after'])})"
    zero = table[table["points"] <= 0]
    text += "."
    if len(zero):
        text += (
            " Parannus ei tuottaisi pisteitä indikaattoreissa, joissa alue on jo paras: "
            + md_text(", ".join(zero["name_fi"]))
            + "."
        )
    return text


def missing_markdown(result: KerroinResult) -> str:
    """The missing data, summarised per indicator for all counties and listed for the county."""
    config = result.config
    if not result.missing:
        return "Kaikilta alueilta on tieto kaikista mallin indikaattoreista."
    lines = []
    counted = len(result.table)
    by_key: dict[str, list] = {}
    for item in result.missing:
        by_key.setdefault(item.indicator_key, []).append(item)
    for key, items in by_key.items():
        label = config.get(key).name_fi if key in config.keys else "Asukasluku"
        reasons = sorted({i.reason_fi for i in items})
        where = (
            "kaikilta alueilta"
            if len({i.county_code for i in items}) == counted
            else "alueilta " + ", ".join(sorted(result.inputs.name(i.county_code) for i in items))
        )
        lines.append("- " + md_text(f"{label}: puuttuu {where} ({'; '.join(reasons)})."))
    lines.append("")
    lines.append(
        "Puuttuvaa tietoa ei lasketa nollaksi: pisteet lasketaan niistä indikaattoreista, "
        "joista tieto on, ja kattavuus näytetään taulukoissa."
    )
    return "\n".join(lines)


def notes_markdown(run: KerroinRun) -> str:
    notes = list(run.result.notes) + list(run.catalog_notes)
    return "\n".join(f"- {md_text(note)}" for note in notes) if notes else ""


# --- tables --------------------------------------------------------------------------------------


def ranking_table(result: KerroinResult) -> str:
    """All counties by score: rank, name (the county in bold), points, halves, coverage, euros."""
    table = result.table.sort_values(
        ["score", "name_fi"], ascending=[False, True], na_position="last"
    )
    rows = []
    for code, row in table.iterrows():
        name = Raw(f"**{md_text(row['name_fi'])}**") if code == result.county else row["name_fi"]
        rows.append(
            [
                _rank(row["rank"]),
                name,
                _points(row["score"]),
                _points(row[PROCESS]),
                _points(row[OUTCOME]),
                fmt.percent(row["coverage"] * 100, 0),
                _euros(row["euros"]),
                _euros(row["euros_per_resident"]),
                _euros(row["euros_difference"], signed=True),
            ]
        )
    headers = [
        "Sija",
        "Alue",
        "Pisteet",
        "Prosessi",
        "Tulos",
        "Kattavuus",
        "Laskennallinen osuus",
        "€/asukas",
        "Ero asukasperusteiseen",
    ]
    return markdown_table(headers, rows, "llrrrrrrr")


def decomposition_table(result: KerroinResult) -> str:
    """The county's indicators: value, change, sub-score, weight, points and the most it could get."""
    config = result.config
    code = result.county
    rows = []
    for entry in config.indicators:
        start_year, year = result.inputs.years.get(entry.key, (None, None))
        value = result.inputs.current.loc[code, entry.key]
        measure = result.measure.loc[code, entry.key]
        change = (
            fmt.percent(measure, 1, signed=True)
            if entry.role == OUTCOME and pd.notna(measure)
            else "–"
        )
        sub = result.subscores.loc[code, entry.key]
        weight = result.weights.loc[code, entry.key]
        points = result.contributions.loc[code, entry.key]
        label = entry.name_fi + (" (korvaava mittari)" if entry.proxy else "")
        sotkanet = shown_id(entry.indicator) if entry.indicator is not None else "ei tiedossa"
        period = (
            f"{start_year}–{year}"
            if entry.role == OUTCOME and year
            else (str(year) if year else "–")
        )
        rows.append(
            [
                label,
                ROLE_FI[entry.role],
                sotkanet,
                period,
                _value(value, entry.decimals, entry.unit_fi),
                change,
                fmt.number(None if pd.isna(sub) else sub, 2),
                fmt.percent(weight * 100, 1) if pd.notna(points) else "–",
                _points(points) if pd.notna(points) else "puuttuu",
            ]
        )
    total = result.row()
    rows.append(
        [
            Raw("**Yhteensä**"),
            "",
            "",
            "",
            "",
            "",
            "",
            fmt.percent(result.weights.loc[code].sum() * 100, 0)
            if pd.notna(total["score"])
            else "–",
            Raw(f"**{md_text(_points(total['score']))}**"),
        ]
    )
    headers = [
        "Indikaattori",
        "Osa",
        "Sotkanet",
        "Vuosi",
        "Arvo",
        "Suhteellinen muutos",
        "Osapisteet 0–1",
        "Paino",
        "Pisteet",
    ]
    return markdown_table(headers, rows, "lllllrrrr")


def what_if_table(run: KerroinRun) -> str:
    """Sensitivity: each indicator's tried improvement and what it would give (best first)."""
    table = run.sensitivity
    if table is None or table.empty:
        return "Ei laskettavissa: alueelta puuttuvat pisteet."
    rows = []
    for _, row in table.iterrows():
        entry = run.config.get(row["key"])
        unit = "%-yks." if entry.is_percentage else entry.unit_fi
        direction = "+" if entry.higher_is_better else "−"
        rows.append(
            [
                entry.name_fi,
                ROLE_FI[entry.role],
                _value(row["value"], entry.decimals, entry.unit_fi),
                f"{direction}{fmt.number(row['step'], max(entry.decimals, 1))} {unit}",
                _points(row["points"], signed=True),
                f"{_rank(row['rank_before'])} → {_rank(row['rank_after'])}",
                _euros(row["euros"], signed=True),
                _points(row["points_per_unit"], signed=True) + f" / {unit}",
            ]
        )
    headers = [
        "Indikaattori",
        "Osa",
        "Nyt",
        "Parannus",
        "Pisteet",
        "Sija",
        "Euroa",
        "Pisteitä yksikköä kohden",
    ]
    return markdown_table(headers, rows, "llrrrlrr")


def drivers_table(run: KerroinRun, key: str, top: int | None = None) -> str:
    """Municipalities' part of the county's outcome indicator: level and change (count-weighted)."""
    frame = run.drivers[run.drivers["key"] == key]
    if frame.empty:
        return "Kuntatason tietoja ei ole."
    entry = run.config.get(key)
    frame = frame.assign(_abs=frame["change_points"].abs()).sort_values(
        "_abs", ascending=False, na_position="last"
    )
    if top:
        frame = frame.head(top)
    rows = []
    for _, row in frame.iterrows():
        rows.append(
            [
                row["municipality"],
                _value(row["value_start"], entry.decimals, entry.unit_fi),
                _value(row["value_end"], entry.decimals, entry.unit_fi),
                fmt.number(row["count_end"], 0),
                fmt.number(row["level_points"], 2),
                fmt.number(row["change_points"], 2, signed=True),
                fmt.percent(row["change_share"] * 100, 0) if pd.notna(row["change_share"]) else "–",
            ]
        )
    headers = [
        "Kunta",
        "Alussa",
        "Lopussa",
        "Lukumäärä",
        "Osuus tasosta",
        "Osuus muutoksesta",
        "% muutoksesta",
    ]
    return markdown_table(headers, rows, "lrrrrrr")


def drivers_markdown(run: KerroinRun, top: int = 5) -> str:
    """For each outcome indicator, a sentence on the municipalities that move it most, and a table."""
    blocks = []
    for entry in run.config.in_role(OUTCOME):
        frame = run.drivers[run.drivers["key"] == entry.key]
        if frame.empty:
            continue
        start_year, year = run.inputs.years[entry.key]
        usable = frame.dropna(subset=["change_points"])
        total = usable["change_points"].sum()
        heading = f"### {md_text(entry.name_fi)}\n"  # under the chapter's "## Kunnat ..." (no skipped level)
        if usable.empty:
            blocks.append(
                heading
                + "\nKuntien lukumäärätietoja ei ole, joten vaikutusta ei voi jakaa kunnille."
            )
            continue
        worse = (
            usable["change_points"] > 0
            if not entry.higher_is_better
            else usable["change_points"] < 0
        )
        lead = usable.loc[usable["change_points"].abs().idxmax()]
        direction = "heikensi" if worse[lead.name] else "paransi"
        sentence = (
            f"Kuntien rivien mukaan alueen arvo muuttui vuodesta {start_year} vuoteen {year} "
            f"{fmt.number(total, entry.decimals + 1, signed=True)} "
            f"{'prosenttiyksikköä' if entry.is_percentage else entry.unit_fi}. Eniten muutokseen "
            f"vaikutti {lead['municipality']} ({fmt.number(lead['change_points'], entry.decimals + 1, signed=True)}), "
            f"joka {direction} alueen tulosta."
        )
        flagged = frame[frame["note_fi"] != ""]
        if len(flagged):
            sentence += f" {len(flagged)} kunnan tiedot puuttuvat osin, ja ne on jätetty laskusta."
        blocks.append(
            heading + "\n" + md_text(sentence) + "\n\n" + drivers_table(run, entry.key, top)
        )
    return "\n\n".join(blocks) if blocks else "Tulosindikaattoreista ei ole kuntatason tietoja."


def municipality_table(values: pd.DataFrame) -> str:
    """A municipal card's table of the HYTE-kerroin indicators (from
    :func:`hyte.kerroin.model.municipality_values`); missing values show as '–'."""
    rows = []
    for _, row in values.iterrows():
        name = row["name_fi"] + (" (korvaava mittari)" if row["proxy"] else "")
        year = "–" if pd.isna(row["year"]) else str(int(row["year"]))
        change = "–"
        if row["role"] == OUTCOME and pd.notna(row["change_pct"]):
            change = f"{fmt.percent(row['change_pct'], 1, signed=True)} ({int(row['start_year'])}–{year})"
        rows.append(
            [
                name,
                ROLE_FI[row["role"]],
                year,
                _value(row["value"], int(row["decimals"]), row["unit_fi"]),
                change,
            ]
        )
    return markdown_table(
        ["HYTE-kertoimen indikaattori", "Osa", "Vuosi", "Arvo", "Suhteellinen muutos"],
        rows,
        "lllrr",
    )


def assumptions_table(config: KerroinConfig) -> str:
    """The model's settings with their value and basis: source or assumption."""
    rows = []
    for name, setting in config.settings().items():
        basis = []
        if setting.source:
            basis.append(f"Lähde: {_source_link(config.source(setting.source))}")
        if setting.assumption_fi:
            basis.append(f"Oletus: {md_text(setting.assumption_fi)}")
        rows.append(
            [_SETTING_LABELS_FI[name], _setting_value_fi(name, setting.value), Raw(" ".join(basis))]
        )
    return markdown_table(["Asetus", "Arvo", "Peruste"], rows)


def indicator_assumptions_table(config: KerroinConfig) -> str:
    """Each indicator: role, Sotkanet id, direction, weight, target, sources and assumption."""
    rows = []
    for entry in config.indicators:
        sources = ", ".join(_source_link(config.source(s)) for s in entry.source)
        target = "ei tiedossa"
        if entry.target is not None:
            target = _value(entry.target, entry.decimals, entry.unit_fi)
        elif entry.target_change_pct is not None:
            target = fmt.percent(entry.target_change_pct, 1, signed=True)
        rows.append(
            [
                entry.name_fi,
                ROLE_FI[entry.role],
                (shown_id(entry.indicator) + (" (korvaava)" if entry.proxy else ""))
                if entry.indicator
                else "ei tiedossa",
                "suurempi parempi" if entry.higher_is_better else "pienempi parempi",
                fmt.number(entry.weight, 1),
                target,
                Raw(sources or "–"),
                entry.assumption_fi or "–",
            ]
        )
    headers = [
        "Indikaattori",
        "Osa",
        "Sotkanet",
        "Suunta",
        "Paino",
        "Tavoitearvo",
        "Lähteet",
        "Oletus",
    ]
    return markdown_table(headers, rows)


def _url(url: str) -> str:
    """A URL for a Markdown link target: no space or parenthesis ends it early."""
    return str(url).strip().replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _source_link(source) -> str:
    """A source as Markdown (escaped), linked when it has a URL."""
    name = md_text(source.publisher)
    return f"[{name}]({_url(source.url)})" if source.url else name


def sources_markdown(config: KerroinConfig) -> str:
    return "\n".join(
        f"- {md_text(s.publisher)}: "
        + (f"[{md_text(s.title)}]({_url(s.url)})" if s.url else md_text(s.title))
        + f". {md_text(s.says_fi)}"
        for s in config.sources
    )


# --- figures -------------------------------------------------------------------------------------


@plain_figure_text
def ranking_figure(result: KerroinResult) -> tuple[Figure, str]:
    """Horizontal bars of all counties' scores, best on top; the county highlighted (colour + hatch)."""
    table = result.table.dropna(subset=["score"]).sort_values("score", ascending=True)
    if table.empty:
        return _no_ranking_figure(result)
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * max(len(table), 4) + 1.2))
    styles = [HIGHLIGHT if code == result.county else OTHERS for code in table.index]
    bars = ax.barh(
        range(len(table)),
        table["score"],
        color=[s["color"] for s in styles],
        hatch=None,
        edgecolor="black",
        linewidth=0.6,
    )
    for bar, style in zip(bars, styles):
        bar.set_hatch(style["hatch"])
    ax.set_yticks(range(len(table)))
    labels = [f"{_rank(r['rank'])} {_short_name(r['name_fi'])}" for _, r in table.iterrows()]
    ax.set_yticklabels(labels, fontsize=8)
    for tick, code in zip(ax.get_yticklabels(), table.index):
        if code == result.county:
            tick.set_fontweight("bold")
    for y, value in enumerate(table["score"]):
        ax.text(value + 1, y, _points(value), va="center", fontsize=7)
    ax.set_xlim(0, 105)
    ax.xaxis.set_major_formatter(fmt.axis_formatter(0))
    ax.set_xlabel("Laskennallinen HYTE-kerroin, pistettä (0–100)")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(
        handles=[
            Patch(
                facecolor=HIGHLIGHT["color"],
                hatch=HIGHLIGHT["hatch"],
                edgecolor="black",
                label=result.row()["name_fi"],
            ),
            Patch(facecolor=OTHERS["color"], edgecolor="black", label="Muut alueet"),
        ],
        loc="lower right",
        fontsize=8,
        frameon=False,
    )
    fig.tight_layout()
    row = result.row()
    best, worst = table.iloc[-1], table.iloc[0]
    if pd.isna(row["score"]):
        own = f"{row['name_fi']} puuttuu kuviosta, koska sen pisteitä ei voitu laskea."
    else:
        own = (
            f"{row['name_fi']} on korostettu (vinoruudutus) ja sijoittuu {_rank(row['rank'])} sijalle "
            f"{_points(row['score'])} pisteellä."
        )
    alt = (
        f"Vaakapylväskuvio {len(table)} alueen laskennallisista HYTE-kerroinpisteistä suurimmasta "
        f"pienimpään. Korkein on {best['name_fi']} ({_points(best['score'])}), matalin "
        f"{worst['name_fi']} ({_points(worst['score'])}). {own}"
    )
    return fig, alt


def _no_ranking_figure(result: KerroinResult) -> tuple[Figure, str]:
    """A small figure that says no county has a score (the data hold too few of the indicators)."""
    fig, ax = plt.subplots(figsize=(7.5, 1.2))
    ax.axis("off")
    text = (
        "Yhdellekään alueelle ei voitu laskea HYTE-kerrointa: aineistossa ei ole riittävästi "
        "kertoimen indikaattoreiden alueittaisia arvoja."
    )
    ax.text(0.5, 0.5, textwrap.fill(text, 80), ha="center", va="center", fontsize=9)
    alt = (
        "Kuviossa ei ole pylväitä: yhdellekään alueelle ei voitu laskea laskennallista "
        "HYTE-kerrointa, koska aineistossa ei ole riittävästi kertoimen indikaattoreiden alueittaisia "
        "arvoja. Puuttuvat tiedot on lueteltu luvun lopussa."
    )
    return fig, alt


@plain_figure_text
def decomposition_figure(result: KerroinResult) -> tuple[Figure, str]:
    """The county's points per indicator against the most each could give (its weight × 100)."""
    config = result.config
    code = result.county
    entries = config.indicators
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(entries) + 1.6))
    y_labels = []
    parts = []
    for y, entry in enumerate(reversed(entries)):
        style = ROLE_STYLE[entry.role]
        points = result.contributions.loc[code, entry.key]
        weight = result.weights.loc[code, entry.key]
        y_labels.append(textwrap.fill(entry.name_fi, 32))
        if pd.isna(points):
            ax.text(
                0.5,
                y,
                "tieto puuttuu",
                va="center",
                fontsize=8,
                style="italic",
                color=OKABE_ITO["black"],
            )
            continue
        ax.barh(
            y,
            weight * 100,
            color="white",
            edgecolor=OKABE_ITO["grey"],
            linewidth=0.8,
            linestyle="--",
        )
        ax.barh(
            y, points, color=style["color"], hatch=style["hatch"], edgecolor="black", linewidth=0.6
        )
        ax.text(
            weight * 100 + 0.3,
            y,
            f"{_points(points)} / {_points(weight * 100)}",
            va="center",
            fontsize=7,
        )
        parts.append((entry, points, weight * 100))
    ax.set_yticks(range(len(entries)))
    ax.set_yticklabels(y_labels, fontsize=8)
    top = max([p[2] for p in parts], default=10)
    ax.set_xlim(0, top * 1.35)
    ax.xaxis.set_major_formatter(fmt.axis_formatter(0))
    ax.set_xlabel("Pisteet (katkoviiva: indikaattorin enimmäispisteet)")
    ax.spines[["top", "right"]].set_visible(False)
    handles = [
        Patch(
            facecolor=ROLE_STYLE[r]["color"],
            hatch=ROLE_STYLE[r]["hatch"],
            edgecolor="black",
            label=ROLE_PLURAL_FI[r].capitalize(),
        )
        for r in (PROCESS, OUTCOME)
        if r in {p[0].role for p in parts}
    ]  # only what is drawn
    if handles:
        ax.legend(
            handles=handles,
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncol=2,
            fontsize=8,
            frameon=False,
        )
    fig.tight_layout()
    row = result.row()
    missing = [e.name_fi for e in entries if pd.isna(result.contributions.loc[code, e.key])]
    if parts:
        best = max(parts, key=lambda p: p[1])
        gap = max(parts, key=lambda p: p[2] - p[1])
        detail = (
            f"Eniten pisteitä tuo indikaattori {best[0].name_fi} ({_points(best[1])} / {_points(best[2])}); "
            f"eniten pisteitä jää saamatta indikaattorissa {gap[0].name_fi} "
            f"({_points(gap[2] - gap[1])})."
        )
        roles = {p[0].role for p in parts}
        drawn = [
            text
            for role, text in (
                (PROCESS, "prosessi-indikaattorit sinisellä viivoituksella"),
                (OUTCOME, "tulosindikaattorit oranssilla pisteytyksellä"),
            )
            if role in roles
        ]
        alt = (
            f"Vaakapylväskuvio HYTE-kerroinpisteiden jakautumisesta indikaattoreittain ({row['name_fi']}, "
            f"yhteensä {_points(row['score'])} pistettä). {' ja '.join(drawn).capitalize()}, "
            f"katkoviiva näyttää enimmäispisteet. {detail}"
        )
    else:
        alt = (
            f"Kuviossa ei ole pylväitä: yhdestäkään HYTE-kertoimen indikaattorista ei ole tietoa "
            f"alueelle {row['name_fi']}."
        )
    if missing:
        alt += " Tieto puuttuu: " + ", ".join(missing) + "."
    return fig, alt


def close(fig: Figure) -> None:
    """Free a figure once shown or saved."""
    plt.close(fig)


def _short_name(name: str) -> str:
    """'Keski-Suomen hyvinvointialue' -> 'Keski-Suomen' (for narrow tables and axes)."""
    return name.replace(" hyvinvointialue", "")


def print_kerroin(run: KerroinRun, console, top: int = 3) -> None:
    """The ``hyte kerroin`` output: score table, the county's rank and euros, top sensitivity."""
    from rich.table import Table

    result = run.result
    table = Table(
        title=f"HYTE-kerroin {run.config.funding_year.value} (tietovuosi {run.config.data_year}) – "
        "malli, ei virallinen kerroin"
    )
    for header, justify in [
        ("sija", "right"),
        ("alue", "left"),
        ("pisteet", "right"),
        ("prosessi", "right"),
        ("tulos", "right"),
        ("kattavuus", "right"),
        ("euroa", "right"),
    ]:
        table.add_column(header, justify=justify)
    ordered = result.table.sort_values(
        ["score", "name_fi"], ascending=[False, True], na_position="last"
    )
    for code, row in ordered.iterrows():
        style = "bold" if code == result.county else None
        table.add_row(
            _rank(row["rank"]),
            _short_name(row["name_fi"]),
            _points(row["score"]),
            _points(row[PROCESS]),
            _points(row[OUTCOME]),
            fmt.percent(row["coverage"] * 100, 0),
            _euros(row["euros"]),
            style=style,
        )
    console.print(table)
    row = result.row()
    console.print(
        f"{row['name_fi']}: sija {_rank(row['rank'])} / {result.counted}, pisteet "
        f"{_points(row['score'])}, laskennallinen osuus {_euros(row['euros'])} "
        f"({_euros(row['euros_difference'], signed=True)} asukasperusteiseen verrattuna).",
        highlight=False,
    )
    if run.sensitivity is not None and not run.sensitivity.empty:
        console.print("Eniten vaikuttavat parannukset:", highlight=False)
        for _, item in run.sensitivity.head(top).iterrows():
            entry = run.config.get(item["key"])
            unit = "%-yks." if entry.is_percentage else entry.unit_fi
            console.print(
                f"  {entry.name_fi}: {fmt.number(item['step'], max(entry.decimals, 1))} "
                f"{unit} parannus → {_points(item['points'], signed=True)} pistettä, "
                f"{_euros(item['euros'], signed=True)}",
                highlight=False,
            )
    gaps = {m.indicator_key for m in result.missing_for(result.county)}
    if gaps:
        console.print(
            f"Puuttuvat tiedot: {', '.join(sorted(gaps))} (katso luku HYTE-kerroin).",
            highlight=False,
        )


def kerroin_provenance_markdown(
    config,
    inputs,
    catalog: Catalog,
    values: pd.DataFrame,
    snapshot_label: str,
    snapshot_table: pd.DataFrame | None = None,
    *,
    synthetic: bool = False,
) -> str:
    """Which HYTE-kerroin values came from where: one row per indicator of the model, with the year
    used, how many counties had a value and the source (Sotkanet snapshot or the local file's sources
    and licences)."""
    rows = []
    for entry in config.indicators:
        start, used = inputs.years.get(entry.key, (None, None))
        have = int(inputs.current[entry.key].notna().sum())
        if entry.indicator is None:
            rows.append(
                [
                    entry.name_fi,
                    ROLE_FI[entry.role],
                    "ei tunnusta",
                    "–",
                    "0",
                    "ei lähdettä: tunnus puuttuu mallista (data/hyte_kerroin.yml)",
                ]
            )
            continue
        years = {y for y in (start, used) if y is not None}
        local = (
            values[
                (values["indicator"].astype(str) == shown_id(entry.indicator))
                & (values["region_level"] == COUNTY)
                & values["year"].astype(int).isin(years)
            ]
            if not values.empty
            else values
        )
        if snapshot_table is not None and not local.empty:
            in_snapshot = snapshot_table[
                (snapshot_table["indicator"] == entry.indicator)
                & (snapshot_table["region_level"] == COUNTY)
                & snapshot_table["value"].notna()
            ]
            taken = set(zip(in_snapshot["region_code"], in_snapshot["year"].astype(int)))
            local = local[
                [(c, int(y)) not in taken for c, y in zip(local["region_code"], local["year"])]
            ]
        parts = []
        if is_local_id(entry.indicator):
            item = catalog.get(entry.indicator) if entry.indicator in catalog else None
            if local.empty:
                parts.append(
                    f"{item.source if isinstance(item, LocalIndicator) else 'paikallinen'}: "
                    "arvoja ei ole tuotu"
                )
        elif used is not None:
            parts.append(
                f"aineisto {snapshot_label}"
                if synthetic
                else f"THL, Sotkanet (aineisto {snapshot_label})"
            )
        if not local.empty:
            sources = sorted(
                {
                    f"{s} ({lic}), tiedosto {f}"
                    for s, lic, f in zip(local["source"], local["licence"], local["file"])
                }
            )
            parts.append(f"{len(local)} arvoa tuotu Sotkanetin ulkopuolelta: {'; '.join(sources)}")
        period = (
            f"{start}–{used}"
            if start is not None and used is not None
            else str(used)
            if used is not None
            else "–"
        )
        rows.append(
            [
                entry.name_fi,
                ROLE_FI[entry.role],
                shown_id(entry.indicator),
                period,
                str(have),
                "; ".join(parts) or "ei arvoja",
            ]
        )
    doc = Document()
    doc.table(
        ["Indikaattori", "Osa", "Tunnus", "Vuodet", "Alueita, joilla arvo", "Arvojen lähde"],
        rows,
        align="lllrrl",
        caption="HYTE-kertoimen arvojen lähteet",
    )
    return doc.to_markdown()
