"""The indicator catalog, ``data/indicators.yml``: what each Sotkanet indicator means to hyte.

Sotkanet's metadata has no polarity, population group or theme; the catalog keeps them, with units,
decimals, the confidence-interval method, the small-number threshold and the HYTE-kerroin role.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hyte.errors import HyteError
from hyte.yamlio import describe_validation_error, read_yaml


class Polarity(str, Enum):
    higher_is_better = "higher_is_better"
    lower_is_better = "lower_is_better"
    none = "none"


class ValueType(str, Enum):
    """Sotkanet's ``primaryValueType.code`` (and COUNT for plain numbers)."""

    PROS = "PROS"
    PER1000 = "PER1000"
    PER10000 = "PER10000"
    PER100000 = "PER100000"
    COUNT = "COUNT"
    INDEX = "INDEX"
    OTHER = "OTHER"

    @property
    def multiplier(self) -> float | None:
        """Value = count / population × multiplier (None where that does not hold)."""
        return {"PROS": 100.0, "PER1000": 1e3, "PER10000": 1e4, "PER100000": 1e5}.get(self.value)


class CIMethod(str, Enum):
    wilson = "wilson"  # proportions (PROS)
    byar = "byar"  # crude rates per 1 000 / 100 000 (exact Poisson under 10)
    none = "none"  # indices, counts, modelled values


class Frequency(str, Enum):
    """How often an indicator is measured (the trend uses the last five measurements)."""

    annual = "annual"
    biennial = "biennial"
    four_yearly = "4-yearly"

    @property
    def step(self) -> int:
        """Years between two measurements."""
        return {"annual": 1, "biennial": 2, "4-yearly": 4}[self.value]


class KerroinRole(str, Enum):
    process = "process"
    outcome = "outcome"
    none = "none"


class Indicator(BaseModel):
    """One catalog entry."""

    model_config = ConfigDict(extra="forbid")

    id: int = Field(gt=0, description="Sotkanet indicator id")
    title_fi: str = Field(min_length=3)
    title_sv: str = Field(min_length=3)
    short_fi: str = Field(min_length=2, max_length=60, description="Label for charts and tables")
    short_sv: str = Field(min_length=2, max_length=60)
    value_type: ValueType
    unit_fi: str = Field(description="Unit as the reader sees it: '%', '/1 000 as.', 'litraa/as.'")
    unit_sv: str
    decimals: int = Field(ge=0, le=3)
    polarity: Polarity
    group: str = Field(description="Population group key, see 'groups'")
    theme: str = Field(description="Theme key, see 'themes'")
    ci_method: CIMethod
    small_number_threshold: int = Field(5, ge=0, description="Hide value and CI when count < this")
    hyte_kerroin: KerroinRole = KerroinRole.none
    headline: bool = False
    by_sex: bool = True
    frequency: Frequency = Field(Frequency.annual, description="annual, biennial or 4-yearly")
    producer: str = Field(min_length=2, description="Who produces the data, e.g. 'THL', 'Kela'")

    @model_validator(mode="after")
    def _ci_fits_type(self) -> Indicator:
        if self.ci_method is CIMethod.wilson and self.value_type is not ValueType.PROS:
            raise ValueError("ci_method 'wilson' needs value_type PROS (a percentage)")
        if self.ci_method is CIMethod.byar and self.value_type.multiplier in (None, 100.0):
            raise ValueError(
                "ci_method 'byar' needs a rate value_type (PER1000, PER10000, PER100000)"
            )
        return self

    @property
    def multiplier(self) -> float | None:
        return self.value_type.multiplier

    def title(self, language: str = "fi") -> str:
        return self.title_sv if language == "sv" else self.title_fi

    def short(self, language: str = "fi") -> str:
        return self.short_sv if language == "sv" else self.short_fi

    def unit(self, language: str = "fi") -> str:
        return self.unit_sv if language == "sv" else self.unit_fi


class Label(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fi: str
    sv: str
    order: int = 0


class Catalog(BaseModel):
    """The whole catalog: labels of groups and themes, and the indicators."""

    model_config = ConfigDict(extra="forbid")

    groups: dict[str, Label]
    themes: dict[str, Label]
    indicators: list[Indicator]
    source: Path | None = Field(None, exclude=True)

    def __contains__(self, indicator_id: object) -> bool:
        return any(i.id == indicator_id for i in self.indicators)

    def __iter__(self):  # type: ignore[override]
        return iter(self.indicators)

    def __len__(self) -> int:
        return len(self.indicators)

    def get(self, indicator_id: int) -> Indicator:
        for indicator in self.indicators:
            if indicator.id == int(indicator_id):
                return indicator
        raise HyteError(
            f"Indicator {indicator_id} is not in the catalog {self.source or 'data/indicators.yml'}: "
            "add it there (id, titles, unit, polarity, group, theme) or use another id."
        )

    @property
    def ids(self) -> list[int]:
        return [i.id for i in self.indicators]

    def headline(self) -> list[Indicator]:
        return [i for i in self.indicators if i.headline]

    def in_group(self, group: str) -> list[Indicator]:
        return [i for i in self.indicators if i.group == group]

    def in_theme(self, theme: str) -> list[Indicator]:
        return [i for i in self.indicators if i.theme == theme]

    def group_label(self, key: str, language: str = "fi") -> str:
        return getattr(self.groups[key], language)

    def theme_label(self, key: str, language: str = "fi") -> str:
        return getattr(self.themes[key], language)

    def ordered_groups(self) -> list[str]:
        return sorted(self.groups, key=lambda k: self.groups[k].order)

    def ordered_themes(self) -> list[str]:
        return sorted(self.themes, key=lambda k: self.themes[k].order)


def load_catalog(path: Path) -> Catalog:
    """Read and validate the catalog; a mistake names the file, the entry and the field."""
    path = Path(path)
    raw = read_yaml(path)
    if not isinstance(raw, dict) or "indicators" not in raw:
        raise HyteError(f"{path}: expected top-level keys 'groups', 'themes' and 'indicators'.")
    entries = raw.get("indicators") or []
    if not isinstance(entries, list):
        raise HyteError(f"{path}: 'indicators' must be a list of entries ('- id: ...').")
    indicators: list[Indicator] = []
    for position, entry in enumerate(entries, start=1):
        name = f"indicator #{position}"
        if isinstance(entry, dict) and "id" in entry:
            name += f" (id {entry['id']})"
        if not isinstance(entry, dict):
            raise HyteError(f"{path}: {name}: expected a mapping of fields, got {entry!r}.")
        try:
            indicators.append(Indicator(**entry))
        except ValidationError as exc:
            raise HyteError(describe_validation_error(exc, path, name)) from None
    try:
        catalog = Catalog(
            groups=raw.get("groups") or {},
            themes=raw.get("themes") or {},
            indicators=indicators,
            source=path,
        )
    except ValidationError as exc:
        raise HyteError(describe_validation_error(exc, path)) from None
    seen: set[int] = set()
    for position, indicator in enumerate(indicators, start=1):
        name = f"indicator #{position} (id {indicator.id})"
        if indicator.id in seen:
            raise HyteError(f"{path}: {name}: duplicate id; each indicator may appear once.")
        seen.add(indicator.id)
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
    return catalog
