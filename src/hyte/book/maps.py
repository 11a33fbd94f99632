"""Maps of the county's municipalities, drawn with matplotlib (static images: the site and the PDF).

Borders: ``data/reference/kuntarajat_2026.json``, derived by :func:`derive_borders` (script
``scripts/derive_municipal_borders.py``) from Maanmittauslaitos' municipal division 1:4 500 000 of 2023
(© Maanmittauslaitos, Hallinnolliset aluejaot 1:4,5 milj., CC BY 4.0) with the one change to the 2026
division: Pertunmaa (588) joined Mäntyharju (507) on 1.1.2025. Coordinates are ETRS-TM35FIN
(EPSG:3067) metres, projected here with the Krüger series of the transverse Mercator projection
(JHS 154), so no GIS library is needed.

- :func:`indicator_map`: one indicator, every municipality coloured by its comparison with the
  county (the significance colours of the tables) AND hatched, so that greyscale print works; the
  value is printed on each municipality.
- :func:`locator_map`: the municipality within its county (for the card).
"""

from __future__ import annotations

import itertools
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hyte.errors import HyteError

__all__ = [
    "ATTRIBUTION",
    "BORDERS_FILE",
    "HATCHES",
    "MERGES_2026",
    "Borders",
    "derive_borders",
    "indicator_map",
    "load_borders",
    "locator_map",
    "tm35fin",
]

BORDERS_FILE = "kuntarajat_2026.json"
ATTRIBUTION = "© Maanmittauslaitos, Hallinnolliset aluejaot 1:4,5 milj., CC BY 4.0"
SOURCE_NAME = "mml_kuntajako_4500k_2023.geojson"
#: Municipalities merged since the source's division: dissolved code -> receiving code.
MERGES_2026 = {"588": "507"}  # Pertunmaa -> Mäntyharju, 1.1.2025
#: Coordinates are rounded to this many metres (the source's scale is 1:4 500 000).
GRID_M = 10

# --- projection: geographic (GRS80) -> ETRS-TM35FIN ------------------------------------------------

_A = 6378137.0
_F = 1 / 298.257222101
_K0 = 0.9996
_LON0 = math.radians(27.0)
_FALSE_EASTING = 500000.0


def tm35fin(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude in degrees (ETRS89 ≈ WGS 84) to ETRS-TM35FIN easting and northing in
    metres (transverse Mercator, central meridian 27° E, scale 0.9996, false easting 500 000 m;
    Krüger series to the third order, millimetre accuracy in Finland)."""
    n = _F / (2 - _F)
    big_a = _A / (1 + n) * (1 + n**2 / 4 + n**4 / 64)
    alpha = (n / 2 - 2 * n**2 / 3 + 5 * n**3 / 16, 13 * n**2 / 48 - 3 * n**3 / 5, 61 * n**3 / 240)
    lon, lat = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    phi = np.radians(lat)
    lam = np.radians(lon) - _LON0
    e = 2 * math.sqrt(n) / (1 + n)
    t = np.sinh(np.arctanh(np.sin(phi)) - e * np.arctanh(e * np.sin(phi)))
    xi = np.arctan2(t, np.cos(lam))
    eta = np.arctanh(np.sin(lam) / np.sqrt(1 + t**2))
    easting = eta.copy()
    northing = xi.copy()
    for j, a_j in enumerate(alpha, start=1):
        easting = easting + a_j * np.cos(2 * j * xi) * np.sinh(2 * j * eta)
        northing = northing + a_j * np.sin(2 * j * xi) * np.cosh(2 * j * eta)
    return _FALSE_EASTING + _K0 * big_a * easting, _K0 * big_a * northing


# --- deriving the 2026 borders ----------------------------------------------------------------------

Ring = list[tuple[int, int]]


def _polygons(geometry: dict) -> list[list[list[list[float]]]]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["coordinates"])
    raise HyteError(
        f"unsupported geometry type {geometry['type']!r} (expected Polygon or MultiPolygon)"
    )


def _project_ring(ring: Sequence[Sequence[float]]) -> Ring:
    lon = np.array([p[0] for p in ring])
    lat = np.array([p[1] for p in ring])
    x, y = tm35fin(lon, lat)
    out: Ring = []
    for xi, yi in zip(x, y):
        point = (int(round(xi / GRID_M) * GRID_M), int(round(yi / GRID_M) * GRID_M))
        if not out or out[-1] != point:
            out.append(point)
    if out[0] != out[-1]:
        out.append(out[0])
    return out


def dissolve(rings: Iterable[Ring]) -> list[Ring]:
    """The outer rings of neighbouring polygons as the rings of their union: the edges they share
    (the same two vertices, in either direction) are removed and the rest stitched into closed rings.
    Works for borders that share their vertices exactly (one topology, as the source has)."""
    count: dict[frozenset, int] = defaultdict(int)
    directed: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for ring in rings:
        for a, b in itertools.pairwise(ring):
            if a != b:
                count[frozenset((a, b))] += 1
                directed.append((a, b))
    remaining = [(a, b) for a, b in directed if count[frozenset((a, b))] == 1]
    following: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for a, b in remaining:
        following[a].append(b)
    out: list[Ring] = []
    used: set[tuple[tuple[int, int], tuple[int, int]]] = set()
    for start, first in remaining:
        if (start, first) in used:
            continue
        ring = [start]
        a, b = start, first
        while True:
            used.add((a, b))
            ring.append(b)
            if b == start:
                break
            nexts = [c for c in following[b] if (b, c) not in used]
            if not nexts:
                raise HyteError(
                    "dissolve: the borders do not close into a ring (vertices not shared)"
                )
            a, b = b, nexts[0]
        out.append(ring)
    return out


def derive_borders(
    source: Path, target: Path, *, municipalities_csv: Path, merges: dict[str, str] = MERGES_2026
) -> dict[str, Any]:
    """Write the 2026 municipal borders (``target``, compact JSON) from the Maanmittauslaitos GeoJSON
    ``source``: projected to EPSG:3067, rounded to :data:`GRID_M` m, merged municipalities dissolved
    into the receiving one; checked against ``municipalities_csv`` (the same codes). Returns the data."""
    import pandas as pd

    from hyte.data.snapshot import write_text_atomic

    data = json.loads(Path(source).read_text(encoding="utf-8"))
    shapes: dict[str, list[list[Ring]]] = {}
    names: dict[str, str] = {}
    for feature in data.get("features", []):
        props = feature.get("properties") or {}
        code = str(props.get("NATCODE", "")).zfill(3)
        if not code.strip("0") and code != "000":
            raise HyteError(f"{source}: a feature without NATCODE")
        shapes[code] = [
            [_project_ring(r) for r in polygon] for polygon in _polygons(feature["geometry"])
        ]
        names[code] = str(props.get("NAMEFIN", code))
    for old, new in merges.items():
        if old not in shapes or new not in shapes:
            continue
        parts = shapes.pop(old) + shapes[new]
        names.pop(old)
        holes = [hole for polygon in parts for hole in polygon[1:]]
        outer = dissolve([polygon[0] for polygon in parts])
        shapes[new] = [[ring] for ring in outer]
        if holes:
            shapes[new][0].extend(holes)
    expected = pd.read_csv(municipalities_csv, dtype=str)
    wanted = set(expected["code"])
    if set(shapes) != wanted:
        raise HyteError(
            f"{source}: the borders have {len(shapes)} municipalities but "
            f"{Path(municipalities_csv).name} has {len(wanted)}; differing codes: "
            f"{sorted(set(shapes) ^ wanted)[:10]}. Update MERGES_2026 in hyte.book.maps."
        )
    out = {
        "description": "Municipal borders of Finland, 2026 division, ETRS-TM35FIN (EPSG:3067) metres, "
        f"rounded to {GRID_M} m. Each municipality: polygons, each a list of rings "
        "(outer first), each ring a flat list x0, y0, x1, y1, ...",
        "attribution": ATTRIBUTION,
        "source": f"{SOURCE_NAME} (Maanmittauslaitos, division of 2023); merged: "
        + ", ".join(f"{old} -> {new}" for old, new in merges.items()),
        "crs": "EPSG:3067",
        "municipalities": {
            code: {
                "name": names[code],
                "polygons": [
                    [[v for point in ring for v in point] for ring in polygon]
                    for polygon in shapes[code]
                ],
            }
            for code in sorted(shapes)
        },
    }
    write_text_atomic(
        Path(target), json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n"
    )
    return out


# --- loading ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Borders:
    """Municipal polygons (EPSG:3067 metres): code -> list of polygons, each a list of (n, 2) arrays."""

    polygons: dict[str, list[list[np.ndarray]]]
    names: dict[str, str]
    attribution: str

    def outer(self, code: str) -> list[np.ndarray]:
        return [polygon[0] for polygon in self.polygons[code]]

    def label_point(self, code: str) -> tuple[float, float]:
        """A point for the municipality's label: of a grid over its largest polygon, the inside point
        farthest from the border (so that a label stays inside a municipality that wraps around a
        neighbour, as Jyväskylä wraps around Muurame)."""
        ring = max(self.outer(code), key=lambda r: abs(_area(r)))
        return _interior_point(ring)


def _area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]))


def _centroid(ring: np.ndarray) -> tuple[float, float]:
    x, y = ring[:, 0], ring[:, 1]
    cross = x[:-1] * y[1:] - x[1:] * y[:-1]
    area = cross.sum() / 2
    if area == 0:
        return float(x.mean()), float(y.mean())
    return (
        float(((x[:-1] + x[1:]) * cross).sum() / (6 * area)),
        float(((y[:-1] + y[1:]) * cross).sum() / (6 * area)),
    )


def _interior_point(ring: np.ndarray, steps: int = 30) -> tuple[float, float]:
    x0, y0 = ring.min(axis=0)
    x1, y1 = ring.max(axis=0)
    best, best_distance = _centroid(ring), -1.0
    a, b = ring[:-1], ring[1:]
    d = b - a
    length2 = np.maximum((d**2).sum(axis=1), 1e-9)
    for y in np.linspace(y0, y1, steps + 2)[1:-1]:
        for x in np.linspace(x0, x1, steps + 2)[1:-1]:
            if not _inside(ring, x, y):
                continue
            t = np.clip(((x - a[:, 0]) * d[:, 0] + (y - a[:, 1]) * d[:, 1]) / length2, 0, 1)
            distance = float(np.min(np.hypot(a[:, 0] + t * d[:, 0] - x, a[:, 1] + t * d[:, 1] - y)))
            if distance > best_distance:
                best, best_distance = (float(x), float(y)), distance
    return best


def _crossings(ring: np.ndarray, y: float) -> list[float]:
    xs = []
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 <= y < y2) or (y2 <= y < y1):
            xs.append(x1 + (y - y1) * (x2 - x1) / (y2 - y1))
    return sorted(xs)


def _inside(ring: np.ndarray, x: float, y: float) -> bool:
    return sum(1 for cx in _crossings(ring, y) if cx < x) % 2 == 1


def load_borders(path: Path) -> Borders:
    """Read the borders file; a missing or broken file is one clear error."""
    path = Path(path)
    if not path.is_file():
        raise HyteError(
            f"{path} is missing: run `python scripts/derive_municipal_borders.py` to make it "
            "from ../shared/reference (Maanmittauslaitos, CC BY 4.0)."
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        polygons = {
            code: [
                [np.asarray(ring, dtype=float).reshape(-1, 2) for ring in polygon]
                for polygon in entry["polygons"]
            ]
            for code, entry in data["municipalities"].items()
        }
        names = {code: entry["name"] for code, entry in data["municipalities"].items()}
    except (ValueError, KeyError, TypeError) as exc:
        raise HyteError(
            f"{path}: not a hyte borders file ({exc}); regenerate it with "
            "`python scripts/derive_municipal_borders.py`."
        ) from None
    return Borders(
        polygons=polygons, names=names, attribution=str(data.get("attribution", ATTRIBUTION))
    )


# --- drawing ------------------------------------------------------------------------------------------

#: Hatching per comparison with the county, so that the categories differ in greyscale print too.
HATCHES = {
    "better": "....",
    "worse": "////",
    "similar": "",
    "higher": "\\\\\\\\",
    "lower": "||||",
    "not_compared": "xxx",
}


def _draw(
    ax,
    borders: Borders,
    codes: Sequence[str],
    *,
    faces: dict[str, str],
    hatches: dict[str, str] | None = None,
    edge: str = "#1B1B1B",
    linewidth: float = 0.6,
) -> None:
    from matplotlib.patches import Polygon as PolygonPatch

    hatches = hatches or {}
    for code in codes:
        for polygon in borders.polygons[code]:
            for index, ring in enumerate(polygon):
                face = faces.get(code, "#FFFFFF") if index == 0 else "#FFFFFF"
                ax.add_patch(
                    PolygonPatch(
                        ring,
                        closed=True,
                        facecolor=face,
                        edgecolor=edge,
                        linewidth=linewidth,
                        hatch=hatches.get(code) if index == 0 else None,
                        joinstyle="round",
                    )
                )
    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.set_axis_off()


def _extent(borders: Borders, codes: Sequence[str]) -> tuple[float, float, float, float]:
    rings = [ring for code in codes for ring in borders.outer(code)]
    xs = np.concatenate([r[:, 0] for r in rings])
    ys = np.concatenate([r[:, 1] for r in rings])
    return float(xs.min()), float(xs.max()), float(ys.min()), float(ys.max())


def indicator_map(
    borders: Borders,
    rows,
    *,
    title: str,
    unit: str,
    decimals: int,
    county_name: str,
    municipalities: Sequence[tuple[str, str]] | None = None,
    medium: str = "screen",
):
    """A map of one indicator for the county's municipalities. ``rows``: one row per municipality
    with ``code``, ``name``, ``value`` (NaN when missing or hidden) and ``vs_county``;
    ``municipalities``: (code, name) of every municipality of the county, so that those without a
    row are drawn too (as not compared). Returns ``(figure, alt)``; the alt text is short and says it
    is a map."""
    import pandas as pd

    rows = rows[["code", "name", "value", "vs_county"]].copy()
    rows["code"] = rows["code"].astype(str)
    if municipalities:
        absent = [(c, n) for c, n in municipalities if c not in set(rows["code"])]
        if absent:
            rows = pd.concat(
                [
                    rows,
                    pd.DataFrame(
                        {
                            "code": [c for c, _ in absent],
                            "name": [n for _, n in absent],
                            "value": [float("nan")] * len(absent),
                            "vs_county": ["not_compared"] * len(absent),
                        }
                    ),
                ],
                ignore_index=True,
            )
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from hyte import fmt
    from hyte.book.report import SIGNIFICANCE_STYLE
    from hyte.figures import style
    from hyte.stats.summary import label

    style.apply_style()
    codes = [str(c) for c in rows["code"]]
    missing = [c for c in codes if c not in borders.polygons]
    if missing:
        raise HyteError(
            f"municipal borders lack {', '.join(missing)}: regenerate "
            f"data/reference/{BORDERS_FILE} for the current division."
        )
    faces, hatches = {}, {}
    for _, r in rows.iterrows():
        code = str(r["vs_county"]) if r["vs_county"] in SIGNIFICANCE_STYLE else "not_compared"
        faces[str(r["code"])] = SIGNIFICANCE_STYLE[code][0]
        hatches[str(r["code"])] = HATCHES.get(code, "")
    x0, x1, y0, y1 = _extent(borders, codes)
    aspect = (y1 - y0) / (x1 - x0)
    # A4 text width; the map takes the height it needs up to 13 cm (the county's shape decides).
    width_cm = 16.0
    map_width = 0.72
    height_cm = min(13.0, width_cm * map_width * aspect) + 1.0
    fig = plt.figure(figsize=(width_cm / 2.54, height_cm / 2.54))
    ax = fig.add_axes((0.0, 0.9 / height_cm, map_width, 1 - 1.1 / height_cm))
    with plt.rc_context({"hatch.color": "#4D4D4D", "hatch.linewidth": 0.5}):
        _draw(ax, borders, codes, faces=faces, hatches=hatches)
    import matplotlib.patheffects as effects

    halo = [effects.withStroke(linewidth=2.2, foreground="white")]
    for _, r in rows.iterrows():
        x, y = borders.label_point(str(r["code"]))
        value = fmt.number(r["value"], decimals) if not fmt.is_missing(r["value"]) else fmt.MISSING
        ax.text(
            x,
            y,
            f"{r['name']}\n{value}",
            ha="center",
            va="center",
            fontsize=7,
            color="#1B1B1B",
            path_effects=halo,
            linespacing=1.0,
        )
    present = [
        c
        for c in ("better", "similar", "worse", "higher", "lower", "not_compared")
        if c in set(rows["vs_county"].astype(str))
    ]
    handles = [
        Patch(
            facecolor=SIGNIFICANCE_STYLE[c][0],
            edgecolor="#1B1B1B",
            hatch=HATCHES[c],
            label=f"{SIGNIFICANCE_STYLE[c][2]} {label(c)}".strip(),
        )
        for c in present
    ]
    fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(map_width, 0.98),
        frameon=False,
        fontsize=7.5,
        title="Ero hyvinvointi-\nalueeseen",
        title_fontsize=7.5,
        handleheight=1.6,
        handlelength=2.2,
    )
    fig.text(
        0.0, 0.02, f"Arvot: {unit}. Kartta: {borders.attribution}.", fontsize=7, color="#5B6770"
    )
    counts = {c: int((rows["vs_county"] == c).sum()) for c in present}
    summary = ", ".join(f"{label(c)} {n}" for c, n in counts.items())
    from hyte.book.report import genitive

    alt = (
        f"Kartta: {title} {genitive(county_name)} kunnissa; väri ja rasteri kertovat eron "
        f"hyvinvointialueeseen ({summary}); arvot kuntien kohdalla."
    )
    from hyte.figures.a11y import short_alt

    return fig, short_alt(alt)


def locator_map(
    borders: Borders,
    county_codes: Sequence[str],
    code: str,
    *,
    county_name: str,
    medium: str = "screen",
):
    """The municipality (dark, hatched) among the county's other municipalities (light). Returns
    ``(figure, alt)``."""
    import matplotlib.pyplot as plt

    from hyte.book.report import genitive
    from hyte.figures import style

    style.apply_style()
    codes = [str(c) for c in county_codes]
    if code not in borders.polygons or any(c not in borders.polygons for c in codes):
        raise HyteError(
            f"municipal borders lack municipality {code} or its county: regenerate "
            f"data/reference/{BORDERS_FILE}."
        )
    faces = {c: "#E5E5E5" for c in codes}
    faces[code] = "#00507A"
    fig = plt.figure(figsize=(6.0 / 2.54, 7.0 / 2.54))
    ax = fig.add_axes((0.02, 0.02, 0.96, 0.96))
    with plt.rc_context({"hatch.color": "#FFFFFF", "hatch.linewidth": 0.6}):
        _draw(ax, borders, codes, faces=faces, hatches={code: "////"}, linewidth=0.4)
    # The attribution is in the caption (readable in print; the figure is shown small).
    name = borders.names.get(code, code)
    alt = f"Kartta: {name} (tumma, vinoviivoitettu) {genitive(county_name)} kuntien joukossa."
    return fig, alt


# --- the book: chapter maps and the card's locator map ------------------------------------------------


def borders_path(root: Path) -> Path:
    return Path(root) / "data" / "reference" / BORDERS_FILE


def chapter_maps_markdown(chapter, indicators) -> str:
    """A map per indicator (the county's municipalities against the county) for the
    regional-differences chapter, as Markdown figures (``output: asis``)."""
    from hyte.card.card import _slug
    from hyte.figures.figure_files import figure_file_markdown, save_figure

    root = chapter.ctx.config.root
    borders = load_borders(borders_path(root))
    municipalities = [(m.code, m.name_fi) for m in chapter.ctx.municipalities]
    long = chapter.municipal
    parts = []
    for indicator in indicators:
        rows = long[long["indicator"] == indicator.id] if not long.empty else long
        years = sorted({int(y) for y in rows["year"].dropna()}) if len(rows) else []
        year = (
            f", {years[-1]}"
            if len(years) == 1
            else (f", {years[0]}\u2013{years[-1]}" if years else "")
        )
        figure, alt = indicator_map(
            borders,
            rows if len(rows) else _empty_rows(),
            title=indicator.short_fi,
            unit=indicator.unit_fi,
            decimals=indicator.decimals,
            county_name=chapter.county_name,
            municipalities=municipalities,
        )
        name = f"kartta-{indicator.id}-{_slug(indicator.short_fi)[:40]}"
        path = save_figure(figure, root, name)
        caption = (
            f"{indicator.short_fi} ({indicator.unit_fi}){year}: kunnat verrattuna "
            f"hyvinvointialueeseen (95\u00a0%:n luottamusväli); väri ja rasteri kertovat eron, "
            "luku on kunnan arvo."
        )
        parts.append(
            figure_file_markdown(
                path, figure_id=f"fig-kartta-{indicator.id}", caption=caption, alt=alt
            )
        )
    return "\n".join(parts)


def _empty_rows():
    import pandas as pd

    return pd.DataFrame(
        {
            "code": pd.Series(dtype=str),
            "name": pd.Series(dtype=str),
            "value": pd.Series(dtype=float),
            "vs_county": pd.Series(dtype=str),
        }
    )


def card_locator(kortti):
    """The card's locator map (the municipality within its county) as Markdown for a notebook cell:
    a small figure shared by the HTML and print layouts."""
    from IPython.display import Markdown

    root = kortti.ctx.config.root
    borders = load_borders(borders_path(root))
    codes = [m.code for m in kortti.ctx.regions.county_municipalities(kortti.county.code)]
    figure, alt = locator_map(borders, codes, kortti.code, county_name=kortti.county.name_fi)
    caption = (
        f"Sijaintikartta: {kortti.name} "
        f"{kortti.county.name_fi.replace('hyvinvointialue', 'hyvinvointialueella')}. "
        "Kuntarajat © Maanmittauslaitos, CC BY 4.0."
    )
    text = kortti._figure(figure, alt, "kartta", caption).replace('width="100%"', 'width="22%"')
    return Markdown(text)
