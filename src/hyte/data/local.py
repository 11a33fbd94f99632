"""Indicators from outside Sotkanet: a local catalog and a CSV format, imported beside Sotkanet rows.

Many indicators a county reports are not in Sotkanet: the HYTE-kerroin's process indicators (THL's
HYTE-kerroin report), TEAviisari results, the county's own client registers. hyte keeps them in
``data/local/``:

- ``data/local/indicators.yml`` — their catalog entries. Each has a local ``code`` (e.g. ``L01``:
  1–3 capital letters and 1–4 digits) and the fields of a Sotkanet entry (``title_fi``, ``short_fi``,
  ``value_type``, ``unit_fi``, ``decimals``, ``polarity``, ``group``, ``theme``, ``hyte_kerroin``, …; the
  Swedish texts default to the Finnish ones, ``ci_method`` to ``none``), plus ``source`` (who publishes
  the values, e.g. "THL, HYTE-kerroinraportti 2025") and ``licence``;
- ``data/local/values.csv`` — the imported values with their provenance, written by
  ``hyte import --local FILE.csv``.

The CSV format (UTF-8, ``,`` or ``;`` separated, a header row; column names as below, in any order):

    indicator  a catalog id: a Sotkanet id of data/indicators.yml or a local code of
               data/local/indicators.yml (e.g. L01)
    region     region code: a municipality's 3 digits ("077"), a county's 1–2 digits ("15"), or
               SSS for the whole country
    year       the statistics year (the year the value describes)
    sex        total, male or female (also yhteensä, miehet, naiset); empty = total
    value      the value, in the catalog's unit (decimal point or comma)
    count      the count behind it (optional; empty when unknown)
    source     who published this value (e.g. "THL, HYTE-kerroinraportti 2025, taulukko 3")
    licence    its licence or terms of use (e.g. "CC BY 4.0", "oma rekisteri, ei julkinen")

Any bad row refuses the whole file (one line per bad row: file, row, field, what to do) and nothing
is written. A good file is merged into ``values.csv``: a value for the same indicator, region, year
and sex replaces the earlier one, and the import reports what was added and what changed. Where the
snapshot has a Sotkanet value for the same key, the snapshot's value is used (the local one is listed
as shadowed).

Internally a local code is mapped to a fixed integer id (900 000 000 and up, see :func:`local_id`), so
the tidy table keeps integer indicator ids; readers always see the code.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import Field, ValidationError, model_validator

from hyte.data.catalog import Catalog, CIMethod, Indicator
from hyte.data.regions import (
    COUNTRY,
    COUNTRY_CODE,
    COUNTRY_NAME_FI,
    COUNTRY_SOTKANET_ID,
    COUNTY,
    MUNICIPALITY,
    Regions,
)
from hyte.data.tidy import KEY, TIDY_COLUMNS
from hyte.errors import HyteError
from hyte.yamlio import describe_validation_error, read_yaml

LOCAL_ID_BASE = 900_000_000
_CODE = re.compile(r"^([A-Z]{1,3})(\d{1,4})$")
CSV_COLUMNS = ("indicator", "region", "year", "sex", "value", "count", "source", "licence")
REQUIRED_COLUMNS = ("indicator", "region", "year", "value", "source", "licence")
VALUE_COLUMNS = (
    "indicator",
    "region_code",
    "region_level",
    "year",
    "sex",
    "value",
    "count",
    "source",
    "licence",
    "file",
    "imported",
)
_SEXES = {
    "": "total",
    "total": "total",
    "male": "male",
    "female": "female",
    "yhteensä": "total",
    "miehet": "male",
    "naiset": "female",
    "kaikki": "total",
}


def local_id(code: str) -> int:
    """The integer id of a local code (reversible, see :func:`local_code`):
    900 000 000 + (letters in base 27 × 5 + number of digits) × 10 000 + digits.

    ``L01`` → 900 620 001. A code is 1–3 capital letters and 1–4 digits."""
    match = _CODE.match(str(code).strip())
    if not match:
        raise ValueError(
            f"a local code is 1–3 capital letters and 1–4 digits, e.g. L01 (got {code!r})"
        )
    letters = 0
    for char in match[1]:
        letters = letters * 27 + (ord(char) - ord("A") + 1)
    return LOCAL_ID_BASE + (letters * 5 + len(match[2])) * 10_000 + int(match[2])


def local_code(indicator_id: int) -> str:
    """The local code of an id made by :func:`local_id` (``900620001`` → ``L01``)."""
    rest = int(indicator_id) - LOCAL_ID_BASE
    head, digits = divmod(rest, 10_000)
    letters, width = divmod(head, 5)
    text = ""
    while letters:
        letters, char = divmod(letters, 27)
        text = chr(ord("A") + char - 1) + text
    return f"{text}{digits:0{width}d}"


def shown_id(indicator_id: int | None) -> str:
    """How a reader sees an indicator id: the local code, or the Sotkanet id."""
    if indicator_id is None:
        return ""
    return local_code(indicator_id) if is_local_id(indicator_id) else str(indicator_id)


def is_local_id(indicator_id: int) -> bool:
    return int(indicator_id) >= LOCAL_ID_BASE


class LocalIndicator(Indicator):
    """A catalog entry of an indicator from outside Sotkanet."""

    code: str = Field(description="Local code, e.g. L01")
    source: str = Field(min_length=2, description="Who publishes the values")
    licence: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "id" in data:
            raise ValueError("a local indicator has a 'code' (e.g. L01), not an 'id'")
        data["id"] = local_id(data.get("code", ""))
        for fi, sv in (("title_fi", "title_sv"), ("short_fi", "short_sv"), ("unit_fi", "unit_sv")):
            if fi in data and sv not in data:
                data[sv] = data[fi]
        data.setdefault("ci_method", CIMethod.none.value)
        data.setdefault("producer", data.get("source", ""))
        return data


def local_dir(root: Path) -> Path:
    return Path(root) / "data" / "local"


def load_local_catalog(path: Path, catalog: Catalog) -> list[LocalIndicator]:
    """Read ``data/local/indicators.yml`` (groups and themes are the main catalog's)."""
    path = Path(path)
    raw = read_yaml(path) or {}
    entries = raw.get("indicators") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise HyteError(f"{path}: expected 'indicators:' with a list of entries ('- code: L01').")
    out: list[LocalIndicator] = []
    seen: dict[int, str] = {}
    for position, entry in enumerate(entries, start=1):
        name = f"indicator #{position}" + (
            f" (code {entry.get('code')})" if isinstance(entry, dict) and entry.get("code") else ""
        )
        if not isinstance(entry, dict):
            raise HyteError(f"{path}: {name}: expected a mapping of fields.")
        try:
            indicator = LocalIndicator(**entry)
        except ValidationError as exc:
            raise HyteError(describe_validation_error(exc, path, name)) from None
        if indicator.id in seen:
            raise HyteError(
                f"{path}: {name}: field 'code': the same code as {seen[indicator.id]}; "
                "each local code may appear once."
            )
        seen[indicator.id] = indicator.code
        if indicator.group not in catalog.groups:
            raise HyteError(
                f"{path}: {name}: field 'group': unknown group '{indicator.group}'; "
                f"use one of {', '.join(catalog.groups)}."
            )
        if indicator.theme not in catalog.themes:
            raise HyteError(
                f"{path}: {name}: field 'theme': unknown theme '{indicator.theme}'; "
                f"use one of {', '.join(catalog.themes)}."
            )
        out.append(indicator)
    return out


def with_local(catalog: Catalog, local: list[LocalIndicator]) -> Catalog:
    """The catalog with the local entries after the Sotkanet ones."""
    if not local:
        return catalog
    return Catalog(
        groups=catalog.groups,
        themes=catalog.themes,
        indicators=[*catalog.indicators, *local],
        source=catalog.source,
    )


def display_id(indicator: Indicator) -> str:
    """The id a reader sees: the local code, or the Sotkanet id."""
    return indicator.code if isinstance(indicator, LocalIndicator) else str(indicator.id)


def source_label(indicator: Indicator) -> str:
    """Where an indicator's values come from, in Finnish."""
    if isinstance(indicator, LocalIndicator):
        return indicator.source + (f" ({indicator.licence})" if indicator.licence else "")
    return f"THL, Sotkanet; tuottaja {indicator.producer} (CC BY 4.0)"


# --------------------------------------------------------------------------------------------------
# The CSV


def _resolve_indicator(text: str, catalog: Catalog) -> Indicator:
    value = text.strip()
    if not value:
        raise ValueError("empty; give a catalog id (a Sotkanet id or a local code such as L01)")
    if value.isdigit():
        indicator_id = int(value)
    else:
        try:
            indicator_id = local_id(value.upper())
        except ValueError:
            raise ValueError(
                f"'{value}' is neither a Sotkanet id nor a local code such as L01"
            ) from None
    if indicator_id not in catalog:
        where = "data/local/indicators.yml" if is_local_id(indicator_id) else "data/indicators.yml"
        raise ValueError(f"'{value}' is not in the catalog; add it to {where} first")
    return catalog.get(indicator_id)


def _resolve_region(text: str, regions: Regions) -> tuple[int, str, str, str]:
    """(region id, code, level, name) of a region code."""
    value = text.strip()
    if value.upper() in (COUNTRY_CODE, "MAA", "KOKO MAA"):
        return COUNTRY_SOTKANET_ID, COUNTRY_CODE, COUNTRY, COUNTRY_NAME_FI
    if not value.isdigit():
        raise ValueError(
            f"'{value}' is not a region code; use 3 digits for a municipality (\"077\"), "
            '1–2 for a county ("15") or SSS for the whole country'
        )
    if len(value) == 3:
        municipality = regions.municipalities.get(value)
        if municipality is None:
            raise ValueError(f"unknown municipality code '{value}' (2026 division)")
        return municipality.sotkanet_id, municipality.code, MUNICIPALITY, municipality.name_fi
    if len(value) <= 2:
        try:
            county = regions.county(value.zfill(2))
        except HyteError:
            raise ValueError(
                f"unknown county code '{value}'; a municipality code has 3 digits with "
                f'leading zeros ("{value.zfill(3)}")'
            ) from None
        return county.sotkanet_id, county.code, COUNTY, county.name_fi
    raise ValueError(
        f"'{value}' is not a region code (3 digits for a municipality, 1–2 for a county)"
    )


def _number(text: str, what: str) -> float:
    value = text.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(
            f"'{text.strip()}' is not a number; write the {what} as e.g. 12.3 or 12,3"
        ) from None
    if not math.isfinite(number):
        raise ValueError(f"'{text.strip()}' is not a finite number")
    return number


@dataclass
class LocalImport:
    """The outcome of one ``hyte import --local`` run."""

    path: Path
    rows: pd.DataFrame
    errors: list[str] = field(default_factory=list)
    added: int = 0
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    written: Path | None = None

    def lines(self) -> list[str]:
        out = [
            (
                f"{self.path}: {len(self.rows)} rows read; {self.added} added, {len(self.changed)} "
                f"changed, {self.unchanged} unchanged"
            )
        ]
        out.extend(f"  changed: {c}" for c in self.changed[:20])
        if self.written:
            out.append(f"Local values written to {self.written}")
        return out


def read_local_csv(
    path: Path, catalog: Catalog, regions: Regions
) -> tuple[pd.DataFrame, list[str]]:
    """The file's rows as local values (VALUE_COLUMNS) and its problems (one line each)."""
    path = Path(path)
    if not path.is_file():
        return pd.DataFrame(columns=VALUE_COLUMNS), [f"{path}: no such file."]
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        return pd.DataFrame(columns=VALUE_COLUMNS), [
            f"{path}: not UTF-8 text; save the CSV as UTF-8 (Excel: 'CSV UTF-8')."
        ]
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return pd.DataFrame(columns=VALUE_COLUMNS), [f"{path}: the file is empty."]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        return pd.DataFrame(columns=VALUE_COLUMNS), [
            (
                f"{path}: header: missing column(s) {', '.join(missing)}; the header is "
                f"{','.join(CSV_COLUMNS)} (count and sex may be left out)."
            )
        ]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        return pd.DataFrame(columns=VALUE_COLUMNS), [
            f"{path}: header: unknown column(s) {', '.join(unknown)}; use {','.join(CSV_COLUMNS)}."
        ]
    problems: list[str] = []
    rows: list[dict[str, Any]] = []
    today = dt.date.today().isoformat()
    seen: dict[tuple, int] = {}
    for number, cells in enumerate(reader, start=1):
        if not any(c.strip() for c in cells):
            continue
        where = f"{path}: row {number} (line {number + 1})"
        if len(cells) != len(header):
            problems.append(
                f"{where}: {len(cells)} cells for {len(header)} columns; check the "
                f"separator ('{delimiter}') and quotes"
            )
            continue
        raw = dict(zip(header, cells))
        row: dict[str, Any] = {}
        row_problems: list[str] = []
        indicator = _check(
            row_problems, where, "indicator", _resolve_indicator, raw["indicator"], catalog
        )
        region = _check(row_problems, where, "region", _resolve_region, raw["region"], regions)
        year = _check(row_problems, where, "year", _year, raw["year"])
        sex = _check(row_problems, where, "sex", _sex, raw.get("sex", ""))
        value = _check(row_problems, where, "value", _number, raw["value"], "value")
        count = (
            _check(row_problems, where, "count", _count, raw["count"])
            if raw.get("count", "").strip()
            else None
        )
        source = raw["source"].strip()
        licence = raw["licence"].strip()
        if not source:
            row_problems.append(f"{where}: field 'source': empty; name who published the value")
        if not licence:
            row_problems.append(
                f"{where}: field 'licence': empty; give the licence or terms of use"
            )
        if row_problems:
            problems.extend(row_problems)
            continue
        key = (indicator.id, region[0], year, sex)
        if key in seen:
            problems.append(
                f"{where}: the same indicator, region, year and sex as row {seen[key]}; keep one"
            )
            continue
        seen[key] = number
        if indicator.value_type.value == "PROS" and not 0 <= value <= 100:
            problems.append(
                f"{where}: field 'value': {raw['value'].strip()} is not a percentage "
                f"(0–100) although {display_id(indicator)} is in %"
            )
            continue
        row.update(
            indicator=display_id(indicator),
            region_code=region[1],
            region_level=region[2],
            year=year,
            sex=sex,
            value=value,
            count=count,
            source=source,
            licence=licence,
            file=path.name,
            imported=today,
        )
        rows.append(row)
    if not rows and not problems:
        problems.append(f"{path}: no data rows under the header.")
    return pd.DataFrame(rows, columns=VALUE_COLUMNS), problems


def _check(problems: list[str], where: str, name: str, func, *args) -> Any:
    """``func(*args)``; a ValueError becomes a problem line naming the field (and None)."""
    try:
        return func(*args)
    except ValueError as exc:
        problems.append(f"{where}: field '{name}': {exc}")
        return None


def _year(text: str) -> int:
    value = text.strip()
    if not re.fullmatch(r"\d{4}", value) or not 1900 <= int(value) <= 2100:
        raise ValueError(f"'{value}' is not a year (four digits, e.g. 2024)")
    return int(value)


def _sex(text: str) -> str:
    value = text.strip().lower()
    if value not in _SEXES:
        raise ValueError(f"'{text.strip()}' is not a sex; use total, male or female")
    return _SEXES[value]


def _count(text: str) -> float:
    number = _number(text, "count")
    if number < 0:
        raise ValueError(f"'{text.strip()}' is negative; a count is ≥ 0")
    return number


def values_path(root: Path) -> Path:
    return local_dir(root) / "values.csv"


def read_values(root: Path) -> pd.DataFrame:
    """The stored local values (empty frame when there are none)."""
    path = values_path(root)
    if not path.is_file():
        return pd.DataFrame(columns=VALUE_COLUMNS)
    frame = pd.read_csv(
        path,
        dtype={"indicator": str, "region_code": str},
        keep_default_na=False,
        na_values={"value": [""], "count": [""]},
    )
    missing = [c for c in VALUE_COLUMNS if c not in frame.columns]
    if missing:
        raise HyteError(
            f"{path}: missing column(s) {', '.join(missing)}; it is written by "
            "`hyte import --local`, do not edit its header."
        )
    return frame[list(VALUE_COLUMNS)]


def import_local(
    path: Path, root: Path, catalog: Catalog, regions: Regions, *, dry_run: bool = False
) -> LocalImport:
    """Validate the CSV; with no problem merge it into ``data/local/values.csv`` (atomically).

    Raises one HyteError listing every bad row (nothing written) when the file has any."""
    from hyte.data.snapshot import write_text_atomic

    rows, problems = read_local_csv(path, catalog, regions)
    if problems:
        raise HyteError(
            f"{len(problems)} problem(s) in {path}; nothing was imported:\n" + "\n".join(problems)
        )
    result = LocalImport(Path(path), rows)
    current = read_values(root)
    key = ["indicator", "region_code", "year", "sex"]
    old = {tuple(str(v) for v in r[key]): r for _, r in current.iterrows()}
    for _, row in rows.iterrows():
        previous = old.get(tuple(str(v) for v in row[key]))
        if previous is None:
            result.added += 1
        elif (
            float(previous["value"]) != float(row["value"])
            or str(previous["source"]) != str(row["source"])
            or str(previous["licence"]) != str(row["licence"])
        ):
            result.changed.append(
                f"{row['indicator']} {row['region_code']} {row['year']} {row['sex']}: "
                f"{previous['value']} → {row['value']}"
            )
        else:
            result.unchanged += 1
    if result.added or result.changed:
        merged = pd.concat([current, rows], ignore_index=True)
        merged["year"] = merged["year"].astype(int)
        merged = merged.drop_duplicates(subset=key, keep="last")
        merged = merged.sort_values(key, kind="stable").reset_index(drop=True)
        if not dry_run:
            write_text_atomic(values_path(root), merged.to_csv(index=False))
            result.written = values_path(root)
    return result


def tidy_local(values: pd.DataFrame, catalog: Catalog, regions: Regions) -> pd.DataFrame:
    """Local values as tidy rows (TIDY_COLUMNS) with integer indicator ids."""
    if values.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in TIDY_COLUMNS.items()})
    rows = []
    for _, r in values.iterrows():
        text = str(r["indicator"])
        indicator_id = int(text) if text.isdigit() else local_id(text)
        region_id, code, level, name = _resolve_region(str(r["region_code"]), regions)
        rows.append(
            {
                "indicator": indicator_id,
                "region_id": region_id,
                "region_code": code,
                "region_level": level,
                "region_name": name,
                "year": int(r["year"]),
                "sex": r["sex"],
                "value": float(r["value"]),
                "count": float(r["count"])
                if pd.notna(r["count"]) and r["count"] != ""
                else math.nan,
            }
        )
    return pd.DataFrame(rows).astype(TIDY_COLUMNS)


def combine(snapshot_table: pd.DataFrame, local_rows: pd.DataFrame) -> pd.DataFrame:
    """The snapshot's rows and the local rows; on the same key the snapshot's row is kept."""
    if local_rows.empty:
        return snapshot_table
    merged = pd.concat([snapshot_table, local_rows], ignore_index=True)
    return merged.drop_duplicates(subset=KEY, keep="first").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# For readers


def provenance(values: pd.DataFrame, indicator: Indicator) -> pd.DataFrame:
    """The stored local rows of one indicator (with source, licence, file and import date)."""
    if values.empty:
        return values
    return values[values["indicator"].astype(str) == display_id(indicator)]


def sources_markdown(catalog: Catalog, values: pd.DataFrame, indicator_ids=None) -> str:
    """One bullet per local indicator (those with values, or those named): code, name, the sources and
    licences of its values, the years. '' when there is none."""
    from hyte.markup import Document, Strong

    chosen = [
        i
        for i in catalog
        if isinstance(i, LocalIndicator) and (indicator_ids is None or i.id in set(indicator_ids))
    ]
    items = []
    for indicator in chosen:
        rows = provenance(values, indicator)
        if rows.empty and indicator_ids is None:
            continue
        sources = sorted({f"{s} ({lic})" for s, lic in zip(rows["source"], rows["licence"])})
        years = sorted({int(y) for y in rows["year"]})
        span = (f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])) if years else ""
        text = (
            f"{'; '.join(sources)}, vuodet {span}"
            if sources
            else f"{indicator.source}; arvoja ei ole tuotu"
        )
        items.append([Strong(f"{indicator.code} {indicator.short_fi}: "), text + "."])
    if not items:
        return ""
    return Document().bullets(items).to_markdown()
