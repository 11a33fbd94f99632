"""Measure progress: the year files, the Excel forms (hyte plan-form / plan-progress) and their errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook
from typer.testing import CliRunner

from hyte.cli import app
from hyte.data.catalog import load_catalog
from hyte.errors import HyteError
from hyte.plan.plan import load_plan
from hyte.plan.plan_forms import MEASURES_SHEET, import_forms, parties_for_year, write_forms
from hyte.plan.progress import (
    MeasureStatus,
    combined_status,
    load_progress,
    measure_progress,
    progress_problems,
)

ROOT = Path(__file__).resolve().parents[1]
PARTY = "Lasten, nuorten ja perheiden palvelut"


@pytest.fixture
def project(tmp_path):
    """A project folder with a copy of the demo plan and a hyte.yml naming it."""
    plan_dir = tmp_path / "data" / "plan"
    plan_dir.mkdir(parents=True)
    shutil.copy(ROOT / "data" / "plan" / "2026-2029.yml", plan_dir / "2026-2029.yml")
    config = tmp_path / "hyte.yml"
    config.write_text(
        f"plan: {plan_dir / '2026-2029.yml'}\ncatalog: {ROOT / 'data' / 'indicators.yml'}\n",
        encoding="utf-8",
    )
    return tmp_path


@pytest.fixture
def plan(project, regions):
    catalog = load_catalog(ROOT / "data" / "indicators.yml")
    return load_plan(project / "data" / "plan" / "2026-2029.yml", catalog, regions)


def _cli(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def _form(plan, tmp_path, year=2026, party=PARTY) -> Path:
    paths = write_forms(plan, year, tmp_path / f"forms-{year}")
    slug = {
        PARTY: "lasten-nuorten-ja-perheiden-palvelut",
        "Alueen kunnat": "alueen-kunnat",
    }[party]
    return next(p for p in paths if p.name == f"seuranta-{year}-{slug}.xlsx")


def _fill(path: Path, rows: dict[str, dict[str, object]], out: Path | None = None) -> Path:
    """Fill the measures sheet by measure id: {"TP01": {"Tila": "käynnissä", ...}}."""
    workbook = load_workbook(path)
    sheet = workbook[MEASURES_SHEET]
    headers = {c.value: c.column for c in sheet[1]}
    for row in range(2, sheet.max_row + 1):
        measure = sheet.cell(row=row, column=headers["Tunnus"]).value
        for header, value in rows.get(measure, {}).items():
            sheet.cell(row=row, column=headers[header], value=value)
    out = out or path.with_name("filled-" + path.name)
    workbook.save(out)
    return out


# --------------------------------------------------------------------------------------------------
# The form


def test_form_has_instructions_measures_and_a_status_drop_down(plan, tmp_path):
    path = _form(plan, tmp_path)
    workbook = load_workbook(path)
    assert workbook.sheetnames[0] == "Ohjeet"
    assert "Vastuutaho: Lasten, nuorten ja perheiden palvelut" in [
        c.value for c in workbook["Ohjeet"]["A"]
    ]
    sheet = workbook[MEASURES_SHEET]
    headers = [c.value for c in sheet[1]]
    for needed in ("Tunnus", "Tila", "Huomiot", "Käytetyt eurot", "Raportoija"):
        assert needed in headers
    ids = [sheet.cell(row=r, column=1).value for r in range(2, sheet.max_row + 1)]
    # The party's measures scheduled in 2026, in plan order (from data/plan/2026-2029.yml).
    assert ids == ["TP01", "TP03", "TP04", "TP05", "TP06", "TP10"]
    status_column = headers.index("Tila") + 1
    letter = sheet.cell(row=1, column=status_column).column_letter
    lists = [v for v in sheet.data_validations.dataValidation if v.type == "list"]
    assert len(lists) == 1
    assert lists[0].formula1 == '"toteutunut,käynnissä,viivästynyt,ei aloitettu,luovuttu"'
    assert f"{letter}2:{letter}7" in str(lists[0].sqref)


def test_one_form_per_party_with_measures_in_the_year(plan):
    parties = parties_for_year(plan, 2026)
    assert len(parties) == 33
    # TP03 (2026–2027) is in 2027's forms but not in 2028's.
    assert "TP03" in [m.id for _, m in parties_for_year(plan, 2027)[PARTY]]
    assert "TP03" not in [m.id for _, m in parties_for_year(plan, 2028)[PARTY]]
    with pytest.raises(HyteError, match="outside the council term 2026-2029"):
        write_forms(plan, 2031, Path("unused"))


# --------------------------------------------------------------------------------------------------
# Round trip through the command line


def test_round_trip_through_the_cli(project, tmp_path):
    config = project / "hyte.yml"
    code, output = _cli("plan-form", "--year", 2026, "--output", tmp_path / "out", "-c", config)
    assert code == 0, output
    assert "33 workbook(s) for 2026" in output
    form = tmp_path / "out" / "seuranta-2026-lasten-nuorten-ja-perheiden-palvelut.xlsx"
    filled = _fill(
        form,
        {
            "TP01": {
                "Tila": "käynnissä",
                "Huomiot": "Malli käytössä 3 oppilaitoksessa",
                "Käytetyt eurot": 35000,
                "Raportoija": "Anna Virtanen",
                "Raportoitu (pvm)": "20.1.2027",
            },
            "TP05": {"Tila": "Luovuttu ", "Huomiot": "Menetelmäkoulutusta ei saatu *rahoitusta*"},
        },
    )
    code, output = _cli("plan-progress", filled, "-c", config)
    assert code == 0, output
    assert "2 measure(s) reported, 4 without a status" in output
    assert "TP01 / Lasten, nuorten ja perheiden palvelut: new report: käynnissä" in output
    year_file = project / "data" / "plan" / "seuranta" / "2026.yml"
    data = yaml.safe_load(year_file.read_text(encoding="utf-8"))
    assert data["year"] == 2026
    assert data["entries"][0] == {
        "measure": "TP01",
        "party": PARTY,
        "status": "käynnissä",
        "note": "Malli käytössä 3 oppilaitoksessa",
        "euros_used": 35000,
        "reporter": "Anna Virtanen",
        "reported": "2027-01-20",
    }
    assert data["entries"][1]["status"] == "luovuttu"
    before = year_file.read_bytes()
    code, output = _cli("plan-progress", filled, "-c", config)
    assert code == 0 and "no changes" in output
    assert year_file.read_bytes() == before
    code, output = _cli("plan-check", "-c", config)
    assert code == 0 and f"Progress OK: {year_file}" in output


def test_a_later_year_never_overwrites_an_earlier_one(plan, tmp_path):
    first = _fill(_form(plan, tmp_path, 2026), {"TP01": {"Tila": "käynnissä"}})
    import_forms(plan, [first])
    earlier = plan.source.parent / "seuranta" / "2026.yml"
    before = earlier.read_bytes()
    second = _fill(_form(plan, tmp_path, 2027), {"TP01": {"Tila": "toteutunut"}})
    result = import_forms(plan, [second])
    assert list(result.written) == [2027]
    assert earlier.read_bytes() == before
    later = load_progress(plan.source.parent / "seuranta" / "2027.yml", plan)
    assert [e.status for e in later.entries] == [MeasureStatus.done]
    with pytest.raises(HyteError, match="not --year 2026"):
        import_forms(plan, [second], year=2026)


# --------------------------------------------------------------------------------------------------
# Bad workbooks: one clear line each, nothing changed


def _bad_formula(path):
    workbook = load_workbook(path)
    workbook[MEASURES_SHEET]["H2"] = "=1000*35"
    workbook.save(path)


def _delete_column(path):
    workbook = load_workbook(path)
    workbook[MEASURES_SHEET].delete_cols(6)  # Tila
    workbook.save(path)


def _rename_sheet(path):
    workbook = load_workbook(path)
    workbook[MEASURES_SHEET].title = "Taulukko1"
    workbook.save(path)


def _unknown_id(path):
    workbook = load_workbook(path)
    workbook[MEASURES_SHEET]["A3"] = "TP99"
    workbook.save(path)


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (
            {"TP01": {"Tila": "valmis"}},
            (
                "sheet 'Toimenpiteet', row 2, column F ('Tila'): unknown status 'valmis'; choose one of: "
                "toteutunut, käynnissä, viivästynyt, ei aloitettu, luovuttu."
            ),
        ),
        (
            {"TP01": {"Tila": "käynnissä", "Käytetyt eurot": "35 000 €"}},
            (
                "sheet 'Toimenpiteet', row 2, column H ('Käytetyt eurot'): '35 000 €' is text; type the "
                "euros as a plain number"
            ),
        ),
        (
            _bad_formula,
            "sheet 'Toimenpiteet', row 2, column H ('Käytetyt eurot'): a formula; type the value itself",
        ),
        (
            _delete_column,
            "sheet 'Toimenpiteet', row 1, column 'Tila': the column 'Tila' is missing; restore it",
        ),
        (_rename_sheet, "sheet 'Toimenpiteet' not found (found 'Taulukko1': rename it back)"),
        (
            _unknown_id,
            "sheet 'Toimenpiteet', row 3, column A ('Tunnus'): unknown measure id 'TP99'",
        ),
    ],
    ids=[
        "unknown-status",
        "text-euros",
        "formula-euros",
        "deleted-column",
        "renamed-sheet",
        "unknown-id",
    ],
)
def test_bad_workbooks_are_refused_whole(plan, tmp_path, spoil, expected):
    good = _fill(_form(plan, tmp_path), {"TP03": {"Tila": "toteutunut"}})
    import_forms(plan, [good])
    year_file = plan.source.parent / "seuranta" / "2026.yml"
    before = year_file.read_bytes()
    bad = _fill(_form(plan, tmp_path), {"TP04": {"Tila": "käynnissä"}}, tmp_path / "bad.xlsx")
    if callable(spoil):
        _fill(bad, {"TP01": {"Tila": "käynnissä"}}, bad)
        spoil(bad)
    else:
        _fill(bad, spoil, bad)
    # Another, valid workbook in the same run is not imported either.
    other = _fill(_form(plan, tmp_path, party="Alueen kunnat"), {"TP06": {"Tila": "käynnissä"}})
    with pytest.raises(HyteError) as caught:
        import_forms(plan, [other, bad])
    message = str(caught.value)
    assert message.startswith("1 error(s); nothing was imported, no file changed:\n")
    lines = message.splitlines()[1:]
    assert len(lines) == 1
    assert lines[0] == f"{bad}: " + lines[0].split(": ", 1)[1]
    assert expected in lines[0]
    assert year_file.read_bytes() == before


def test_cli_prints_every_error_and_exits_2(project, tmp_path):
    config = project / "hyte.yml"
    _cli("plan-form", "--year", 2026, "--output", tmp_path / "out", "-c", config)
    form = tmp_path / "out" / "seuranta-2026-lasten-nuorten-ja-perheiden-palvelut.xlsx"
    bad = _fill(
        form,
        {"TP01": {"Tila": "valmis"}, "TP03": {"Tila": "käynnissä", "Käytetyt eurot": "noin 500"}},
    )
    code, output = _cli("plan-progress", bad, "-c", config)
    assert code == 2
    assert "2 error(s); nothing was imported" in output
    assert "row 2, column F ('Tila'): unknown status 'valmis'" in output
    assert "row 3, column H ('Käytetyt eurot'): 'noin 500' is text" in output
    assert "Traceback" not in output
    assert not (project / "data" / "plan" / "seuranta").exists()


# --------------------------------------------------------------------------------------------------
# The year file


def _year_file(plan, data: dict) -> Path:
    path = plan.source.parent / "seuranta" / f"{data.get('year', 2026)}.yml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("entry", "year", "expected"),
    [
        (
            {"measure": "TP99", "status": "käynnissä"},
            2026,
            "entry 1 (TP99): field 'measure': unknown measure id 'TP99'",
        ),
        (
            {"measure": "TP01", "status": "valmis"},
            2026,
            "entry 1 (TP01): field 'status': unknown status 'valmis'; use one of: toteutunut",
        ),
        (
            {"measure": "TP01", "status": "käynnissä", "euros_used": "35 000 €"},
            2026,
            "entry 1 (TP01): field 'euros_used': euros must be a number without units",
        ),
        (
            {"measure": "TP01", "status": "käynnissä"},
            2031,
            "field 'year': 2031 is outside the council term 2026-2029",
        ),
        (
            {"measure": "TP01", "party": "Jyväskylä", "status": "käynnissä"},
            2026,
            "entry 1 (TP01): field 'party': 'Jyväskylä' is not a responsible party of TP01",
        ),
    ],
)
def test_year_file_problems_name_file_entry_and_field(plan, entry, year, expected):
    path = _year_file(plan, {"year": year, "entries": [entry]})
    _, problems = progress_problems(path, plan)
    assert problems and problems[0].startswith(f"{path}: ")
    assert expected in problems[0]
    with pytest.raises(HyteError, match="^" + str(path)):
        load_progress(path, plan)


def test_combined_status_of_several_parties():
    s = MeasureStatus
    assert combined_status([]) is None
    assert combined_status([s.done, s.done]) is s.done
    assert combined_status([s.done, s.delayed]) is s.delayed
    assert combined_status([s.done, s.not_started]) is s.ongoing
    assert combined_status([s.dropped, s.not_started]) is s.not_started


def test_measure_progress_sums_euros_of_the_parties(plan):
    path = _year_file(
        plan,
        {
            "year": 2026,
            "entries": [
                {
                    "measure": "TP06",
                    "party": "MLL:n Keski-Suomen piiri",
                    "status": "käynnissä",
                    "euros_used": 1200,
                },
                {
                    "measure": "TP06",
                    "party": "Alueen kunnat",
                    "status": "toteutunut",
                    "euros_used": 800.5,
                },
            ],
        },
    )
    progress = load_progress(path, plan)
    rows = {m.measure.id: m for m in measure_progress(plan, progress, 2026)}
    assert rows["TP06"].status is MeasureStatus.ongoing
    assert rows["TP06"].euros_used == pytest.approx(2000.5)
    assert rows["TP01"].status is None and rows["TP01"].status_fi == "ei raportoitu"
    assert rows["TP01"].planned_eur == 70000  # budget_eur of TP01 in the plan
