"""Agreements with NGOs, parishes, service providers and other partners: validation and the chapter."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from hyte.data.catalog import load_catalog
from hyte.errors import HyteError
from hyte.plan.partners_report import partner_counts, partners_markdown
from hyte.plan.plan import PartyType, load_plan, plan_problems

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "data" / "plan" / "2026-2029.yml"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(ROOT / "data" / "indicators.yml")


def _plan_with(tmp_path, catalog, regions, agreement: dict):
    data = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    data["partner_agreements"] = [agreement]
    path = tmp_path / "2026-2029.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return plan_problems(path, catalog, regions)[1], path


def test_demo_plan_has_every_kind_of_partner(catalog, regions):
    plan = load_plan(PLAN, catalog, regions)
    counts = partner_counts(plan)
    assert counts == {
        PartyType.municipality: 22,
        PartyType.ngo: 3,
        PartyType.parish: 1,
        PartyType.service_provider: 1,
        PartyType.other: 1,
    }
    text = partners_markdown(plan)
    assert text.startswith(
        "Hyte-neuvotteluissa yhteisistä tavoitteista ja toimenpiteistä on sopinut "
        "22 kuntaa, 3 järjestöä, 1 seurakunta tai seurakuntayhtymä, "
        "1 palveluntuottaja ja 1 muu toimija."
    )
    assert (
        "| Ikääntyneiden asumispalvelujen palveluntuottajat | palveluntuottaja | 2026 | T4.1 | "
        "TP24 | 5/2026 |"
    ) in text


@pytest.mark.parametrize(
    ("agreement", "expected"),
    [
        (
            {"year": 2026, "partner": {"type": "ngo", "name": "X ry"}, "goals": ["T9.9"]},
            "partner agreement 2026/X ry: field 'goals': unknown goal id 'T9.9'",
        ),
        (
            {"year": 2026, "partner": {"type": "parish", "name": "Y"}, "measures": ["TP99"]},
            "partner agreement 2026/Y: field 'measures': unknown measure id 'TP99'",
        ),
        (
            {
                "year": 2031,
                "partner": {"type": "service_provider", "name": "Z Oy"},
                "goals": ["T4.1"],
            },
            "partner agreement 2031/Z Oy: field 'year': 2031 is outside the council term 2026-2029",
        ),
        (
            {
                "year": 2026,
                "partner": {"type": "municipality", "municipality": "179"},
                "goals": ["T4.1"],
            },
            "a municipality's agreement belongs under 'agreements'",
        ),
        (
            {"year": 2026, "partner": {"type": "ngo", "name": "X ry"}},
            "an agreement names at least one goal or measure id",
        ),
        (
            {"year": 2026, "partner": {"type": "club", "name": "X"}, "goals": ["T4.1"]},
            "partner agreement 2026/X: field 'partner.type'",
        ),
    ],
)
def test_partner_agreement_problems(tmp_path, catalog, regions, agreement, expected):
    problems, path = _plan_with(tmp_path, catalog, regions, agreement)
    assert problems, "the problem was not found"
    assert problems[0].startswith(f"{path}: ")
    assert expected in problems[0]
    with pytest.raises(HyteError):
        load_plan(path, catalog, regions)


def test_the_plan_chapter_shows_the_partners():
    sys.path.insert(0, str(Path(__file__).parent))
    from chapter_runner import run_chapter

    printed = "\n".join(run_chapter("report/hyvinvointisuunnitelma.qmd")["__outputs__"])
    assert "| EHYT ry | järjestö | 2026 | T2.2 | TP11 | 4/2026 |" in printed
    assert "**MLL:n Keski-Suomen piiri (2026):** Perhekahviloiden" in printed
