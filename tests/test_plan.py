"""The wellbeing plan as data: schema errors, follow-up, escaping, the demo plan and its chapters."""

from __future__ import annotations

import copy
import html
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from markdown_it import MarkdownIt

from hyte.data.catalog import load_catalog
from hyte.data.tidy import TIDY_COLUMNS
from hyte.errors import HyteError
from hyte.markup import Document, Strong, escape_html, escape_markdown, markdown_table
from hyte.plan import plan_report
from hyte.plan.plan import (
    Direction,
    Status,
    baseline_updates,
    eva_problems,
    follow_up,
    load_eva,
    load_plan,
    municipal_indicators,
    plan_problems,
    target_status,
    write_baselines,
)

ROOT = Path(__file__).resolve().parents[1]
COUNTY_ID = 965  # Keski-Suomi in Sotkanet
JYVASKYLA_ID = 85

# --------------------------------------------------------------------------------------------------
# A hand-made catalog and plan


CATALOG = {
    "groups": {
        "lapset_nuoret": {"fi": "Lapset ja nuoret", "sv": "Barn och unga", "order": 1},
        "ikaantyneet": {"fi": "Ikääntyneet", "sv": "Äldre", "order": 2},
    },
    "themes": {"koulutus": {"fi": "Koulutus", "sv": "Utbildning", "order": 1}},
    "indicators": [
        {
            "id": 3219,
            "title_fi": "Koulutuksen ulkopuolelle jääneet 17-24-vuotiaat, %",
            "title_sv": "Personer utanför utbildning 17-24 år, %",
            "short_fi": "Koulutuksen ulkopuolella",
            "short_sv": "Utanför utbildning",
            "value_type": "PROS",
            "unit_fi": "%",
            "unit_sv": "%",
            "decimals": 1,
            "polarity": "lower_is_better",
            "group": "lapset_nuoret",
            "theme": "koulutus",
            "ci_method": "wilson",
            "producer": "Tilastokeskus",
        },
        {
            "id": 1570,
            "title_fi": "Kotona asuvat 75 vuotta täyttäneet, %",
            "title_sv": "Hemmaboende 75 år fyllda, %",
            "short_fi": "Kotona asuvat 75+",
            "short_sv": "Hemmaboende 75+",
            "value_type": "PROS",
            "unit_fi": "%",
            "unit_sv": "%",
            "decimals": 1,
            "polarity": "higher_is_better",
            "group": "ikaantyneet",
            "theme": "koulutus",
            "ci_method": "wilson",
            "producer": "THL",
        },
        {
            "id": 676,
            "title_fi": "Omaishoidon tuen 65 vuotta täyttäneet hoidettavat, %",
            "title_sv": "Stöd för närståendevård 65 år fyllda, %",
            "short_fi": "Omaishoidon tuki 65+",
            "short_sv": "Närståendevård 65+",
            "value_type": "PROS",
            "unit_fi": "%",
            "unit_sv": "%",
            "decimals": 1,
            "polarity": "none",
            "group": "ikaantyneet",
            "theme": "koulutus",
            "ci_method": "wilson",
            "producer": "THL",
        },
    ],
}


def _plan_dict() -> dict:
    return {
        "title": "Testisuunnitelma",
        "county": "15",
        "term": "2026-2029",
        "focus_areas": [
            {
                "id": "P1",
                "title": "Painopiste",
                "goals": [
                    {
                        "id": "G1",
                        "title": "Nuoret kouluttautuvat",
                        "population_groups": ["lapset_nuoret"],
                        "sub_goals": [
                            {
                                "id": "S1",
                                "kind": "hyte_kerroin",
                                "text": "Koulutuksen ulkopuolella olevia vähemmän",
                                "indicators": [
                                    {
                                        "indicator": 3219,
                                        "baseline": {"year": 2020, "value": 10.0},
                                        "target": {"year": 2030, "value": 5.0},
                                    }
                                ],
                                "measures": [
                                    {
                                        "id": "M1",
                                        "text": "Etsivä nuorisotyö",
                                        "responsible": [
                                            {"type": "municipality", "name": "Alueen kunnat"}
                                        ],
                                        "schedule": {"start": 2026, "end": 2029},
                                        "resources": "1 htv",
                                    }
                                ],
                            }
                        ],
                    },
                    {
                        "id": "G2",
                        "title": "Ikääntyneet asuvat kotona",
                        "sub_goals": [
                            {
                                "id": "S2",
                                "kind": "sisainen_integraatio",
                                "text": "Kotona asuminen tukee",
                                "indicators": [
                                    {
                                        "indicator": 1570,
                                        "baseline": {"year": 2020, "value": 50.0},
                                        "target": {"year": 2030, "value": 60.0},
                                    },
                                    {
                                        "indicator": 676,
                                        "baseline": {"year": 2020, "value": 2.0},
                                        "target": {"year": 2030, "value": 3.0},
                                        "direction": "increase",
                                    },
                                ],
                                "measures": [
                                    {
                                        "id": "M2",
                                        "text": "Kotikäynnit",
                                        "responsible": [
                                            {
                                                "type": "county_service_area",
                                                "name": "Ikääntyneiden palvelut",
                                            },
                                            {"type": "municipality", "municipality": "179"},
                                        ],
                                        "schedule": {"start": 2026, "end": 2027},
                                        "resources": "Nykyiset",
                                    }
                                ],
                            }
                        ],
                    },
                ],
            }
        ],
        "agreements": [
            {"year": 2026, "municipality": "179", "goals": ["G1"], "measures": ["M1"]},
            {"year": 2027, "municipality": "435", "goals": ["G2"], "measures": ["M2"]},
        ],
    }


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    path = tmp_path_factory.mktemp("catalog") / "indicators.yml"
    path.write_text(yaml.safe_dump(CATALOG, allow_unicode=True), encoding="utf-8")
    return load_catalog(path)


def _write(tmp_path: Path, data: dict, name: str = "2026-2029.yml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _error(tmp_path, catalog, regions, data) -> str:
    path = _write(tmp_path, data)
    with pytest.raises(HyteError) as caught:
        load_plan(path, catalog, regions)
    message = str(caught.value)
    assert "\n" not in message, message
    assert message.startswith(str(path)), message
    return message


def test_hand_made_plan_loads(tmp_path, catalog, regions):
    plan = load_plan(_write(tmp_path, _plan_dict()), catalog, regions)
    assert [g.id for _, g in plan.goals()] == ["G1", "G2"]
    directions = {t.indicator: t.direction for *_, t in plan.targets()}
    assert directions == {
        3219: Direction.decrease,
        1570: Direction.increase,
        676: Direction.increase,
    }
    # a municipality party named by its code gets the municipality's name
    _, _, m2 = plan.goal_of_measure("M2")
    assert m2.responsible[1].name == "Jyväskylä"
    assert plan.agreed_goal_ids("179") == ["G1"] and plan.agreed_goal_ids("435") == ["G2"]
    assert plan.agreed_goal_ids("077") == []


# --------------------------------------------------------------------------------------------------
# Schema errors: one line naming the file, the entry and the field


def test_duplicate_ids(tmp_path, catalog, regions):
    data = _plan_dict()
    data["focus_areas"][0]["goals"][1]["sub_goals"][0]["measures"][0]["id"] = "M1"
    message = _error(tmp_path, catalog, regions, data)
    assert "measure M1" in message and "field 'id'" in message and "duplicate id" in message

    data = _plan_dict()
    data["focus_areas"][0]["goals"][1]["id"] = "G1"
    message = _error(tmp_path, catalog, regions, data)
    assert "goal G1: field 'id': duplicate id" in message


@pytest.mark.parametrize("responsible", [[], None])
def test_measure_without_owner(tmp_path, catalog, regions, responsible):
    data = _plan_dict()
    measure = data["focus_areas"][0]["goals"][0]["sub_goals"][0]["measures"][0]
    if responsible is None:
        del measure["responsible"]
    else:
        measure["responsible"] = responsible
    message = _error(tmp_path, catalog, regions, data)
    assert "measure M1: field 'responsible'" in message and "responsible party" in message


def test_party_without_name(tmp_path, catalog, regions):
    data = _plan_dict()
    data["focus_areas"][0]["goals"][0]["sub_goals"][0]["measures"][0]["responsible"] = [
        {"type": "ngo"}
    ]
    message = _error(tmp_path, catalog, regions, data)
    assert "measure M1: field 'responsible[0]'" in message and "needs a 'name'" in message


def test_unknown_party_type(tmp_path, catalog, regions):
    data = _plan_dict()
    data["focus_areas"][0]["goals"][0]["sub_goals"][0]["measures"][0]["responsible"][0]["type"] = (
        "firm"
    )
    message = _error(tmp_path, catalog, regions, data)
    assert "measure M1: field 'responsible[0].type'" in message and "'firm'" in message


def test_unknown_indicator(tmp_path, catalog, regions):
    data = _plan_dict()
    data["focus_areas"][0]["goals"][0]["sub_goals"][0]["indicators"][0]["indicator"] = 999999
    message = _error(tmp_path, catalog, regions, data)
    assert "sub-goal S1, indicator 999999: field 'indicator': unknown indicator 999999" in message


@pytest.mark.parametrize(
    "code, expected",
    [
        ("999", "unknown municipality code '999'"),
        ("091", "Helsinki (091) is not in the plan's county"),
    ],
)
def test_unknown_or_foreign_municipality(tmp_path, catalog, regions, code, expected):
    data = _plan_dict()
    data["agreements"][0]["municipality"] = code
    message = _error(tmp_path, catalog, regions, data)
    assert f"agreement 2026/{code}: field 'municipality'" in message and expected in message


def test_unknown_municipality_of_a_party(tmp_path, catalog, regions):
    data = _plan_dict()
    data["focus_areas"][0]["goals"][1]["sub_goals"][0]["measures"][0]["responsible"][1][
        "municipality"
    ] = "998"
    message = _error(tmp_path, catalog, regions, data)
    assert (
        "measure M2: field 'responsible[1].municipality': unknown municipality code '998'"
        in message
    )


def test_unquoted_leading_zero_code_is_caught(tmp_path, catalog, regions):
    path = tmp_path / "2026-2029.yml"
    text = yaml.safe_dump(_plan_dict(), allow_unicode=True, sort_keys=False)
    # YAML 1.1 reads 077 as octal 63; hyte's loader keeps a leading-zero number as its digits (issue 10).
    path.write_text(text.replace("municipality: '435'", "municipality: 077"), encoding="utf-8")
    plan = load_plan(path, catalog, regions)
    assert "077" in {a.municipality for a in plan.agreements}
    path.write_text(text.replace("municipality: '435'", "municipality: 77"), encoding="utf-8")
    with pytest.raises(
        HyteError,
        match=r"agreement 2027/77: field 'municipality': write municipality "
        r"codes in quotes",
    ):
        load_plan(path, catalog, regions)


@pytest.mark.parametrize(
    "goal, value, why",
    [
        ("G1", 11.0, "lower is better"),  # 3219: lower is better, target above the baseline
        ("G2", 45.0, "higher is better"),  # 1570: higher is better, target below the baseline
    ],
)
def test_target_in_the_wrong_direction(tmp_path, catalog, regions, goal, value, why):
    data = _plan_dict()
    index = 0 if goal == "G1" else 1
    data["focus_areas"][0]["goals"][index]["sub_goals"][0]["indicators"][0]["target"]["value"] = (
        value
    )
    message = _error(tmp_path, catalog, regions, data)
    sub, indicator = ("S1", 3219) if goal == "G1" else ("S2", 1570)
    assert f"sub-goal {sub}, indicator {indicator}: field 'target.value'" in message
    assert "wrong direction" in message and why in message


def test_polarity_none_needs_a_direction(tmp_path, catalog, regions):
    data = _plan_dict()
    del data["focus_areas"][0]["goals"][1]["sub_goals"][0]["indicators"][1]["direction"]
    message = _error(tmp_path, catalog, regions, data)
    assert "sub-goal S2, indicator 676: field 'direction'" in message and "no polarity" in message

    data = _plan_dict()
    data["focus_areas"][0]["goals"][1]["sub_goals"][0]["indicators"][1]["direction"] = "decrease"
    message = _error(tmp_path, catalog, regions, data)  # 2.0 -> 3.0 is not a decrease
    assert "sub-goal S2, indicator 676: field 'target.value'" in message and "'decrease'" in message


def test_direction_contradicting_polarity(tmp_path, catalog, regions):
    data = _plan_dict()
    data["focus_areas"][0]["goals"][0]["sub_goals"][0]["indicators"][0]["direction"] = "increase"
    message = _error(tmp_path, catalog, regions, data)
    assert "sub-goal S1, indicator 3219: field 'direction'" in message and "contradicts" in message


def test_other_field_errors(tmp_path, catalog, regions):
    data = _plan_dict()
    data["focus_areas"][0]["goals"][0]["sub_goals"][0]["kind"] = "budjetti"
    message = _error(tmp_path, catalog, regions, data)
    assert "sub-goal S1: field 'kind'" in message and "talousarvio" in message

    data = _plan_dict()
    data["focus_areas"][0]["goals"][0]["sub_goals"][0]["indicators"][0]["target"]["year"] = 2019
    message = _error(tmp_path, catalog, regions, data)
    assert (
        "sub-goal S1, indicator 3219" in message and "must come after the baseline year" in message
    )

    data = _plan_dict()
    data["agreements"][0]["goals"] = ["G9"]
    message = _error(tmp_path, catalog, regions, data)
    assert "agreement 2026/179: field 'goals': unknown goal id 'G9'" in message

    data = _plan_dict()
    data["agreements"][1]["year"] = 2031
    message = _error(tmp_path, catalog, regions, data)
    assert "agreement 2031/435: field 'year'" in message and "outside the council term" in message

    data = _plan_dict()
    data["focus_areas"][0]["goals"][0]["population_groups"] = ["nuoret"]
    message = _error(tmp_path, catalog, regions, data)
    assert "goal G1: field 'population_groups': unknown group 'nuoret'" in message

    data = _plan_dict()
    data["focus_areas"][0]["goals"][0]["sub_goals"][0]["measures"][0]["budjetti"] = 5
    message = _error(tmp_path, catalog, regions, data)
    assert "measure M1: field 'budjetti': Extra inputs are not permitted" in message


def test_all_problems_are_listed(tmp_path, catalog, regions):
    data = _plan_dict()
    data["agreements"][0]["goals"] = ["G9"]
    data["focus_areas"][0]["goals"][0]["sub_goals"][0]["indicators"][0]["indicator"] = 999999
    path = _write(tmp_path, data)
    plan, problems = plan_problems(path, catalog, regions)
    assert plan is None and len(problems) == 2
    with pytest.raises(HyteError, match=r"\[\+1 more problem; `hyte plan-check` lists them all\]"):
        load_plan(path, catalog, regions)


# --------------------------------------------------------------------------------------------------
# Follow-up statuses


@pytest.mark.parametrize(
    "direction, latest, status, progress",
    [
        # decrease 10.0 (2020) -> 5.0 (2030); at 2025 half the time has passed
        (Direction.decrease, (2025, 4.9), Status.met, 1.02),
        (Direction.decrease, (2025, 5.0), Status.met, 1.0),
        (Direction.decrease, (2025, 7.5), Status.on_track, 0.5),  # exactly on the linear path
        (Direction.decrease, (2025, 7.6), Status.off_track, 0.48),
        (Direction.decrease, (2025, 10.4), Status.off_track, -0.08),  # the wrong way
        (Direction.decrease, (2031, 5.5), Status.off_track, 0.9),  # target year passed, not reached
        (Direction.decrease, None, Status.no_data, None),
        # increase 50 (2020) -> 60 (2030)
        (Direction.increase, (2024, 60.0), Status.met, 1.0),
        (
            Direction.increase,
            (2024, 55.0),
            Status.on_track,
            0.5,
        ),  # 50 % of the way at 40 % of the time
        (Direction.increase, (2024, 53.0), Status.off_track, 0.3),
        (Direction.increase, (2024, 49.0), Status.off_track, -0.1),
        (Direction.increase, None, Status.no_data, None),
    ],
)
def test_target_status_rules(direction, latest, status, progress):
    if direction is Direction.decrease:
        baseline, target = (2020, 10.0), (2030, 5.0)
    else:
        baseline, target = (2020, 50.0), (2030, 60.0)
    got, got_progress, expected = target_status(direction, baseline, target, latest, decimals=1)
    assert got is status
    if progress is None:
        assert got_progress is None and expected is None
    else:
        assert got_progress == pytest.approx(progress)
        assert expected == pytest.approx(min((latest[0] - 2020) / 10, 1.0))


def test_hold_the_level():
    hold = (Direction.decrease, (2020, 13.2), (2028, 13.2))
    assert target_status(*hold, (2024, 13.2))[0] is Status.met
    assert target_status(*hold, (2024, 13.04))[0] is Status.met  # 13.0 after rounding
    assert target_status(*hold, (2024, 13.3))[0] is Status.off_track
    assert target_status(*hold, (2024, 13.3))[1] is None


def test_values_are_compared_at_the_catalog_decimals():
    # 5.04 shows as 5,0 = the target: met; 7.54 shows as 7,5: on the linear path
    assert (
        target_status(Direction.decrease, (2020, 10.0), (2030, 5.0), (2025, 5.04), 1)[0]
        is Status.met
    )
    assert (
        target_status(Direction.decrease, (2020, 10.0), (2030, 5.0), (2025, 7.54), 1)[0]
        is Status.on_track
    )


def _tidy(rows: list[tuple]) -> pd.DataFrame:
    records = []
    for indicator, region_id, year, value in rows:
        level, code, name = (
            ("county", "15", "Keski-Suomen hyvinvointialue")
            if region_id == COUNTY_ID
            else ("municipality", "179", "Jyväskylä")
        )
        records.append(
            {
                "indicator": indicator,
                "region_id": region_id,
                "region_code": code,
                "region_level": level,
                "region_name": name,
                "year": year,
                "sex": "total",
                "value": value,
                "count": float("nan"),
            }
        )
    # rows for the other sexes must not be read as the total
    records.append({**records[0], "sex": "male", "year": 2029, "value": 0.0})
    return pd.DataFrame(records, columns=list(TIDY_COLUMNS)).astype(TIDY_COLUMNS)


def test_follow_up_on_a_hand_made_table(tmp_path, catalog, regions):
    plan = load_plan(_write(tmp_path, _plan_dict()), catalog, regions)
    table = _tidy(
        [
            (3219, COUNTY_ID, 2020, 10.0),
            (3219, COUNTY_ID, 2023, 8.0),
            (3219, COUNTY_ID, 2024, 7.0),
            (3219, COUNTY_ID, 2025, float("nan")),  # suppressed: the latest value is 2024's
            (1570, COUNTY_ID, 2020, 50.0),
            (1570, COUNTY_ID, 2024, 51.0),
            (676, COUNTY_ID, 2020, 2.0),  # nothing after the baseline
            (3219, JYVASKYLA_ID, 2020, 12.0),
            (3219, JYVASKYLA_ID, 2024, 12.5),
        ]
    )
    result = follow_up(plan, table)
    by_indicator = {e.indicator: e for e in result.entries}
    assert result.region_id == COUNTY_ID and result.region_name == "Keski-Suomen hyvinvointialue"
    youth = by_indicator[3219]
    assert (youth.latest_year, youth.latest_value, youth.status) == (2024, 7.0, Status.on_track)
    assert youth.progress == pytest.approx(0.6) and youth.expected_progress == pytest.approx(0.4)
    assert by_indicator[1570].status is Status.off_track and by_indicator[
        1570
    ].progress == pytest.approx(0.1)
    assert by_indicator[676].status is Status.no_data and by_indicator[676].latest_value is None

    by_goal = result.by_goal().set_index("key")
    assert by_goal.loc["G1", ["indicators", "on_track", "off_track", "no_data"]].tolist() == [
        1,
        1,
        0,
        0,
    ]
    assert by_goal.loc["G2", ["indicators", "met", "off_track", "no_data"]].tolist() == [2, 0, 1, 1]
    by_kind = result.by_kind().set_index("key")
    assert (
        by_kind.loc["hyte_kerroin", "on_track"] == 1
        and by_kind.loc["talousarvio", "indicators"] == 0
    )
    assert by_kind.loc["sisainen_integraatio", "mean_progress"] == pytest.approx(0.1)
    assert result.frame()["status_fi"].tolist() == ["etenee", "jäljessä", "ei uutta tietoa"]

    # the municipality's own values for its card: Jyväskylä agreed to G1
    (youth_179,) = municipal_indicators(plan, table, "179")
    assert (youth_179.baseline_value, youth_179.latest_value, youth_179.change.value) == (
        12.0,
        12.5,
        "worse",
    )


# --------------------------------------------------------------------------------------------------
# Escaping free text


NASTY = [
    "<script>alert(1)</script>",
    "**bold** [link](x)",
    "# otsikko",
    "- lista",
    "+ lista",
    "1. lista",
    "2026) vuosi",
    "a | b",
    "`koodi`",
    "_kursiivi_ ja *toinen*",
    "&amp; &lt;",
    "\\rivi",
    "> lainaus",
    "![kuva](x.png)",
    "<http://example.com>",
    "~~yli~~ x^2^ H~2~O",
    "$x + y$",
    "@viite ja [@toinen]",
    "::: {.callout}",
    "{{< include x >}}",
    "Ehkäisevä päihdetyö – 1 234,5 € (50 %)",
]


def _commonmark() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


@pytest.mark.parametrize("text", NASTY)
def test_escaped_markdown_renders_as_the_same_text(text):
    rendered = _commonmark().render(escape_markdown(text)).strip()
    assert rendered.startswith("<p>") and rendered.endswith("</p>"), rendered
    assert html.unescape(rendered[3:-4]) == text


def test_escaped_table_cells_keep_the_table():
    table = markdown_table(["A", "B"], [["x | y", "<b>z</b>"], ["**b**", "1. c"]])
    rendered = _commonmark().render(table)
    assert rendered.count("<td>") == 4 or rendered.count("<td") == 4
    assert "x | y" in rendered and "&lt;b&gt;z&lt;/b&gt;" in rendered and "<b>" not in rendered
    assert "<strong>" not in rendered and "**b**" in rendered


def test_escape_html():
    assert escape_html('<a href="x">&</a>') == "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
    doc = Document().heading(2, "<h1>").paragraph([Strong("Vastuu:"), " <i>x</i>"])
    assert (
        doc.to_html()
        == "<h2>&lt;h1&gt;</h2>\n<p><strong>Vastuu:</strong> &lt;i&gt;x&lt;/i&gt;</p>\n"
    )


def _nasty_plan(tmp_path, catalog, regions):
    data = _plan_dict()
    goal = data["focus_areas"][0]["goals"][0]
    goal["title"] = "<script>alert(1)</script>"
    goal["sub_goals"][0]["text"] = "**bold** [link](x)"
    measure = goal["sub_goals"][0]["measures"][0]
    measure["text"] = "Toimi | katko <img src=x onerror=alert(1)>"
    measure["responsible"][0]["name"] = "# Seura & _ry_"
    return load_plan(_write(tmp_path, data), catalog, regions)


def _visible_text(rendered_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", rendered_html))


def test_free_text_shows_as_text_in_markdown_and_html(tmp_path, catalog, regions):
    plan = _nasty_plan(tmp_path, catalog, regions)
    table = _tidy([(3219, JYVASKYLA_ID, 2020, 12.0), (3219, JYVASKYLA_ID, 2024, 12.5)])
    outputs = {
        "plan": _commonmark().render(plan_report.plan_markdown(plan)),
        "card (markdown)": _commonmark().render(
            plan_report.municipality_markdown(plan, table, "179")
        ),
        "card (html)": plan_report.municipality_html(plan, table, "179"),
    }
    for name, rendered in outputs.items():
        for tag in ("<script", "<img", "<a ", "<em>", "<h1"):
            assert tag not in rendered, (name, tag)
        assert "<strong>bold</strong>" not in rendered, name
        visible = _visible_text(rendered)
        assert "<script>alert(1)</script>" in visible, name
        if name == "plan":
            assert "**bold** [link](x)" in visible
            assert "# Seura & _ry_" in visible
        assert "Toimi | katko <img src=x onerror=alert(1)>" in visible, name
    # the measures table of the plan keeps its six columns despite the '|'
    plan_md = plan_report.plan_markdown(plan)
    row = next(line for line in plan_md.splitlines() if line.startswith("| M1 "))
    assert len(re.findall(r"(?<!\\)\|", row)) == 7


def test_mistune_agrees_when_available(tmp_path, catalog, regions):
    mistune = pytest.importorskip("mistune")  # nbconvert's Markdown renderer (cards as HTML)
    plan = _nasty_plan(tmp_path, catalog, regions)
    rendered = mistune.create_markdown(plugins=["table"])(plan_report.plan_markdown(plan))
    assert "<script" not in rendered and "<img" not in rendered and "<a " not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered


# --------------------------------------------------------------------------------------------------
# The demo plan and EVA against the real catalog and demo data


@pytest.fixture(scope="module")
def real():
    from hyte.context import load_context
    from hyte.plan.plan import plan_from_context

    ctx = load_context()
    return ctx, plan_from_context(ctx)


def test_demo_plan_validates_and_is_complete(real):
    ctx, plan = real
    assert plan.county == "15" and plan.term == "2026-2029"
    assert 3 <= len(plan.focus_areas) <= 4
    assert 8 <= sum(1 for _ in plan.goals()) <= 11
    assert {sub.kind.value for *_, sub in plan.sub_goals()} == {
        "hyte_kerroin",
        "talousarvio",
        "yhdyspintayhteistyo",
        "terveyserot",
        "sisainen_integraatio",
    }
    assert 25 <= sum(1 for _ in plan.measures()) <= 30
    assert all(m.responsible for *_, m in plan.measures())
    assert any(m.residents_panel for *_, m in plan.measures())
    members = {m.code for m in ctx.regions.county_municipalities("15")}
    assert {a.municipality for a in plan.agreements if a.year == 2026} == members and len(
        members
    ) == 22
    assert any(a.year == 2027 for a in plan.agreements)
    kinds = {p.type.value for *_, m in plan.measures() for p in m.responsible}
    assert {"county_service_area", "municipality", "ngo", "parish"} <= kinds


def test_demo_baselines_are_the_demo_snapshot_values(real):
    ctx, plan = real
    updates = baseline_updates(plan, ctx.table)
    assert len(updates) == sum(1 for _ in plan.targets()) >= 15
    assert [u for u in updates if u.new_value is None or u.changed] == []
    # spot check by hand: indicator 3219 for Keski-Suomi (965), 2023, both sexes
    row = ctx.table.query(
        "indicator == 3219 and region_id == 965 and year == 2023 and sex == 'total'"
    )
    target = next(t for *_, t in plan.targets() if t.indicator == 3219)
    assert round(row["value"].item(), 1) == target.baseline.value


def test_demo_follow_up_uses_the_latest_county_value(real):
    ctx, plan = real
    result = follow_up(plan, ctx.table)
    entry = next(e for e in result.entries if e.indicator == 3971)
    latest = (
        ctx.table.query("indicator == 3971 and region_id == 965 and sex == 'total'")
        .dropna(subset=["value"])
        .sort_values("year")
        .iloc[-1]
    )
    assert (entry.latest_year, entry.latest_value) == (latest["year"], latest["value"])
    assert sum(result.counts().values()) == len(result.entries)


def test_demo_eva_validates(real):
    _, plan = real
    eva = load_eva(ROOT / "data" / "plan" / "eva.yml", plan)
    assert len(eva.alternatives) >= 2
    assert [i.kind.value for i in eva.ordered_impacts()] == [
        "children",
        "health",
        "social",
        "gender_equality",
        "language_groups",
        "economy",
        "environment",
    ]
    markdown = plan_report.eva_markdown(eva)
    assert (
        "Vaikutukset lapsiin (LAVA)" in markdown and markdown.count("\n| ") == 8
    )  # header + 7 rows


def test_eva_errors(tmp_path):
    raw = yaml.safe_load((ROOT / "data" / "plan" / "eva.yml").read_text(encoding="utf-8"))
    broken = copy.deepcopy(raw)
    broken["impacts"] = [i for i in broken["impacts"] if i["kind"] != "environment"]
    del broken["impacts"][0]["assessments"]["B"]
    broken["impacts"][1]["assessments"]["D"] = {"rating": "positive", "text": "Jotain"}
    path = tmp_path / "eva.yml"
    path.write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
    _, problems = eva_problems(path)
    assert any("missing impact row 'environment'" in p for p in problems)
    assert any(
        "impact children: field 'assessments': alternative 'B' is not assessed" in p
        for p in problems
    )
    assert any(
        "impact health: field 'assessments.D': unknown alternative 'D'" in p for p in problems
    )

    broken = copy.deepcopy(raw)
    broken["impacts"][2]["assessments"]["A"]["rating"] = "great"
    path.write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
    with pytest.raises(HyteError) as caught:
        load_eva(path)
    assert str(caught.value).startswith(f"{path}: impact social: field 'assessments.A.rating'")


# --------------------------------------------------------------------------------------------------
# Baselines from the snapshot


def test_write_baselines_keeps_comments_and_validates(tmp_path, regions):
    catalog = load_catalog(ROOT / "data" / "indicators.yml")
    path = tmp_path / "2026-2029.yml"
    original = (ROOT / "data" / "plan" / "2026-2029.yml").read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    plan = load_plan(path, catalog, regions)
    table = _tidy([(3219, COUNTY_ID, 2023, 9.04), (1514, COUNTY_ID, 2023, 7.9)])
    updates = baseline_updates(plan, table)
    # 9.04 rounds to the 9.0 already in the plan; targets without rows keep their value
    assert [u for u in updates if u.changed] == []
    assert sum(u.new_value is None for u in updates) == len(updates) - 2
    assert write_baselines(plan, updates) == 0 and path.read_text(encoding="utf-8") == original

    table = _tidy([(3219, COUNTY_ID, 2023, 8.66)])
    updates = baseline_updates(plan, table)
    assert [(u.indicator, u.new_value) for u in updates if u.changed] == [(3219, 8.7)]
    assert write_baselines(plan, updates) == 1
    text = path.read_text(encoding="utf-8")
    assert text.count("\n") == original.count("\n") and text.startswith(
        "# Keski-Suomen alueellinen"
    )
    assert "baseline: {year: 2023, value: 8.7}" in text
    reloaded = load_plan(path, catalog, regions)
    assert next(t for *_, t in reloaded.targets() if t.indicator == 3219).baseline.value == 8.7

    # a baseline that would put the target on the wrong side is refused and the file kept
    table = _tidy([(3219, COUNTY_ID, 2023, 7.5)])  # the target is 8.0
    with pytest.raises(HyteError, match="wrong direction.*the plan file was not changed"):
        write_baselines(reloaded, baseline_updates(reloaded, table))
    assert path.read_text(encoding="utf-8") == text


# --------------------------------------------------------------------------------------------------
# Reports, figure, chapters and the command line


def test_monitoring_table_fits_one_page(real):
    ctx, plan = real
    result = follow_up(plan, ctx.table)
    markdown = plan_report.monitoring_markdown(result, data_label=ctx.snapshot.label())
    rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    assert len(rows) == len(result.entries) + 1 <= 30
    assert "esimerkkiaineisto" in markdown


def test_progress_figure(real):
    ctx, plan = real
    result = follow_up(plan, ctx.table)
    figure, alt = plan_report.plan_progress_figure(result)
    ax = figure.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == len(result.entries) and labels[0].startswith(
        result.entries[0].sub_goal_id
    )
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert "100\u00a0%" in ticks and "0\u00a0%" in ticks
    counts = result.counts()
    assert f"saavutettu {counts[Status.met]}, etenee {counts[Status.on_track]}" in alt
    # the status markers differ in shape, not only in colour
    styles = plan_report.STATUS_STYLE
    shapes = {styles[s]["marker"] for s in (Status.met, Status.on_track, Status.off_track)}
    assert len(shapes) == 3


@pytest.mark.parametrize(
    "chapter, expected",
    [
        (
            "report/hyvinvointisuunnitelma.qmd",
            "## P4 Ikääntyneiden toimintakyky ja turvallinen arki\n\nEhkäistään",
        ),
        (
            "report/seuranta-ja-arviointi.qmd",
            "Seurantaindikaattorien tila osatavoitteen lajeittain",
        ),
        ("report/vaikutusten-ennakkoarviointi.qmd", "Vaikutukset lapsiin (LAVA)"),
    ],
)
def test_chapters_run(chapter, expected):
    from chapter_runner import run_chapter

    namespace = run_chapter(chapter)
    printed = "".join(namespace["__outputs__"])
    assert expected in printed


def test_chapter_runner_names_the_failing_cell(tmp_path):
    from chapter_runner import ChapterError, run_chapter

    chapter = tmp_path / "broken.qmd"
    chapter.write_text(
        "# X\n\n```{python}\nx = 1\n```\n\ntext\n\n```{python}\n#| output: asis\n"
        "print(x / 0)\n```\n",
        encoding="utf-8",
    )
    with pytest.raises(ChapterError, match=r"broken\.qmd: python cell 2 failed: ZeroDivisionError"):
        run_chapter(chapter)


def test_cli_plan_check_and_status(tmp_path, catalog):
    from typer.testing import CliRunner

    from hyte.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["plan-check"])
    assert result.exit_code == 0, result.output
    assert (
        "Plan OK" in result.output and "agreements 2026: 22 of 22 municipalities" in result.output
    )
    assert "EVA OK" in result.output

    bad = _plan_dict()
    bad["agreements"][0]["municipality"] = "999"
    plan_path = _write(tmp_path, bad)
    config = tmp_path / "hyte.yml"
    config.write_text(f"plan: {plan_path}\n", encoding="utf-8")
    result = runner.invoke(app, ["plan-check", "--config", str(config)])
    assert result.exit_code == 2
    assert "unknown municipality code '999'" in result.output

    target = tmp_path / "seuranta.md"
    result = runner.invoke(app, ["plan-status", "--markdown", str(target)])
    assert result.exit_code == 0, result.output
    assert "seurantaindikaattorista" in result.output and target.read_text(
        encoding="utf-8"
    ).startswith("# ")


def test_eva_free_text_is_escaped(tmp_path):
    raw = yaml.safe_load((ROOT / "data" / "plan" / "eva.yml").read_text(encoding="utf-8"))
    raw["alternatives"][0]["title"] = "<script>alert(1)</script>"
    raw["impacts"][0]["assessments"]["A"]["text"] = "**bold** [link](x) | putki"
    path = tmp_path / "eva.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    rendered = _commonmark().render(plan_report.eva_markdown(load_eva(path)))
    assert "<script" not in rendered and "<a " not in rendered and "<strong>bold" not in rendered
    visible = _visible_text(rendered)
    assert "<script>alert(1)</script>" in visible and "**bold** [link](x) | putki" in visible
