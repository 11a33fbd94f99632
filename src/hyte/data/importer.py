"""``hyte import``: build a snapshot from Sotkanet responses saved by hand.

Each file's format is detected from its content:

- a /json data response (a JSON list of ``{indicator, region, year, gender, value, absValue}``);
- a /csv response (';'), or a ','-separated dump, with 'primary value' | 'value' | 'primary.value'
  and 'absolute value' | 'absValue'; extra columns are ignored, except ``region_category``, which
  tells what kind of region a left-out row was;
- a municipality table ``municipality_code,primary.value,year`` (as the R sotkanet/geofi packages
  write it; codes may lack leading zeros), which needs ``indicator`` (``--indicator``); codes that
  are not in the 2026 division (e.g. Pertunmaa 588, merged in 2025) are reported and left out;
- a /regions response: not data, but it names the category of every region id, so the report can
  tell a seutukunta from an unknown id;
- an /indicators/{id} response: stored as that indicator's metadata.

Files may be gzip-compressed (``.gz``). Every input is copied into ``raw/`` (gzip) under its own
name.

Bad rows do not stop the import: each is listed in the load report as '<file> row N' (N counts the
data rows, so it is line N+1 of a CSV). A file with no usable row at all is an error.
"""

from __future__ import annotations

import gzip
import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from hyte.data.fetch import check_snapshot_id
from hyte.data.regions import Regions, load_regions, normalise_municipality_code
from hyte.data.snapshot import Snapshot, SnapshotBuilder, refuse_existing
from hyte.data.sotkanet import (
    ATTRIBUTION_FI,
    canonical_column,
    decode_payload,
    parse_csv_rows,
    parse_json,
    read_delimited,
    region_categories,
    rows_from_json,
    tidy_from_sources,
)
from hyte.data.tidy import LoadReport
from hyte.errors import HyteError
from hyte.paths import data_dir, reference_dir

_MUNICIPALITY_CODE_COLUMNS = ("municipality_code", "kunta", "kuntakoodi", "municipality")
_CATEGORY_COLUMNS = ("region_category", "region.category", "category")


@dataclass
class ImportReport(LoadReport):
    """A LoadReport that also lists municipality codes outside the 2026 division and the inputs."""

    unknown_municipality_codes: Counter = field(default_factory=Counter)
    inputs: list[dict[str, Any]] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = super().lines()
        if self.unknown_municipality_codes:
            codes = ", ".join(sorted(self.unknown_municipality_codes)[:12])
            out.insert(
                1,
                f"{sum(self.unknown_municipality_codes.values())} rows of "
                f"{len(self.unknown_municipality_codes)} municipality code(s) not in the "
                f"2026 division left out ({codes})",
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["unknown_municipality_codes"] = dict(sorted(self.unknown_municipality_codes.items()))
        return out


def default_import_id(today: date | None = None) -> str:
    return f"import-{(today or date.today()).isoformat()}"


def import_files(
    paths: Sequence[str | Path],
    *,
    snapshot_id: str | None = None,
    root: Path | None = None,
    indicator: int | None = None,
    replace: bool = False,
) -> tuple[Snapshot, ImportReport]:
    """Read the files, build ``data/snapshots/<snapshot_id>/`` (source 'import') and report. An
    existing snapshot of the same id is refused unless ``replace`` (it stays until the new one is
    complete)."""
    if not paths:
        raise HyteError("No files to import: give one or more Sotkanet /json or /csv files.")
    snapshot_id = check_snapshot_id(snapshot_id or default_import_id())
    refuse_existing(data_dir(root) / "snapshots" / snapshot_id, snapshot_id, replace)
    reference = load_regions(reference_dir(root))
    report = ImportReport()
    loaded = [_load(Path(p)) for p in paths]

    other_regions: dict[int, str] = {}
    indicators: dict[str, Any] = {}
    for item in loaded:
        if item.kind == "regions":
            other_regions.update(region_categories(item.content, reference))
        elif item.kind == "metadata":
            indicators[str(item.content["id"])] = item.content

    sources: list[tuple[str, list[dict[str, Any]]]] = []
    for item in loaded:
        if item.kind == "rows":
            rows = _with_indicator(item, indicator)
        elif item.kind == "municipality_table":
            rows = _municipality_rows(item, indicator, reference, report)
        else:
            continue
        for row in rows:
            category = row.pop("_category", None)
            if category and "region" in row:
                _note_category(row["region"], category, reference, other_regions)
        sources.append((item.name, rows))
    if not sources:
        raise HyteError(
            "None of the files holds data rows (only /regions or /indicators "
            "responses); add a Sotkanet /json or /csv data file."
        )

    table, _ = tidy_from_sources(sources, reference, other_regions=other_regions, report=report)
    _check_each_file_used(sources, report)
    if table.empty:
        raise HyteError(
            "The files hold no rows for municipalities of the 2026 division, counties "
            "or the country; nothing was written. " + "; ".join(report.lines())
        )

    target = data_dir(root) / "snapshots" / snapshot_id
    builder = SnapshotBuilder(target, source="import", resume=False)
    try:
        for raw_name, item in zip(_raw_names(loaded), loaded, strict=True):
            builder.write_raw(
                raw_name,
                item.payload,
                original_path=str(item.path.resolve()),
                original_sha256=item.sha256,
                format=item.kind,
            )
            report.inputs.append(
                {
                    "file": str(item.path),
                    "raw": f"raw/{raw_name}",
                    "format": item.kind,
                    "rows": len(item.content) if item.kind != "metadata" else 0,
                }
            )
        builder.indicators.update(indicators)
        builder.set_table(table)
        builder.notes.append(f"{ATTRIBUTION_FI}. Lisenssi CC BY 4.0. Tuotu tiedostoista.")
        snapshot = builder.finish(
            snapshot_id,
            inputs=report.inputs,
            load_report=report.to_dict(),
            attribution=ATTRIBUTION_FI,
            licence="CC BY 4.0",
        )
    except BaseException:
        builder.abandon()
        raise
    return snapshot, report


# --- reading and detecting one file ------------------------------------------------------------


@dataclass
class _Input:
    path: Path
    payload: bytes  # as read (decompressed when the file was .gz)
    sha256: str
    kind: str  # rows | municipality_table | regions | metadata
    content: Any
    header: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name


def _load(path: Path) -> _Input:
    if not path.is_file():
        raise HyteError(f"{path}: no such file.")
    original = path.read_bytes()
    digest = hashlib.sha256(original).hexdigest()
    payload = original
    if original[:2] == b"\x1f\x8b":
        try:
            payload = gzip.decompress(original)
        except (OSError, EOFError) as exc:
            raise HyteError(f"{path}: damaged gzip file ({exc}).") from None
    source = str(path)
    start = decode_payload(payload, source).lstrip("\ufeff \t\r\n")[:1].encode()
    if start in (b"[", b"{"):
        data = parse_json(payload, source)
        return _Input(path, payload, digest, *_classify_json(data, source))
    if not start:
        raise HyteError(f"{path}: the file is empty.")
    header, rows = read_delimited(payload, source)
    lowered = {h.strip().lower() for h in header}
    if any(c in lowered for c in _MUNICIPALITY_CODE_COLUMNS) and not any(
        canonical_column(h) == "region" for h in header
    ):
        return _Input(path, payload, digest, "municipality_table", rows, header)
    data_rows = parse_csv_rows(payload, source)
    category_column = next((h for h in header if h.strip().lower() in _CATEGORY_COLUMNS), None)
    if category_column:
        for row, raw in zip(data_rows, rows, strict=True):
            if raw.get(category_column):
                row["_category"] = raw[category_column]
    return _Input(path, payload, digest, "rows", data_rows, header)


def _classify_json(data: Any, source: str) -> tuple[str, Any]:
    if isinstance(data, dict):
        if "id" in data and "title" in data:
            return "metadata", data
        raise HyteError(
            f"{source}: a JSON object that is not an /indicators/{{id}} response; "
            "expected a Sotkanet /json data list."
        )
    if not isinstance(data, list):
        raise HyteError(f"{source}: expected a JSON list of Sotkanet data rows.")
    if data and all(isinstance(d, dict) for d in data):
        first = data[0]
        if "category" in first and "id" in first and "region" not in first:
            return "regions", data
        if "title" in first and "id" in first and "region" not in first:
            if len(data) == 1:
                return "metadata", first
            raise HyteError(
                f"{source}: this is an /indicators list ({len(data)} indicators), "
                "not data; import /json or /csv data responses."
            )
    return "rows", rows_from_json(data, source)


def _with_indicator(item: _Input, indicator: int | None) -> list[dict[str, Any]]:
    rows = item.content
    if indicator is not None:
        for row in rows:
            if row.get("indicator") in (None, ""):
                row["indicator"] = int(indicator)
            elif str(row["indicator"]).strip() != str(int(indicator)):
                row["_problem"] = (
                    f"indicator {row['indicator']!r}, not the {indicator} given with --indicator"
                )
    elif rows and all(row.get("indicator") in (None, "") for row in rows):
        raise HyteError(
            f"{item.path}: the file has no indicator column; give the Sotkanet id with "
            "--indicator ID (e.g. --indicator 127)."
        )
    return rows


def _municipality_rows(
    item: _Input, indicator: int | None, reference: Regions, report: ImportReport
) -> list[dict[str, Any]]:
    """``municipality_code,primary.value,year`` rows -> Sotkanet rows (via Sotkanet region ids)."""
    header = item.header
    code_column = next(h for h in header if h.strip().lower() in _MUNICIPALITY_CODE_COLUMNS)
    columns = {canonical_column(h): h for h in header if canonical_column(h)}
    missing = [f for f in ("year", "value") if f not in columns]
    if missing:
        raise HyteError(
            f"{item.path}: no column for {', '.join(missing)} in the header "
            f"({', '.join(header)}); expected municipality_code,primary.value,year."
        )
    has_indicator = "indicator" in columns
    if indicator is None and not has_indicator:
        raise HyteError(
            f"{item.path}: the file has municipality codes but no indicator column; "
            "give the Sotkanet id with --indicator ID (e.g. --indicator 127 for "
            "population)."
        )
    rows = []
    for raw in item.content:
        text = raw.get(code_column)
        try:
            code = normalise_municipality_code(text or "")
        except HyteError:
            rows.append({"_problem": f"municipality code '{text}' is not a code"})
            continue
        municipality = reference.municipalities.get(code)
        if municipality is None:
            report.unknown_municipality_codes[code] += 1
            report.rows_in += 1
            rows.append({"_skip": True})
            continue
        row = {target: raw.get(name) for target, name in columns.items()}
        if not row.get("indicator"):
            row["indicator"] = indicator
        row["region"] = municipality.sotkanet_id
        row.setdefault("gender", "total")
        if "_cells" in raw:
            row["_problem"] = raw["_cells"]
        rows.append(row)
    return rows


def _note_category(region: Any, category: str, reference: Regions, other: dict[int, str]) -> None:
    try:
        region_id = int(region)
    except (TypeError, ValueError):
        return
    if region_id in other or reference.by_sotkanet_id(region_id) is not None:
        return
    category = category.strip().upper()
    other[region_id] = "KUNTA not in the 2026 division" if category == "KUNTA" else category


def _check_each_file_used(
    sources: Iterable[tuple[str, list[dict[str, Any]]]], report: ImportReport
) -> None:
    """A data file whose every row is bad is the wrong file: stop with its first problem."""
    for name, rows in sources:
        problems = [b for b in report.bad_rows if b.startswith(f"{name} row ")]
        candidates = [r for r in rows if not r.get("_skip")]
        if candidates and len(problems) >= len(candidates):
            raise HyteError(
                f"{name}: no usable row ({len(problems)} bad rows); first: "
                f"{problems[0]}. Is this a Sotkanet /json or /csv data file?"
            )


def _raw_names(loaded: Sequence[_Input]) -> list[str]:
    names: list[str] = []
    used: set[str] = set()
    for number, item in enumerate(loaded, start=1):
        base = item.path.name[:-3] if item.path.name.endswith(".gz") else item.path.name
        name = f"{base}.gz"
        if name in used:
            name = f"{number:02d}-{base}.gz"
        used.add(name)
        names.append(name)
    return names
