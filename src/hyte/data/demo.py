"""The synthetic demo snapshot (``data/demo/``): invented data in exactly the shape of a Sotkanet fetch.

``generate_demo`` writes, through :class:`hyte.data.snapshot.SnapshotBuilder`, what ``hyte fetch`` writes:
``raw/data_<id>.json.gz`` (a Sotkanet REST 1.1 ``/json`` response per indicator, all regions in one
response), ``raw/indicator_<id>.json.gz`` (``/indicators/{id}``-style metadata), ``raw/regions.json.gz``
(``/regions``-style list of the regions used), and the tidy table made by parsing those raw rows with
:func:`hyte.data.tidy.tidy_from_rows`. The manifest is marked synthetic.

The numbers are drawn, not real: populations from ``data/demo/generator.yml``, counts from binomial
(percentages) or Poisson (rates) sampling so that small municipalities swing more, the county as the
exact sum of its municipalities and the country as the exact sum of the counties. The settings file
is copied into the new snapshot folder, so regenerating ``data/demo`` keeps it.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hyte.data.catalog import Catalog, Indicator, ValueType
from hyte.data.regions import COUNTRY_NAME_FI, COUNTRY_NAME_SV, COUNTRY_SOTKANET_ID, Regions
from hyte.data.snapshot import Snapshot, SnapshotBuilder, write_bytes_atomic
from hyte.data.tidy import SEXES, LoadReport, tidy_from_rows
from hyte.errors import HyteError
from hyte.paths import data_dir
from hyte.yamlio import describe_validation_error, read_yaml

GENERATOR_FILE = "generator.yml"
REGIONS_FILE = "regions.json.gz"
SOTKANET_BASE = "https://sotkanet.fi/rest/1.1/"
COUNTRY_SOTKANET_CODE = "358"
_SEX_PAIR = ("male", "female")
_WOBBLE = 0.01  # year-to-year change of an area's own level (log sd), on top of sampling noise


# --- settings ----------------------------------------------------------------------------------------


class IndicatorSettings(BaseModel):
    """How one indicator's numbers are drawn; unset fields come from the value type's defaults."""

    model_config = ConfigDict(extra="forbid")

    level: float | None = Field(None, gt=0, description="National value in population_year")
    trend: float | None = Field(None, gt=-0.5, lt=0.5, description="Relative change a year")
    male_female: float | None = Field(None, gt=0, description="Male value / female value")
    spread: float | None = Field(None, ge=0, le=2, description="Sd of the areas' own (log) level")
    denominator: str | None = None
    aging_exponent: float | None = None
    noise: float | None = Field(None, ge=0, le=1)
    years: list[int] | None = None
    first_year: int | None = None
    last_year: int | None = None


class AreaSize(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""
    population: int = Field(gt=0)
    change: float = Field(0.0, gt=-10, lt=10, description="% a year")


class Denominator(BaseModel):
    model_config = ConfigDict(extra="forbid")

    share: float = Field(gt=0, le=1)
    age: Literal["young", "working", "old", "all"] = "all"
    female_share: float | None = Field(None, gt=0, lt=1)


class GeneratorConfig(BaseModel):
    """``data/demo/generator.yml``."""

    model_config = ConfigDict(extra="forbid")

    seed: int = 2026
    years: tuple[int, int] = (2010, 2025)
    county: str = "15"
    snapshot_id: str = "demo-keski-suomi"
    population_indicator: int = 127
    population_year: int = 2024
    male_share: float = Field(0.497, gt=0.3, lt=0.7)
    aging_reference: float = Field(100000, gt=0)
    aging_elasticity: float = Field(0.06, ge=0, le=0.5)
    missing_share: float = Field(0.004, ge=0, le=0.5)
    note: str = "Synteettinen esimerkkiaineisto, ei todellisia lukuja."
    municipalities: dict[str, AreaSize]
    counties: dict[str, AreaSize]
    denominators: dict[str, Denominator]
    defaults: dict[ValueType, IndicatorSettings]
    indicators: dict[int, IndicatorSettings] = {}
    organizations: dict[str, str] = {}


@dataclass(frozen=True)
class _Resolved:
    level: float
    trend: float
    male_female: float
    spread: float
    denominator: str | None
    aging_exponent: float
    noise: float
    years: list[int]


def default_config_path(root: Path | None = None) -> Path:
    return data_dir(root) / "demo" / GENERATOR_FILE


def load_generator_config(path: Path | None = None) -> dict[str, Any]:
    """The demo settings as a plain dict (default ``data/demo/generator.yml``)."""
    path = Path(path) if path else default_config_path()
    if not path.is_file():
        raise HyteError(
            f"{path}: the demo settings are missing; restore the file from the repository "
            "(git checkout data/demo/generator.yml) and run `hyte demo` again."
        )
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise HyteError(
            f"{path}: expected 'key: value' settings (seed, years, municipalities, ...)."
        )
    return raw


def _validate(raw: dict[str, Any], source: str) -> GeneratorConfig:
    try:
        return GeneratorConfig(**raw)
    except ValidationError as exc:
        raise HyteError(describe_validation_error(exc, Path(source))) from None


def _resolve(config: GeneratorConfig, indicator: Indicator, source: str) -> _Resolved:
    base = config.defaults.get(indicator.value_type, IndicatorSettings())
    own = config.indicators.get(indicator.id, IndicatorSettings())
    merged = {**base.model_dump(exclude_none=True), **own.model_dump(exclude_none=True)}
    first, last = config.years
    if "years" in merged:
        years = sorted(y for y in set(merged["years"]) if first <= y <= last)
    else:
        years = list(
            range(
                max(first, merged.get("first_year", first)),
                min(last, merged.get("last_year", last)) + 1,
            )
        )
    needs_denominator = indicator.value_type not in (ValueType.INDEX, ValueType.OTHER)
    denominator = merged.get("denominator", "all" if needs_denominator else None)
    if needs_denominator and denominator not in config.denominators:
        raise HyteError(
            f"{source}: indicator {indicator.id}: field 'denominator': unknown denominator "
            f"'{denominator}'; use one of {', '.join(config.denominators)}."
        )
    if not years:
        raise HyteError(
            f"{source}: indicator {indicator.id}: no year left within {first}–{last}; "
            "check its years / first_year / last_year."
        )
    return _Resolved(
        level=float(merged.get("level", 10.0)),
        trend=float(merged.get("trend", 0.0)),
        male_female=float(merged.get("male_female", 1.0)),
        spread=float(merged.get("spread", 0.2)),
        denominator=denominator,
        aging_exponent=float(merged.get("aging_exponent", 0.0)),
        noise=float(merged.get("noise", 0.05)),
        years=years,
    )


# --- areas and populations --------------------------------------------------------------------------


@dataclass
class _Areas:
    """The areas drawn directly ('units': the county's municipalities, then the other counties) and
    how they add up to the demo county and the country."""

    unit_ids: list[int]  # Sotkanet ids
    unit_is_municipality: np.ndarray  # bool [units]
    county_of_unit: np.ndarray  # index into county_ids [units]
    county_ids: list[int]  # all 23 counties, the demo county included
    years: list[int]
    population: np.ndarray  # int [units, years, 2] (male, female)
    aging: np.ndarray  # float [units]
    regions_json: list[dict[str, Any]]


ALL_COUNTIES = "all"
_MIN_INVENTED_POPULATION = 300


def demo_counties(config: GeneratorConfig, regions: Regions) -> list:
    """The counties whose municipalities the demo draws one by one ("all": every county)."""
    if str(config.county).strip().lower() == ALL_COUNTIES:
        return [c for _, c in sorted(regions.counties.items())]
    return [regions.county(config.county)]


def _invented_sizes(
    config: GeneratorConfig,
    members: list,
    county_population: int,
    given: dict[str, AreaSize],
    source: str,
) -> dict[str, AreaSize]:
    """Populations for municipalities the settings do not list: seeded log-normal shares of what the
    county's population leaves (invented, like every demo number), larger ones growing, small ones
    shrinking."""
    sizes = {m.code: given[m.code] for m in members if m.code in given}
    todo = [m for m in members if m.code not in given]
    if not todo:
        return sizes
    left = max(
        county_population - sum(s.population for s in sizes.values()),
        _MIN_INVENTED_POPULATION * len(todo),
    )
    weights = np.array(
        [np.random.default_rng([config.seed, int(m.code)]).lognormal(0.0, 1.1) for m in todo]
    )
    shares = weights / weights.sum()
    for municipality, share in zip(todo, shares):
        population = max(_MIN_INVENTED_POPULATION, int(round(left * share, -1)))
        change = float(np.clip(0.6 * math.log10(population / 15000.0), -2.0, 1.2))
        sizes[municipality.code] = AreaSize(
            name=municipality.name_fi, population=population, change=round(change, 1)
        )
    return sizes


def _check_complete(members: list, given: dict[str, AreaSize], source: str) -> None:
    """A drawn county lists all its municipalities' sizes or none."""
    missing = sorted(m.code for m in members if m.code not in given)
    if missing and len(missing) < len(members):
        raise HyteError(
            f"{source}: field 'municipalities': list all {len(members)} municipalities of "
            f"county {members[0].county_code} or none of them (then hyte invents their "
            f"populations); missing {missing}."
        )


def _county_size(
    config: GeneratorConfig,
    county,
    members: list,
    given: dict[str, AreaSize],
    county_sizes: dict[str, AreaSize],
    source: str,
) -> AreaSize:
    """A county's population: from `counties`, else the sum of its listed municipalities."""
    if county.code in county_sizes:
        return county_sizes[county.code]
    listed = [given[m.code] for m in members if m.code in given]
    if listed and len(listed) == len(members):
        total = sum(s.population for s in listed)
        change = sum(s.population * s.change for s in listed) / total
        return AreaSize(name=county.name_fi, population=total, change=change)
    raise HyteError(
        f"{source}: field 'counties': population missing for county code {county.code} "
        f"({county.name_fi}); add it ({county.code}: {{population: N}})."
    )


def _areas(config: GeneratorConfig, regions: Regions, source: str) -> _Areas:
    drawn_counties = demo_counties(config, regions)
    drawn_codes = {c.code for c in drawn_counties}
    given = {str(code).zfill(3): size for code, size in config.municipalities.items()}
    unknown = sorted(code for code in given if code not in regions.municipalities)
    if unknown:
        raise HyteError(
            f"{source}: field 'municipalities': code(s) {', '.join(unknown)} are not in the "
            "2026 division (data/reference/municipalities.csv); remove them."
        )
    county_sizes = {str(k).zfill(2): v for k, v in config.counties.items()}

    years = list(range(config.years[0], config.years[1] + 1))
    offsets = np.array(years, dtype=float) - config.population_year
    county_ids = [c.sotkanet_id for _, c in sorted(regions.counties.items())]
    unit_ids, is_municipality, county_index, base, change = [], [], [], [], []
    municipalities_drawn: list = []
    # The drawn counties' municipalities first, then one unit per other county (this order fixes the
    # random draws, so the Keski-Suomi demo stays what it was).
    for county in drawn_counties:
        members = regions.county_municipalities(county.code)
        _check_complete(members, given, source)
        size = _county_size(config, county, members, given, county_sizes, source)
        sizes = _invented_sizes(config, members, size.population, given, source)
        for municipality in members:
            unit_ids.append(municipality.sotkanet_id)
            is_municipality.append(True)
            county_index.append(county_ids.index(county.sotkanet_id))
            base.append(sizes[municipality.code].population)
            change.append(sizes[municipality.code].change)
            municipalities_drawn.append((municipality, county))
    for _, county in sorted(regions.counties.items()):
        if county.code in drawn_codes:
            continue
        members = regions.county_municipalities(county.code)
        size = _county_size(config, county, members, given, county_sizes, source)
        unit_ids.append(county.sotkanet_id)
        is_municipality.append(False)
        county_index.append(county_ids.index(county.sotkanet_id))
        base.append(size.population)
        change.append(size.change)
    base_arr = np.array(base, dtype=float)[:, None]
    growth = (1 + np.array(change, dtype=float)[:, None] / 100.0) ** offsets[None, :]
    total = np.rint(base_arr * growth).astype(np.int64)
    male = np.rint(total * config.male_share).astype(np.int64)
    population = np.stack([male, total - male], axis=2)
    # Older age structure in small municipalities, relative to their own county (population-weighted
    # mean 1); the counties themselves differ only through each indicator's random county effect.
    is_municipality_arr = np.array(is_municipality)
    county_index_arr = np.array(county_index)
    aging = np.where(
        is_municipality_arr,
        (base_arr[:, 0] / config.aging_reference) ** (-config.aging_elasticity),
        1.0,
    )
    for index in set(county_index_arr[is_municipality_arr].tolist()):
        own = is_municipality_arr & (county_index_arr == index)
        aging[own] = aging[own] / np.average(aging[own], weights=base_arr[own, 0])

    regions_json: list[dict[str, Any]] = []
    for municipality, county in municipalities_drawn:
        regions_json.append(
            {
                "id": municipality.sotkanet_id,
                "code": municipality.code,
                "category": "KUNTA",
                "title": {
                    "fi": municipality.name_fi,
                    "sv": municipality.name_sv,
                    "en": municipality.name_fi,
                },
                "memberOf": [county.sotkanet_id, COUNTRY_SOTKANET_ID],
            }
        )
    for _, item in sorted(regions.counties.items()):
        regions_json.append(
            {
                "id": item.sotkanet_id,
                "code": str(int(item.code)),
                "category": "HYVINVOINTIALUE",
                "title": {"fi": item.name_fi, "sv": item.name_sv.strip(), "en": item.name_en},
                "memberOf": [COUNTRY_SOTKANET_ID],
            }
        )
    regions_json.append(
        {
            "id": COUNTRY_SOTKANET_ID,
            "code": COUNTRY_SOTKANET_CODE,
            "category": "MAA",
            "title": {"fi": COUNTRY_NAME_FI, "sv": COUNTRY_NAME_SV, "en": "Whole country"},
            "memberOf": [],
        }
    )
    return _Areas(
        unit_ids,
        is_municipality_arr,
        county_index_arr,
        county_ids,
        years,
        population,
        aging,
        regions_json,
    )


# --- drawing one indicator ---------------------------------------------------------------------------


@dataclass
class _Drawn:
    """One indicator for all published regions: [regions, years, 3 sexes (total, male, female)]."""

    region_ids: list[int]
    is_municipality: np.ndarray
    value: np.ndarray  # float, NaN = no value
    count: np.ndarray  # float, NaN = no count


def _aggregate(areas: _Areas, unit_values: np.ndarray) -> tuple[list[int], np.ndarray, np.ndarray]:
    """Unit arrays [units, ...] -> published regions: municipalities, all counties (demo county =
    sum of its municipalities), country = sum of the counties."""
    municipal = unit_values[areas.unit_is_municipality]
    counties = np.zeros((len(areas.county_ids),) + unit_values.shape[1:], dtype=unit_values.dtype)
    np.add.at(counties, areas.county_of_unit, unit_values)
    country = counties.sum(axis=0, keepdims=True)
    region_ids = (
        [u for u, m in zip(areas.unit_ids, areas.unit_is_municipality) if m]
        + areas.county_ids
        + [COUNTRY_SOTKANET_ID]
    )
    flags = np.array([True] * len(municipal) + [False] * (len(counties) + 1))
    return region_ids, np.concatenate([municipal, counties, country]), flags


def _denominators(areas: _Areas, config: GeneratorConfig, key: str) -> np.ndarray:
    spec = config.denominators[key]
    exponent = {"young": -1.0, "working": 0.0, "old": 1.0, "all": 0.0}[spec.age]
    factor = (spec.share * areas.aging**exponent)[:, None]
    if spec.female_share is None:
        return np.rint(areas.population * factor[:, :, None]).astype(np.int64)
    total = areas.population.sum(axis=2) * factor
    female = np.rint(total * spec.female_share).astype(np.int64)
    male = np.rint(total * (1 - spec.female_share)).astype(np.int64)
    return np.stack([male, female], axis=2)


def _effects(rng: np.random.Generator, areas: _Areas, settings: _Resolved) -> np.ndarray:
    """Each unit's own level relative to the country, for every year: [units, years]."""
    county_effect = np.exp(rng.normal(0.0, settings.spread * 0.6, len(areas.county_ids)))
    own = np.where(
        areas.unit_is_municipality,
        np.exp(rng.normal(0.0, settings.spread, len(areas.unit_ids))),
        1.0,
    )
    lasting = county_effect[areas.county_of_unit] * own * areas.aging**settings.aging_exponent
    weights = areas.population[:, -1, :].sum(axis=1).astype(float)
    lasting = lasting / np.average(lasting, weights=weights)  # so the country stays near `level`
    wobble = np.exp(rng.normal(0.0, _WOBBLE, (len(areas.unit_ids), len(areas.years))))
    return lasting[:, None] * wobble


def _sex_factors(settings: _Resolved) -> np.ndarray:
    ratio = settings.male_female
    return np.array([2 * ratio / (1 + ratio), 2 / (1 + ratio)])


def _draw(
    indicator: Indicator,
    settings: _Resolved,
    areas: _Areas,
    config: GeneratorConfig,
    rng: np.random.Generator,
) -> _Drawn:
    years = np.array(areas.years, dtype=float)
    national = settings.level * (1 + settings.trend) ** (years - config.population_year)
    effects = _effects(rng, areas, settings)
    sexes = _sex_factors(settings)
    value_type = indicator.value_type

    if value_type in (ValueType.INDEX, ValueType.OTHER):
        weights = areas.population.astype(float)  # [units, years, 2]
        scale = np.sqrt(10000.0 / np.maximum(weights.sum(axis=2), 1.0))
        noise = np.exp(rng.normal(0.0, 1.0, effects.shape) * settings.noise * scale)
        level = national[None, :] * effects * noise  # [units, years]
        by_sex = level[:, :, None] * sexes[None, None, :]
        region_ids, weighted, flags = _aggregate(areas, by_sex * weights)
        _, weight_sums, _ = _aggregate(areas, weights)
        sex_values = weighted / weight_sums
        total = (weighted.sum(axis=2) / weight_sums.sum(axis=2))[:, :, None]
        values = np.round(np.concatenate([total, sex_values], axis=2), indicator.decimals)
        return _Drawn(region_ids, flags, values, np.full(values.shape, np.nan))

    if indicator.id == config.population_indicator:
        counts = areas.population
    else:
        denominators = _denominators(areas, config, settings.denominator or "all")
        rate = national[None, :, None] * effects[:, :, None] * sexes[None, None, :]
        if value_type is ValueType.COUNT:  # level = count per 1 000 residents
            counts = rng.poisson(areas.population * rate / 1000.0)
        elif value_type is ValueType.PROS:
            counts = rng.binomial(denominators, np.clip(rate / 100.0, 0.0, 0.995))
        else:
            counts = rng.poisson(denominators * rate / value_type.multiplier)
    region_ids, count_sex, flags = _aggregate(areas, counts.astype(np.int64))
    count_all = np.concatenate([count_sex.sum(axis=2, keepdims=True), count_sex], axis=2).astype(
        float
    )
    if value_type is ValueType.COUNT:
        values = count_all.copy()
    else:
        _, den_sex, _ = _aggregate(areas, denominators)
        den_all = np.concatenate([den_sex.sum(axis=2, keepdims=True), den_sex], axis=2).astype(
            float
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.where(den_all > 0, count_all / den_all * value_type.multiplier, np.nan)
        values = np.round(values, indicator.decimals)
    return _Drawn(region_ids, flags, values, count_all)


# --- rows in Sotkanet's /json format -----------------------------------------------------------------


def _number(value: float, decimals: int) -> int | float:
    return round(float(value)) if decimals == 0 else round(float(value), decimals)


def _hidden_sexes(counts: np.ndarray, threshold: int) -> set[str]:
    """Cells published without value and count: the total when 0 < total < threshold (then all);
    otherwise both sexes when either is 0 < count < threshold (so neither can be worked back)."""
    if np.isnan(counts).all():
        return set()
    small = (counts > 0) & (counts < threshold)
    if small[0]:
        return set(SEXES)
    return set(_SEX_PAIR) if small[1:].any() else set()


def _rows(
    indicator: Indicator,
    settings: _Resolved,
    drawn: _Drawn,
    areas: _Areas,
    config: GeneratorConfig,
    rng: np.random.Generator,
) -> tuple[list[dict[str, Any]], int]:
    """The /json rows; returns (rows, municipal region-years with hidden cells)."""
    sexes = list(SEXES) if indicator.by_sex else ["total"]
    sex_index = [SEXES.index(s) for s in sexes]
    year_index = [areas.years.index(y) for y in settings.years]
    threshold = indicator.small_number_threshold
    suppressible = threshold > 0 and indicator.id != config.population_indicator
    absent = rng.random((len(drawn.region_ids), len(areas.years))) < config.missing_share
    rows: list[dict[str, Any]] = []
    suppressed = 0
    for r, region_id in enumerate(drawn.region_ids):
        municipal = bool(drawn.is_municipality[r])
        for y in year_index:
            if municipal and absent[r, y] and indicator.id != config.population_indicator:
                continue
            hidden = (
                _hidden_sexes(drawn.count[r, y], threshold) if municipal and suppressible else set()
            )
            suppressed += bool(hidden & set(sexes))
            for s, sex in zip(sex_index, sexes):
                row: dict[str, Any] = {
                    "indicator": indicator.id,
                    "region": region_id,
                    "year": areas.years[y],
                    "gender": sex,
                }
                value, count = drawn.value[r, y, s], drawn.count[r, y, s]
                if sex not in hidden and not math.isnan(value):
                    row["value"] = _number(value, indicator.decimals)
                    if not math.isnan(count):
                        row["absValue"] = int(count)
                rows.append(row)
    return rows, suppressed


def _metadata(indicator: Indicator, settings: _Resolved, config: GeneratorConfig) -> dict[str, Any]:
    """An /indicators/{id}-style object (the fields hyte reads)."""
    return {
        "id": indicator.id,
        "title": {"fi": indicator.title_fi, "sv": indicator.title_sv, "en": ""},
        "primaryValueType": {"code": indicator.value_type.value},
        "decimals": indicator.decimals,
        "organization": {
            "title": {"fi": config.organizations.get(indicator.producer, indicator.producer)}
        },
        "range": {"start": settings.years[0], "end": settings.years[-1]},
        "description": {"fi": config.note},
        "synthetic": True,
    }


def _data_url(indicator_id: int, years: list[int], sexes: list[str]) -> str:
    query = "&".join(
        [f"indicator={indicator_id}"]
        + [f"years={y}" for y in years]
        + [f"genders={s}" for s in sexes]
    )
    return f"{SOTKANET_BASE}json?{query}"


def _compact(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- another county's demo -------------------------------------------------------------------------


def _slug(text: str) -> str:
    table = str.maketrans({"ä": "a", "ö": "o", "å": "a", " ": "-"})
    return "".join(ch for ch in text.lower().translate(table) if ch.isalnum() or ch == "-")


def settings_for_county(raw: dict[str, Any], county: str, regions: Regions) -> dict[str, Any]:
    """The demo settings redirected to another county (a code, or "all" for the whole country).

    The municipalities of a county the settings do not list get invented populations that add up to
    the county's population under `counties`; the snapshot id and the note name the county."""
    settings = dict(raw)
    if str(county).strip().lower() == ALL_COUNTIES:
        settings["county"] = ALL_COUNTIES
        settings["snapshot_id"] = "demo-koko-maa"
        where = "koko maa"
    else:
        item = regions.county(county)
        settings["county"] = item.code
        names = {
            str(k).zfill(2): v.get("name", "")
            for k, v in (raw.get("counties") or {}).items()
            if isinstance(v, dict)
        }
        short = names.get(item.code) or item.name_fi.replace(" hyvinvointialue", "")
        settings["snapshot_id"] = f"demo-{item.code}-{_slug(short)}"
        where = short
    settings["note"] = (
        f"Synteettinen esimerkkiaineisto ({where}), ei todellisia lukuja: luvut ja "
        "kuntien väkiluvut on arvottu hyte-ohjelmalla Sotkanetin muotoon. "
        "Synthetic demo data, not real figures."
    )
    return settings


# --- the snapshot -------------------------------------------------------------------------------------


def generate_demo(
    target: Path,
    catalog: Catalog,
    regions: Regions,
    config: dict[str, Any] | str | Path | None = None,
    seed: int | None = None,
) -> Snapshot:
    """Write the synthetic demo snapshot to ``target`` (e.g. ``data/demo``) and return it.

    ``config``: the settings as a dict, or the path of a settings file (default
    ``data/demo/generator.yml``). ``seed`` overrides the settings' seed; the same seed and settings
    give the identical table. Every catalog indicator gets data (defaults by value type for those
    the settings do not name).
    """
    if config is None or isinstance(config, (str, Path)):
        config_path = Path(config) if config is not None else default_config_path()
        raw = load_generator_config(config_path)
        config_bytes = config_path.read_bytes()
        source = str(config_path)
    else:
        raw = dict(config)
        config_bytes = yaml.safe_dump(raw, allow_unicode=True, sort_keys=False).encode("utf-8")
        source = "demo settings"
    settings = _validate(raw, source)
    if seed is not None:
        settings = settings.model_copy(update={"seed": int(seed)})
    if settings.years[0] > settings.years[1]:
        raise HyteError(f"{source}: field 'years': write [first, last], e.g. [2010, 2025].")
    if len(catalog) == 0:
        raise HyteError(
            f"{catalog.source}: the catalog has no indicators; the demo needs at least one."
        )
    areas = _areas(settings, regions, source)

    builder = SnapshotBuilder(Path(target), source="demo", synthetic=True, resume=False)
    try:
        builder.write_raw(
            REGIONS_FILE,
            _compact(areas.regions_json),
            url=f"{SOTKANET_BASE}regions",
            generated_by="hyte demo",
        )
        tables: list[pd.DataFrame] = []
        report = LoadReport()
        suppressed_total = 0
        for indicator in catalog:
            resolved = _resolve(settings, indicator, source)
            rng = np.random.default_rng([settings.seed, indicator.id])
            drawn = _draw(indicator, resolved, areas, settings, rng)
            rows, suppressed = _rows(indicator, resolved, drawn, areas, settings, rng)
            suppressed_total += suppressed
            sexes = list(SEXES) if indicator.by_sex else ["total"]
            meta = _metadata(indicator, resolved, settings)
            builder.write_raw(
                f"indicator_{indicator.id}.json.gz",
                _compact(meta),
                url=f"{SOTKANET_BASE}indicators/{indicator.id}",
                generated_by="hyte demo",
            )
            name = f"data_{indicator.id}.json.gz"
            builder.write_raw(
                name,
                _compact(rows),
                url=_data_url(indicator.id, resolved.years, sexes),
                generated_by="hyte demo",
            )
            builder.indicators[str(indicator.id)] = meta
            table, part = tidy_from_rows(json.loads(builder.read_raw(name)), regions, source=name)
            if part.bad_rows or part.unknown_regions:
                raise HyteError(
                    f"{name}: the demo rows did not load cleanly ({'; '.join(part.lines())}); "
                    "this is a bug in hyte.data.demo."
                )
            report.rows_in += part.rows_in
            report.rows_out += part.rows_out
            report.missing_value += part.missing_value
            tables.append(table)
        table = (
            pd.concat(tables, ignore_index=True)
            .sort_values(["indicator", "region_id", "year", "sex"], kind="stable")
            .reset_index(drop=True)
        )
        builder.set_table(table)
        write_bytes_atomic(builder.work / GENERATOR_FILE, config_bytes)  # kept beside the snapshot
        builder.notes.append(settings.note)
        return builder.finish(
            settings.snapshot_id,
            generator={
                "module": "hyte.data.demo",
                "seed": settings.seed,
                "settings_file": GENERATOR_FILE,
                "settings_sha256": hashlib.sha256(config_bytes).hexdigest(),
                "suppressed_municipal_cells": int(suppressed_total),
            },
            requested_indicators=list(catalog.ids),
            requested_years=list(areas.years),
            genders=list(SEXES),
            load_report=report.to_dict(),
            attribution="Synteettinen esimerkkiaineisto (hyte demo); muoto THL:n Sotkanetin mukainen",
        )
    except BaseException:
        builder.abandon()
        raise
