"""The municipal card's figures. Each function takes data frames (never files) and returns
``(SvgFigure, alt_text_fi)``: the figure (drawn as SVG by :mod:`hyte.figures.svg`, with the data of
each panel recorded), and a Finnish description for readers who cannot see it (Quarto's ``fig-alt``).

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
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hyte import fmt
from hyte.data.catalog import Indicator
from hyte.figures import style, svg
from hyte.figures.svg import SvgFigure
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
    """Free a figure's memory (cards draw many); nothing to free for an SVG figure."""
    if isinstance(figure, SvgFigure):
        return
    _pyplot().close(figure)


def _wrap(text: str, width: int) -> str:
    return "\n".join(
        textwrap.wrap(str(text), width, break_on_hyphens=False, break_long_words=False)
    ) or str(text)


def _wrap_to(text: str, width: float, size: float, *, bold: bool = False) -> str:
    """``text`` wrapped at spaces into lines at most ``width`` points wide (a longer word keeps a line of
    its own)."""
    lines: list[str] = []
    for word in str(text).split(" "):
        if lines and svg.text_width(f"{lines[-1]} {word}", size, bold) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return "\n".join(lines)


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
) -> tuple[SvgFigure, str]:
    """A spine chart of the summary rows (normally the headline indicators), top to bottom in order.

    Left: the indicator, its year and unit, and the municipality's, the county's and the country's
    values. Right: the benchmark (``county`` or ``country``) as the centre line, the county's
    municipalities shaded (lightest: their whole range; darker: the middle half, 25th–75th
    percentile), the other benchmark as a black (country) or orange (county) tick, and the
    municipality as a marker whose colour and shape give its significance against the benchmark.
    Better is on the right whenever the indicator has a polarity.

    Drawn as SVG; ``figure.panels[0]["rows"]`` holds what each row shows (positions, the marker's
    category and colour, the printed values and notes)."""
    data = spine_chart_data(summary, benchmark)
    n = len(data)
    other_colour = style.COUNTRY if benchmark == "county" else style.COUNTY
    bench_colour = style.COUNTY if benchmark == "county" else style.COUNTRY
    size, small = style.FONT_SIZE, style.FONT_SIZE_SMALL
    cm = svg.PT_PER_CM
    width = style.figure_size(1, medium=medium)[0] * 72
    table_left, table_width = 0.005 * width, 0.64 * width
    spine_left, spine_right = table_left + table_width + 0.012 * width, 0.995 * width
    columns = {
        "label": table_left,
        "region": table_left + 0.675 * table_width,
        "county": table_left + 0.84 * table_width,
        "country": table_left + table_width,
    }
    value_texts = [
        (
            "salattu"
            if r["suppressed"]
            else _value_text(r["value"], int(r["decimals"]), r["unit"]),
            _value_text(
                r["benchmark_value"] if benchmark == "county" else r["other_value"],
                int(r["decimals"]),
                r["unit"],
            ),
            _value_text(
                r["other_value"] if benchmark == "county" else r["benchmark_value"],
                int(r["decimals"]),
                r["unit"],
            ),
        )
        for _, r in data.iterrows()
    ]
    widest = max((svg.text_width(v[0], size, bold=True) for v in value_texts), default=0.0)
    label_room = columns["region"] - columns["label"] - widest - 8
    labels = [_wrap_to(text, label_room, size) for text in data["short"]]
    heights = [(0.95 + 0.3 * label.count("\n")) * cm for label in labels]
    head = 1.1 * cm
    body = sum(heights) or cm
    stale = summary["stale"].to_numpy(dtype=bool) if "stale" in summary else np.zeros(n, dtype=bool)

    # The legend first (its height sets the figure's); only what is drawn.
    centre_drawn = bool(n and data["scale"].notna().any())  # a centre line only with a benchmark
    drawn = {
        "range": bool(
            n and ((data["peer_n"] >= 2) & data["x_peer_min"].notna() & data["scale"].notna()).any()
        ),
        "other": bool(n and (data["x_other"].notna() & data["scale"].notna()).any()),
    }
    used = [c for c in data.loc[data["x_value"].notna() & data["scale"].notna(), "comparison"]]
    entries = []
    for category in (c for c in style.SIGNIFICANCE_ORDER if c in used):
        look = style.SIGNIFICANCE[category]
        entries.append(
            svg.LegendEntry(
                f"{region_name}: {_COMPARISON_FI[category]}",
                _marker_handle(look.marker, 8, look.color, look.edge),
            )
        )
    bench_name = county_name if benchmark == "county" else country_name.capitalize()
    other_name = country_name.capitalize() if benchmark == "county" else county_name
    if centre_drawn:
        entries.append(
            svg.LegendEntry(f"{bench_name} (keskiviiva)", _bar_handle(bench_colour, 1.6))
        )
    if drawn["other"]:
        entries.append(
            svg.LegendEntry(other_name, _marker_handle("|", 11, None, other_colour, 2.2))
        )
    if drawn["range"]:
        entries.append(
            svg.LegendEntry("Alueen kunnat: pienin–suurin", _patch_handle(style.RANGE_OUTER))
        )
        entries.append(
            svg.LegendEntry("Alueen kunnat: keskimmäinen puolet", _patch_handle(style.RANGE_INNER))
        )
    if stale.any():
        entries.append(svg.LegendEntry("* vanha tieto: ei vertailua"))
    handle = 2.0 * small
    _, _, legend_height = svg.legend_size(
        entries, columns=2, size=small, handle=handle, width=width
    )
    height = head + body + 0.45 * cm + legend_height + 4
    canvas = svg.Canvas(width, height)

    def to_x(position: float) -> float:
        return spine_left + (position + 1.12) / 2.24 * (spine_right - spine_left)

    # Column headers, just above the first row.
    head_y = head - 0.12 * cm
    bold = {"size": small, "bold": True, "valign": "bottom"}
    canvas.text(columns["label"], head_y, "Indikaattori\nvuosi · yksikkö", **bold)
    canvas.text(columns["region"], head_y, _wrap(region_name, 12), anchor="end", **bold)
    canvas.text(columns["county"], head_y, "Alue", anchor="end", **bold)
    canvas.text(
        columns["country"], head_y, _wrap(country_name.capitalize(), 10), anchor="end", **bold
    )
    if centre_drawn:  # the directions label positions; without a benchmark none is drawn
        canvas.text(to_x(-1.1), head_y, "◀ heikompi", **bold)
        canvas.text(to_x(1.1), head_y, "parempi ▶", anchor="end", **bold)

    edges = np.concatenate([[0.0], np.cumsum(heights)]) + head
    for i in range(1, n, 2):  # zebra striping for reading across
        canvas.rect(
            table_left,
            edges[i],
            spine_right - table_left,
            heights[i],
            fill=style.NEUTRALS["grey_lighter"],
            opacity=0.4,
        )
    rows: list[dict[str, Any]] = []
    half = 0.27 * cm
    for i, r in data.iterrows():
        y = (edges[i] + edges[i + 1]) / 2
        label, lines = labels[i], labels[i].count("\n")
        sub = f"{r['year']} · {r['unit']}"
        if r["suppressed"]:
            sub += " · arvo salattu"
        if stale[i]:
            sub += " · vanha tieto*"
        canvas.text(
            columns["label"], y + (0.06 + 0.11 * lines) * cm, label, size=size, valign="bottom"
        )
        canvas.text(
            columns["label"],
            y + (0.10 + 0.11 * lines) * cm,
            sub,
            size=small - 0.5,
            colour=style.MUTED_TEXT,
            valign="top",
        )
        own_text, county_text, country_text = value_texts[i]
        canvas.text(
            columns["region"], y, own_text, size=size, bold=True, anchor="end", valign="center"
        )
        canvas.text(columns["county"], y, county_text, size=size, anchor="end", valign="center")
        canvas.text(columns["country"], y, country_text, size=size, anchor="end", valign="center")
        row: dict[str, Any] = {
            "indicator": int(r["indicator"]),
            "label": label,
            "values": (own_text, county_text, country_text),
            "x_value": None,
            "comparison": None,
            "colour": None,
            "x_other": None,
            "range": None,
            "note": None,
        }
        rows.append(row)
        if math.isnan(r["scale"]):
            row["note"] = "ei vertailuarvoa"
            canvas.text(
                to_x(0.06), y, row["note"], size=small, colour=style.MUTED_TEXT, valign="center"
            )
            continue
        if r["peer_n"] >= 2 and not math.isnan(r["x_peer_min"]):
            low, high = sorted((r["x_peer_min"], r["x_peer_max"]))
            q_low, q_high = sorted((r["x_peer_q25"], r["x_peer_q75"]))
            canvas.rect(
                to_x(low), y - half, to_x(high) - to_x(low), 2 * half, fill=style.RANGE_OUTER
            )
            canvas.rect(
                to_x(q_low), y - half, to_x(q_high) - to_x(q_low), 2 * half, fill=style.RANGE_INNER
            )
            row["range"] = (low, q_low, q_high, high)
        if not math.isnan(r["x_other"]):
            row["x_other"] = float(r["x_other"])
    if centre_drawn:  # above the ranges, below the markers (as the zorders were)
        canvas.line(to_x(0), head, to_x(0), head + body, colour=bench_colour, width=1.6)
    for i, r in data.iterrows():
        y, row = (edges[i] + edges[i + 1]) / 2, rows[i]
        if math.isnan(r["scale"]):
            continue
        if row["x_other"] is not None:
            canvas.marker(
                to_x(row["x_other"]), y, "|", 12, fill=None, edge=other_colour, edge_width=2.2
            )
        if not math.isnan(r["x_value"]):
            look = style.SIGNIFICANCE.get(r["comparison"], style.SIGNIFICANCE["not_compared"])
            canvas.marker(
                to_x(r["x_value"]),
                y,
                look.marker,
                math.sqrt(70),
                fill=look.color,
                edge=look.edge,
                edge_width=0.9,
            )
            row.update(
                x_value=float(r["x_value"]),
                comparison=str(r["comparison"]),
                colour=look.color.upper(),
            )
        elif r["suppressed"]:
            row["note"] = "salattu"
            canvas.text(
                to_x(0.06), y, "salattu", size=small, colour=style.MUTED_TEXT, valign="center"
            )
    svg.draw_legend(
        canvas,
        entries,
        x=table_left + 4,
        y=head + body + 0.45 * cm,
        columns=2,
        size=small,
        handle=handle,
        width=width - 8,
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
    figure = SvgFigure(
        canvas,
        panels=[{"rows": rows}],
        drawn={"centre": centre_drawn, **drawn},
        legend=[e.label for e in entries],
    )
    return figure, alt


def _marker_handle(shape: str, size: float, fill, edge, edge_width: float = 1.0):
    def draw(canvas: svg.Canvas, x: float, y: float, length: float) -> None:
        canvas.marker(x + length / 2, y, shape, size, fill=fill, edge=edge, edge_width=edge_width)

    return draw


def _bar_handle(colour: str, line_width: float):
    def draw(canvas: svg.Canvas, x: float, y: float, length: float) -> None:
        canvas.line(x, y, x + length, y, colour=colour, width=line_width)

    return draw


def _patch_handle(colour: str):
    def draw(canvas: svg.Canvas, x: float, y: float, length: float) -> None:
        canvas.rect(x, y - 3.5, length, 7, fill=colour)

    return draw


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
) -> tuple[SvgFigure, str]:
    """One small line chart per indicator over the last ``years`` years with data: the municipality
    (solid blue, its 95 % confidence interval shaded; years hidden by the small-number rule left as
    gaps), the county (dashed orange) and the whole country (dotted black).

    Drawn as SVG (:mod:`hyte.figures.svg`); ``figure.panels`` holds each panel's data: ``indicator``,
    ``title``, ``lines`` (role -> (years, values)), ``band`` ((years, lower, upper) where drawn),
    ``xlim``, ``ylim``, ``xticks``, ``yticks`` and ``texts``."""
    indicators = list(indicators)
    ncols = max(1, min(columns, len(indicators)))
    nrows = max(1, math.ceil(len(indicators) / ncols))
    panel_cm, legend_cm = 4.6, 1.1
    descriptions = []
    first_year = last_year = None
    drawn = {"band": False, "county": False, "country": False}
    series = _series_index(
        table, [i.id for i in indicators], (region_id, county_id, country_id), sex
    )
    # One year range for every panel of the figure: the last ``years`` years of any of its series.
    all_years = np.concatenate([line.year for line in series.values()]) if series else np.array([])
    figure_end = int(all_years.max()) if len(all_years) else None
    figure_start = None
    if figure_end is not None:
        figure_start = int(all_years[all_years >= figure_end - years + 1].min())
    empty = _Series(np.array([]), np.array([]), np.array([]))
    panels: list[dict[str, Any]] = []
    for indicator in indicators:
        own, county, country = (
            series.get((indicator.id, rid), empty) for rid in (region_id, county_id, country_id)
        )
        if figure_start is not None:
            own, county, country = (x.since(figure_start) for x in (own, county, country))
        panel: dict[str, Any] = {
            "indicator": indicator.id,
            "title": indicator.short(language),
            "ylabel": _wrap(indicator.unit(language), 16),
            "lines": {},
            "band": None,
            "texts": [],
        }
        panels.append(panel)
        if not (len(own) or len(county) or len(country)):
            panel["texts"].append("ei tietoja")
            descriptions.append(f"{indicator.short(language)}: ei tietoja")
            continue
        end = int(figure_end)
        start = int(figure_start)
        hidden = stats.suppress(own.value, own.count, indicator.small_number_threshold)
        own = _Series(own.year, np.where(hidden, np.nan, own.value), own.count)
        if len(own) and _cadence(np.concatenate([own.year, county.year, country.year])) == 1:
            # An annual series: a missing year is a gap in the line, not a straight join.
            own = own.every_year()
        years_own = own.year.astype(float)
        lower, upper = stats.confidence_interval(
            own.value,
            own.count,
            indicator.ci_method.value,
            indicator.multiplier,
        )
        lower, upper = np.atleast_1d(lower).astype(float), np.atleast_1d(upper).astype(float)
        band = ~np.isnan(lower) & ~np.isnan(upper)
        if band.any():
            panel["band"] = (years_own[band], lower[band], upper[band], band)
            drawn["band"] = True
        drawn["county"] |= bool(len(county))
        drawn["country"] |= bool(len(country))
        panel["lines"] = {
            "country": (country.year.astype(float), country.value.astype(float)),
            "county": (county.year.astype(float), county.value.astype(float)),
            "municipality": (years_own, own.value.astype(float)),
        }
        shown = np.concatenate(
            [
                own.value.astype(float),
                county.value.astype(float),
                country.value.astype(float),
                np.where(band, lower, np.nan),
                np.where(band, upper, np.nan),
            ]
        )
        bottom, top = svg.autoscale(shown)
        if np.isfinite(shown).any() and bottom < 0 <= float(np.nanmin(shown)):
            # No negative axis for values that cannot be negative; a little room below 0 keeps
            # zero values visible above the axis line.
            bottom = -0.03 * top if float(np.nanmin(shown)) == 0 else 0.0
        panel["ylim"] = (bottom, top)
        panel["yticks"] = svg.nice_ticks(bottom, top, 4, steps=[1, 2, 2.5, 5, 10])
        panel["xlim"] = (start - 0.4, end + 0.4)
        panel["xticks"] = svg.nice_ticks(
            start - 0.4, end + 0.4, 4 if ncols >= 3 else 8, integer=True
        )
        first_year = min(first_year or start, start)
        last_year = max(last_year or end, end)
        descriptions.append(
            _trend_description(
                indicator,
                own.with_values(),
                county,
                country,
                region_name,
                county_name,
                country_name,
                language,
            )
        )

    # The legend and the alt text name only what is drawn.
    entries = []
    if drawn["band"]:
        entries.append(
            svg.LegendEntry(
                f"{region_name} (varjostus: 95\u00a0%:n luottamusväli)",
                _line_handle(style.MUNICIPALITY_LINE, band=True),
            )
        )
    else:
        entries.append(svg.LegendEntry(region_name, _line_handle(style.MUNICIPALITY_LINE)))
    if drawn["county"]:
        entries.append(svg.LegendEntry(county_name, _line_handle(style.COUNTY_LINE)))
    if drawn["country"]:
        entries.append(svg.LegendEntry(country_name, _line_handle(style.COUNTRY_LINE)))
    figure = _draw_trend_panels(
        panels,
        entries,
        ncols=ncols,
        nrows=nrows,
        panel_cm=panel_cm,
        legend_cm=legend_cm,
        medium=medium,
    )
    figure.drawn = dict(drawn)  # what was drawn, for the caption (hyte.card.card)

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
    return figure, alt


def _series_index(
    table: pd.DataFrame, indicators: Sequence[int], regions: Sequence[int], sex: str
) -> dict[tuple[int, int], _Series]:
    """(indicator, region) -> its rows with a value (year, value, count), years ascending: one pass
    over the table instead of one full scan per series."""
    keep = (
        table["indicator"].isin(list(indicators)).to_numpy()
        & table["region_id"].isin(list(regions)).to_numpy()
        & (table["sex"].to_numpy() == sex)
        & table["value"].notna().to_numpy()
    )
    columns = {  # plain numpy columns: small frames of three numbers are cheap to make
        name: table[name].to_numpy()[keep]
        for name in ("indicator", "region_id", "year", "value", "count")
    }
    order = np.lexsort((columns["year"], columns["region_id"], columns["indicator"]))
    columns = {name: values[order] for name, values in columns.items()}
    keys = np.stack([columns["indicator"], columns["region_id"]], axis=1)
    out: dict[tuple[int, int], _Series] = {}
    if not len(keys):
        return out
    starts = np.flatnonzero(np.r_[True, (keys[1:] != keys[:-1]).any(axis=1)])
    for start, end in zip(starts, [*starts[1:], len(keys)]):
        out[(int(keys[start, 0]), int(keys[start, 1]))] = _Series(
            columns["year"][start:end],
            columns["value"][start:end].astype(float),
            columns["count"][start:end].astype(float),
        )
    return out


@dataclass(frozen=True)
class _Series:
    """One region's values of one indicator: years ascending, values and counts (numpy arrays)."""

    year: np.ndarray
    value: np.ndarray
    count: np.ndarray

    def __len__(self) -> int:
        return len(self.year)

    def since(self, year: int) -> _Series:
        keep = self.year >= year
        return _Series(self.year[keep], self.value[keep], self.count[keep])

    def with_values(self) -> _Series:
        keep = ~np.isnan(self.value)
        return _Series(self.year[keep], self.value[keep], self.count[keep])

    def every_year(self) -> _Series:
        """Every year from the first to the last, NaN where a year is missing."""
        first, last = int(self.year.min()), int(self.year.max())
        years = np.arange(first, last + 1)
        value, count = np.full(len(years), np.nan), np.full(len(years), np.nan)
        value[self.year.astype(int) - first] = self.value
        count[self.year.astype(int) - first] = self.count
        return _Series(years, value, count)


def _line_handle(line: dict, *, band: bool = False):
    """A legend handle drawing a line style (and the CI band behind it)."""

    def draw(canvas: svg.Canvas, x: float, y: float, length: float) -> None:
        if band:
            canvas.rect(x, y - 3.5, length, 7, fill=line["color"], opacity=style.CI_BAND_ALPHA)
        canvas.line(
            x,
            y,
            x + length,
            y,
            colour=line["color"],
            width=line["linewidth"],
            style_code=line["linestyle"],
            cap="round" if line["linestyle"] == "-" else "butt",
        )
        if line.get("marker"):
            canvas.marker(
                x + length / 2,
                y,
                line["marker"],
                line["markersize"],
                fill=line["color"],
                edge=line["color"],
            )

    return draw


def _draw_series(canvas: svg.Canvas, xs, ys, to_x, to_y, line: dict) -> None:
    """A line with gaps at NaN values (as matplotlib draws it) and its markers."""
    points = [(to_x(x), to_y(y)) if math.isfinite(y) else None for x, y in zip(xs, ys)]
    run: list[tuple[float, float]] = []
    for point in [*points, None]:
        if point is None:
            canvas.polyline(
                run, colour=line["color"], width=line["linewidth"], style_code=line["linestyle"]
            )
            run = []
        else:
            run.append(point)
    if line.get("marker"):
        for point in points:
            if point is not None:
                canvas.marker(
                    *point,
                    line["marker"],
                    line["markersize"],
                    fill=line["color"],
                    edge=line["color"],
                )


def _draw_trend_panels(
    panels, entries, *, ncols: int, nrows: int, panel_cm: float, legend_cm: float, medium: str
) -> SvgFigure:
    """The small multiples on a fixed grid: equal panels, margins from the measured labels."""
    width = style.figure_size(1, medium=medium)[0] * 72
    small, title_size = style.FONT_SIZE_SMALL, style.FONT_SIZE - 0.5
    tick_length, tick_pad, label_pad = 3.5, 3.5, 4.0
    handle = 2.6 * small
    _, _, legend_height = svg.legend_size(
        entries, columns=3, size=small, handle=handle, width=width
    )
    legend_height = max(legend_height + 6, legend_cm * svg.PT_PER_CM)
    row_height = panel_cm * svg.PT_PER_CM
    height = legend_height + nrows * row_height
    canvas = svg.Canvas(width, height)
    svg.draw_legend(
        canvas, entries, x=2, y=2, columns=3, size=small, handle=handle, width=width - 4
    )

    def tick_labels(panel) -> list[str]:
        if "yticks" not in panel:
            return []
        formatter = style.axis_formatter(_tick_decimals(panel["yticks"]))
        return [formatter(t, 0) for t in panel["yticks"]]

    cell_width = width / ncols
    for panel in panels:
        panel["yticklabels"] = tick_labels(panel)
        panel["title"] = _wrap_to(panel["title"], cell_width - 10, title_size, bold=True)
    label_width = max(
        (svg.text_width(t, small) for p in panels for t in p["yticklabels"]), default=0.0
    )
    unit_width = max((svg.text_height(p["ylabel"], small) for p in panels), default=0.0)
    left = unit_width + label_pad + label_width + tick_pad + tick_length + 2
    title_lines = max((p["title"].count("\n") + 1 for p in panels), default=1)
    title_height = title_size * (1 + (title_lines - 1) * svg.LINE_SPACING) + 5
    xtick_height = tick_length + tick_pad + small * 1.1
    plot_width = cell_width - left - 12
    plot_height = row_height - title_height - xtick_height - 14
    for number, panel in enumerate(panels):
        row, column = divmod(number, ncols)
        x0 = column * cell_width + left
        top = legend_height + row * row_height + title_height + 4
        bottom = top + plot_height
        canvas.text(
            x0 - left + 4, top - 5, panel["title"], size=title_size, bold=True, valign="bottom"
        )
        canvas.text(
            x0 - left + 2 + small * 0.8,
            (top + bottom) / 2,
            panel["ylabel"],
            size=small,
            colour=style.MUTED_TEXT,
            anchor="middle",
            valign="center",
            rotate=-90,
        )
        axis_colour, tick_colour = style.NEUTRALS["grey"], style.NEUTRALS["grey_dark"]
        if "ylim" not in panel:  # no data: an empty panel that says so
            canvas.line(x0, top, x0, bottom, colour=axis_colour, width=0.8)
            canvas.line(x0, bottom, x0 + plot_width, bottom, colour=axis_colour, width=0.8)
            canvas.text(
                x0 + plot_width / 2,
                (top + bottom) / 2,
                "ei tietoja",
                size=style.FONT_SIZE,
                colour=style.MUTED_TEXT,
                anchor="middle",
                valign="center",
            )
            continue
        (x_low, x_high), (y_low, y_high) = panel["xlim"], panel["ylim"]

        def to_x(value, x0=x0, x_low=x_low, x_high=x_high):
            return x0 + (value - x_low) / (x_high - x_low) * plot_width

        def to_y(value, bottom=bottom, y_low=y_low, y_high=y_high):
            return bottom - (value - y_low) / (y_high - y_low) * plot_height

        for tick, label in zip(panel["yticks"], panel["yticklabels"]):
            y = to_y(tick)
            canvas.line(x0, y, x0 + plot_width, y, colour=style.GRID, width=0.7)
            canvas.line(x0 - tick_length, y, x0, y, colour=tick_colour, width=0.8)
            canvas.text(
                x0 - tick_length - tick_pad, y, label, size=small, anchor="end", valign="center"
            )
        for tick in panel["xticks"]:
            x = to_x(tick)
            canvas.line(x, bottom, x, bottom + tick_length, colour=tick_colour, width=0.8)
            canvas.text(
                x,
                bottom + tick_length + tick_pad,
                str(int(tick)),
                size=small,
                anchor="middle",
                valign="top",
            )
        if panel["band"] is not None:
            # One polygon per run of years with an interval (fill_between(where=...) likewise).
            _, lower, upper, where = panel["band"]
            xs = panel["lines"]["municipality"][0]
            full_lower, full_upper = np.full(len(xs), np.nan), np.full(len(xs), np.nan)
            full_lower[where], full_upper[where] = lower, upper
            run: list[int] = []
            for index in [*range(len(xs)), None]:
                if index is not None and where[index]:
                    run.append(index)
                    continue
                if run:
                    outline = [(to_x(xs[i]), to_y(full_upper[i])) for i in run]
                    outline += [(to_x(xs[i]), to_y(full_lower[i])) for i in reversed(run)]
                    canvas.polygon(outline, fill=style.MUNICIPALITY, opacity=style.CI_BAND_ALPHA)
                run = []
        for role, line in (
            ("country", style.COUNTRY_LINE),
            ("county", style.COUNTY_LINE),
            ("municipality", style.MUNICIPALITY_LINE),
        ):
            xs, ys = panel["lines"][role]
            _draw_series(canvas, xs, ys, to_x, to_y, line)
        canvas.line(x0, top, x0, bottom, colour=axis_colour, width=0.8)
        canvas.line(x0, bottom, x0 + plot_width, bottom, colour=axis_colour, width=0.8)
    return SvgFigure(canvas, panels=panels, legend=[e.label for e in entries])


def _cadence(years) -> int:
    """The usual step between an indicator's years: 1 (annual) or 2 (the biennial school survey)."""
    distinct = np.unique(np.asarray(years, dtype=float))
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
    own: _Series,
    county: _Series,
    country: _Series,
    region_name: str,
    county_name: str,
    country_name: str,
    language: str,
) -> str:
    unit, decimals = indicator.unit(language), indicator.decimals
    parts = []
    if len(own):
        text = (
            f"{region_name} {_with_unit(own.value[-1], decimals, unit)} vuonna {int(own.year[-1])}"
        )
        if len(own) > 1:
            text += f" ({_with_unit(own.value[0], decimals, unit)} vuonna {int(own.year[0])})"
        parts.append(text)
    else:
        parts.append(f"{region_name}: ei julkaistavia arvoja")
    for name, series in ((county_name, county), (country_name.lower(), country)):
        if len(series):
            parts.append(f"{name} {_with_unit(series.value[-1], decimals, unit)}")
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
) -> tuple[SvgFigure, str]:
    """Women's and men's values of each indicator (rows of ``data``, columns :data:`SEX_COLUMNS`):
    a dot for each with its 95 % confidence interval as a line. Indicators are grouped
    into one panel per unit, so each panel has one scale. A row marked * has a statistically
    significant difference (the two confidence intervals do not overlap).

    Drawn as SVG; ``figure.panels`` has one entry per unit with its ``rows`` (label, and per sex the
    value and interval drawn), ``xlim`` and ``xticks``."""
    small = style.FONT_SIZE_SMALL
    cm = svg.PT_PER_CM
    width = style.figure_size(1, medium=medium)[0] * 72
    units = list(dict.fromkeys(data["unit"])) if len(data) else []
    has_ci = bool(len(data)) and bool(
        data[["female_lower", "female_upper", "male_lower", "male_upper"]].notna().any(axis=None)
    )
    ci = " (95\u00a0%:n luottamusväli)" if has_ci else ""
    entries = [
        svg.LegendEntry(f"Naiset{ci}", _sex_handle(style.FEMALE, "o")),
        svg.LegendEntry(f"Miehet{ci}", _sex_handle(style.MALE, "s")),
    ]
    handle = 2.0 * small
    _, _, legend_height = svg.legend_size(
        entries, columns=2, size=small, handle=handle, width=width
    )
    legend_height = max(legend_height + 8, 1.0 * cm)
    significant = bool(len(data) and data["significant"].any())
    foot = 0.5 * cm if significant else 0.1 * cm
    row_height, tick_length, tick_pad = 0.8 * cm, 3.5, 3.5
    axis_room = tick_length + tick_pad + small * 1.1 + 4 + small * 1.2  # ticks and the unit below
    panels: list[dict[str, Any]] = []
    for unit in units:
        rows = data[data["unit"] == unit].reset_index(drop=True)
        labels = [
            _wrap(
                f"{r['short']}\u00a0({r['year']}){chr(0xA0) + '*' if r['significant'] else ''}", 52
            )
            for _, r in rows.iterrows()
        ]
        values = rows[
            ["female", "female_lower", "female_upper", "male", "male_lower", "male_upper"]
        ]
        low, high = svg.autoscale(values.to_numpy(dtype=float).ravel())
        if low < 0:
            low = 0.0
        panels.append({"unit": unit, "rows": rows, "labels": labels, "xlim": (low, high)})
    label_width = max((svg.text_width(t, small) for p in panels for t in p["labels"]), default=0.0)
    plot_left = min(label_width + 10, 0.62 * width)
    plot_width = width - plot_left - 6
    nbins = int(np.clip(math.floor(plot_width / (small * 3)), 1, 9))
    heights = [row_height * len(p["rows"]) + axis_room + 0.35 * cm for p in panels]
    height = legend_height + (sum(heights) if panels else 2 * cm) + foot
    canvas = svg.Canvas(width, height)
    svg.draw_legend(
        canvas, entries, x=2, y=4, columns=2, size=small, handle=handle, width=width - 4
    )
    top = legend_height
    axis_colour, tick_colour = style.NEUTRALS["grey"], style.NEUTRALS["grey_dark"]
    for panel, panel_height in zip(panels, heights):
        rows, (x_low, x_high) = panel["rows"], panel["xlim"]
        ticks = svg.nice_ticks(x_low, x_high, nbins, steps=[1, 2, 2.5, 5, 10])
        panel["xticks"] = ticks
        bottom = top + row_height * len(rows)
        formatter = style.axis_formatter(_tick_decimals(ticks))

        def to_x(value, x_low=x_low, x_high=x_high):
            return plot_left + (value - x_low) / (x_high - x_low) * plot_width

        for tick in ticks:
            x = to_x(tick)
            canvas.line(x, top, x, bottom, colour=style.GRID, width=0.7)
            canvas.line(x, bottom, x, bottom + tick_length, colour=tick_colour, width=0.8)
            canvas.text(
                x,
                bottom + tick_length + tick_pad,
                formatter(tick, 0),
                size=small,
                anchor="middle",
                valign="top",
            )
        for i in range(1, len(rows)):
            y = top + i * row_height
            canvas.line(plot_left, y, plot_left + plot_width, y, colour=style.GRID, width=0.6)
        drawn_rows = []
        for i, r in rows.iterrows():
            centre = top + (i + 0.5) * row_height
            canvas.text(
                plot_left - 6, centre, panel["labels"][i], size=small, anchor="end", valign="center"
            )
            drawn_row = {"indicator": int(r["indicator"]), "label": panel["labels"][i]}
            for sex, colour, marker, shift in (
                ("female", style.FEMALE, "o", -0.17),
                ("male", style.MALE, "s", 0.17),
            ):
                y = centre + shift * row_height
                low, high = float(r[f"{sex}_lower"]), float(r[f"{sex}_upper"])
                drawn_row[sex] = None
                drawn_row[f"{sex}_interval"] = None
                if not (math.isnan(low) or math.isnan(high)):
                    canvas.line(to_x(low), y, to_x(high), y, colour=colour, width=1.5)
                    drawn_row[f"{sex}_interval"] = (low, high)
                if not math.isnan(float(r[sex])):
                    canvas.marker(
                        to_x(float(r[sex])),
                        y,
                        marker,
                        6.5,
                        fill=colour,
                        edge=style.NEUTRALS["white"],
                        edge_width=0.6,
                    )
                    drawn_row[sex] = (float(r[sex]), colour)
            drawn_rows.append(drawn_row)
        canvas.line(plot_left, top, plot_left, bottom, colour=axis_colour, width=0.8)
        canvas.line(
            plot_left, bottom, plot_left + plot_width, bottom, colour=axis_colour, width=0.8
        )
        canvas.text(
            plot_left + plot_width / 2,
            bottom + axis_room,
            panel["unit"],
            size=small,
            colour=style.MUTED_TEXT,
            anchor="middle",
            valign="bottom",
        )
        panel["rows"] = drawn_rows
        top += panel_height
    if data.empty:
        canvas.text(
            width / 2,
            legend_height + cm,
            "ei sukupuolittaisia tietoja",
            size=style.FONT_SIZE,
            colour=style.MUTED_TEXT,
            anchor="middle",
            valign="center",
        )
    if significant:
        canvas.text(
            2,
            height - 2,
            "* ero naisten ja miesten välillä tilastollisesti merkitsevä "
            "(luottamusvälit eivät ole päällekkäin)",
            size=small - 0.5,
            colour=style.MUTED_TEXT,
            valign="bottom",
        )
    for panel in panels:
        panel.pop("labels", None)
    figure = SvgFigure(
        canvas, panels=panels, drawn={"ci": has_ci}, legend=[e.label for e in entries]
    )
    return figure, _sex_alt(data, region_name)


def _sex_handle(colour: str, marker: str):
    def draw(canvas: svg.Canvas, x: float, y: float, length: float) -> None:
        canvas.line(x, y, x + length, y, colour=colour, width=1.5)
        canvas.marker(x + length / 2, y, marker, 6, fill=colour, edge=colour)

    return draw


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
