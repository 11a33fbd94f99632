"""HYTE-kerroin: the county's wellbeing and health promotion coefficient, estimated for all counties.

The model (configured in ``data/hyte_kerroin.yml``; every choice there carries its source or its
assumption):

* data year = funding year − lag; an indicator without data for that year uses its latest earlier
  year (the same for all counties) under ``year_policy: latest_available``;
* process indicators: the current level; outcome indicators: the relative change
  ``(end − start) / start`` over ``outcome_period_years``, turned round when lower is better;
* each becomes a sub-score s ∈ [0, 1] (``minmax``, ``percentile`` or ``target`` normalisation);
* the score (0–100) is ``100 × Σ_k w_ik × s_ik`` where ``w_ik = half_h / Σ_nonempty halves ×
  weight_k / Σ_{available k' in h} weight_k'``: weights are renormalised over the indicators the
  county has data for; the configured weight that had data is the coverage. Missing data are listed in
  ``missing``, never counted as zero; below ``min_coverage`` the score is NaN;
* contributions ``100 × w_ik × s_ik`` add up exactly to the score;
* euros: ``pot × residents_i × score_i / Σ_j residents_j × score_j`` (the decree's formula may differ).

Public: :func:`load_kerroin_config`, :func:`build_inputs`, :func:`compute`, :func:`what_if`,
:func:`sensitivity`, :func:`municipal_drivers`, :func:`municipality_values`, :func:`for_context`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hyte.errors import HyteError
from hyte.yamlio import describe_validation_error, read_yaml

PROCESS = "process"
OUTCOME = "outcome"
ROLES = (PROCESS, OUTCOME)
ROLE_FI = {PROCESS: "prosessi", OUTCOME: "tulos"}
ALAND_CODE = "91"

T = TypeVar("T")


class Direction(str, Enum):
    higher_is_better = "higher_is_better"
    lower_is_better = "lower_is_better"


class Method(str, Enum):
    minmax = "minmax"
    percentile = "percentile"
    target = "target"


class YearPolicy(str, Enum):
    latest_available = "latest_available"
    strict = "strict"


# --- configuration -------------------------------------------------------------------------------


class Source(BaseModel):
    """A public document the configuration rests on."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=2)
    publisher: str
    title: str
    url: str | None = Field(None, description="Web address; empty for documents outside the web")
    says_fi: str = Field(
        min_length=10, description="What the source says, in Finnish, in our words"
    )


class Setting(BaseModel, Generic[T]):
    """A configured value with its basis: a source key, an assumption (shown to readers), or both."""

    model_config = ConfigDict(extra="forbid")

    value: T
    source: str | None = None
    assumption_fi: str | None = None

    @model_validator(mode="after")
    def _has_basis(self) -> Setting:
        if not self.source and not self.assumption_fi:
            raise ValueError("give its 'source' (a key of sources) or an 'assumption_fi' sentence")
        return self

    @property
    def assumed(self) -> bool:
        return bool(self.assumption_fi)


class KerroinIndicator(BaseModel):
    """One indicator of the coefficient."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Short key, e.g. 'lonkkamurtumat'")
    role: Literal["process", "outcome"]
    name_fi: str = Field(min_length=3)
    unit_fi: str
    decimals: int = Field(1, ge=0, le=3)
    direction: Direction
    indicator: int | None = Field(description="Sotkanet id (in the catalog) or null when unknown")
    proxy: bool = False
    weight: float = Field(ge=0)
    target: float | None = Field(None, description="National target level (decree), where known")
    target_change_pct: float | None = Field(
        None, description="Target relative change over the period, %"
    )
    method: Method | None = Field(None, description="Overrides the half's normalisation")
    step: float = Field(1.0, gt=0, description="What-if improvement tried, in the indicator's unit")
    source: list[str] = Field(default_factory=list)
    assumption_fi: str | None = None

    @field_validator("indicator", mode="before")
    @classmethod
    def _local_code(cls, value: Any) -> Any:
        """A local code (e.g. L01, an indicator from outside Sotkanet) becomes its integer id."""
        if isinstance(value, str) and value.strip() and not value.strip().isdigit():
            from hyte.data.local import local_id

            return local_id(value.strip())
        return value

    @property
    def higher_is_better(self) -> bool:
        return self.direction is Direction.higher_is_better

    @property
    def is_percentage(self) -> bool:
        return self.unit_fi.strip() == "%"


class KerroinConfig(BaseModel):
    """The validated ``data/hyte_kerroin.yml``."""

    model_config = ConfigDict(extra="forbid")

    sources: list[Source]
    funding_year: Setting[int]
    lag_years: Setting[int]
    year_policy: Setting[YearPolicy]
    halves: Setting[dict[Literal["process", "outcome"], float]]
    normalisation: Setting[dict[Literal["process", "outcome"], Method]]
    outcome_period_years: Setting[int]
    min_coverage: Setting[float]
    euro_formula: Setting[Literal["residents_times_score"]]
    residents_indicator: Setting[int]
    pot_eur: Setting[dict[int, float]]
    indicators: list[KerroinIndicator]
    path: Path | None = Field(None, exclude=True)

    @field_validator("lag_years", "outcome_period_years")
    @classmethod
    def _positive_years(cls, setting: Setting[int]) -> Setting[int]:
        if not 0 <= setting.value <= 10:
            raise ValueError("must be 0–10 years")
        return setting

    @field_validator("min_coverage")
    @classmethod
    def _coverage(cls, setting: Setting[float]) -> Setting[float]:
        if not 0 <= setting.value <= 1:
            raise ValueError("min_coverage is a share between 0 and 1")
        return setting

    @field_validator("halves")
    @classmethod
    def _halves(cls, setting: Setting[dict]) -> Setting[dict]:
        shares = setting.value
        if set(shares) != set(ROLES):
            raise ValueError("give both 'process' and 'outcome' shares")
        if any(v < 0 for v in shares.values()) or abs(sum(shares.values()) - 1) > 1e-9:
            raise ValueError("the process and outcome shares are ≥ 0 and add up to 1")
        return setting

    @field_validator("normalisation")
    @classmethod
    def _normalisation(cls, setting: Setting[dict]) -> Setting[dict]:
        if set(setting.value) != set(ROLES):
            raise ValueError("give a method for both 'process' and 'outcome'")
        return setting

    @field_validator("pot_eur")
    @classmethod
    def _pot(cls, setting: Setting[dict]) -> Setting[dict]:
        if any(v < 0 for v in setting.value.values()):
            raise ValueError("a pot in euros cannot be negative")
        return setting

    # --- derived ---------------------------------------------------------------------------------

    @property
    def data_year(self) -> int:
        return self.funding_year.value - self.lag_years.value

    @property
    def pot(self) -> float:
        """The pot of the funding year (NaN when not configured)."""
        return float(self.pot_eur.value.get(self.funding_year.value, math.nan))

    def get(self, key: str) -> KerroinIndicator:
        for entry in self.indicators:
            if entry.key == key:
                return entry
        raise HyteError(
            f"{self.path or 'hyte_kerroin.yml'}: no indicator with key '{key}'; "
            f"use one of {', '.join(self.keys)}."
        )

    @property
    def keys(self) -> list[str]:
        return [entry.key for entry in self.indicators]

    def in_role(self, role: str) -> list[KerroinIndicator]:
        return [entry for entry in self.indicators if entry.role == role]

    def method_of(self, entry: KerroinIndicator) -> Method:
        return entry.method or self.normalisation.value[entry.role]

    def source(self, key: str) -> Source:
        for source in self.sources:
            if source.key == key:
                return source
        raise HyteError(f"{self.path}: unknown source '{key}'.")

    def settings(self) -> dict[str, Setting]:
        """The model's settings by name (for the assumptions table)."""
        names = [
            "funding_year",
            "lag_years",
            "year_policy",
            "halves",
            "normalisation",
            "outcome_period_years",
            "min_coverage",
            "euro_formula",
            "residents_indicator",
            "pot_eur",
        ]
        return {name: getattr(self, name) for name in names}

    def with_updates(self, **changes: Any) -> KerroinConfig:
        """A copy with settings replaced, e.g. ``with_updates(normalisation={'process': 'percentile', ...})``.

        Values are given plainly; the basis becomes the assumption 'changed by the user'.
        """
        data = self.model_dump()
        for name, value in changes.items():
            if name == "indicators":
                data[name] = value
            else:
                data[name] = {"value": value, "assumption_fi": "Käyttäjän muuttama arvo."}
        return _validate_config(data, self.path or Path("hyte_kerroin.yml"), catalog=None)


def _entry_name(position: int, entry: Any) -> str:
    name = f"indicator #{position}"
    if isinstance(entry, dict) and entry.get("key"):
        name += f" (key {entry['key']})"
    return name


def _validate_config(raw: Any, path: Path, catalog=None) -> KerroinConfig:
    if not isinstance(raw, dict):
        raise HyteError(f"{path}: expected 'setting: value' entries and an 'indicators' list.")
    entries = raw.get("indicators")
    if not isinstance(entries, list) or not entries:
        raise HyteError(f"{path}: field 'indicators': give a list of indicators ('- key: ...').")
    indicators: list[KerroinIndicator] = []
    for position, entry in enumerate(entries, start=1):
        name = _entry_name(position, entry)
        if not isinstance(entry, dict):
            raise HyteError(f"{path}: {name}: expected a mapping of fields, got {entry!r}.")
        try:
            indicators.append(KerroinIndicator(**entry))
        except ValidationError as exc:
            raise HyteError(describe_validation_error(exc, path, name)) from None
    try:
        config = KerroinConfig(**{**raw, "indicators": indicators}, path=path)
    except ValidationError as exc:
        raise HyteError(describe_validation_error(exc, path)) from None
    _check_references(config, path, catalog)
    return config


def _check_references(config: KerroinConfig, path: Path, catalog) -> None:
    source_keys = {s.key for s in config.sources}
    if len(source_keys) != len(config.sources):
        raise HyteError(f"{path}: field 'sources': two sources share a key; keys must be unique.")
    for name, setting in config.settings().items():
        if setting.source and setting.source not in source_keys:
            raise HyteError(
                f"{path}: {name}: field 'source': unknown source '{setting.source}'; "
                f"use one of {', '.join(sorted(source_keys))}."
            )
    seen: set[str] = set()
    for position, entry in enumerate(config.indicators, start=1):
        name = f"indicator #{position} (key {entry.key})"
        if entry.key in seen:
            raise HyteError(
                f"{path}: {name}: field 'key': duplicate key; each indicator appears once."
            )
        seen.add(entry.key)
        unknown = [s for s in entry.source if s not in source_keys]
        if unknown:
            raise HyteError(
                f"{path}: {name}: field 'source': unknown source '{unknown[0]}'; "
                f"use one of {', '.join(sorted(source_keys))}."
            )
        if not entry.source and not entry.assumption_fi:
            raise HyteError(
                f"{path}: {name}: give its 'source' list or an 'assumption_fi' sentence."
            )
        method = config.method_of(entry)
        if method is Method.target:
            if entry.role == PROCESS and (entry.target is None or entry.target <= 0):
                raise HyteError(
                    f"{path}: {name}: field 'target': the 'target' method needs a positive "
                    "target value; set it or use minmax."
                )
            if entry.role == OUTCOME and not _target_improvement(entry) > 0:
                raise HyteError(
                    f"{path}: {name}: field 'target_change_pct': the 'target' method needs "
                    "a change in the good direction (e.g. −5 when lower is better)."
                )
        if catalog is not None and entry.indicator is not None and entry.indicator not in catalog:
            from hyte.data.local import shown_id

            raise HyteError(
                f"{path}: {name}: field 'indicator': id {shown_id(entry.indicator)} is not in "
                f"the catalog {catalog.source or 'data/indicators.yml'}; add it there or "
                "set null (reported as missing)."
            )
    if catalog is not None and config.residents_indicator.value not in catalog:
        raise HyteError(
            f"{path}: residents_indicator: Sotkanet id {config.residents_indicator.value} is "
            f"not in the catalog {catalog.source or 'data/indicators.yml'}."
        )
    for role in ROLES:
        if config.halves.value[role] > 0 and not any(e.weight > 0 for e in config.in_role(role)):
            raise HyteError(
                f"{path}: halves: the {role} half has a share but no indicator with a "
                "positive weight."
            )


def load_kerroin_config(path: Path, catalog=None) -> KerroinConfig:
    """Read and validate the HYTE-kerroin configuration; with a catalog, check the Sotkanet ids too.

    A mistake is one line naming the file, the entry and the field.
    """
    path = Path(path)
    return _validate_config(read_yaml(path), path, catalog)


def _target_improvement(entry: KerroinIndicator) -> float:
    """The outcome target as a relative improvement in the good direction (NaN when not set)."""
    if entry.target_change_pct is None:
        return math.nan
    change = entry.target_change_pct / 100
    return change if entry.higher_is_better else -change


# --- inputs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Missing:
    """A value the score could not use, and why (Finnish, for the page)."""

    county_code: str
    indicator_key: str
    reason_fi: str


@dataclass
class KerroinInputs:
    """The values the coefficient is computed from, one row per county (index: county code).

    ``current``: the indicator values of the year used (columns: indicator keys; NaN = missing);
    ``start``: the outcome indicators' values at the start of the outcome period;
    ``counties``: name_fi and residents; ``years``: key -> (start year, year used) or None.
    """

    config: KerroinConfig
    county: str
    counties: pd.DataFrame
    current: pd.DataFrame
    start: pd.DataFrame
    years: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    residents_year: int | None = None
    missing: list[Missing] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        codes = list(self.counties.index)
        self.current = self.current.reindex(index=codes, columns=self.config.keys).astype("float64")
        outcome_keys = [e.key for e in self.config.in_role(OUTCOME)]
        self.start = self.start.reindex(index=codes, columns=outcome_keys).astype("float64")
        if "residents" not in self.counties:
            self.counties = self.counties.assign(residents=math.nan)
        if "name_fi" not in self.counties:
            self.counties = self.counties.assign(name_fi=[str(c) for c in codes])
        if self.county not in self.counties.index:
            raise HyteError(
                f"County {self.county} is not among the counties of the HYTE-kerroin inputs "
                f"({', '.join(map(str, codes))})."
            )

    def copy(self) -> KerroinInputs:
        return KerroinInputs(
            self.config,
            self.county,
            self.counties.copy(),
            self.current.copy(),
            self.start.copy(),
            dict(self.years),
            self.residents_year,
            list(self.missing),
            list(self.notes),
        )

    def name(self, code: str) -> str:
        return str(self.counties.loc[code, "name_fi"])


def _county_rows(table: pd.DataFrame, indicator: int) -> pd.DataFrame:
    mask = (
        (table["indicator"] == indicator)
        & (table["region_level"] == "county")
        & (table["sex"] == "total")
        & (table["region_code"] != ALAND_CODE)
    )
    return table.loc[mask, ["region_code", "year", "value"]]


def _year_used(rows: pd.DataFrame, data_year: int, policy: YearPolicy) -> int | None:
    years = rows.loc[rows["value"].notna() & (rows["year"] <= data_year), "year"]
    if policy is YearPolicy.strict:
        return data_year if (years == data_year).any() else None
    return int(years.max()) if len(years) else None


def _values_at(rows: pd.DataFrame, year: int | None, codes: list[str]) -> pd.Series:
    if year is None:
        return pd.Series(math.nan, index=codes, dtype="float64")
    at = rows[rows["year"] == year].drop_duplicates("region_code").set_index("region_code")["value"]
    return at.reindex(codes).astype("float64")


def build_inputs(table: pd.DataFrame, config: KerroinConfig, regions, county: str) -> KerroinInputs:
    """Collect the configured indicators for the 21 counties and Helsinki from the tidy table.

    Every gap (unknown Sotkanet id, no rows, no value for a county or year) is listed in ``missing``.
    """
    wellbeing = regions.wellbeing_counties()
    codes = [c.code for c in wellbeing]
    counties = pd.DataFrame(
        {
            "name_fi": [c.name_fi for c in wellbeing],
            "sotkanet_id": [c.sotkanet_id for c in wellbeing],
        },
        index=codes,
    )
    data_year = config.data_year
    policy = config.year_policy.value
    period = config.outcome_period_years.value
    current = pd.DataFrame(index=codes, columns=config.keys, dtype="float64")
    start = pd.DataFrame(
        index=codes, columns=[e.key for e in config.in_role(OUTCOME)], dtype="float64"
    )
    years: dict[str, tuple[int | None, int | None]] = {}
    missing: list[Missing] = []
    notes: list[str] = []
    for entry in config.indicators:
        if entry.indicator is None:
            years[entry.key] = (None, None)
            missing.extend(
                Missing(code, entry.key, "Sotkanet-tunnus ei tiedossa") for code in codes
            )
            continue
        rows = _county_rows(table, entry.indicator)
        used = _year_used(rows, data_year, policy)
        if used is None:
            years[entry.key] = (None, None)
            reason = (
                f"ei hyvinvointialuetason tietoa vuodelta {data_year}"
                if policy is YearPolicy.strict
                else f"ei hyvinvointialuetason tietoa vuodelta {data_year} tai aiemmin"
            )
            missing.extend(Missing(code, entry.key, reason) for code in codes)
            continue
        if used != data_year:
            notes.append(
                f"{entry.name_fi}: tietovuoden {data_year} sijaan käytetään vuotta {used}."
            )
        current[entry.key] = _values_at(rows, used, codes)
        start_year = used - period if entry.role == OUTCOME else None
        years[entry.key] = (start_year, used)
        for code in current.index[current[entry.key].isna()]:
            missing.append(Missing(code, entry.key, f"arvo puuttuu vuodelta {used}"))
        if entry.role == OUTCOME:
            start[entry.key] = _values_at(rows, start_year, codes)
            gaps = start.index[start[entry.key].isna() & current[entry.key].notna()]
            missing.extend(
                Missing(code, entry.key, f"lähtövuoden {start_year} arvo puuttuu") for code in gaps
            )
    residents_rows = _county_rows(table, config.residents_indicator.value)
    residents_year = _year_used(residents_rows, data_year, YearPolicy.latest_available)
    counties["residents"] = _values_at(residents_rows, residents_year, codes)
    for code in counties.index[counties["residents"].isna()]:
        missing.append(Missing(code, "asukasluku", "asukasluku puuttuu: euroja ei voi laskea"))
    if residents_year is not None and residents_year != data_year:
        notes.append(f"Asukasluku vuodelta {residents_year} (tietovuoden {data_year} sijaan).")
    return KerroinInputs(
        config,
        str(county).zfill(2),
        counties,
        current,
        start,
        years,
        residents_year,
        missing,
        notes,
    )


# --- computation ---------------------------------------------------------------------------------


@dataclass
class KerroinResult:
    """Scores, ranks, contributions and euros for every county.

    ``table`` (index county code): name_fi, score, rank, process, outcome, coverage, complete,
    residents, share, euros, euros_per_resident, euros_by_residents, euros_difference.
    ``measure``: the raw measure per indicator (level, or relative change of outcomes, %),
    ``subscores`` (0–1), ``weights`` (effective, summing to 1 per county), ``contributions`` (points).
    """

    inputs: KerroinInputs
    table: pd.DataFrame
    measure: pd.DataFrame
    subscores: pd.DataFrame
    weights: pd.DataFrame
    contributions: pd.DataFrame
    missing: list[Missing]
    notes: list[str]

    @property
    def config(self) -> KerroinConfig:
        return self.inputs.config

    @property
    def county(self) -> str:
        return self.inputs.county

    def row(self, code: str | None = None) -> pd.Series:
        return self.table.loc[code or self.county]

    def missing_for(self, code: str) -> list[Missing]:
        return [m for m in self.missing if m.county_code == code]

    @property
    def counted(self) -> int:
        """How many counties got a score."""
        return int(self.table["score"].notna().sum())


def _improvement(inputs: KerroinInputs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(raw measure, improvement in the good direction) per county and indicator."""
    measure = pd.DataFrame(index=inputs.current.index, columns=inputs.config.keys, dtype="float64")
    good = measure.copy()
    for entry in inputs.config.indicators:
        now = inputs.current[entry.key]
        if entry.role == PROCESS:
            raw = now
        else:
            base = inputs.start[entry.key]
            raw = (now - base) / base.where(base != 0)
        measure[entry.key] = raw if entry.role == PROCESS else raw * 100
        good[entry.key] = raw if entry.higher_is_better else -raw
    return measure, good


def _normalise(
    entry: KerroinIndicator, method: Method, now: pd.Series, good: pd.Series
) -> pd.Series:
    """Sub-scores in [0, 1]; NaN stays NaN."""
    present = good.dropna()
    out = pd.Series(math.nan, index=good.index, dtype="float64")
    if present.empty:
        return out
    if method is Method.minmax:
        low, high = present.min(), present.max()
        out[present.index] = (
            0.5 if high - low <= 1e-12 * max(1.0, abs(high)) else (present - low) / (high - low)
        )
    elif method is Method.percentile:
        if len(present) == 1:
            out[present.index] = 0.5
        else:
            out[present.index] = (present.rank(method="average") - 1) / (len(present) - 1)
    elif entry.role == PROCESS:
        level = now[present.index]
        if entry.higher_is_better:
            ratio = level / entry.target
        else:
            ratio = pd.Series(
                np.where(level > 0, entry.target / level.where(level > 0), 1.0), index=level.index
            )
        out[present.index] = ratio.clip(0, 1)
    else:
        out[present.index] = (present / _target_improvement(entry)).clip(0, 1)
    return out.clip(0, 1)


def _effective_weights(config: KerroinConfig, available: pd.DataFrame) -> pd.DataFrame:
    """Per county, the configured weights renormalised over the indicators with data."""
    weights = pd.DataFrame(0.0, index=available.index, columns=config.keys)
    halves = config.halves.value
    half_mass = {}
    for role in ROLES:
        keys = [e.key for e in config.in_role(role)]
        configured = pd.Series({e.key: e.weight for e in config.in_role(role)}, dtype="float64")
        have = (
            available[keys].astype(float).mul(configured, axis=1)
            if keys
            else pd.DataFrame(index=available.index)
        )
        mass = have.sum(axis=1) if keys else pd.Series(0.0, index=available.index)
        half_mass[role] = mass
        for key in keys:
            weights[key] = (have[key] / mass.where(mass > 0)).fillna(0.0)
    nonempty = sum(halves[role] * (half_mass[role] > 0) for role in ROLES)
    for role in ROLES:
        share = (halves[role] * (half_mass[role] > 0)) / nonempty.where(nonempty > 0)
        for entry in config.in_role(role):
            weights[entry.key] = weights[entry.key] * share.fillna(0.0)
    return weights


def _coverage(config: KerroinConfig, available: pd.DataFrame) -> pd.Series:
    total = pd.Series(0.0, index=available.index)
    for role in ROLES:
        entries = config.in_role(role)
        full = sum(e.weight for e in entries)
        if full <= 0:
            continue
        have = sum(available[e.key].astype(float) * e.weight for e in entries)
        total = total + config.halves.value[role] * have / full
    return total


def _missing_reason(inputs: KerroinInputs, entry: KerroinIndicator, code: str) -> str:
    if pd.isna(inputs.current.loc[code, entry.key]):
        return "arvo puuttuu"
    if entry.role == OUTCOME and pd.isna(inputs.start.loc[code, entry.key]):
        return "lähtöarvo puuttuu"
    return "muutosta ei voi laskea (lähtöarvo 0)"


def compute(inputs: KerroinInputs) -> KerroinResult:
    """Score (0–100), rank, contributions and euros of every county."""
    config = inputs.config
    measure, good = _improvement(inputs)
    subscores = pd.DataFrame(index=good.index, columns=config.keys, dtype="float64")
    missing = list(inputs.missing)
    known = {(m.county_code, m.indicator_key) for m in missing}
    for entry in config.indicators:
        subscores[entry.key] = _normalise(
            entry, config.method_of(entry), inputs.current[entry.key], good[entry.key]
        )
        for code in subscores.index[subscores[entry.key].isna()]:
            if (code, entry.key) not in known:
                missing.append(Missing(code, entry.key, _missing_reason(inputs, entry, code)))
    available = subscores.notna()
    weights = _effective_weights(config, available)
    contributions = (weights * subscores.fillna(0.0)) * 100.0
    coverage = _coverage(config, available)
    enough = coverage + 1e-12 >= config.min_coverage.value
    score = contributions.sum(axis=1).where(enough & (weights.sum(axis=1) > 0))
    contributions = contributions.where(available)
    contributions.loc[score.isna(), :] = math.nan
    notes = list(inputs.notes)
    for code in score.index[score.isna()]:
        notes.append(
            f"{inputs.name(code)}: pisteitä ei laskettu, koska tietojen kattavuus "
            f"({coverage[code]:.0%}) on alle vaaditun ({config.min_coverage.value:.0%})."
        )
    table = pd.DataFrame(index=inputs.counties.index)
    table["name_fi"] = inputs.counties["name_fi"]
    table["score"] = score
    table["rank"] = score.rank(ascending=False, method="min")
    for role in ROLES:
        keys = [e.key for e in config.in_role(role)]
        table[role] = contributions[keys].sum(axis=1, min_count=1) if keys else math.nan
        table.loc[score.isna(), role] = math.nan
    table["coverage"] = coverage
    table["complete"] = (coverage >= 1 - 1e-12) & score.notna()
    table["residents"] = inputs.counties["residents"]
    _euros(table, config.pot)
    return KerroinResult(inputs, table, measure, subscores, weights, contributions, missing, notes)


def _euros(table: pd.DataFrame, pot: float) -> None:
    """share = residents × score / Σ residents × score (counties with both); by residents alone too."""
    usable = table["score"].notna() & table["residents"].notna()
    mass = (table["residents"] * table["score"]).where(usable)
    total = mass.sum()
    residents_total = table["residents"].where(usable).sum()
    if total > 0:
        table["share"] = mass / total
    else:  # all scores zero: the pot falls back to residents
        table["share"] = (
            table["residents"].where(usable) / residents_total if residents_total > 0 else math.nan
        )
    table["euros"] = table["share"] * pot
    table["euros_per_resident"] = table["euros"] / table["residents"]
    table["euros_by_residents"] = (
        table["residents"].where(usable) / residents_total * pot
        if residents_total > 0
        else math.nan
    )
    table["euros_difference"] = table["euros"] - table["euros_by_residents"]


# --- what-if and sensitivity ---------------------------------------------------------------------


@dataclass(frozen=True)
class WhatIf:
    """The county's score, rank and euros before and after improving one indicator."""

    county: str
    indicator: str
    improvement: float
    value_before: float
    value_after: float
    score_before: float
    score_after: float
    rank_before: float
    rank_after: float
    euros_before: float
    euros_after: float

    @property
    def points(self) -> float:
        return self.score_after - self.score_before

    @property
    def euros(self) -> float:
        return self.euros_after - self.euros_before


def improved(
    inputs: KerroinInputs, indicator: str, improvement: float, county: str | None = None
) -> KerroinInputs:
    """A copy of the inputs with the county's current value of ``indicator`` moved ``improvement``
    units in its good direction (kept within 0–100 for percentages, ≥ 0 otherwise)."""
    entry = inputs.config.get(indicator)
    county = county or inputs.county
    changed = inputs.copy()
    value = changed.current.loc[county, entry.key]
    if pd.isna(value):
        raise HyteError(
            f"{inputs.name(county)} has no value of '{entry.name_fi}' to improve "
            "(it is missing); a what-if needs a value."
        )
    new = value + improvement if entry.higher_is_better else value - improvement
    upper = 100.0 if entry.is_percentage else math.inf
    bounded = min(max(new, 0.0), upper)
    # a bound never pushes a value the wrong way (e.g. a percentage already over 100 in the data)
    if (bounded - value) * (new - value) < 0:
        bounded = value
    changed.current.loc[county, entry.key] = bounded
    return changed


def what_if(
    inputs: KerroinInputs,
    indicator: str,
    improvement: float,
    county: str | None = None,
    before: KerroinResult | None = None,
) -> WhatIf:
    """Change in the county's score, rank and euros if ``indicator`` improved by ``improvement``
    (in the indicator's unit, in its good direction; for outcome indicators the latest value moves)."""
    county = county or inputs.county
    before = before or compute(inputs)
    after_inputs = improved(inputs, indicator, improvement, county)
    after = compute(after_inputs)
    key = inputs.config.get(indicator).key
    return WhatIf(
        county=county,
        indicator=key,
        improvement=float(improvement),
        value_before=float(inputs.current.loc[county, key]),
        value_after=float(after_inputs.current.loc[county, key]),
        score_before=float(before.table.loc[county, "score"]),
        score_after=float(after.table.loc[county, "score"]),
        rank_before=float(before.table.loc[county, "rank"]),
        rank_after=float(after.table.loc[county, "rank"]),
        euros_before=float(before.table.loc[county, "euros"]),
        euros_after=float(after.table.loc[county, "euros"]),
    )


def sensitivity(
    inputs: KerroinInputs, county: str | None = None, steps: dict[str, float] | None = None
) -> pd.DataFrame:
    """For each indicator the county has a value of: points and euros gained by improving it by its
    ``step`` (or ``steps[key]``), per step and per unit, sorted by euros then points (best first).

    Columns: key, name_fi, role, unit_fi, step, value, points, points_per_unit, rank_before,
    rank_after, euros, euros_per_unit.
    """
    county = county or inputs.county
    before = compute(inputs)
    rows = []
    for entry in inputs.config.indicators:
        if pd.isna(inputs.current.loc[county, entry.key]) or pd.isna(
            before.subscores.loc[county, entry.key]
        ):
            continue
        step = (steps or {}).get(entry.key, entry.step)
        result = what_if(inputs, entry.key, step, county, before=before)
        rows.append(
            {
                "key": entry.key,
                "name_fi": entry.name_fi,
                "role": entry.role,
                "unit_fi": entry.unit_fi,
                "step": step,
                "value": result.value_before,
                "points": result.points,
                "points_per_unit": result.points / step,
                "rank_before": result.rank_before,
                "rank_after": result.rank_after,
                "euros": result.euros,
                "euros_per_unit": result.euros / step,
            }
        )
    columns = [
        "key",
        "name_fi",
        "role",
        "unit_fi",
        "step",
        "value",
        "points",
        "points_per_unit",
        "rank_before",
        "rank_after",
        "euros",
        "euros_per_unit",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    if frame.empty:
        return frame
    order = frame.assign(_e=frame["euros"].fillna(-math.inf)).sort_values(
        ["_e", "points"], ascending=False, kind="stable"
    )
    return order.drop(columns="_e").reset_index(drop=True)


# --- municipalities ------------------------------------------------------------------------------


def _municipal_rows(table: pd.DataFrame, indicator: int, ids: list[int]) -> pd.DataFrame:
    mask = (
        (table["indicator"] == indicator)
        & (table["region_level"] == "municipality")
        & (table["sex"] == "total")
        & table["region_id"].isin(ids)
    )
    return table.loc[mask, ["region_id", "region_code", "region_name", "year", "value", "count"]]


def municipal_drivers(
    table: pd.DataFrame, inputs: KerroinInputs, regions, catalog=None
) -> pd.DataFrame:
    """Which municipalities drive the county's outcome indicators.

    For each outcome indicator with data, from the municipal rows (count-weighted): the county value is
    ``m × Σ count / Σ denominator`` with denominator = count × m / value (m = 100 for percentages, or
    the catalog's multiplier). Each municipality's ``level_points`` (its share of the county level) and
    ``change_points`` (its part of the county's change over the outcome period) add up exactly to the
    county's level and change computed from the municipal rows. Only municipalities with a positive
    value and a count in both years are used (so the set does not change); the others are flagged in
    ``note_fi``.

    Columns: key, name_fi, code, municipality, value_start, value_end, count_start, count_end,
    level_points, change_points, change_share, note_fi.
    """
    members = regions.county_municipalities(inputs.county)
    ids = [m.sotkanet_id for m in members]
    names = {m.sotkanet_id: (m.code, m.name_fi) for m in members}
    out = []
    for entry in inputs.config.in_role(OUTCOME):
        start_year, end_year = inputs.years.get(entry.key, (None, None))
        if entry.indicator is None or end_year is None:
            continue
        multiplier = 100.0
        if catalog is not None and entry.indicator in catalog:
            multiplier = catalog.get(entry.indicator).multiplier or multiplier
        rows = _municipal_rows(table, entry.indicator, ids)
        at_s = (
            rows[rows["year"] == start_year]
            .drop_duplicates("region_id")
            .set_index("region_id")
            .reindex(ids)
        )
        at_e = (
            rows[rows["year"] == end_year]
            .drop_duplicates("region_id")
            .set_index("region_id")
            .reindex(ids)
        )
        ok_s = at_s["value"].gt(0) & at_s["count"].notna()
        ok_e = at_e["value"].gt(0) & at_e["count"].notna()
        both = ok_s & ok_e  # the same municipalities in both years, so only rates and sizes move
        den_s = (at_s["count"] * multiplier / at_s["value"]).where(both)
        den_e = (at_e["count"] * multiplier / at_e["value"]).where(both)
        total_s, total_e = float(den_s.sum()), float(den_e.sum())
        nothing = pd.Series(math.nan, index=ids, dtype="float64")
        level = multiplier * at_e["count"].where(both) / total_e if total_e > 0 else nothing
        before = multiplier * at_s["count"].where(both) / total_s if total_s > 0 else nothing
        change = level - before
        total_change = change.sum(min_count=1)
        for sid in ids:
            code, name = names[sid]
            note = []
            if not ok_s[sid]:
                note.append(f"ei arvoa tai lukumäärää vuodelta {start_year}")
            if not ok_e[sid]:
                note.append(f"ei arvoa tai lukumäärää vuodelta {end_year}")
            out.append(
                {
                    "key": entry.key,
                    "name_fi": entry.name_fi,
                    "code": code,
                    "municipality": name,
                    "value_start": at_s.loc[sid, "value"],
                    "value_end": at_e.loc[sid, "value"],
                    "count_start": at_s.loc[sid, "count"],
                    "count_end": at_e.loc[sid, "count"],
                    "level_points": level.get(sid, math.nan),
                    "change_points": change.get(sid, math.nan),
                    "change_share": (
                        change.get(sid, math.nan) / total_change
                        if pd.notna(total_change) and abs(total_change) > 1e-12
                        else math.nan
                    ),
                    "note_fi": "; ".join(note),
                }
            )
    columns = [
        "key",
        "name_fi",
        "code",
        "municipality",
        "value_start",
        "value_end",
        "count_start",
        "count_end",
        "level_points",
        "change_points",
        "change_share",
        "note_fi",
    ]
    return pd.DataFrame(out, columns=columns)


def municipality_values(table: pd.DataFrame, config: KerroinConfig, municipality) -> pd.DataFrame:
    """A municipality's values of the coefficient's indicators (for its card): key, name_fi, role,
    unit_fi, decimals, year, value, start_year, start_value, change_pct, proxy; missing stays NaN."""
    rows = []
    period = config.outcome_period_years.value
    for entry in config.indicators:
        record = {
            "key": entry.key,
            "name_fi": entry.name_fi,
            "role": entry.role,
            "unit_fi": entry.unit_fi,
            "decimals": entry.decimals,
            "proxy": entry.proxy,
            "year": math.nan,
            "value": math.nan,
            "start_year": math.nan,
            "start_value": math.nan,
            "change_pct": math.nan,
        }
        if entry.indicator is not None:
            mask = (
                (table["indicator"] == entry.indicator)
                & (table["region_id"] == municipality.sotkanet_id)
                & (table["sex"] == "total")
                & table["value"].notna()
                & (table["year"] <= config.data_year)
            )
            series = table.loc[mask].sort_values("year")
            if len(series):
                last = series.iloc[-1]
                record.update(year=int(last["year"]), value=float(last["value"]))
                if entry.role == OUTCOME:
                    first = series[series["year"] == int(last["year"]) - period]
                    if len(first):
                        base = float(first.iloc[0]["value"])
                        record.update(
                            start_year=int(last["year"]) - period,
                            start_value=base,
                            change_pct=(record["value"] - base) / base * 100 if base else math.nan,
                        )
        rows.append(record)
    return pd.DataFrame(rows)


# --- from a loaded context -----------------------------------------------------------------------


@dataclass
class KerroinRun:
    """Everything the HYTE-kerroin chapter and CLI show."""

    config: KerroinConfig
    inputs: KerroinInputs
    result: KerroinResult
    sensitivity: pd.DataFrame
    drivers: pd.DataFrame
    catalog_notes: list[str]


def _catalog_notes(config: KerroinConfig, catalog) -> list[str]:
    """Where the catalog's HYTE-kerroin role or polarity disagrees with this configuration."""
    notes = []
    if catalog is None:
        return notes
    for entry in config.indicators:
        if entry.indicator is None or entry.indicator not in catalog:
            continue
        item = catalog.get(entry.indicator)
        role = getattr(getattr(item, "hyte_kerroin", None), "value", None)
        if role not in (None, "none") and role != entry.role:
            notes.append(
                f"{entry.name_fi}: indikaattoriluettelossa rooli '{role}', mallissa '{entry.role}'."
            )
        polarity = getattr(getattr(item, "polarity", None), "value", None)
        if (
            polarity in ("higher_is_better", "lower_is_better")
            and polarity != entry.direction.value
        ):
            notes.append(
                f"{entry.name_fi}: indikaattoriluettelon suunta '{polarity}' poikkeaa mallin "
                f"suunnasta '{entry.direction.value}'."
            )
    return notes


def for_context(ctx) -> KerroinRun:
    """Load the configuration named by ``hyte.yml`` and compute everything for the context's county."""
    config = load_kerroin_config(ctx.config.hyte_kerroin_path, ctx.catalog)
    inputs = build_inputs(ctx.table, config, ctx.regions, ctx.config.county)
    result = compute(inputs)
    table = ctx.table
    return KerroinRun(
        config=config,
        inputs=inputs,
        result=result,
        sensitivity=sensitivity(inputs) if pd.notna(result.row()["score"]) else pd.DataFrame(),
        drivers=municipal_drivers(table, inputs, ctx.regions, ctx.catalog),
        catalog_notes=_catalog_notes(config, ctx.catalog),
    )
