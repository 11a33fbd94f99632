"""The progress of the plan's measures (toimenpiteiden toteutuminen), one file per year.

``data/plan/seuranta/<year>.yml`` (beside the plan file) holds what each responsible party reported
about its measures in that year:

    year: 2026
    demo: false            # true: invented example data, labelled so on every page
    entries:
      - measure: TP01      # a measure id of the plan
        party: "Lasten, nuorten ja perheiden palvelut"   # one of the measure's responsible parties
        status: käynnissä  # toteutunut | käynnissä | viivästynyt | ei aloitettu | luovuttu
        note: "..."        # short free text (optional)
        euros_used: 35000  # euros used in the year (optional; a number, not text)
        reporter: "N.N."   # who reported (optional)
        reported: "2027-01-20"  # when (ISO date, optional)

Loading validates everything and reports each problem as one line naming the file, the entry (its
number and measure id) and the field. Each year has its own file: importing one year's workbooks
(`hyte plan-progress`) writes only that year's file, so an earlier year is never overwritten.

A measure with several responsible parties can have one entry per party. Its **combined status**:
the common status when all entries agree; otherwise ``viivästynyt`` when any party reports a delay,
else ``käynnissä`` when work has started somewhere (any ``käynnissä`` or ``toteutunut``), else
``ei aloitettu`` (a mix of not started and dropped). A measure without any entry is *not reported*.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from hyte.errors import HyteError
from hyte.plan.plan import Measure, Plan
from hyte.yamlio import read_yaml


class MeasureStatus(str, Enum):
    """The five statuses a responsible party reports for a measure (values as written in the files)."""

    done = "toteutunut"
    ongoing = "käynnissä"
    delayed = "viivästynyt"
    not_started = "ei aloitettu"
    dropped = "luovuttu"

    @property
    def label_fi(self) -> str:
        return self.value


STATUS_ORDER = (
    MeasureStatus.done,
    MeasureStatus.ongoing,
    MeasureStatus.delayed,
    MeasureStatus.not_started,
    MeasureStatus.dropped,
)
STATUS_VALUES = tuple(s.value for s in STATUS_ORDER)
NOT_REPORTED_FI = "ei raportoitu"


def parse_status(value: object) -> MeasureStatus:
    """A status from text (case and surrounding spaces ignored); ValueError names the allowed values."""
    text = re.sub(r"\s+", " ", str(value).strip().lower()) if value is not None else ""
    for status in MeasureStatus:
        if text == status.value:
            return status
    raise ValueError(f"unknown status {value!r}; use one of: {', '.join(STATUS_VALUES)}")


def _status(value: object) -> object:
    return value if isinstance(value, MeasureStatus) else parse_status(value)


def _euros(value: object) -> object:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(  # noqa: TRY004 - pydantic reports ValueError as a validation error
            f"euros must be a number without units or spaces, e.g. 35000 (got {value!r})"
        )
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"euros must be a number ≥ 0 (got {value!r})")
    return float(value)


def _date(value: object) -> object:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"a date is written YYYY-MM-DD, e.g. 2027-01-20 (got {value!r})")


Status = Annotated[MeasureStatus, BeforeValidator(_status)]
Euros = Annotated[float | None, BeforeValidator(_euros)]
Date = Annotated[dt.date | None, BeforeValidator(_date)]


class Entry(BaseModel):
    """One responsible party's report on one measure for one year."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    measure: str = Field(min_length=1)
    party: str | None = Field(None, description="One of the measure's responsible parties")
    status: Status
    note: str | None = None
    euros_used: Euros = None
    reporter: str | None = None
    reported: Date = None

    @property
    def key(self) -> tuple[str, str]:
        return self.measure, self.party or ""


class YearProgress(BaseModel):
    """One year's progress file."""

    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=1990, le=2100)
    demo: bool = Field(False, description="Invented example data")
    note: str | None = None
    entries: list[Entry] = Field(default_factory=list)

    _source: Path | None = None

    def for_measure(self, measure_id: str) -> list[Entry]:
        return [e for e in self.entries if e.measure == measure_id]


def progress_dir(plan_path: Path) -> Path:
    """``data/plan/seuranta/`` beside the plan file."""
    return Path(plan_path).parent / "seuranta"


def progress_path(plan_path: Path, year: int) -> Path:
    return progress_dir(plan_path) / f"{int(year)}.yml"


def party_labels(measure: Measure) -> list[str]:
    return [p.label() for p in measure.responsible]


def _entry_name(number: int, raw: Any) -> str:
    measure = raw.get("measure") if isinstance(raw, dict) else None
    return f"entry {number}" + (f" ({measure})" if measure else "")


def progress_problems(
    path: Path, plan: Plan, raw: Any = None
) -> tuple[YearProgress | None, list[str]]:
    """Every problem of a year file against the plan (empty list and the progress when all is well)."""
    path = Path(path)
    if raw is None:
        raw = read_yaml(path)
    if not isinstance(raw, dict):
        return None, [f"{path}: expected a mapping with 'year' and 'entries'."]
    problems: list[str] = []
    entries = raw.get("entries") or []
    if not isinstance(entries, list):
        return None, [f"{path}: field 'entries': a list of entries ('- measure: ...')."]
    parsed: list[Entry] = []
    for number, item in enumerate(entries, start=1):
        name = _entry_name(number, item)
        if not isinstance(item, dict):
            problems.append(f"{path}: {name}: expected fields measure, party, status, ...")
            continue
        try:
            parsed.append(Entry(**item))
        except ValidationError as exc:
            for error in exc.errors():
                field_name = ".".join(str(p) for p in error["loc"]) or "(entry)"
                message = error["msg"].removeprefix("Value error, ")
                problems.append(f"{path}: {name}: field '{field_name}': {message}")
    try:
        progress = YearProgress(**{k: v for k, v in raw.items() if k != "entries"})
    except ValidationError as exc:
        for error in exc.errors():
            field_name = ".".join(str(p) for p in error["loc"])
            problems.append(f"{path}: field '{field_name}': {error['msg']}")
        return None, problems
    start, end = plan.term_years
    if not start <= progress.year <= end:
        problems.append(
            f"{path}: field 'year': {progress.year} is outside the council term {plan.term}"
        )
    match = re.fullmatch(r"\d{4}", path.stem)
    if match and int(path.stem) != progress.year:
        problems.append(
            f"{path}: field 'year': {progress.year} differs from the file name; one file per year"
        )
    measures = {m.id: m for *_, m in plan.measures()}
    seen: set[tuple[str, str]] = set()
    for number, entry in enumerate(parsed, start=1):
        name = f"entry {number} ({entry.measure})"
        measure = measures.get(entry.measure)
        if measure is None:
            problems.append(
                f"{path}: {name}: field 'measure': unknown measure id '{entry.measure}'; use an id "
                f"of the plan {plan.source or ''} (e.g. {next(iter(measures), 'TP01')})"
            )
            continue
        if entry.party is not None and entry.party not in party_labels(measure):
            problems.append(
                f"{path}: {name}: field 'party': '{entry.party}' is not a responsible party of "
                f"{measure.id}; use one of: {'; '.join(party_labels(measure))}"
            )
        if entry.key in seen:
            problems.append(
                f"{path}: {name}: a second entry for the same measure and party; keep one"
            )
        seen.add(entry.key)
    if problems:
        return None, problems
    progress.entries = parsed
    progress._source = path
    return progress, []


def load_progress(path: Path, plan: Plan) -> YearProgress:
    """Read and validate one year's file; the first problem is a HyteError line (with the count)."""
    progress, problems = progress_problems(path, plan)
    if problems:
        more = len(problems) - 1
        raise HyteError(problems[0] + (f" [+{more} more]" if more else ""))
    assert progress is not None
    return progress


def load_year(plan: Plan, year: int) -> YearProgress | None:
    """The year's progress beside the plan file, or None when there is no file for that year."""
    if plan.source is None:
        return None
    path = progress_path(plan.source, year)
    return load_progress(path, plan) if path.is_file() else None


# --------------------------------------------------------------------------------------------------
# Combining and summarising


def combined_status(statuses: list[MeasureStatus]) -> MeasureStatus | None:
    """The measure's status from its parties' reports (rule in the module docstring)."""
    if not statuses:
        return None
    if len(set(statuses)) == 1:
        return statuses[0]
    if MeasureStatus.delayed in statuses:
        return MeasureStatus.delayed
    if MeasureStatus.ongoing in statuses or MeasureStatus.done in statuses:
        return MeasureStatus.ongoing
    return MeasureStatus.not_started


@dataclass
class MeasureProgress:
    """One measure of the plan in one year: its reports and their combination."""

    focus_area_id: str
    focus_area_title: str
    goal_id: str
    sub_goal_id: str
    kind: Any  # SubGoalKind
    measure: Measure
    scheduled: bool  # the year is within the measure's schedule
    entries: list[Entry] = field(default_factory=list)

    @property
    def status(self) -> MeasureStatus | None:
        return combined_status([e.status for e in self.entries])

    @property
    def status_fi(self) -> str:
        return self.status.label_fi if self.status else NOT_REPORTED_FI

    @property
    def euros_used(self) -> float | None:
        values = [e.euros_used for e in self.entries if e.euros_used is not None]
        return sum(values) if values else None

    @property
    def planned_eur(self) -> float | None:
        return self.measure.budget_eur if self.scheduled else None


def measure_progress(plan: Plan, progress: YearProgress | None, year: int) -> list[MeasureProgress]:
    """Every measure of the plan (plan order) with the year's reports (none when not reported)."""
    out = []
    for area, goal, sub, measure in plan.measures():
        out.append(
            MeasureProgress(
                focus_area_id=area.id,
                focus_area_title=area.title,
                goal_id=goal.id,
                sub_goal_id=sub.id,
                kind=sub.kind,
                measure=measure,
                scheduled=measure.schedule.start <= year <= measure.schedule.end,
                entries=progress.for_measure(measure.id) if progress else [],
            )
        )
    return out


# --------------------------------------------------------------------------------------------------
# Writing


_HEADER = """\
# Progress of the wellbeing plan's measures in {year} (toimenpiteiden toteutuminen).
# Written by `hyte plan-progress` from the responsible parties' workbooks (`hyte plan-form`); it may be
# edited by hand. Check it with `hyte plan-check`. Statuses: {statuses}.
# One entry per measure and responsible party: measure (id), party, status, note, euros_used (a
# number), reporter, reported (YYYY-MM-DD).
"""


def dump_progress(progress: YearProgress) -> str:
    """The year file's text (a header comment, then the YAML)."""
    data: dict[str, Any] = {"year": progress.year}
    if progress.demo:
        data["demo"] = True
    if progress.note:
        data["note"] = progress.note
    entries = []
    for entry in progress.entries:
        item: dict[str, Any] = {"measure": entry.measure}
        if entry.party is not None:
            item["party"] = entry.party
        item["status"] = entry.status.value
        for name in ("note", "euros_used", "reporter"):
            value = getattr(entry, name)
            if value is not None:
                item[name] = (
                    int(value) if name == "euros_used" and float(value).is_integer() else value
                )
        if entry.reported is not None:
            item["reported"] = entry.reported.isoformat()
        entries.append(item)
    data["entries"] = entries
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    return _HEADER.format(year=progress.year, statuses=", ".join(STATUS_VALUES)) + body


@dataclass
class Change:
    """What an import changed in one (measure, party) entry."""

    measure: str
    party: str
    old: Entry | None
    new: Entry

    def line(self) -> str:
        who = f"{self.measure} / {self.party}" if self.party else self.measure
        if self.old is None:
            return f"{who}: new report: {self.new.status.value}"

        def show(value):
            return value.value if isinstance(value, MeasureStatus) else value

        parts = []
        for name in ("status", "note", "euros_used", "reporter", "reported"):
            before, after = getattr(self.old, name), getattr(self.new, name)
            if before != after:
                parts.append(f"{name} {show(before)!r} → {show(after)!r}")
        return f"{who}: " + "; ".join(parts)


def merge_entries(
    progress: YearProgress, new_entries: list[Entry], *, today: dt.date | None = None
) -> tuple[YearProgress, list[Change]]:
    """The year's progress with the new entries replacing those of the same measure and party, and
    the changes. An entry without a date gets ``today`` when it is new or changed; an unchanged
    re-import keeps the earlier date (so it is no change)."""
    by_key = {e.key: e for e in progress.entries}
    changes = []
    for entry in new_entries:
        old = by_key.get(entry.key)
        if entry.reported is None:
            same = old is not None and old.model_dump(exclude={"reported"}) == entry.model_dump(
                exclude={"reported"}
            )
            entry = entry.model_copy(
                update={"reported": old.reported if same else (today or dt.date.today())}
            )
        if old is not None and old.model_dump() == entry.model_dump():
            continue
        changes.append(Change(entry.measure, entry.party or "", old, entry))
        by_key[entry.key] = entry
    merged = progress.model_copy(update={"entries": list(by_key.values())})
    merged._source = progress._source
    return merged, changes


def sort_entries(plan: Plan, entries: list[Entry]) -> list[Entry]:
    """Entries in plan order: measure, then the party's position among the measure's parties."""
    order: dict[tuple[str, str], tuple[int, int]] = {}
    for position, (*_, measure) in enumerate(plan.measures()):
        for index, label in enumerate(party_labels(measure)):
            order[(measure.id, label)] = (position, index)
        order[(measure.id, "")] = (position, -1)
    return sorted(entries, key=lambda e: order.get(e.key, (10**6, 0)))
