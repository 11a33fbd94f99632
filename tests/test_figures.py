"""hyte.figures.figures and hyte.figures.style on hand-made frames: the data behind each figure, the palette, alt texts."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from hyte.data.catalog import Indicator
from hyte.figures import figures, style
from hyte.figures.svg import SvgFigure
from hyte.stats.summary import SUMMARY_COLUMNS

TOWN, COUNTY, COUNTRY = 85, 965, 658


def summary_row(**values) -> dict:
    row = {
        "indicator": 1,
        "short": "Testi",
        "title": "Testi",
        "group": "koko_vaesto",
        "theme": "vaesto",
        "unit": "%",
        "decimals": 1,
        "polarity": "lower_is_better",
        "value_type": "PROS",
        "year": 2023,
        "value": 10.0,
        "count": 100.0,
        "lower": 8.0,
        "upper": 12.0,
        "suppressed": False,
        "county_value": 9.0,
        "country_value": 8.0,
        "vs_county": "similar",
        "vs_country": "worse",
        "trend": "no_change",
        "trend_p": 0.5,
        "trend_first_year": 2019,
        "trend_last_year": 2023,
        "peer_min": 5.0,
        "peer_q25": 7.0,
        "peer_q75": 11.0,
        "peer_max": 15.0,
        "peer_n": 22,
        "rank": 5,
        "rank_n": 22,
        "headline": True,
        "hyte_kerroin": "none",
        "producer": "THL",
        "vs_county_reason": "",
        "vs_country_reason": "",
        "trend_reason": "",
        "latest_year": 2023,
        "stale": False,
    }
    row.update(values)
    return row


@pytest.fixture
def summary() -> pd.DataFrame:
    rows = [
        # lower is better, worse than the county: value 12.6 vs 9.0, peers 5..15
        summary_row(
            indicator=1514,
            short="Koulukiusattu viikoittain, 8.–9. lk",
            value=12.6,
            lower=11.4,
            upper=13.9,
            vs_county="worse",
        ),
        # higher is better, better than the county: 90.5 vs 88.0, peers 80..95, country 91
        summary_row(
            indicator=1570,
            short="Kotona asuvat, 75 v. täyttäneet",
            polarity="higher_is_better",
            value=90.5,
            lower=90.0,
            upper=91.0,
            county_value=88.0,
            country_value=91.0,
            vs_county="better",
            peer_min=80.0,
            peer_q25=85.0,
            peer_q75=89.0,
            peer_max=95.0,
        ),
        # no polarity, higher than the county
        summary_row(
            indicator=1252,
            short="Tehostettu palveluasuminen, 65 v. täyttäneet",
            polarity="none",
            value=4.5,
            lower=4.3,
            upper=4.7,
            county_value=4.2,
            country_value=3.6,
            vs_county="higher",
            peer_min=2.0,
            peer_q25=3.5,
            peer_q75=4.4,
            peer_max=6.0,
        ),
        # suppressed: no value, not compared
        summary_row(
            indicator=3106,
            short="Itsemurhakuolleisuus",
            unit="/100 000 as.",
            value=math.nan,
            count=math.nan,
            lower=math.nan,
            upper=math.nan,
            suppressed=True,
            county_value=14.0,
            country_value=13.5,
            vs_county="not_compared",
            vs_country="not_compared",
            peer_min=5.0,
            peer_q25=10.0,
            peer_q75=18.0,
            peer_max=30.0,
        ),
    ]
    frame = pd.DataFrame.from_records(rows, columns=list(SUMMARY_COLUMNS))
    return frame.astype(SUMMARY_COLUMNS)


def figure_colours(fig: Figure) -> set[str]:
    """Every visible colour of every artist in the figure (RGB hex, alpha ignored)."""
    from matplotlib.collections import Collection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.text import Text

    found: set[str] = set()

    def add(colour) -> None:
        if colour is None or (isinstance(colour, str) and colour.lower() == "none"):
            return
        array = np.atleast_2d(
            np.asarray(
                to_rgba(colour)
                if isinstance(colour, (str, tuple)) and np.ndim(colour) <= 1
                else colour,
                dtype=float,
            )
        )
        for rgba in array:
            if rgba[3] > 0:
                found.add(matplotlib.colors.to_hex(rgba[:3]).upper())

    for artist in fig.findobj():
        if not artist.get_visible():
            continue
        if isinstance(artist, Line2D):
            if artist.get_linestyle() not in ("None", "none", "") and len(artist.get_xdata()):
                add(artist.get_color())
            if artist.get_marker() not in (None, "None", "none", ""):
                add(artist.get_markerfacecolor())
                add(artist.get_markeredgecolor())
        elif isinstance(artist, Collection):
            add(artist.get_facecolor())
            add(artist.get_edgecolor())
        elif isinstance(artist, Patch):
            add(artist.get_facecolor())
            if artist.get_linewidth():
                add(artist.get_edgecolor())
        elif isinstance(artist, Text) and artist.get_text():
            add(artist.get_color())
    return found


PALETTE = {c.upper() for c in style.PALETTE.values()}


# --- style ---------------------------------------------------------------------------------------


def test_significance_categories_differ_by_shape_and_colour():
    looks = [style.SIGNIFICANCE[c] for c in ("better", "similar", "worse", "higher", "lower")]
    assert len({look.marker for look in looks}) == len(looks)  # readable in greyscale
    assert len({look.color for look in looks}) == len(looks)
    assert all(style.is_palette_colour(look.color) for look in style.SIGNIFICANCE.values())
    assert set(style.SIGNIFICANCE) == set(style.SIGNIFICANCE_ORDER)


def test_apply_style_sets_sizes_and_palette():
    style.apply_style()
    assert matplotlib.rcParams["font.size"] == style.FONT_SIZE
    assert matplotlib.rcParams["savefig.dpi"] == style.DPI
    cycle = [c["color"] for c in matplotlib.rcParams["axes.prop_cycle"]]
    assert all(style.is_palette_colour(c) for c in cycle)
    width, _ = style.figure_size(10)
    assert width == pytest.approx(16 / 2.54)
    assert not style.is_palette_colour("#123456")


def test_axis_formatter_is_finnish():
    formatter = style.axis_formatter(1)
    assert formatter(1234.5, 0) == "1\u00a0234,5"
    assert formatter(-0.25, 0) == "\u22120,2"  # round half to even, Unicode minus


def test_tick_decimals_writes_every_tick_exactly():
    assert figures._tick_decimals([0, 5, 10]) == 0
    assert figures._tick_decimals([7.5, 8.0, 8.5]) == 1
    assert figures._tick_decimals([0.25, 0.5, 0.75]) == 2


# --- spine chart ---------------------------------------------------------------------------------


def test_spine_chart_data_equals_the_summary_rows(summary):
    data = figures.spine_chart_data(summary)
    assert list(data["indicator"]) == list(summary["indicator"])
    for column, source in (
        ("value", "value"),
        ("benchmark_value", "county_value"),
        ("other_value", "country_value"),
        ("comparison", "vs_county"),
        ("peer_min", "peer_min"),
        ("peer_q25", "peer_q25"),
        ("peer_q75", "peer_q75"),
        ("peer_max", "peer_max"),
        ("year", "year"),
    ):
        pd.testing.assert_series_equal(data[column], summary[source], check_names=False)
    by_country = figures.spine_chart_data(summary, benchmark="country")
    pd.testing.assert_series_equal(
        by_country["comparison"], summary["vs_country"], check_names=False
    )
    pd.testing.assert_series_equal(
        by_country["benchmark_value"], summary["country_value"], check_names=False
    )


def test_spine_positions_put_better_on_the_right(summary):
    data = figures.spine_chart_data(summary).set_index("indicator")
    # 1514, lower is better: scale = max |v − 9| over 12.6, 8.0, 5, 15 = 6; worse value on the left
    row = data.loc[1514]
    assert row["scale"] == pytest.approx(6.0)
    assert row["x_value"] == pytest.approx(-(12.6 - 9.0) / 6.0)
    assert row["x_peer_max"] == pytest.approx(-1.0)  # the worst municipality at the left edge
    assert row["x_peer_min"] == pytest.approx(4 / 6)
    # 1570, higher is better: scale = max |v − 88| over 90.5, 91, 80, 95 = 8
    row = data.loc[1570]
    assert row["x_value"] == pytest.approx(2.5 / 8)
    assert row["x_other"] == pytest.approx(3 / 8)
    # 1252, no polarity: higher on the right
    assert data.loc[1252, "x_value"] > 0
    # suppressed: no position for the value, the peers still placed
    assert math.isnan(data.loc[3106, "x_value"])
    assert not math.isnan(data.loc[3106, "x_peer_min"])
    assert data[["x_value", "x_other", "x_peer_min", "x_peer_max"]].abs().max().max() <= 1.0


def _parsed(fig):
    """The figure's SVG document parsed as XML (it must be well-formed)."""
    import xml.etree.ElementTree as ET

    return ET.fromstring(fig.to_svg())


def test_spine_chart_draws_the_data(summary):
    fig, alt = figures.spine_chart(
        summary, region_name="Jyväskylä", county_name="Keski-Suomen hyvinvointialue"
    )
    assert isinstance(fig, SvgFigure)
    data = figures.spine_chart_data(summary)
    rows = fig.panels[0]["rows"]
    assert [r["indicator"] for r in rows] == list(data["indicator"])
    dots = [r["x_value"] for r in rows if r["x_value"] is not None]
    assert sorted(round(x, 9) for x in dots) == sorted(
        round(x, 9) for x in data["x_value"].dropna()
    )
    # each dot has its category's colour
    colours = {r["colour"] for r in rows if r["colour"]}
    assert colours == {style.SIGNIFICANCE[k].color.upper() for k in ("worse", "better", "higher")}
    # the printed values are Finnish: 12,6 % and 90,5 %
    texts = set(fig.texts)
    assert {"12,6\u00a0%", "90,5\u00a0%", "salattu", "Jyväskylä"} <= texts
    assert fig.colours <= PALETTE
    assert "Jyväskylä" in alt and "Koulukiusattu viikoittain" in alt and "heikompi" in alt
    assert "parempi" in alt
    svg_root = _parsed(fig)
    # one marker per dot drawn: a triangle (polygon) for better/worse, a square for higher
    shapes = [e for e in svg_root.iter() if e.tag.endswith(("polygon", "circle"))]
    assert len(shapes) >= len(dots)


def test_svg_text_is_escaped_and_the_document_well_formed(summary):
    hostile = summary.assign(short='<script>alert(1)</script> & "x"')
    fig, _ = figures.spine_chart(hostile, region_name="A&B <i>", county_name="C")
    document = fig.to_svg()
    assert "<script>" not in document and "<i>" not in document
    texts = {e.text for e in _parsed(fig).iter() if e.tag.endswith(("text", "tspan")) and e.text}
    assert any("<script>alert(1)</script>" in t for t in texts)  # shown as text
    assert any("A&B" in t for t in texts)


def test_text_width_is_measured_with_dejavu_sans():
    from hyte.figures import svg

    assert svg.text_width("iiii", 10) < svg.text_width("MMMM", 10)
    assert svg.text_width("Jyväskylä", 20) == pytest.approx(2 * svg.text_width("Jyväskylä", 10))
    assert svg.text_width("abc", 10, bold=True) > svg.text_width("abc", 10)
    # the autoscaled limits and the ticks are those matplotlib gives the same data
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    for values in ([0.0, 10.0], [7.2, 8.1, 7.6], [93.3, 102.9], [5.0, 5.0]):
        fig, ax = plt.subplots()
        ax.plot(range(len(values)), values)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
        low, high = ax.get_ylim()
        assert svg.autoscale(values) == pytest.approx((low, high))
        expected = [t for t in ax.get_yticks() if low <= t <= high]
        assert svg.nice_ticks(low, high, 4, steps=[1, 2, 2.5, 5, 10]) == pytest.approx(expected)
        plt.close(fig)


def test_spine_chart_without_benchmark_value(summary):
    rows = summary.head(1).assign(county_value=math.nan)
    data = figures.spine_chart_data(rows)
    assert math.isnan(data.loc[0, "x_value"]) and math.isnan(data.loc[0, "scale"])
    fig, alt = figures.spine_chart(rows, region_name="Luhanka", county_name="Keski-Suomi")
    assert fig.panels[0]["rows"][0]["note"] == "ei vertailuarvoa"
    assert "ei vertailuarvoa" in fig.texts
    assert not fig.drawn["centre"] and "keskiviiva" not in " ".join(fig.legend)
    assert alt


# --- trend small multiples ------------------------------------------------------------------------


def _indicator(**values) -> Indicator:
    base = {
        "id": 683,
        "title_fi": "Diabetes",
        "title_sv": "Diabetes",
        "short_fi": "Diabeteslääkkeet",
        "short_sv": "Diabetesmedicin",
        "value_type": "PROS",
        "unit_fi": "%",
        "unit_sv": "%",
        "decimals": 1,
        "polarity": "lower_is_better",
        "group": "tyoikaiset",
        "theme": "terveys_sairastavuus",
        "ci_method": "wilson",
        "small_number_threshold": 5,
        "producer": "Kela",
    }
    base.update(values)
    return Indicator(**base)


def _tidy(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["indicator", "region_id", "year", "value", "count"])
    frame["sex"] = "total"
    frame["region_code"] = frame["region_id"].astype(str)
    frame["region_level"] = "municipality"
    frame["region_name"] = "x"
    return frame.astype({"value": "float64", "count": "float64"})


def test_trend_small_multiples_draws_each_series():
    indicator = _indicator()
    rows = []
    for year, value, count in (
        (2019, 12.0, 120),
        (2020, 12.5, 3),
        (2021, 13.0, 130),
        (2022, 13.5, 135),
    ):  # 2020 has 3 cases: suppressed
        rows.append((683, TOWN, year, value, count))
        rows.append((683, COUNTY, year, value - 1, 1000))
        rows.append((683, COUNTRY, year, value - 2, 50000))
    fig, alt = figures.trend_small_multiples(
        _tidy(rows), [indicator], TOWN, COUNTY, COUNTRY, region_name="Kajaani", county_name="Kainuu"
    )
    panel = fig.panels[0]
    years, values = panel["lines"]["municipality"]
    assert list(years) == [2019, 2020, 2021, 2022]
    assert values[0] == 12.0 and math.isnan(values[1]) and values[2] == 13.0  # suppressed: a gap
    assert list(panel["lines"]["county"][1]) == [11.0, 11.5, 12.0, 12.5]
    assert list(panel["lines"]["country"][1]) == [10.0, 10.5, 11.0, 11.5]
    band_years, lower, upper, _ = panel["band"]  # the CI band, not over the suppressed year
    assert list(band_years) == [2019, 2021, 2022]
    assert all(lo < v < up for lo, v, up in zip(lower, [12.0, 13.0, 13.5], upper))
    assert panel["ylim"][0] <= min(lower) and panel["ylim"][1] >= max(upper)
    assert fig.drawn == {"band": True, "county": True, "country": True}
    assert fig.colours <= PALETTE
    assert "Kajaani 13,5\u00a0% vuonna 2022" in alt and "Kainuu 12,5\u00a0%" in alt
    assert "Diabeteslääkkeet" in alt
    root = _parsed(fig)
    lines = [e for e in root.iter() if e.tag.endswith("polyline")]
    dashes = {e.get("stroke-dasharray") for e in lines}
    assert None in dashes and len(dashes) >= 3  # solid, dashed and dotted lines


def test_trend_small_multiples_joins_biennial_points_and_marks_empty_panels():
    survey = _indicator(id=1514, short_fi="Kiusattu")
    empty = _indicator(id=999, short_fi="Ei dataa")
    rows = [
        (1514, region, year, 8.0, 100)
        for region in (TOWN, COUNTY, COUNTRY)
        for year in (2019, 2021, 2023)
    ]
    fig, alt = figures.trend_small_multiples(
        _tidy(rows), [survey, empty], TOWN, COUNTY, COUNTRY, region_name="A", county_name="B"
    )
    years, values = fig.panels[0]["lines"]["municipality"]
    assert list(years) == [2019, 2021, 2023] and not np.isnan(values).any()  # a biennial survey
    assert fig.panels[1]["texts"] == ["ei tietoja"] and "ei tietoja" in fig.texts
    assert "Ei dataa: ei tietoja" in alt


# --- women and men -------------------------------------------------------------------------------


def test_sex_difference_chart():
    data = pd.DataFrame.from_records(
        [
            {
                "indicator": 237,
                "short": "Yksin asuvat, 75 v.",
                "unit": "%",
                "decimals": 1,
                "year": 2023,
                "female": 62.0,
                "female_lower": 61.0,
                "female_upper": 63.0,
                "male": 28.0,
                "male_lower": 27.0,
                "male_upper": 29.0,
                "significant": True,
            },
            {
                "indicator": 3106,
                "short": "Itsemurhakuolleisuus",
                "unit": "/100 000 as.",
                "decimals": 1,
                "year": 2023,
                "female": 5.0,
                "female_lower": 2.0,
                "female_upper": 10.0,
                "male": 15.0,
                "male_lower": 9.0,
                "male_upper": 23.0,
                "significant": False,
            },
        ],
        columns=figures.SEX_COLUMNS,
    )
    fig, alt = figures.sex_difference_chart(data, region_name="Jyväskylä")
    assert [p["unit"] for p in fig.panels] == ["%", "/100 000 as."]  # one panel per unit
    points = {
        row[sex]
        for panel in fig.panels
        for row in panel["rows"]
        for sex in ("female", "male")
        if row[sex]
    }
    assert (62.0, style.FEMALE) in points and (28.0, style.MALE) in points
    assert fig.panels[0]["rows"][0]["female_interval"] == (61.0, 63.0)
    assert fig.colours <= PALETTE
    assert "naiset 62,0\u00a0%" in alt and "miehet 28,0\u00a0%" in alt and "ero merkitsevä" in alt
    assert any("Yksin asuvat, 75 v.\u00a0(2023)\u00a0*" in t for t in fig.texts)
    fig, alt = figures.sex_difference_chart(data.iloc[0:0], region_name="Luhanka")
    assert "aineistossa ei ole" in alt and "julkaistu" not in alt
    assert "ei sukupuolittaisia tietoja" in fig.texts
