"""hyte.book.maps and hyte.book.overview: the 2026 borders derived from Maanmittauslaitos' data, the projection,
the chapter maps, the card's locator map and the seaborn heat map; the site's table markup."""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from hyte.book import maps, overview
from hyte.figures.a11y import ALT_MAX
from hyte.stats import stats

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "reference" / maps.SOURCE_NAME
BORDERS = ROOT / "data" / "reference" / maps.BORDERS_FILE


def test_tm35fin_matches_the_published_projection():
    # JHS 154: on the central meridian 27° E at 60° N, N = 6 651 411.190 m, E = 500 000 m
    east, north = maps.tm35fin(27.0, 60.0)
    assert float(east) == pytest.approx(500000.0, abs=0.01)
    assert float(north) == pytest.approx(6651411.19, abs=0.05)
    east, north = maps.tm35fin(np.array([20.0, 31.5]), np.array([60.0, 70.0]))
    assert east[0] < 200000 and east[1] > 640000 and north[1] > 7700000


def test_dissolve_removes_the_shared_border():
    left = [(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)]
    right = [(1, 0), (2, 0), (2, 1), (1, 1), (1, 0)]
    rings = maps.dissolve([left, right])
    assert len(rings) == 1
    assert set(rings[0]) == {(0, 0), (1, 0), (2, 0), (2, 1), (1, 1), (0, 1)}
    assert rings[0][0] == rings[0][-1]


@pytest.mark.skipif(not SOURCE.is_file(), reason="../shared/reference not present")
def test_derived_borders_are_the_2026_division_and_reproducible(tmp_path):
    target = tmp_path / "borders.json"
    data = maps.derive_borders(
        SOURCE, target, municipalities_csv=ROOT / "data" / "reference" / "municipalities.csv"
    )
    assert len(data["municipalities"]) == 308
    assert "588" not in data["municipalities"] and "507" in data["municipalities"]
    assert "Maanmittauslaitos" in data["attribution"] and "CC BY 4.0" in data["attribution"]
    assert data["crs"] == "EPSG:3067"
    # Mäntyharju after the merger: one outer ring whose area is the two municipalities' together
    source = json.loads(SOURCE.read_text(encoding="utf-8"))
    areas = {f["properties"]["NATCODE"]: f["properties"]["TOTALAREA"] for f in source["features"]}
    borders = maps.load_borders(target)
    (ring,) = borders.outer("507")
    km2 = abs(maps._area(ring)) / 1e6
    assert km2 == pytest.approx(areas["507"] + areas["588"], rel=0.06)
    # the committed file is what the script makes
    assert target.read_text(encoding="utf-8") == BORDERS.read_text(encoding="utf-8")
    assert BORDERS.stat().st_size < 200_000


def test_missing_borders_file_is_one_clear_error(tmp_path):
    from hyte.errors import HyteError

    with pytest.raises(HyteError, match="derive_municipal_borders"):
        maps.load_borders(tmp_path / "none.json")


@pytest.fixture(scope="module")
def borders():
    return maps.load_borders(BORDERS)


def test_label_points_fall_inside_their_municipality(borders):
    for code in ("179", "500", "410", "435"):  # Jyväskylä wraps around Muurame (500)
        ring = max(borders.outer(code), key=lambda r: abs(maps._area(r)))
        x, y = borders.label_point(code)
        assert maps._inside(ring, x, y), code


def test_indicator_map_colours_hatches_and_labels_every_municipality(borders):
    rows = pd.DataFrame(
        {
            "code": ["179", "500", "435"],
            "name": ["Jyväskylä", "Muurame", "Luhanka"],
            "value": [12.6, 15.2, np.nan],
            "vs_county": [stats.BETTER, stats.WORSE, stats.NOT_COMPARED],
        }
    )
    fig, alt = maps.indicator_map(
        borders,
        rows,
        title="Ahdistuneisuus",
        unit="%",
        decimals=1,
        county_name="Keski-Suomen hyvinvointialue",
        municipalities=[
            ("179", "Jyväskylä"),
            ("500", "Muurame"),
            ("435", "Luhanka"),
            ("216", "Kannonkoski"),
        ],
    )
    assert alt.startswith("Kartta:") and len(alt) <= ALT_MAX
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "Jyväskylä\n12,6" in texts and "Muurame\n15,2" in texts and "Kannonkoski\n–" in texts
    patches = fig.axes[0].patches
    hatches = {p.get_hatch() for p in patches}
    assert {maps.HATCHES["better"], maps.HATCHES["worse"], maps.HATCHES["not_compared"]} <= hatches
    matplotlib.pyplot.close(fig)


def test_locator_map(borders):
    codes = ["179", "500", "435"]
    fig, alt = maps.locator_map(borders, codes, "500", county_name="Keski-Suomen hyvinvointialue")
    assert (
        alt
        == "Kartta: Muurame (tumma, vinoviivoitettu) Keski-Suomen hyvinvointialueen kuntien joukossa."
    )
    faces = [p.get_facecolor() for p in fig.axes[0].patches]
    assert len({tuple(np.round(f, 3)) for f in faces}) == 2
    matplotlib.pyplot.close(fig)


def test_tartan_rug_marks_every_cell_with_its_symbol():
    class Ind:
        def __init__(self, id, short):
            self.id, self.short_fi = id, short

    inds = [Ind(1, "Yksi"), Ind(2, "Kaksi")]
    long = pd.DataFrame(
        {
            "name": ["A", "A", "B"],
            "indicator": [1, 2, 1],
            "vs_county": [stats.BETTER, stats.WORSE, stats.SIMILAR],
        }
    )
    matrix = overview.tartan_matrix(long, inds, ["A", "B"])
    assert matrix.loc["B", "Kaksi"] == stats.NOT_COMPARED
    fig, alt = overview.tartan_rug(
        long, inds, ["A", "B"], county_name="Keski-Suomen hyvinvointialue"
    )
    annotations = sorted(t.get_text() for t in fig.axes[0].texts)
    assert annotations == ["", "+", "=", "\u2212"]
    assert alt.startswith("Lämpökartta:") and "A (1)" in alt and len(alt) <= ALT_MAX
    matplotlib.pyplot.close(fig)


# --- the site: table containers and row headers ------------------------------------------------------


def test_lua_filter_wraps_tables_and_makes_row_headers(tmp_path):
    pypandoc = pytest.importorskip("pypandoc")

    stub = 'quarto = {doc = {is_format = function(f) return f == "html" end}}\n'
    lua = tmp_path / "filter.lua"
    lua.write_text(stub + (ROOT / "styles" / "hyte-tables.lua").read_text(encoding="utf-8"))
    markdown = "| Kunta | Arvo |\n|:--|--:|\n| Jyväskylä | 12,6 |\n| Muurame | 15,2 |\n\n: Koe {#tbl-koe}\n"
    html = pypandoc.convert_text(markdown, "html", format="markdown", filters=[str(lua)])
    opening = html[: html.index(">") + 1].replace("\n", " ")
    assert opening.startswith('<div class="hyte-table-scroll"')
    assert 'role="region"' in opening and 'tabindex="0"' in opening
    assert re.search(r'<th[^>]*scope="row"[^>]*>Jyväskylä</th>', html)
    assert "<caption>Koe</caption>" in html
    typst = pypandoc.convert_text(
        markdown, "typst", format="markdown", filters=[str(ROOT / "styles" / "hyte-tables.lua")]
    )
    assert "hyte-table-scroll" not in typst  # other formats untouched


def test_site_css_scrolls_tables_and_scales_figures(root):
    css = (root / "styles" / "hyte.css").read_text(encoding="utf-8")
    assert re.search(r"\.hyte-table-scroll[^{]*\{[^}]*overflow-x:\s*auto", css)
    assert re.search(r"main img[^{]*\{[^}]*max-width:\s*100%", css)
    quarto = (root / "_quarto.yml").read_text(encoding="utf-8")
    assert "css: styles/hyte.css" in quarto and "styles/hyte-tables.lua" in quarto
    assert "styles/hyte.typ" in quarto
