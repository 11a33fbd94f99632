"""The measures' progress in the annual report's chapter and on a municipal card (round trip from the
Excel forms), and the numbers of the tables."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from hyte.data.catalog import load_catalog
from hyte.plan.plan import load_plan
from hyte.plan.plan_forms import MEASURES_SHEET, import_forms, write_forms
from hyte.plan.progress import load_progress
from hyte.plan.progress_report import (
    municipality_progress_markdown,
    progress_figure,
    progress_markdown,
    scheduled,
    status_groups,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
from chapter_runner import run_chapter

NOTE = "Ohjaamon tilat <valmiit> vasta *syksyllä*"


@pytest.fixture
def project(tmp_path, monkeypatch):
    project = tmp_path / "project"
    shutil.copytree(ROOT / "data" / "reference", project / "data" / "reference")
    (project / "data" / "plan").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "plan" / "2026-2029.yml", project / "data" / "plan")
    (project / "hyte.yml").write_text(
        "county: '15'\nreporting_year: 2026\n"
        f"snapshot: {ROOT / 'data' / 'demo'}\n"
        f"catalog: {ROOT / 'data' / 'indicators.yml'}\n"
        f"hyte_kerroin: {ROOT / 'data' / 'hyte_kerroin.yml'}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("HYTE_ROOT", str(project))
    monkeypatch.chdir(project)
    return project


@pytest.fixture
def plan(project, regions):
    catalog = load_catalog(ROOT / "data" / "indicators.yml")
    return load_plan(project / "data" / "plan" / "2026-2029.yml", catalog, regions)


def _filled(plan, folder: Path, party_slug: str, rows: dict[str, dict]) -> Path:
    paths = write_forms(plan, 2026, folder / party_slug)
    path = next(p for p in paths if p.name == f"seuranta-2026-{party_slug}.xlsx")
    workbook = load_workbook(path)
    sheet = workbook[MEASURES_SHEET]
    headers = {c.value: c.column for c in sheet[1]}
    for row in range(2, sheet.max_row + 1):
        for header, value in rows.get(sheet.cell(row=row, column=1).value, {}).items():
            sheet.cell(row=row, column=headers[header], value=value)
    workbook.save(path)
    return path


def test_round_trip_to_the_chapter_and_the_card(project, plan, tmp_path):
    forms = tmp_path / "forms"
    jkl = _filled(
        plan,
        forms,
        "jyvaskyla-ohjaamo",
        {
            "TP02": {
                "Tila": "viivästynyt",
                "Huomiot": NOTE,
                "Käytetyt eurot": 4000,
                "Raportoija": "Testi",
            }
        },
    )
    service = _filled(
        plan,
        forms,
        "tyoikaisten-palvelut",
        {
            "TP02": {"Tila": "käynnissä", "Käytetyt eurot": 50000},
            "TP05": {"Tila": "luovuttu", "Huomiot": "Ei kouluttajaa"},
        },
    )
    import_forms(plan, [jkl, service])

    namespace = run_chapter(ROOT / "report" / "seuranta-ja-arviointi.qmd", root=project)
    printed = "\n".join(namespace["__outputs__"])
    assert (
        "Vuonna 2026 aikataulussa oli 28 toimenpidettä; niistä 2 raportoitiin: toteutunut 0, "
        "käynnissä 0, viivästynyt 1, ei aloitettu 0, luovuttu 1. Raportoimatta jäi 26."
    ) in printed
    # The note is escaped: its markup characters show as text.
    assert (
        r"Jyväskylä (Ohjaamo) (viivästynyt): Ohjaamon tilat \<valmiit\> vasta \*syksyllä\*"
        in printed
    )
    assert "| TP05 |" in printed and "Työikäisten palvelut (luovuttu): Ei kouluttajaa" in printed
    # 12 budgeted measures in 2026, 1 720 000 €/v; 54 000 € reported for TP02 (4 000 + 50 000) = 3 %.
    # (Table cells keep numbers and units together with no-break spaces: "1\u00a0720\u00a0000\u00a0€".)
    assert "| Yhteensä | 12 | 1 720 000 € | 54 000 € | 3 % | 11 |" in printed.replace("\u00a0", " ")
    assert "1\u00a0720\u00a0000\u00a0€" in printed
    assert "esimerkkiaineistoa" not in printed.split("## Toimenpiteiden toteutuminen")[-1]
    groups = status_groups(
        namespace["plan"], scheduled(namespace["plan"], namespace["progress"], 2026)
    )
    assert groups["focus_area"][0] == (
        "P1 Lasten, nuorten ja perheiden hyvinvointi",
        [0, 0, 1, 0, 1, 7],
    )

    from hyte.card import card

    kortti = card.open_card("179", config_path=project / "hyte.yml", output_dir=tmp_path / "card")
    text = kortti.measure_progress().data
    assert "| TP02 |" in text
    row = next(line for line in text.splitlines() if line.startswith("| TP02 |"))
    cells = [c.strip() for c in row.strip("|").split(" | ")]
    assert cells[2:4] == ["viivästynyt", "viivästynyt"]  # combined status; Jyväskylä's own report
    assert r"\<valmiit\>" in row
    assert "| TP07 |" in text and "ei raportoitu" in text  # agreed, but nobody reported TP07


def test_numbers_of_the_tables_from_a_hand_made_year(plan):
    path = plan.source.parent / "seuranta" / "2026.yml"
    path.parent.mkdir()
    path.write_text(
        yaml.safe_dump(
            {
                "year": 2026,
                "demo": True,
                "entries": [
                    {"measure": "TP04", "status": "toteutunut", "euros_used": 214000},
                    {"measure": "TP09", "status": "toteutunut", "euros_used": 150000},
                    {"measure": "TP05", "status": "viivästynyt", "euros_used": 1000, "note": "Syy"},
                ],
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    progress = load_progress(path, plan)
    text = progress_markdown(plan, progress, 2026).replace("\u00a0", " ")
    assert text.startswith("**Toimenpiteiden seurantatiedot ovat keksittyä esimerkkiaineistoa")
    # P1's budgeted measures in 2026: TP01 70 000, TP02 110 000, TP04 220 000, TP08 20 000,
    # TP09 150 000 = 570 000 €; reported 214 000 + 150 000 = 364 000 € = 64 %.
    assert (
        "| P1 Lasten, nuorten ja perheiden hyvinvointi | 5 | 570 000 € | 364 000 € | 64 % | 3 |"
    ) in text
    assert "Lisäksi 1 toimenpiteelle, jolle ei ole kirjattu määrärahaa" in text  # TP05
    figure, alt = progress_figure(plan, progress, 2026)
    assert "P1 Lasten, nuorten ja perheiden hyvinvointi: toteutunut 2, viivästynyt 1" in alt
    assert len(figure.axes) == 2


def test_without_a_year_file_the_report_says_so(plan):
    text = progress_markdown(plan, None, 2027)
    assert "vuodelta 2027 ei ole vielä tietoja" in text
    card_text = municipality_progress_markdown(plan, None, 2026, "179")
    assert "Toimenpiteiden toteutumisesta vuodelta 2026 ei ole vielä tietoja." in card_text


def test_the_demo_year_file_is_valid_and_labelled(regions):
    catalog = load_catalog(ROOT / "data" / "indicators.yml")
    plan = load_plan(ROOT / "data" / "plan" / "2026-2029.yml", catalog, regions)
    progress = load_progress(ROOT / "data" / "plan" / "seuranta" / "2026.yml", plan)
    assert progress.demo is True
    assert "esimerkkiaineisto" in progress.note
