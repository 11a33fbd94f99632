"""The municipal card's figures. Each function takes data frames (never files) and returns
``(matplotlib Figure, alt_text_fi)``: the figure, and a Finnish description for readers who cannot
see it (Quarto's ``fig-alt``).

- :func:`spine_chart`: one row per indicator, the benchmark in the centre, the county's municipalities
  as a shaded range, the municipality as a dot coloured and shaped by significance (Fingertips).
- :func:`trend_small_multiples`: one small line chart per indicator, municipality (with its 95 %
  confidence band), county and the whole country.
- :func:`sex_difference_chart`: women's and men's values side by side, one row per indicator.

The data behind the spine chart is :func:`spine_chart_data` (tested against the summary rows).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from hyte import fmt
from hyte.data.catalog import Indicator
from hyte.figures import style
from hyte.stats import stats

__all__ = [
    "close",
    "sex_difference_chart",
    "spine_chart",
    "spine_chart_data",
    "trend_small_multiples",
]

_BENCHMARKS = ("county", "country")
_COMPARISON_FI = {
    "better": "parempi",
    "similar": "ei merkitsevää eroa",
    "worse": "heikompi",
    "higher": "korkeampi",
    "lower": "matalampi",
    "not_compared": "ei verrattavissa",
}


def _pyplot():
    import matplotlib.pyplot as plt  # the backend is the caller's (inline in Jupyter, Agg headless)

    return plt


def close(figure) -> None:
    """Free a figure's memory (cards draw many)."""
    _pyplot().close(figure)


def _wrap(text: str, width: int) -> str:
    return "\n".join(
        textwrap.wrap(str(text), width, break_on_hyphens=False, break_long_words=False)
    ) or str(text)


def _value_text(value: float, decimals: int, unit: str) -> str:
    """'12,3 %' for percentages, plain '3 907' for other units (their unit is printed nearby)."""
    if unit.strip() == "%":
        return fmt.percent(value, decimals)
    return fmt.number(value, decimals)


def _with_unit(value: float, decimals: int, unit: str) -> str:
    return fmt.with_unit(value, decimals, unit)


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " ja " + items[-1]


# --- spine chart -----------------------------------------------------------------------------------

SPINE_COLUMNS = [
    "indicator",
    "short",
    "unit",
    "decimals",
    "year",
    "polarity",
    "value",
    "lower",
    "upper",
    "suppressed",
    "benchmark_value",
    "other_value",
    "comparison",
    "peer_min",
    "peer_q25",
    "peer_q75",
    "peer_max",
    "peer_n",
    "direction",
    "scale",
    "x_value",
    "x_other",
    "x_peer_min",
    "x_peer_q25",
    "x_peer_q75",
    "x_peer_max",
]


def spine_chart_data(summary: pd.DataFrame, benchmark: str = "county") -> pd.DataFrame:
    """The numbers a spine chart draws, one row per summary row, in the same order.

    The benchmark's value (``county_value`` or ``country_value``) is the centre (0). Every other value
    ``v`` sits at ``direction × (v − benchmark) / scale``, where ``scale`` is the largest distance from
    the benchmark of the municipality's value, the other benchmark and the peers' min and max (so all
    fit in −1…1), and ``direction`` is −1 for lower_is_better (so that better is always on the right)
    and +1 otherwise (for polarity none, higher is on the right). ``comparison`` is the summary's
    ``vs_<benchmark>``. Positions are NaN where a value or the benchmark is missing.
    """
    if benchmark not in _BENCHMARKS:
        raise ValueError(f"benchmark must be 'county' or 'country', got {benchmark!r}")
    other = "country" if benchmark == "county" else "county"
    rows = []
    for _, r in summary.iterrows():
        centre = float(r[f"{benchmark}_value"])
        direction = -1.0 if r["polarity"] == "lower_is_better" else 1.0
        value = float(r["value"])
        other_value = float(r[f"{other}_value"])
        peers = [float(r[c]) for c in ("peer_min", "peer_q25", "peer_q75", "peer_max")]
        distances = [
            abs(v - centre) for v in (value, other_value, peers[0], peers[3]) if not math.isnan(v)
        ]
        scale = max(distances) if distances and not math.isnan(centre) else math.nan
        if not math.isnan(scale) and scale == 0:
            scale = 1.0  # everything equals the benchmark: all at the centre

        def position(v: float, centre=centre, direction=direction, scale=scale) -> float:
            if math.isnan(v) or math.isnan(centre) or math.isnan(scale):
                return math.nan
            return direction * (v - centre) / scale

        rows.append(
            {
                "indicator": int(r["indicator"]),
                "short": str(r["short"]),
                "unit": str(r["unit"]),
                "decimals": int(r["decimals"]),
                "year": int(r["year"]),
                "polarity": str(r["polarity"]),
                "value": value,
                "lower": float(r["lower"]),
                "upper": float(r["upper"]),
                "suppressed": bool(r["suppressed"]),
                "benchmark_value": centre,
                "other_value": other_value,
                "comparison": str(r[f"vs_{benchmark}"]),
                "peer_min": peers[0],
                "peer_q25": peers[1],
                "peer_q75": peers[2],
                "peer_max": peers[3],
                "peer_n": int(r["peer_n"]),
                "direction": direction,
                "scale": scale,
                "x_value": position(value),
                "x_other": position(other_value),
                "x_peer_min": position(peers[0]),
                "x_peer_q25": position(peers[1]),
                "x_peer_q75": position(peers[2]),
                "x_peer_max": position(peers[3]),
            }
        )
    frame = pd.DataFrame.from_records(rows, columns=SPINE_COLUMNS)
    return frame.astype(
        {
            "indicator": "int64",
            "year": "int64",
            "decimals": "int64",
            "peer_n": "int64",
            "suppressed": "bool",
        }
    )


def spine_chart(
    summary: pd.DataFrame,
    *,
    region_name: str,
    county_name: str,
    benchmark: str = "county",
    country_name: str = "koko maa",
    medium: str = "a4",
) -> tuple[Any, str]:
    """A spine chart of the summary rows (normally the headline indicators), top to bottom in order.

    Left: the indicator, its year and unit, and the municipality's, the county's and the country's
    values. Right: the benchmark (``county`` or ``country``) as the centre line, the county's
    municipalities shaded (lightest: their whole range; darker: the middle half, 25th–75th
    percentile), the other benchmark as a black (country) or orange (county) tick, and the
    municipality as a marker whose colour and shape give its significance against the benchmark.
    Better is on the right whenever the indicator has a polarity.
    """
    plt = _pyplot()
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    style.apply_style()
    data = spine_chart_data(summary, benchmark)
    n = len(data)
    other_colour = style.COUNTRY if benchmark == "county" else style.COUNTY

    bench_colour = style.COUNTY if benchmark == "county" else style.COUNTRY
    labels = [_wrap(text, 34) for text in data["short"]]
    heights = [1.25 if "\n" in label else 0.95 for label in labels]  # cm per row
    head_cm, foot_cm = 1.1, 2.0
    body_cm = sum(heights) or 1.0
    total_cm = head_cm + body_cm + foot_cm
    fig = plt.figure(figsize=style.figure_size(total_cm, medium=medium))
    grid = fig.add_gridspec(
        1,
        2,
        width_ratios=[0.655, 0.345],
        wspace=0.02,
        left=0.005,
        right=0.995,
        top=1 - head_cm / total_cm,
        bottom=foot_cm / total_cm,
    )
    table_ax = fig.add_subplot(grid[0])
    spine_ax = fig.add_subplot(grid[1], sharey=table_ax)
    # Rows in centimetres from the top: row i spans edges[i]..edges[i+1].
    edges = np.concatenate([[0.0], np.cumsum(heights)]) if heights else np.array([0.0, 1.0])
    centres = (edges[:-1] + edges[1:]) / 2
    for ax in (table_ax, spine_ax):
        ax.set_ylim(edges[-1], 0)
        ax.grid(False)
        ax.tick_params(left=False, bottom=False, labelleft=False, labelbottom=False)
        for spine in ax.spines.values():
            spine.set_visible(False)
    table_ax.set_xlim(0, 1)
    spine_ax.set_xlim(-1.12, 1.12)

    # Column headers, just above the first row.
    columns = {"label": 0.0, "region": 0.675, "county": 0.84, "country": 1.0}
    head_y = -0.12
    header = {
        "fontsize": style.FONT_SIZE_SMALL,
        "fontweight": "bold",
        "va": "bottom",
        "color": style.TEXT,
        "clip_on": False,
    }
    table_ax.text(columns["label"], head_y, "Indikaattori\nvuosi · yksikkö", ha="left", **header)
    table_ax.text(columns["region"], head_y, _wrap(region_name, 12), ha="right", **header)
    table_ax.text(columns["county"], head_y, "Alue", ha="right", **header)
    table_ax.text(
        columns["country"], head_y, _wrap(country_name.capitalize(), 10), ha="right", **header
    )
    spine_ax.text(-1.1, head_y, "◀ heikompi", ha="left", **header)
    spine_ax.text(1.1, head_y, "parempi ▶", ha="right", **header)

    # Zebra striping for reading across.
    for i in range(n):
        if i % 2 == 1:
            for ax in (table_ax, spine_ax):
                ax.axhspan(
                    edges[i],
                    edges[i + 1],
                    color=style.NEUTRALS["grey_lighter"],
                    alpha=0.4,
                    lw=0,
                    zorder=0,
                )

    centre_drawn = bool(
        n and data["scale"].notna().any()
    )  # a centre line only with a benchmark value
    if centre_drawn:
        spine_ax.axvline(0, color=bench_colour, lw=1.6, zorder=2)
    used = []
    drawn = {"range": False, "other": False}
    stale = summary["stale"].to_numpy(dtype=bool) if "stale" in summary else np.zeros(n, dtype=bool)
    for i, r in data.iterrows():
        y, label = centres[i], labels[i]
        sub = f"{r['year']} · {r['unit']}"
        if r["suppressed"]:
            sub += " · arvo salattu"
        if stale[i]:
            sub += " · vanha tieto*"
        two_lines = "\n" in label
        table_ax.text(
            columns["label"],
            y + (0.17 if two_lines else 0.06),
            label,
            ha="left",
            va="bottom",
            fontsize=style.FONT_SIZE,
            color=style.TEXT,
            linespacing=1.1,
        )
        table_ax.text(
            columns["label"],
            y + (0.21 if two_lines else 0.10),
            sub,
            ha="left",
            va="top",
            fontsize=style.FONT_SIZE_SMALL - 0.5,
            color=style.MUTED_TEXT,
        )
        decimals, unit = int(r["decimals"]), r["unit"]
        value_text = "salattu" if r["suppressed"] else _value_text(r["value"], decimals, unit)
        table_ax.text(
            columns["region"],
            y,
            value_text,
            ha="right",
            va="center",
            fontsize=style.FONT_SIZE,
            fontweight="bold",
            color=style.TEXT,
        )
        county_value = r["benchmark_value"] if benchmark == "county" else r["other_value"]
        country_value = r["other_value"] if benchmark == "county" else r["benchmark_value"]
        table_ax.text(
            columns["county"],
            y,
            _value_text(county_value, decimals, unit),
            ha="right",
            va="center",
            fontsize=style.FONT_SIZE,
            color=style.TEXT,
        )
        table_ax.text(
            columns["country"],
            y,
            _value_text(country_value, decimals, unit),
            ha="right",
            va="center",
            fontsize=style.FONT_SIZE,
            color=style.TEXT,
        )

        half = 0.27
        if math.isnan(r["scale"]):
            spine_ax.text(
                0.06,
                y,
                "ei vertailuarvoa",
                ha="left",
                va="center",
                fontsize=style.FONT_SIZE_SMALL,
                color=style.MUTED_TEXT,
                zorder=5,
            )
            continue
        if r["peer_n"] >= 2 and not math.isnan(r["x_peer_min"]):
            low, high = sorted((r["x_peer_min"], r["x_peer_max"]))
            spine_ax.fill_betweenx(
                [y - half, y + half], low, high, color=style.RANGE_OUTER, lw=0, zorder=1
            )
            q_low, q_high = sorted((r["x_peer_q25"], r["x_peer_q75"]))
            spine_ax.fill_betweenx(
                [y - half, y + half], q_low, q_high, color=style.RANGE_INNER, lw=0, zorder=1
            )
            drawn["range"] = True
        if not math.isnan(r["x_other"]):
            spine_ax.plot(
                [r["x_other"]],
                [y],
                marker="|",
                markersize=12,
                markeredgewidth=2.2,
                color=other_colour,
                linestyle="none",
                zorder=3,
            )
            drawn["other"] = True
        if not math.isnan(r["x_value"]):
            look = style.SIGNIFICANCE.get(r["comparison"], style.SIGNIFICANCE["not_compared"])
            spine_ax.scatter(
                [r["x_value"]],
                [y],
                s=70,
                marker=look.marker,
                c=[look.color],
                edgecolors=[look.edge],
                linewidths=0.9,
                zorder=4,
            )
            used.append(r["comparison"])
        elif r["suppressed"]:
            spine_ax.text(
                0.06,
                y,
                "salattu",
                ha="left",
                va="center",
                fontsize=style.FONT_SIZE_SMALL,
                color=style.MUTED_TEXT,
                zorder=5,
            )

    # Legend: only what is drawn (the significance markers used, benchmarks and ranges drawn).
    categories = [c for c in style.SIGNIFICANCE_ORDER if c in used]
    handles = [
        Line2D(
            [],
            [],
            marker=style.SIGNIFICANCE[c].marker,
            linestyle="none",
            markerfacecolor=style.SIGNIFICANCE[c].color,
            markeredgecolor=style.SIGNIFICANCE[c].edge,
            markersize=8,
            label=f"{region_name}: {_COMPARISON_FI[c]}",
        )
        for c in categories
    ]
    bench_name = county_name if benchmark == "county" else country_name.capitalize()
    other_name = country_name.capitalize() if benchmark == "county" else county_name
    if centre_drawn:
        handles.append(
            Line2D([], [], color=bench_colour, lw=1.6, label=f"{bench_name} (keskiviiva)")
        )
    if drawn["other"]:
        handles.append(
            Line2D(
                [],
                [],
                marker="|",
                linestyle="none",
                markersize=11,
                markeredgewidth=2.2,
                color=other_colour,
                label=other_name,
            )
        )
    if drawn["range"]:
        handles += [
            Patch(facecolor=style.RANGE_OUTER, label="Alueen kunnat: pienin–suurin"),
            Patch(facecolor=style.RANGE_INNER, label="Alueen kunnat: keskimmäinen puolet"),
        ]
    if stale.any():
        handles.append(Line2D([], [], linestyle="none", label="* vanha tieto: ei vertailua"))
    if handles:
        fig.legend(
            handles=handles,
            loc="lower left",
            bbox_to_anchor=(0.0, 0.0),
            ncol=2,
            fontsize=style.FONT_SIZE_SMALL,
            handletextpad=0.4,
            columnspacing=1.5,
            borderaxespad=0.2,
        )

    alt = _spine_alt(
        data,
        region_name=region_name,
        county_name=county_name,
        benchmark=benchmark,
        country_name=country_name,
        centre_drawn=centre_drawn,
        range_drawn=drawn["range"],
        stale=[str(x) for x in data.loc[stale, "short"]],
    )
    return fig, alt


def _spine_alt(
    data: pd.DataFrame,
    *,
    region_name: str,
    county_name: str,
    benchmark: str,
    country_name: str,
    centre_drawn: bool = True,
    range_drawn: bool = True,
    stale: Sequence[str] = (),
) -> str:
    if data.empty:
        return f"Kuviossa ei ole indikaattoreita: kunnalle {region_name} ei ole pääindikaattorien tietoja."
    bench = county_name if benchmark == "county" else country_name
    if centre_drawn:
        first = (
            f"Selkärankakuvio {len(data)} pääindikaattorista: {region_name}, vertailukohtana "
            f"{bench} (kuvion keskiviiva)."
        )
    else:
        first = (
            f"Taulukkokuvio {len(data)} pääindikaattorista: {region_name}. Aineistossa ei ole "
            f"vertailualueen ({bench}) arvoja, joten keskiviivaa ja sijainteja ei piirretty."
        )
    parts = [first]
    if range_drawn:
        parts.append(
            "Harmaa alue on hyvinvointialueen kuntien vaihteluväli; parempi suunta on oikealla."
        )
    for code in ("better", "worse", "higher", "lower"):
        names = [
            f"{r['short']} ({_with_unit(r['value'], r['decimals'], r['unit'])}, vertailuarvo "
            f"{_with_unit(r['benchmark_value'], r['decimals'], r['unit'])})"
            for _, r in data[data["comparison"] == code].iterrows()
        ]
        if names:
            parts.append(f"Tilastollisesti merkitsevästi {_COMPARISON_FI[code]}: {_join(names)}.")
    similar = int((data["comparison"] == "similar").sum())
    if similar:
        parts.append(f"Ei merkitsevää eroa: {similar} indikaattoria.")
    other = int((data["comparison"] == "not_compared").sum())
    if other:
        parts.append(
            f"Ei verrattu (ei vertailuarvoa, ei luottamusväliä, vanha tieto tai arvo salattu): "
            f"{other} indikaattoria."
        )
    if stale:
        parts.append(f"Vanha tieto (tähti): {_join(list(stale))}.")
    return " ".join(parts)


# --- trend small multiples ---------------------------------------------------------------------


def _series(table: pd.DataFrame, indicator: int, region_id: int, sex: str) -> pd.DataFrame:
    rows = table[
        (table["indicator"] == indicator)
        & (table["region_id"] == region_id)
        & (table["sex"] == sex)
        & table["value"].notna()
    ]
    return rows.sort_values("year")[["year", "value", "count"]].reset_index(drop=True)


def trend_small_multiples(
    table: pd.DataFrame,
    indicators: Sequence[Indicator],
    region_id: int,
    county_id: int,
    country_id: int,
    *,
    region_name: str,
    county_name: str,
    country_name: str = "Koko maa",
    sex: str = "total",
    years: int = 10,
    columns: int = 3,
    language: str = "fi",
    medium: str = "a4",
) -> tuple[Any, str]:
    """One small line chart per indicator over the last ``years`` years with data: the municipality
    (solid blue, its 95 % confidence interval shaded; years hidden by the small-number rule left as
    gaps), the county (dashed orange) and the whole country (dotted black)."""
    plt = _pyplot()
    from matplotlib.legend_handler import HandlerTuple
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    style.apply_style()
    indicators = list(indicators)
    ncols = max(1, min(columns, len(indicators)))
    nrows = max(1, math.ceil(len(indicators) / ncols))
    panel_cm, legend_cm = 4.6, 1.1
    fig, axes = plt.subplots(
        nrows,
        ncols,
        squeeze=False,
        figsize=style.figure_size(panel_cm * nrows + legend_cm, medium=medium),
    )
    descriptions = []
    first_year = last_year = None
    drawn = {"band": False, "county": False, "country": False}
    # One year range for every panel of the figure: the last ``years`` years of any of its series.
    wanted = table[
        table["indicator"].isin([i.id for i in indicators])
        & (table["sex"] == sex)
        & table["region_id"].isin([region_id, county_id, country_id])
        & table["value"].notna()
    ]
    figure_end = int(wanted["year"].max()) if len(wanted) else None
    figure_start = None
    if figure_end is not None:
        recent = wanted.loc[wanted["year"] >= figure_end - years + 1, "year"]
        figure_start = int(recent.min())
    for ax, indicator in zip(axes.flat, indicators):
        own = _series(table, indicator.id, region_id, sex)
        county = _series(table, indicator.id, county_id, sex)
        country = _series(table, indicator.id, country_id, sex)
        if figure_start is not None:
            own, county, country = (x[x["year"] >= figure_start] for x in (own, county, country))
        present = pd.concat([own["year"], county["year"], country["year"]])
        ax.set_title(
            _wrap(indicator.short(language), {1: 80, 2: 42}.get(ncols, 25)),
            fontsize=style.FONT_SIZE - 0.5,
            loc="left",
            pad=4,
        )
        ax.set_ylabel(
            _wrap(indicator.unit(language), 16),
            fontsize=style.FONT_SIZE_SMALL,
            color=style.MUTED_TEXT,
        )
        if present.empty:
            ax.text(
                0.5,
                0.5,
                "ei tietoja",
                transform=ax.transAxes,
                ha="center",
                va="center",
                color=style.MUTED_TEXT,
            )
            ax.set_xticks([])
            ax.set_yticks([])
            descriptions.append(f"{indicator.short(language)}: ei tietoja")
            continue
        end = int(figure_end)
        start = int(figure_start)
        own, county, country = (s[s["year"] >= start] for s in (own, county, country))
        hidden = stats.suppress(
            own["value"].to_numpy(), own["count"].to_numpy(), indicator.small_number_threshold
        )
        own = own.assign(value=np.where(hidden, np.nan, own["value"]))
        if len(own) and _cadence(pd.concat([own["year"], county["year"], country["year"]])) == 1:
            # An annual series: a missing year is a gap in the line, not a straight join.
            own = (
                own.set_index("year")
                .reindex(range(int(own["year"].min()), int(own["year"].max()) + 1))
                .rename_axis("year")
                .reset_index()
            )
        years_own = own["year"].to_numpy()
        lower, upper = stats.confidence_interval(
            own["value"].to_numpy(),
            own["count"].to_numpy(),
            indicator.ci_method.value,
            indicator.multiplier,
        )
        lower, upper = np.atleast_1d(lower).astype(float), np.atleast_1d(upper).astype(float)
        band = ~np.isnan(lower) & ~np.isnan(upper)
        if band.any():
            ax.fill_between(
                years_own,
                lower,
                upper,
                where=band,
                color=style.MUNICIPALITY,
                alpha=style.CI_BAND_ALPHA,
                lw=0,
                zorder=1,
                interpolate=False,
            )
            drawn["band"] = True
        drawn["county"] |= bool(len(county))
        drawn["country"] |= bool(len(country))
        ax.plot(country["year"], country["value"], zorder=2, **style.COUNTRY_LINE)
        ax.plot(county["year"], county["value"], zorder=3, **style.COUNTY_LINE)
        ax.plot(years_own, own["value"].to_numpy(), zorder=4, **style.MUNICIPALITY_LINE)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4 if ncols >= 3 else 8, integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
        shown = np.concatenate(
            [
                own["value"].to_numpy(),
                county["value"].to_numpy(),
                country["value"].to_numpy(),
                np.where(band, lower, np.nan),
            ]
        )
        bottom, top = ax.get_ylim()
        if np.isfinite(shown).any() and bottom < 0 <= float(np.nanmin(shown)):
            # No negative axis for values that cannot be negative; a little room below 0 keeps
            # zero values visible above the axis line.
            ax.set_ylim(-0.03 * top if float(np.nanmin(shown)) == 0 else 0, top)
        ax.yaxis.set_major_formatter(style.axis_formatter(_tick_decimals(ax.get_yticks())))
        all_years = np.arange(start, end + 1)
        ax.set_xlim(all_years[0] - 0.4, all_years[-1] + 0.4)
        first_year = min(first_year or all_years[0], int(all_years[0]))
        last_year = max(last_year or end, end)
        descriptions.append(
            _trend_description(
                indicator,
                own.dropna(subset=["value"]),
                county,
                country,
                region_name,
                county_name,
                country_name,
                language,
            )
        )
    for ax in list(axes.flat)[len(indicators) :]:
        ax.set_visible(False)

    # The legend and the alt text name only what is drawn.
    if drawn["band"]:
        handles = [
            (
                Patch(facecolor=style.MUNICIPALITY, alpha=style.CI_BAND_ALPHA),
                Line2D([], [], **style.MUNICIPALITY_LINE),
            )
        ]
        labels = [f"{region_name} (varjostus: 95\u00a0%:n luottamusväli)"]
    else:
        handles, labels = [Line2D([], [], **style.MUNICIPALITY_LINE)], [region_name]
    if drawn["county"]:
        handles.append(Line2D([], [], **style.COUNTY_LINE))
        labels.append(county_name)
    if drawn["country"]:
        handles.append(Line2D([], [], **style.COUNTRY_LINE))
        labels.append(country_name)
    fig.legend(
        handles,
        labels,
        loc="upper left",
        bbox_to_anchor=(0.0, 1.0),
        ncol=3,
        handler_map={tuple: HandlerTuple(ndivide=None, pad=0)},
        handlelength=2.6,
        fontsize=style.FONT_SIZE_SMALL,
        columnspacing=1.2,
    )
    total_cm = panel_cm * nrows + legend_cm
    fig.tight_layout(rect=(0, 0, 1, 1 - legend_cm / total_cm), h_pad=1.2, w_pad=1.0)

    span = f" vuosina {first_year}–{last_year}" if first_year is not None else ""
    lines = [f"{region_name} (yhtenäinen viiva" + (" ja luottamusväli)" if drawn["band"] else ")")]
    if drawn["county"]:
        lines.append(f"{county_name} (katkoviiva)")
    if drawn["country"]:
        lines.append(f"{country_name.lower()} (pisteviiva)")
    alt = (
        f"Viivakuviot {len(indicators)} indikaattorin kehityksestä{span}: {_join(lines)}. "
        + "; ".join(descriptions)
        + "."
    )
    fig.hyte_drawn = dict(drawn)  # what was drawn, for the caption (hyte.card.card)
    return fig, alt


def _cadence(years: pd.Series) -> int:
    """The usual step between an indicator's years: 1 (annual) or 2 (the biennial school survey)."""
    distinct = np.unique(years.to_numpy(dtype=float))
    if len(distinct) < 2:
        return 1
    return int(np.median(np.diff(distinct)))


def _tick_decimals(ticks: Sequence[float]) -> int:
    """The fewest decimals (at most 3) that write every tick exactly: 0,5 1,0 1,5 -> 1."""
    values = [float(t) for t in ticks if math.isfinite(t)]
    for decimals in range(4):
        if all(abs(round(v, decimals) - v) < 1e-9 * max(1.0, abs(v)) for v in values):
            return decimals
    return 3


def _trend_description(
    indicator: Indicator,
    own: pd.DataFrame,
    county: pd.DataFrame,
    country: pd.DataFrame,
    region_name: str,
    county_name: str,
    country_name: str,
    language: str,
) -> str:
    unit, decimals = indicator.unit(language), indicator.decimals
    parts = []
    if len(own):
        first, last = own.iloc[0], own.iloc[-1]
        text = (
            f"{region_name} {_with_unit(last['value'], decimals, unit)} vuonna {int(last['year'])}"
        )
        if len(own) > 1:
            text += f" ({_with_unit(first['value'], decimals, unit)} vuonna {int(first['year'])})"
        parts.append(text)
    else:
        parts.append(f"{region_name}: ei julkaistavia arvoja")
    for name, series in ((county_name, county), (country_name.lower(), country)):
        if len(series):
            last = series.iloc[-1]
            parts.append(f"{name} {_with_unit(last['value'], decimals, unit)}")
    return f"{indicator.short(language)}: " + ", ".join(parts)


# --- women and men -------------------------------------------------------------------------------

SEX_COLUMNS = [
    "indicator",
    "short",
    "unit",
    "decimals",
    "year",
    "female",
    "female_lower",
    "female_upper",
    "male",
    "male_lower",
    "male_upper",
    "significant",
]


def sex_difference_chart(
    data: pd.DataFrame, *, region_name: str, medium: str = "a4"
) -> tuple[Any, str]:
    """Women's and men's values of each indicator (rows of ``data``, columns :data:`SEX_COLUMNS`):
    a dot for each with its 95 % confidence interval as a line. Indicators are grouped
    into one panel per unit, so each panel has one scale. A row marked * has a statistically
    significant difference (the two confidence intervals do not overlap)."""
    plt = _pyplot()
    from matplotlib.lines import Line2D

    style.apply_style()
    units = list(dict.fromkeys(data["unit"])) if len(data) else []
    counts = [int((data["unit"] == u).sum()) for u in units] or [1]
    row_cm, panel_extra_cm, legend_cm = 0.8, 1.3, 1.4
    height = sum(row_cm * c + panel_extra_cm for c in counts) + legend_cm
    fig, axes = plt.subplots(
        max(1, len(units)),
        1,
        squeeze=False,
        figsize=style.figure_size(height, medium=medium),
        gridspec_kw={"height_ratios": [row_cm * c + panel_extra_cm for c in counts]},
    )
    for ax, unit in zip(axes.flat, units or [""]):
        rows = data[data["unit"] == unit].reset_index(drop=True)
        for i, r in rows.iterrows():
            for sex, colour, marker, shift in (
                ("female", style.FEMALE, "o", -0.17),
                ("male", style.MALE, "s", 0.17),
            ):
                low, high = r[f"{sex}_lower"], r[f"{sex}_upper"]
                if not (math.isnan(low) or math.isnan(high)):
                    ax.plot(
                        [low, high],
                        [i + shift, i + shift],
                        color=colour,
                        lw=1.5,
                        zorder=2,
                        solid_capstyle="butt",
                    )
                if not math.isnan(r[sex]):
                    ax.plot(
                        [r[sex]],
                        [i + shift],
                        marker=marker,
                        color=colour,
                        markersize=6.5,
                        markeredgecolor=style.NEUTRALS["white"],
                        markeredgewidth=0.6,
                        linestyle="none",
                        zorder=3,
                    )
        # No-break spaces keep the year and the star with the last word.
        labels = [
            _wrap(
                f"{r['short']}\u00a0({r['year']}){chr(0xA0) + '*' if r['significant'] else ''}", 52
            )
            for _, r in rows.iterrows()
        ]
        ax.set_yticks(range(len(rows)), labels, fontsize=style.FONT_SIZE_SMALL, linespacing=1.0)
        ax.set_ylim(max(len(rows), 1) - 0.5, -0.5)
        ax.tick_params(axis="y", length=0)
        ax.grid(True, axis="x")
        ax.grid(False, axis="y")
        for i in range(1, len(rows)):
            ax.axhline(i - 0.5, color=style.GRID, lw=0.6, zorder=0)
        left, right = ax.get_xlim()
        if left < 0:
            ax.set_xlim(0, right)
        ax.xaxis.set_major_formatter(style.axis_formatter(_tick_decimals(ax.get_xticks())))
        ax.set_xlabel(unit, fontsize=style.FONT_SIZE_SMALL, color=style.MUTED_TEXT)
    if data.empty:
        axes.flat[0].text(
            0.5,
            0.5,
            "ei sukupuolittaisia tietoja",
            ha="center",
            va="center",
            transform=axes.flat[0].transAxes,
            color=style.MUTED_TEXT,
        )
        axes.flat[0].set_axis_off()
    # The legend names the intervals and the significance mark only when they are drawn.
    has_ci = bool(len(data)) and bool(
        data[["female_lower", "female_upper", "male_lower", "male_upper"]].notna().any(axis=None)
    )
    ci = " (95\u00a0%:n luottamusväli)" if has_ci else ""
    handles = [
        Line2D([], [], marker="o", color=style.FEMALE, label=f"Naiset{ci}"),
        Line2D([], [], marker="s", color=style.MALE, label=f"Miehet{ci}"),
    ]
    fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.0, 1.0),
        ncol=2,
        fontsize=style.FONT_SIZE_SMALL,
    )
    if len(data) and data["significant"].any():
        fig.text(
            0.0,
            0.0,
            "* ero naisten ja miesten välillä tilastollisesti merkitsevä "
            "(luottamusvälit eivät ole päällekkäin)",
            fontsize=style.FONT_SIZE_SMALL - 0.5,
            color=style.MUTED_TEXT,
            ha="left",
            va="bottom",
        )
    fig.tight_layout(rect=(0, 0.03, 1, 1 - legend_cm * 0.7 / height), h_pad=1.0)
    return fig, _sex_alt(data, region_name)


def _sex_alt(data: pd.DataFrame, region_name: str) -> str:
    if data.empty:
        return (
            f"Kuviossa ei ole tietoja: aineistossa ei ole kunnan {region_name} naisten ja miesten "
            "arvoja."
        )
    parts = [f"Pistekuvio naisten ja miesten arvoista, {region_name}, {len(data)} indikaattoria."]
    if (
        not data[["female_lower", "female_upper", "male_lower", "male_upper"]]
        .notna()
        .any(axis=None)
    ):
        parts.append(
            "Luottamusvälejä ei piirretty: aineistossa ei ole lukumääriä, eikä eroja testattu."
        )
    described = []
    for _, r in data.iterrows():
        text = (
            f"{r['short']} ({r['year']}): naiset {_with_unit(r['female'], r['decimals'], r['unit'])},"
            f" miehet {_with_unit(r['male'], r['decimals'], r['unit'])}"
        )
        if r["significant"]:
            text += ", ero merkitsevä"
        described.append(text)
    return " ".join(parts) + " " + "; ".join(described) + "."
