"""Excel workbooks for collecting the measures' progress from the responsible parties.

``hyte plan-form --year 2026 --output DIR`` (:func:`write_forms`) writes one workbook per responsible
party (a party is a name in the plan's ``responsible`` lists): a first sheet *Ohjeet* (instructions in
Finnish), a sheet *Toimenpiteet* with the party's measures of that year pre-filled and columns for the
status (a drop-down of the five allowed values), a note, the euros used, the reporter and the date,
and a hidden sheet *hyte* that names the year, the party and the plan.

``hyte plan-progress FILE.xlsx ...`` (:func:`read_forms`, :func:`import_forms`) reads the filled
workbooks back. Any error in any workbook refuses the whole import, with one line per error (file,
sheet, row, column and what to do) and nothing changed; otherwise the year's file
``data/plan/seuranta/<year>.yml`` is written atomically and the changes are reported. Rows without a
status are not reported (they change nothing).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from hyte.errors import HyteError
from hyte.plan.plan import Plan
from hyte.plan.progress import (
    STATUS_VALUES,
    Change,
    Entry,
    YearProgress,
    dump_progress,
    load_progress,
    merge_entries,
    parse_status,
    party_labels,
    progress_path,
    progress_problems,
    sort_entries,
)

FORM_VERSION = 1
INSTRUCTIONS_SHEET = "Ohjeet"
MEASURES_SHEET = "Toimenpiteet"
META_SHEET = "hyte"

# (column header, key, width); the reader finds columns by their header text.
COLUMNS = [
    ("Tunnus", "measure", 10),
    ("Toimenpide", "text", 60),
    ("Osatavoite", "sub_goal", 12),
    ("Aikataulu", "schedule", 12),
    ("Suunnitellut resurssit", "resources", 36),
    ("Tila", "status", 16),
    ("Huomiot", "note", 50),
    ("Käytetyt eurot", "euros_used", 16),
    ("Raportoija", "reporter", 24),
    ("Raportoitu (pvm)", "reported", 16),
]
REQUIRED = ("Tunnus", "Tila", "Huomiot", "Käytetyt eurot", "Raportoija")
HEADER_ROW = 1


def _slug(text: str) -> str:
    value = text.lower()
    for a, b in (("ä", "a"), ("ö", "o"), ("å", "a")):
        value = value.replace(a, b)
    value = re.sub(r"[^a-z0-9]+", "-", value).strip("-")
    return value[:60] or "vastuutaho"


def parties_for_year(plan: Plan, year: int) -> dict[str, list]:
    """Each responsible party's measures scheduled in the year (plan order): {party: [(sub, measure)]}."""
    out: dict[str, list] = {}
    for _, _, sub, measure in plan.measures():
        if not measure.schedule.start <= year <= measure.schedule.end:
            continue
        for label in party_labels(measure):
            out.setdefault(label, []).append((sub, measure))
    return out


def _instructions(plan: Plan, party: str, year: int, count: int) -> list[str]:
    statuses = ", ".join(STATUS_VALUES)
    return [
        f"Hyvinvointisuunnitelman toimenpiteiden seuranta {year}",
        "",
        f"Suunnitelma: {plan.title}",
        f"Vastuutaho: {party}",
        f"Vuosi: {year}",
        f"Toimenpiteitä tällä lomakkeella: {count}",
        "",
        "Näin täytät lomakkeen:",
        (
            f"1. Avaa välilehti '{MEASURES_SHEET}'. Jokainen rivi on yksi toimenpide, jonka vastuutahoihin "
            "kuulutte. Älä muuta sarakkeita Tunnus ja Toimenpide, älä poista tai nimeä uudelleen "
            "sarakkeita tai välilehtiä."
        ),
        (
            f"2. Valitse sarakkeeseen Tila toimenpiteen tilanne vuoden {year} lopussa pudotusvalikosta: "
            f"{statuses}."
        ),
        (
            "3. Kirjoita Huomiot-sarakkeeseen lyhyesti, mitä tehtiin; jos toimenpide viivästyi tai siitä "
            "luovuttiin, kerro miksi."
        ),
        (
            f"4. Kirjoita Käytetyt eurot -sarakkeeseen vuonna {year} käytetty rahamäärä pelkkänä lukuna "
            "(esimerkiksi 35000), ilman €-merkkiä, välilyöntejä tai kaavoja. Jätä tyhjäksi, jos "
            "toimenpiteeseen ei käytetty erillistä rahaa tai summa ei ole tiedossa."
        ),
        (
            "5. Kirjoita Raportoija-sarakkeeseen tietojen antajan nimi ja Raportoitu-sarakkeeseen "
            "päivämäärä (pp.kk.vvvv tai vvvv-kk-pp). Tyhjä päivämäärä tarkoittaa tuontipäivää."
        ),
        (
            "6. Jätä Tila tyhjäksi vain, jos toimenpiteestä ei voi vielä raportoida: silloin riviä ei "
            "tuoda."
        ),
        "7. Palauta tiedosto hyvinvoinnin ja terveyden edistämisen yksikölle samassa muodossa (.xlsx).",
        "",
        (
            "Tiedot tuodaan hyvinvointiraporttiin komennolla hyte plan-progress. Jos lomakkeessa on "
            "virhe, koko lomake palautetaan korjattavaksi ja virheestä kerrotaan rivi ja sarake."
        ),
    ]


def write_form(plan: Plan, party: str, year: int, measures: list, path: Path) -> Path:
    """One party's workbook at ``path`` (written to a temporary file, then renamed)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    guide = workbook.active
    guide.title = INSTRUCTIONS_SHEET
    for number, line in enumerate(_instructions(plan, party, year, len(measures)), start=1):
        cell = guide.cell(row=number, column=1, value=line)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if number == 1:
            cell.font = Font(bold=True, size=14)
    guide.column_dimensions["A"].width = 110

    sheet = workbook.create_sheet(MEASURES_SHEET)
    fill = PatternFill("solid", fgColor="DDDDDD")
    for column, (header, _, width) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=column, value=header)
        cell.font = Font(bold=True)
        cell.fill = fill
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "B2"
    status_column = next(i for i, c in enumerate(COLUMNS, start=1) if c[1] == "status")
    euros_column = next(i for i, c in enumerate(COLUMNS, start=1) if c[1] == "euros_used")
    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(STATUS_VALUES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Tila",
        error="Valitse tila pudotusvalikosta: " + ", ".join(STATUS_VALUES),
        promptTitle="Tila",
        prompt="Valitse toimenpiteen tila vuoden lopussa.",
    )
    sheet.add_data_validation(validation)
    numbers = DataValidation(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Käytetyt eurot",
        error="Kirjoita euromäärä pelkkänä lukuna, esimerkiksi 35000.",
    )
    sheet.add_data_validation(numbers)
    for row, (sub, measure) in enumerate(measures, start=HEADER_ROW + 1):
        values = {
            "measure": measure.id,
            "text": measure.text,
            "sub_goal": sub.id,
            "schedule": measure.schedule.label(),
            "resources": measure.resources
            + (f" ({int(measure.budget_eur)} €/v)" if measure.budget_eur is not None else ""),
        }
        for column, (_, key, _) in enumerate(COLUMNS, start=1):
            cell = sheet.cell(row=row, column=column, value=values.get(key))
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    last = HEADER_ROW + max(len(measures), 1)
    letter = sheet.cell(row=1, column=status_column).column_letter
    validation.add(f"{letter}{HEADER_ROW + 1}:{letter}{last}")
    letter = sheet.cell(row=1, column=euros_column).column_letter
    numbers.add(f"{letter}{HEADER_ROW + 1}:{letter}{last}")

    meta = workbook.create_sheet(META_SHEET)
    for row, (key, value) in enumerate(
        [
            ("form_version", FORM_VERSION),
            ("year", year),
            ("party", party),
            ("plan_term", plan.term),
            ("plan_title", plan.title),
        ],
        start=1,
    ):
        meta.cell(row=row, column=1, value=key)
        meta.cell(row=row, column=2, value=value)
    meta.sheet_state = "hidden"
    workbook.active = 0

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    workbook.save(temporary)
    temporary.replace(path)
    return path


def write_forms(plan: Plan, year: int, output: Path) -> list[Path]:
    """One workbook per responsible party with measures in the year; returns the paths."""
    start, end = plan.term_years
    if not start <= year <= end:
        raise HyteError(
            f"--year {year} is outside the council term {plan.term}; use {start}–{end}."
        )
    parties = parties_for_year(plan, year)
    if not parties:
        raise HyteError(f"No measure of the plan {plan.source} is scheduled in {year}.")
    paths = []
    used: set[str] = set()
    for party, measures in parties.items():
        name = f"seuranta-{year}-{_slug(party)}"
        stem, number = name, 2
        while stem in used:
            stem, number = f"{name}-{number}", number + 1
        used.add(stem)
        paths.append(write_form(plan, party, year, measures, Path(output) / f"{stem}.xlsx"))
    return paths


# --------------------------------------------------------------------------------------------------
# Reading back


@dataclass
class FormResult:
    """What one workbook holds: its year and party, the reported entries, or its errors."""

    path: Path
    year: int | None = None
    party: str | None = None
    entries: list[Entry] = field(default_factory=list)
    unreported: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _is_formula(cell) -> bool:
    return cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith("="))


def _text(value) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _parse_date(value) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    match = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text)
    try:
        if match:
            return dt.date(int(match[3]), int(match[2]), int(match[1]))
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(text) from None


def read_form(path: Path, plan: Plan) -> FormResult:
    """Read one workbook; problems go to ``result.errors`` (one line each), never raised."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    path = Path(path)
    result = FormResult(path)

    def error(sheet: str, row: int | None, column: str | None, text: str) -> None:
        where = [f"sheet '{sheet}'"]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column}")
        result.errors.append(f"{path}: {', '.join(where)}: {text}")

    if not path.is_file():
        result.errors.append(f"{path}: no such file.")
        return result
    try:
        workbook = load_workbook(path, data_only=False)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        result.errors.append(
            f"{path}: not an Excel workbook (.xlsx) made by `hyte plan-form` ({exc})."
        )
        return result
    names = workbook.sheetnames
    if META_SHEET not in names:
        result.errors.append(
            f"{path}: the hidden sheet '{META_SHEET}' is missing: this is not a workbook made by "
            "`hyte plan-form`, or it was copied into a new file; use the original form."
        )
        return result
    meta = {
        str(r[0]).strip(): r[1]
        for r in workbook[META_SHEET].iter_rows(min_row=1, max_col=2, values_only=True)
        if r[0] is not None
    }
    try:
        result.year = int(meta.get("year"))
    except (TypeError, ValueError):
        error(
            META_SHEET,
            None,
            None,
            "the form's year is missing; make a new form with `hyte plan-form`.",
        )
        return result
    result.party = _text(meta.get("party"))
    if str(meta.get("plan_term")) != plan.term:
        error(
            META_SHEET,
            None,
            None,
            f"the form is for the plan {meta.get('plan_term')}, not {plan.term}; make a new form.",
        )
        return result
    start, end = plan.term_years
    if not start <= result.year <= end:
        error(
            META_SHEET, None, None, f"year {result.year} is outside the council term {plan.term}."
        )
        return result
    if MEASURES_SHEET not in names:
        others = [n for n in names if n not in (INSTRUCTIONS_SHEET, META_SHEET)]
        hint = f" (found {', '.join(repr(n) for n in others)}: rename it back)" if others else ""
        result.errors.append(
            f"{path}: sheet '{MEASURES_SHEET}' not found{hint}; the measures must be on a sheet named "
            f"'{MEASURES_SHEET}'."
        )
        return result
    sheet = workbook[MEASURES_SHEET]
    headers: dict[str, int] = {}
    for cell in sheet[HEADER_ROW]:
        text = _text(cell.value)
        if text:
            headers[text.lower()] = cell.column
    missing = [h for h in REQUIRED if h.lower() not in headers]
    for header in missing:
        error(
            MEASURES_SHEET,
            HEADER_ROW,
            f"'{header}'",
            f"the column '{header}' is missing; restore it (use the form made by `hyte plan-form` "
            "and do not delete or rename columns).",
        )
    if missing:
        return result
    position = {key: headers.get(header.lower()) for header, key, _ in COLUMNS}
    letters = {
        key: sheet.cell(row=1, column=col).column_letter for key, col in position.items() if col
    }
    measures = {m.id: m for *_, m in plan.measures()}
    party = result.party
    seen: set[str] = set()

    def column_name(key: str) -> str:
        header = next(h for h, k, _ in COLUMNS if k == key)
        return f"{letters[key]} ('{header}')"

    for row in range(HEADER_ROW + 1, sheet.max_row + 1):
        cells = {key: sheet.cell(row=row, column=col) for key, col in position.items() if col}
        values = {key: cell.value for key, cell in cells.items()}
        if all(_text(v) is None for v in values.values()):
            continue
        measure_id = _text(values["measure"])
        if measure_id is None:
            error(
                MEASURES_SHEET,
                row,
                column_name("measure"),
                "the measure id (Tunnus) is empty; do not delete the pre-filled ids.",
            )
            continue
        measure = measures.get(measure_id)
        if measure is None:
            error(
                MEASURES_SHEET,
                row,
                column_name("measure"),
                f"unknown measure id '{measure_id}'; keep the ids the form was made with.",
            )
            continue
        if party is not None and party not in party_labels(measure):
            error(
                MEASURES_SHEET,
                row,
                column_name("measure"),
                f"measure {measure_id} is not one of '{party}''s measures; remove the row.",
            )
            continue
        if measure_id in seen:
            error(
                MEASURES_SHEET,
                row,
                column_name("measure"),
                f"measure {measure_id} is on two rows; keep one.",
            )
            continue
        seen.add(measure_id)
        row_errors = len(result.errors)
        for key in ("status", "note", "euros_used", "reporter", "reported"):
            if key in cells and _is_formula(cells[key]):
                error(
                    MEASURES_SHEET,
                    row,
                    column_name(key),
                    "a formula; type the value itself (a number for euros), not a formula.",
                )
        if len(result.errors) > row_errors:
            continue
        status_text = _text(values["status"])
        if status_text is None:
            if any(_text(values.get(k)) for k in ("note", "euros_used", "reporter")):
                error(
                    MEASURES_SHEET,
                    row,
                    column_name("status"),
                    f"the status (Tila) is empty but the row has other entries; choose one of: "
                    f"{', '.join(STATUS_VALUES)}.",
                )
            else:
                result.unreported.append(measure_id)
            continue
        try:
            status = parse_status(status_text)
        except ValueError:
            error(
                MEASURES_SHEET,
                row,
                column_name("status"),
                f"unknown status '{status_text}'; choose one of: {', '.join(STATUS_VALUES)}.",
            )
            status = None
        euros = values["euros_used"]
        if isinstance(euros, str):
            if euros.strip():
                error(
                    MEASURES_SHEET,
                    row,
                    column_name("euros_used"),
                    f"'{euros.strip()}' is text; type the euros as a plain number, e.g. 35000 "
                    "(no € sign, spaces or words).",
                )
                euros = None
            else:
                euros = None
        elif isinstance(euros, bool) or (
            euros is not None
            and (not isinstance(euros, (int, float)) or not math.isfinite(euros) or euros < 0)
        ):
            error(
                MEASURES_SHEET,
                row,
                column_name("euros_used"),
                f"{euros!r} is not a number of euros ≥ 0; type a plain number, e.g. 35000.",
            )
            euros = None
        reported = None
        if "reported" in values:
            try:
                reported = _parse_date(values["reported"])
            except ValueError as exc:
                error(
                    MEASURES_SHEET,
                    row,
                    column_name("reported"),
                    f"'{exc}' is not a date; write it as 20.1.2027 or 2027-01-20.",
                )
        if len(result.errors) > row_errors or status is None:
            continue
        result.entries.append(
            Entry(
                measure=measure_id,
                party=party,
                status=status,
                note=_text(values["note"]),
                euros_used=None if euros is None else float(euros),
                reporter=_text(values["reporter"]),
                reported=reported,
            )
        )
    return result


@dataclass
class ImportResult:
    """The outcome of `hyte plan-progress`: per year, the file written and its changes."""

    forms: list[FormResult]
    written: dict[int, Path] = field(default_factory=dict)
    changes: dict[int, list[Change]] = field(default_factory=dict)

    @property
    def errors(self) -> list[str]:
        return [e for f in self.forms for e in f.errors]

    def lines(self) -> list[str]:
        out = []
        for form in self.forms:
            unreported = (
                f", {len(form.unreported)} without a status (not imported)"
                if form.unreported
                else ""
            )
            out.append(
                f"{form.path}: {form.party} {form.year}: {len(form.entries)} measure(s) "
                f"reported{unreported}"
            )
        for year, changes in sorted(self.changes.items()):
            path = self.written.get(year)
            if not changes:
                out.append(f"{year}: no changes; {progress_path_label(path)} not rewritten")
                continue
            out.append(f"{year}: {len(changes)} change(s) written to {path}:")
            out.extend(f"  {c.line()}" for c in changes)
        return out


def progress_path_label(path: Path | None) -> str:
    return str(path) if path else "the year file"


def import_forms(
    plan: Plan,
    paths: list[Path],
    *,
    year: int | None = None,
    today: dt.date | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Read every workbook; when none has an error, merge each year's entries into its year file
    (written atomically) — otherwise raise one HyteError listing every error (nothing is written)."""
    from hyte.data.snapshot import write_text_atomic

    if not paths:
        raise HyteError("No workbooks given: name the filled .xlsx files made by `hyte plan-form`.")
    if plan.source is None:
        raise HyteError("The plan was not loaded from a file; cannot find data/plan/seuranta/.")
    forms = [read_form(Path(p), plan) for p in paths]
    for form in forms:
        if year is not None and form.year is not None and form.year != year and not form.errors:
            form.errors.append(
                f"{form.path}: sheet '{META_SHEET}': the form is for {form.year}, "
                f"not --year {year}; give the workbooks of one year."
            )
    keys: dict[tuple[int, str], Path] = {}
    for form in forms:
        if form.errors or form.year is None:
            continue
        key = (form.year, form.party or "")
        if key in keys:
            form.errors.append(
                f"{form.path}: the same party's ({form.party}) form for {form.year} "
                f"is also in {keys[key]}; give each form once."
            )
        keys[key] = form.path
    result = ImportResult(forms)
    if result.errors:
        count = len(result.errors)
        raise HyteError(
            f"{count} error(s); nothing was imported, no file changed:\n" + "\n".join(result.errors)
        )
    pending: list[tuple[Path, str]] = []
    for form_year in sorted({f.year for f in forms if f.year is not None}):
        path = progress_path(plan.source, form_year)
        current = load_progress(path, plan) if path.is_file() else YearProgress(year=form_year)
        new = [e for f in forms if f.year == form_year for e in f.entries]
        merged, changes = merge_entries(current, new, today=today)
        merged.entries = sort_entries(plan, merged.entries)
        result.changes[form_year] = changes
        if changes:
            text = dump_progress(merged)
            # The text must load back without problems before it replaces the file.
            _, problems = progress_problems(path, plan, yaml.safe_load(text))
            if problems:
                raise HyteError(problems[0] + " (nothing was written)")
            pending.append((path, text))
            result.written[form_year] = path
    if not dry_run:
        for path, text in pending:
            write_text_atomic(path, text)
    else:
        result.written.clear()
    return result
