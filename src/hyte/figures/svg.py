"""A small SVG canvas for the card's charts: shapes in points, text measured with DejaVu Sans.

The card draws about ten charts per municipality. Drawn with matplotlib they took 6–9 s of a card's
~9 s (axes set-up, ``tight_layout`` and the full draw in ``savefig``). These charts are simple — lines,
markers, bands, bars and text on a fixed layout — so they are written here as SVG directly, in
milliseconds, with the same look (hyte.figures.style: colours, line styles, marker shapes, sizes).

- Units are points (1/72 inch); a figure is 16 cm wide like the matplotlib figures were.
- Text stays text (smaller files, sharp at any zoom, selectable). Its width is measured with the
  metrics of DejaVu Sans, the font matplotlib ships and the first font the SVG asks for; the fallbacks
  (Verdana, Arial …) are narrower or as wide, so a label that fits in DejaVu Sans fits in them too.
- Every call also records what it drew (:attr:`Canvas.colours`, :attr:`Canvas.texts`), and the chart
  functions record their data per panel, so tests check a figure's data, not its pixels.
- Text from data files is XML-escaped (:func:`xml_text`); there is no markup language inside a label.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from hyte.figures import style

PT_PER_CM = 72 / 2.54
#: The fonts an SVG asks for, in order (the first one is the one text is measured with).
FONT_STACK = "DejaVu Sans, Verdana, Liberation Sans, Arial, Helvetica, sans-serif"
#: Line height of multi-line text, in font sizes (matplotlib's default ``linespacing``).
LINE_SPACING = 1.2
# Vertical metrics of DejaVu Sans, in font sizes: where the baseline sits for each alignment.
_ASCENT = 0.76  # top of the tallest letters above the baseline
_DESCENT = 0.24  # bottom of descenders below it
_CENTRE = 0.36  # baseline offset that centres a line of mixed letters on a y

# Matplotlib's dash patterns (``lines.dashed_pattern``, ``lines.dotted_pattern``), scaled by the line width.
_DASHES = {"-": None, "--": (3.7, 1.6), ":": (1.0, 1.65), "-.": (6.4, 1.6, 1.0, 1.6)}


@lru_cache(maxsize=2)
def _font(bold: bool):
    """DejaVu Sans (matplotlib's copy) at 100 px, for measuring."""
    import matplotlib
    from PIL import ImageFont

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name), 100)


@lru_cache(maxsize=16384)
def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width in points of one line of ``text`` at ``size`` points (the widest line if several)."""
    lines = str(text).split("\n")
    return max(_font(bold).getlength(line) for line in lines) * size / 100


def text_height(text: str, size: float) -> float:
    """Height in points of ``text`` (its lines at :data:`LINE_SPACING`)."""
    lines = str(text).count("\n") + 1
    return size * (1.0 + (lines - 1) * LINE_SPACING)


def xml_text(text: object) -> str:
    """``text`` escaped for SVG character data and attribute values."""
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def _n(value: float) -> str:
    """A coordinate with at most two decimals: '12.5', '3'."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def nice_ticks(low: float, high: float, nbins: int | str = 4, *, steps=None, integer=False):
    """Tick positions within ``low``…``high`` as matplotlib's ``MaxNLocator`` places them (the same
    algorithm, so the axes read as before)."""
    from matplotlib.ticker import MaxNLocator

    locator = MaxNLocator(nbins=nbins, steps=steps, integer=integer)
    ticks = locator.tick_values(low, high)
    span = high - low
    return [float(t) for t in ticks if low - 1e-9 * span <= t <= high + 1e-9 * span]


def autoscale(values: Iterable[float], margin: float = 0.05) -> tuple[float, float]:
    """The view limits matplotlib gives to data ``values``: their range with ``margin`` on each side
    (a single value is first widened by ±5 % of itself, or ±0,05 at zero); (0, 1) without finite
    values."""
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not finite:
        return 0.0, 1.0
    low, high = min(finite), max(finite)
    if high == low:  # matplotlib widens a single value by 5 % first, then adds the margins
        delta = abs(low) * 0.05 if low else 0.05
        low, high = low - delta, high + delta
    pad = (high - low) * margin
    return low - pad, high + pad


@dataclass
class Canvas:
    """An SVG drawing ``width`` × ``height`` points; shapes are appended in drawing order."""

    width: float
    height: float
    parts: list[str] = field(default_factory=list)
    colours: set[str] = field(default_factory=set)  # every colour used (upper-case hex)
    texts: list[str] = field(default_factory=list)  # every text drawn, in order

    def _paint(self, colour: str | None) -> str:
        if colour is None or colour == "none":
            return "none"
        self.colours.add(colour.upper())
        return colour

    def rect(self, x, y, w, h, *, fill, opacity: float | None = None) -> None:
        alpha = f' fill-opacity="{_n(opacity)}"' if opacity is not None and opacity < 1 else ""
        self.parts.append(
            f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(max(w, 0))}" height="{_n(max(h, 0))}" '
            f'fill="{self._paint(fill)}"{alpha}/>'
        )

    def line(self, x1, y1, x2, y2, *, colour, width, style_code="-", cap="butt") -> None:
        self.polyline(
            [(x1, y1), (x2, y2)], colour=colour, width=width, style_code=style_code, cap=cap
        )

    def polyline(self, points, *, colour, width, style_code="-", cap="round", join="round") -> None:
        """A line through ``points`` (at least two) in a matplotlib line style ('-', '--', ':')."""
        if len(points) < 2:
            return
        dash = _DASHES.get(style_code)
        dashes = f' stroke-dasharray="{",".join(_n(d * width) for d in dash)}"' if dash else ""
        if dash:
            cap = "butt"  # matplotlib's dash_capstyle
        path = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        self.parts.append(
            f'<polyline points="{path}" fill="none" stroke="{self._paint(colour)}" '
            f'stroke-width="{_n(width)}" stroke-linecap="{cap}" stroke-linejoin="{join}"{dashes}/>'
        )

    def polygon(self, points, *, fill, opacity: float | None = None) -> None:
        alpha = f' fill-opacity="{_n(opacity)}"' if opacity is not None and opacity < 1 else ""
        path = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        self.parts.append(f'<polygon points="{path}" fill="{self._paint(fill)}"{alpha}/>')

    def marker(self, x, y, shape: str, size: float, *, fill, edge, edge_width: float = 1.0) -> None:
        """A matplotlib marker ('o', 's', '^', 'v', 'D', '|') of ``size`` points centred on x, y."""
        stroke = f'stroke="{self._paint(edge)}" stroke-width="{_n(edge_width)}"'
        face = self._paint(fill) if shape != "|" else "none"
        h = size / 2
        if shape == "o":
            self.parts.append(
                f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(h)}" fill="{face}" {stroke}/>'
            )
        elif shape == "s":
            self.parts.append(
                f'<rect x="{_n(x - h)}" y="{_n(y - h)}" width="{_n(size)}" height="{_n(size)}" '
                f'fill="{face}" {stroke}/>'
            )
        elif shape in ("^", "v", "D"):
            if shape == "^":
                points = [(x, y - h), (x + h, y + h), (x - h, y + h)]
            elif shape == "v":
                points = [(x, y + h), (x + h, y - h), (x - h, y - h)]
            else:
                d = size * math.sqrt(2) / 2
                points = [(x, y - d), (x + d, y), (x, y + d), (x - d, y)]
            path = " ".join(f"{_n(px)},{_n(py)}" for px, py in points)
            self.parts.append(f'<polygon points="{path}" fill="{face}" {stroke}/>')
        elif shape == "|":
            self.parts.append(
                f'<line x1="{_n(x)}" y1="{_n(y - h)}" x2="{_n(x)}" y2="{_n(y + h)}" {stroke}/>'
            )
        else:
            raise ValueError(f"unknown marker {shape!r}")

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float,
        colour: str = style.TEXT,
        bold: bool = False,
        anchor: str = "start",
        valign: str = "baseline",
        rotate: float | None = None,
    ) -> None:
        """Text at x, y. ``anchor``: start | middle | end; ``valign``: baseline | top | center | bottom
        (of the whole block when it has several lines, separated by newlines)."""
        lines = str(text).split("\n")
        step = size * LINE_SPACING
        block = (len(lines) - 1) * step
        if valign == "top":
            first = y + _ASCENT * size
        elif valign == "center":
            first = y + _CENTRE * size - block / 2
        elif valign == "bottom":
            first = y - _DESCENT * size - block
        else:
            first = y
        self.texts.append(str(text))
        attributes = f'font-size="{_n(size)}" fill="{self._paint(colour)}"'
        if anchor != "start":
            attributes += f' text-anchor="{anchor}"'
        if bold:
            attributes += ' font-weight="bold"'
        if rotate:
            attributes += f' transform="rotate({_n(rotate)} {_n(x)} {_n(y)})"'
        if len(lines) == 1:
            self.parts.append(
                f'<text x="{_n(x)}" y="{_n(first)}" {attributes}>{xml_text(lines[0])}</text>'
            )
            return
        spans = "".join(
            f'<tspan x="{_n(x)}" y="{_n(first + i * step)}">{xml_text(line)}</tspan>'
            for i, line in enumerate(lines)
        )
        self.parts.append(f"<text {attributes}>{spans}</text>")

    def to_svg(self, title: str | None = None) -> str:
        """The SVG document (UTF-8 text). ``title`` becomes its <title> (the short alt text)."""
        head = (
            '<svg xmlns="http://www.w3.org/2000/svg" version="1.1" '
            f'width="{_n(self.width)}pt" height="{_n(self.height)}pt" '
            f'viewBox="0 0 {_n(self.width)} {_n(self.height)}">'
        )
        label = f"<title>{xml_text(title)}</title>" if title else ""
        return (
            head
            + label
            + f'<rect width="100%" height="100%" fill="{style.NEUTRALS["white"]}"/>'
            + f'<g font-family="{FONT_STACK}">'
            + "\n".join(self.parts)
            + "</g></svg>\n"
        )


@dataclass
class SvgFigure:
    """A chart drawn as SVG: its document, the data of each panel (for tests and the caption), what
    kinds of thing were drawn (``drawn``, e.g. ``{"band": True}``), and the colours and texts used."""

    canvas: Canvas
    panels: list[dict[str, Any]] = field(default_factory=list)
    drawn: dict[str, bool] = field(default_factory=dict)
    legend: list[str] = field(default_factory=list)  # the legend's labels, in order

    @property
    def hyte_drawn(self) -> dict[str, bool]:  # the name the card's captions read
        return self.drawn

    @property
    def colours(self) -> set[str]:
        return set(self.canvas.colours)

    @property
    def texts(self) -> list[str]:
        return list(self.canvas.texts)

    def to_svg(self) -> str:
        return self.canvas.to_svg()

    def size_cm(self) -> tuple[float, float]:
        return self.canvas.width / PT_PER_CM, self.canvas.height / PT_PER_CM


# --- legends ----------------------------------------------------------------------------------------


@dataclass
class LegendEntry:
    """One legend entry: ``draw(canvas, x, y_centre, length)`` draws its handle; then its label."""

    label: str
    draw: Any = None  # callable or None (a text-only entry)


def legend_size(
    entries: Sequence[LegendEntry], *, columns: int, size: float, handle: float, width: float
) -> tuple[list[list[int]], float, float]:
    """Where entries go: (column-major grid of entry indexes, row height, total height). Fewer columns
    are used when the labels would not fit in ``width``."""
    pad, spacing = 0.8 * size, 1.5 * size
    for ncol in range(min(columns, max(len(entries), 1)), 0, -1):
        rows = math.ceil(len(entries) / ncol) if entries else 0
        grid = [list(range(c * rows, min((c + 1) * rows, len(entries)))) for c in range(ncol)]
        widths = [
            max((text_width(entries[i].label, size) for i in column), default=0) + handle + pad
            for column in grid
        ]
        if sum(widths) + spacing * (ncol - 1) <= width or ncol == 1:
            row_height = size * 1.75
            return grid, row_height, rows * row_height
    return [], 0.0, 0.0


def draw_legend(
    canvas: Canvas,
    entries: Sequence[LegendEntry],
    *,
    x: float,
    y: float,
    columns: int,
    size: float,
    handle: float,
    width: float,
) -> float:
    """Draw the legend with its top-left corner at x, y (column-major, as matplotlib fills it); returns
    its height."""
    grid, row_height, height = legend_size(
        entries, columns=columns, size=size, handle=handle, width=width
    )
    pad, spacing = 0.8 * size, 1.5 * size
    left = x
    for column in grid:
        column_width = max((text_width(entries[i].label, size) for i in column), default=0)
        for row, index in enumerate(column):
            entry = entries[index]
            centre = y + (row + 0.5) * row_height
            if entry.draw is not None:
                entry.draw(canvas, left, centre, handle)
                canvas.text(left + handle + pad, centre, entry.label, size=size, valign="center")
            else:
                canvas.text(left, centre, entry.label, size=size, valign="center")
        left += handle + pad + column_width + spacing
    return height
