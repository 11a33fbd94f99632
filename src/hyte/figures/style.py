"""The look of hyte's figures: one colour-blind-safe palette, sizes for the web and A4, Finnish ticks.

Colours are the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), which stays
distinguishable for the common forms of colour blindness, plus neutral greys for ranges, grids and
text. A significance category never relies on colour alone: each has its own marker shape too, so a
card printed in greyscale still reads (``SIGNIFICANCE``).

Call :func:`apply_style` once before drawing (the figure functions in :mod:`hyte.figures.figures` do).
"""

from __future__ import annotations

from dataclasses import dataclass

# --- colours ------------------------------------------------------------------------------------

#: The Okabe–Ito palette.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: Neutral greys for shaded ranges, grid lines, secondary text, and white.
NEUTRALS: dict[str, str] = {
    "text": "#222222",
    "grey_dark": "#595959",
    "grey": "#8C8C8C",
    "grey_light": "#C8C8C8",
    "grey_lighter": "#E6E6E6",
    "white": "#FFFFFF",
}

#: Every colour a hyte figure may use (upper-case hex).
PALETTE: dict[str, str] = {**OKABE_ITO, **NEUTRALS}

# Roles: who is drawn in which colour, across all figures.
MUNICIPALITY = OKABE_ITO["blue"]
COUNTY = OKABE_ITO["orange"]
COUNTRY = OKABE_ITO["black"]
FEMALE = OKABE_ITO["reddish_purple"]
MALE = OKABE_ITO["blue"]
RANGE_OUTER = NEUTRALS["grey_lighter"]  # the municipalities' min–25th and 75th–max
RANGE_INNER = NEUTRALS["grey_light"]  # the municipalities' 25th–75th percentile
GRID = NEUTRALS["grey_lighter"]
TEXT = NEUTRALS["text"]
MUTED_TEXT = NEUTRALS["grey_dark"]

# Line styles so that lines differ without colour too.
MUNICIPALITY_LINE = {
    "color": MUNICIPALITY,
    "linestyle": "-",
    "marker": "o",
    "linewidth": 1.8,
    "markersize": 3.5,
}
COUNTY_LINE = {"color": COUNTY, "linestyle": "--", "marker": "s", "linewidth": 1.5, "markersize": 3}
COUNTRY_LINE = {"color": COUNTRY, "linestyle": ":", "marker": None, "linewidth": 1.5}
CI_BAND_ALPHA = 0.22  # the municipality's CI band: its own colour, transparent


@dataclass(frozen=True)
class Significance:
    """How one comparison category is drawn: fill, edge, marker shape and hatch (for bars)."""

    color: str
    edge: str
    marker: str
    hatch: str


#: Comparison categories of :func:`hyte.stats.stats.compare` -> how they are drawn. Colours follow the
#: Fingertips convention (better green, similar yellow/amber, worse red; higher/lower blue where
#: there is no polarity); shapes and hatches repeat the meaning for greyscale and colour-blind readers.
SIGNIFICANCE: dict[str, Significance] = {
    "better": Significance(OKABE_ITO["bluish_green"], NEUTRALS["text"], "^", "///"),
    "similar": Significance(OKABE_ITO["yellow"], NEUTRALS["text"], "o", ""),
    "worse": Significance(OKABE_ITO["vermillion"], NEUTRALS["text"], "v", "\\\\\\"),
    "higher": Significance(OKABE_ITO["blue"], NEUTRALS["text"], "s", "..."),
    "lower": Significance(OKABE_ITO["sky_blue"], NEUTRALS["text"], "D", "ooo"),
    "not_compared": Significance(NEUTRALS["white"], NEUTRALS["grey_dark"], "o", ""),
}
#: Order in legends.
SIGNIFICANCE_ORDER = ("better", "similar", "worse", "higher", "lower", "not_compared")

# --- sizes --------------------------------------------------------------------------------------

CM = 1 / 2.54  # inches per centimetre
#: Width of a figure on an A4 page (16 cm text width) and on the web (the same drawing, shown at the
#: column width; PNGs are saved at DPI so they stay sharp on high-density screens).
A4_WIDTH_CM = 16.0
WEB_WIDTH_CM = 16.0
DPI = 200

FONT_SIZE = 8.5  # body text of figures (labels, ticks), in points at 16 cm width
FONT_SIZE_SMALL = 7.5  # secondary text (units, years, notes)
FONT_SIZE_TITLE = 9.5  # panel titles
FONT_FAMILY = ["DejaVu Sans", "Liberation Sans", "Arial", "sans-serif"]


def figure_size(height_cm: float, *, medium: str = "a4") -> tuple[float, float]:
    """(width, height) in inches for a figure ``height_cm`` tall, full text width of ``medium``
    ('a4' or 'web')."""
    width = A4_WIDTH_CM if medium == "a4" else WEB_WIDTH_CM
    return (width * CM, height_cm * CM)


def rc_params() -> dict[str, object]:
    """hyte's matplotlib settings (see :func:`apply_style`)."""
    from cycler import cycler

    return {
        "font.family": "sans-serif",
        "font.sans-serif": FONT_FAMILY,
        "font.size": FONT_SIZE,
        "axes.titlesize": FONT_SIZE_TITLE,
        "axes.titleweight": "bold",
        "axes.titlelocation": "left",
        "axes.labelsize": FONT_SIZE,
        "axes.labelcolor": TEXT,
        "axes.edgecolor": NEUTRALS["grey"],
        "axes.linewidth": 0.8,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "axes.grid.axis": "y",
        "axes.axisbelow": True,
        "axes.facecolor": NEUTRALS["white"],
        "axes.prop_cycle": cycler(
            color=[
                MUNICIPALITY,
                COUNTY,
                COUNTRY,
                OKABE_ITO["bluish_green"],
                OKABE_ITO["vermillion"],
                OKABE_ITO["reddish_purple"],
                OKABE_ITO["sky_blue"],
            ]
        ),
        "grid.color": GRID,
        "grid.linewidth": 0.7,
        "xtick.labelsize": FONT_SIZE_SMALL,
        "ytick.labelsize": FONT_SIZE_SMALL,
        "xtick.color": NEUTRALS["grey_dark"],
        "ytick.color": NEUTRALS["grey_dark"],
        "xtick.labelcolor": TEXT,
        "ytick.labelcolor": TEXT,
        "text.color": TEXT,
        "legend.fontsize": FONT_SIZE,
        "legend.frameon": False,
        "figure.facecolor": NEUTRALS["white"],
        "figure.dpi": 100,
        "savefig.dpi": DPI,
        "savefig.facecolor": NEUTRALS["white"],
        "savefig.bbox": "tight",
        "savefig.pad_inches": 0.05,
        "svg.fonttype": "path",
        "axes.unicode_minus": True,
        "text.parse_math": False,  # names from the catalog are text: a '$' is not maths (hyte.markup)
        "lines.solid_capstyle": "round",
    }


def apply_style() -> None:
    """Set hyte's style for the matplotlib figures drawn after this call (idempotent)."""
    import matplotlib as mpl

    mpl.rcParams.update(rc_params())


def axis_formatter(decimals: int = 0):
    """Finnish tick labels (decimal comma, NBSP thousands): :func:`hyte.fmt.axis_formatter`."""
    from hyte.fmt import axis_formatter as _formatter

    return _formatter(decimals)


def is_palette_colour(colour: object) -> bool:
    """Whether a matplotlib colour (any alpha) is one of :data:`PALETTE`."""
    from matplotlib.colors import to_hex

    try:
        return to_hex(colour, keep_alpha=False).upper() in {c.upper() for c in PALETTE.values()}
    except ValueError:
        return False
