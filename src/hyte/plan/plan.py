"""The regional wellbeing plan (alueellinen hyvinvointisuunnitelma) as data, and its follow-up.

The plan lives in ``data/plan/<council term>.yml``:

    focus areas (painopisteet)
      → goals (tavoitteet)
        → sub-goals (osatavoitteet), each of one of the county's five kinds:
          hyte_kerroin, talousarvio, yhdyspintayhteistyo, terveyserot, sisainen_integraatio
          → follow-up indicators: catalog id, baseline (year, value), target (year, value)
          → measures (toimenpiteet): responsible parties, schedule, resources
    agreements: which municipality committed to which goals and measures in which year's
                hyte-negotiations

and the ex-ante impact assessment (EVA) in ``data/plan/eva.yml``.

Loading validates everything and reports the first problem as one line naming the file, the entry and
the field: an unknown indicator or municipality, a target in the wrong direction for the indicator's
polarity, duplicate ids, a measure without a responsible party, and so on.

Follow-up status of one indicator target (years are statistics years, i.e. the year the data describe;
values are the county's, sex total, from the snapshot in use; values are compared after rounding to
the indicator's decimals in the catalog):

- **met** (saavutettu): the latest value has reached the target in the good direction
  (``latest >= target`` when the aim is to increase, ``latest <= target`` when it is to decrease);
- **on track** (etenee): not met, but the latest value has moved from the baseline towards the target at
  least in proportion to the time elapsed on a linear path from the baseline year to the target year:
  ``(latest − baseline) / (target − baseline) >= (latest year − baseline year) / (target year −
  baseline year)``;
- **off track** (jäljessä): otherwise (including no movement or movement the wrong way, and a target
  year passed without reaching the target);
- **no data** (ei uutta tietoa): the snapshot has no value for a year after the baseline year.

The aim's direction comes from the indicator's polarity in the catalog (lower is better → decrease,
higher is better → increase). An indicator with polarity ``none`` can be a target indicator only when the
entry states ``direction: increase`` or ``direction: decrease``; a stated direction that contradicts the
polarity is an error, and so is a target on the wrong side of the baseline. A target equal to the
baseline means "hold the level": met while the latest value is no worse, off track otherwise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from hyte.data.catalog import Catalog, Indicator, Polarity
from hyte.data.regions import Regions
from hyte.errors import HyteError
from hyte.yamlio import decimal_comma_hint, loads_yaml, read_yaml

# --------------------------------------------------------------------------------------------------
# Vocabulary


class SubGoalKind(str, Enum):
    """The county's five kinds of sub-goal (osatavoite)."""

    hyte_kerroin = "hyte_kerroin"
    talousarvio = "talousarvio"
    yhdyspintayhteistyo = "yhdyspintayhteistyo"
    terveyserot = "terveyserot"
    sisainen_integraatio = "sisainen_integraatio"

    @property
    def label_fi(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    SubGoalKind.hyte_kerroin: "HYTE-kerroin",
    SubGoalKind.talousarvio: "Talousarvio",
    SubGoalKind.yhdyspintayhteistyo: "Yhdyspintayhteistyö",
    SubGoalKind.terveyserot: "Terveyserot",
    SubGoalKind.sisainen_integraatio: "Sisäinen integraatio",
}


class PartyType(str, Enum):
    """Kinds of responsible party (vastuutaho)."""

    county_service_area = "county_service_area"
    municipality = "municipality"
    ngo = "ngo"
    parish = "parish"
    service_provider = "service_provider"
    other = "other"

    @property
    def label_fi(self) -> str:
        return _PARTY_LABELS[self]


_PARTY_LABELS = {
    PartyType.county_service_area: "hyvinvointialue",
    PartyType.municipality: "kunta",
    PartyType.ngo: "järjestö",
    PartyType.parish: "seurakunta",
    PartyType.service_provider: "palveluntuottaja",
    PartyType.other: "muu",
}


class Direction(str, Enum):
    increase = "increase"
    decrease = "decrease"

    @property
    def label_fi(self) -> str:
        return "nousu" if self is Direction.increase else "lasku"


class Status(str, Enum):
    """Follow-up status of one indicator target; see the module docstring for the rules."""

    met = "met"
    on_track = "on_track"
    off_track = "off_track"
    no_data = "no_data"

    @property
    def label_fi(self) -> str:
        return _STATUS_LABELS[self]


STATUS_ORDER = (Status.met, Status.on_track, Status.off_track, Status.no_data)
_STATUS_LABELS = {
    Status.met: "saavutettu",
    Status.on_track: "etenee",
    Status.off_track: "jäljessä",
    Status.no_data: "ei uutta tietoa",
}


class ImpactKind(str, Enum):
    """The rows of the ex-ante impact assessment (EVA) table."""

    children = "children"
    health = "health"
    social = "social"
    gender_equality = "gender_equality"
    language_groups = "language_groups"
    economy = "economy"
    environment = "environment"

    @property
    def label_fi(self) -> str:
        return _IMPACT_LABELS[self]


_IMPACT_LABELS = {
    ImpactKind.children: "Vaikutukset lapsiin (LAVA)",
    ImpactKind.health: "Terveysvaikutukset",
    ImpactKind.social: "Sosiaaliset vaikutukset",
    ImpactKind.gender_equality: "Vaikutukset sukupuolten tasa-arvoon",
    ImpactKind.language_groups: "Vaikutukset kieliryhmiin",
    ImpactKind.economy: "Taloudelliset vaikutukset",
    ImpactKind.environment: "Ympäristövaikutukset",
}


class Rating(str, Enum):
    """The overall direction of one assessed impact."""

    positive = "positive"
    negative = "negative"
    mixed = "mixed"
    neutral = "neutral"
    uncertain = "uncertain"

    @property
    def label_fi(self) -> str:
        return _RATING_LABELS[self]


_RATING_LABELS = {
    Rating.positive: "myönteinen",
    Rating.negative: "kielteinen",
    Rating.mixed: "sekä myönteinen että kielteinen",
    Rating.neutral: "ei merkittävää vaikutusta",
    Rating.uncertain: "epävarma",
}

# --------------------------------------------------------------------------------------------------
# Field types

_ID_PATTERN = re.compile(r"^[A-Za-z0-9ÅÄÖåäö][A-Za-z0-9ÅÄÖåäö._-]*$")


def _as_id(value: object) -> object:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        text = value.strip()
        if not _ID_PATTERN.match(text):
            raise ValueError("an id is letters, digits, '.', '_' or '-' without spaces, e.g. T1.2")
        return text
    if isinstance(value, float):
        raise ValueError('write the id in quotes (YAML reads it as a number), e.g. "1.10"')  # noqa: TRY004
    return value


def _as_municipality_code(value: object) -> object:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if value < 100:
            raise ValueError(
                'write municipality codes in quotes with 3 digits, e.g. "077" '
                "(YAML reads 077 as a number)"
            )
        return str(value)
    if isinstance(value, str):
        text = value.strip()
        if not (text.isdigit() and len(text) == 3):
            raise ValueError('a municipality code is 3 digits in quotes, e.g. "179"')
        return text
    return value


Id = Annotated[str, BeforeValidator(_as_id)]
MunicipalityCode = Annotated[str, BeforeValidator(_as_municipality_code)]
Text = Annotated[str, Field(min_length=2)]
Year = Annotated[int, Field(ge=1990, le=2100)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --------------------------------------------------------------------------------------------------
# The plan


class Party(_Model):
    """A responsible party: a county service area, a municipality, an NGO, a parish or another actor."""

    type: PartyType
    name: str | None = Field(
        None, description="e.g. 'Ikääntyneiden palvelut', 'MLL Keski-Suomen piiri'"
    )
    municipality: MunicipalityCode | None = Field(
        None, description="Code, when type is municipality"
    )

    @model_validator(mode="after")
    def _named(self) -> Party:
        if self.municipality and self.type is not PartyType.municipality:
            raise ValueError("'municipality' (a code) belongs only to parties of type municipality")
        if not self.name and not self.municipality:
            raise ValueError(
                "a responsible party needs a 'name' (or, for a municipality, its code in "
                "'municipality')"
            )
        return self

    def label(self) -> str:
        return self.name or self.municipality or ""


class Schedule(_Model):
    start: Year
    end: Year
    note: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Schedule:
        if self.end < self.start:
            raise ValueError(f"the schedule ends ({self.end}) before it starts ({self.start})")
        return self

    def label(self) -> str:
        years = str(self.start) if self.start == self.end else f"{self.start}\u2013{self.end}"
        return f"{years} ({self.note})" if self.note else years


class Measure(_Model):
    """A measure (toimenpide)."""

    id: Id
    text: Text
    responsible: list[Party] = Field(default_factory=list, validate_default=True)
    schedule: Schedule
    resources: Text = Field(description="Money, person-years or 'existing resources'")
    budget_eur: float | None = Field(None, ge=0, description="Euros per year, where known")
    residents_panel: bool = Field(
        False, description="Proposed by the residents' panel (asukasraati)"
    )

    @field_validator("responsible")
    @classmethod
    def _owner(cls, value: list[Party]) -> list[Party]:
        if not value:
            raise ValueError(
                "a measure needs at least one responsible party (vastuutaho): add "
                "'responsible: [{type: county_service_area, name: ...}]'"
            )
        return value


class ValuePoint(_Model):
    year: Year
    value: float

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("the value must be a finite number")
        return value


class TargetIndicator(_Model):
    """A follow-up indicator of a sub-goal: catalog id, baseline and target.

    After :func:`load_plan`, ``direction`` is always set (from the catalog polarity where not stated).
    """

    indicator: int = Field(gt=0, description="Sotkanet id; must be in the indicator catalog")
    baseline: ValuePoint
    target: ValuePoint
    direction: Direction | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _years(self) -> TargetIndicator:
        if self.target.year <= self.baseline.year:
            raise ValueError(
                f"the target year ({self.target.year}) must come after the baseline year "
                f"({self.baseline.year})"
            )
        return self


class SubGoal(_Model):
    """A sub-goal (osatavoite) of one of the five kinds."""

    id: Id
    kind: SubGoalKind
    text: Text
    indicators: list[TargetIndicator] = Field(default_factory=list)
    measures: list[Measure] = Field(default_factory=list)

    @model_validator(mode="after")
    def _content(self) -> SubGoal:
        if not self.indicators and not self.measures:
            raise ValueError("a sub-goal needs at least one measure or follow-up indicator")
        return self


class Goal(_Model):
    """A goal (tavoite)."""

    id: Id
    title: Text
    description: str | None = None
    population_groups: list[str] = Field(default_factory=list, description="Catalog group keys")
    sub_goals: list[SubGoal] = Field(min_length=1)


class FocusArea(_Model):
    """A focus area (painopiste)."""

    id: Id
    title: Text
    description: str | None = None
    goals: list[Goal] = Field(min_length=1)


class Agreement(_Model):
    """What a municipality committed to in one year's hyte-negotiations."""

    year: Year
    municipality: MunicipalityCode
    goals: list[Id] = Field(default_factory=list)
    measures: list[Id] = Field(default_factory=list)
    negotiated: str | None = Field(None, description="Date or month of the negotiation, free text")
    notes: str | None = None

    @model_validator(mode="after")
    def _content(self) -> Agreement:
        if not self.goals and not self.measures:
            raise ValueError("an agreement names at least one goal or measure id")
        return self


class PartnerAgreement(_Model):
    """What another partner (an NGO, a parish, a service provider or another actor) committed to in
    one year's hyte-negotiations; municipalities' agreements are under ``agreements``."""

    year: Year
    partner: Party
    goals: list[Id] = Field(default_factory=list)
    measures: list[Id] = Field(default_factory=list)
    negotiated: str | None = Field(None, description="Date or month of the negotiation, free text")
    notes: str | None = None

    @model_validator(mode="after")
    def _content(self) -> PartnerAgreement:
        if not self.goals and not self.measures:
            raise ValueError("an agreement names at least one goal or measure id")
        if self.partner.type is PartyType.municipality:
            raise ValueError(
                "a municipality's agreement belongs under 'agreements' (year, municipality, goals, "
                "measures), not 'partner_agreements'"
            )
        return self


class Plan(_Model):
    """The whole plan: focus areas and the municipal agreements."""

    title: Text
    county: str
    term: str
    status: str | None = Field(
        None, description="e.g. 'luonnos', 'hyväksytty aluevaltuustossa 5/2026'"
    )
    baseline_source: str | None = Field(None, description="Where the baseline values come from")
    preparation: str | None = Field(None, description="How and with whom the plan was prepared")
    focus_areas: list[FocusArea] = Field(min_length=1)
    agreements: list[Agreement] = Field(default_factory=list)
    partner_agreements: list[PartnerAgreement] = Field(default_factory=list)

    _source: Path | None = PrivateAttr(None)
    _catalog: Catalog | None = PrivateAttr(None)
    _regions: Regions | None = PrivateAttr(None)

    @field_validator("county", mode="before")
    @classmethod
    def _county(cls, value: object) -> object:
        text = str(value).strip()
        if not text.isdigit() or len(text) > 2:
            raise ValueError('a county code is 1–2 digits, e.g. "15" for Keski-Suomi')
        return text.zfill(2)

    @field_validator("term")
    @classmethod
    def _term(cls, value: str) -> str:
        match = re.fullmatch(r"(\d{4})-(\d{4})", value)
        if not match or int(match[2]) - int(match[1]) != 3:
            raise ValueError("a council term is four years written 'YYYY-YYYY', e.g. 2026-2029")
        return value

    # -- bound context ------------------------------------------------------------------------

    @property
    def source(self) -> Path | None:
        return self._source

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            raise HyteError("This plan was not loaded with load_plan(); it has no catalog.")
        return self._catalog

    @property
    def regions(self) -> Regions:
        if self._regions is None:
            raise HyteError("This plan was not loaded with load_plan(); it has no regions.")
        return self._regions

    @property
    def term_years(self) -> tuple[int, int]:
        start, end = self.term.split("-")
        return int(start), int(end)

    @property
    def county_name(self) -> str:
        return self.regions.county(self.county).name_fi

    # -- walking the tree ---------------------------------------------------------------------

    def goals(self) -> Iterator[tuple[FocusArea, Goal]]:
        for area in self.focus_areas:
            for goal in area.goals:
                yield area, goal

    def sub_goals(self) -> Iterator[tuple[FocusArea, Goal, SubGoal]]:
        for area, goal in self.goals():
            for sub in goal.sub_goals:
                yield area, goal, sub

    def measures(self) -> Iterator[tuple[FocusArea, Goal, SubGoal, Measure]]:
        for area, goal, sub in self.sub_goals():
            for measure in sub.measures:
                yield area, goal, sub, measure

    def targets(self) -> Iterator[tuple[FocusArea, Goal, SubGoal, TargetIndicator]]:
        for area, goal, sub in self.sub_goals():
            for target in sub.indicators:
                yield area, goal, sub, target

    def goal(self, goal_id: str) -> Goal:
        for _, goal in self.goals():
            if goal.id == goal_id:
                return goal
        raise HyteError(f"No goal '{goal_id}' in the plan {self._source or ''}.")

    def goal_of_measure(self, measure_id: str) -> tuple[Goal, SubGoal, Measure]:
        for _, goal, sub, measure in self.measures():
            if measure.id == measure_id:
                return goal, sub, measure
        raise HyteError(f"No measure '{measure_id}' in the plan {self._source or ''}.")

    def agreements_for(self, municipality_code: str) -> list[Agreement]:
        """The municipality's agreements, oldest year first."""
        code = str(municipality_code).zfill(3)
        return sorted((a for a in self.agreements if a.municipality == code), key=lambda a: a.year)

    def agreed_goal_ids(self, municipality_code: str) -> list[str]:
        """Goals the municipality committed to (directly or through a measure), in plan order."""
        wanted: set[str] = set()
        for agreement in self.agreements_for(municipality_code):
            wanted.update(agreement.goals)
            wanted.update(self.goal_of_measure(m)[0].id for m in agreement.measures)
        return [goal.id for _, goal in self.goals() if goal.id in wanted]


# --------------------------------------------------------------------------------------------------
# Loading and validation

_ENTRY_KINDS = {
    "focus_areas": "focus area",
    "goals": "goal",
    "sub_goals": "sub-goal",
    "measures": "measure",
    "alternatives": "alternative",
}


def _clean_message(message: str) -> str:
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def _locate(raw: Any, loc: tuple) -> tuple[str, str]:
    """Follow a pydantic error location through the raw YAML: (entry name, field path).

    The entry is the innermost list item with an id (or an indicator target, an agreement or an
    impact); the field is the rest of the path.
    """
    entry = ""
    fields: list[str] = []
    node = raw
    parent_key = ""
    for part in loc:
        if isinstance(part, int) and isinstance(node, list):
            item = node[part] if part < len(node) else None
            if isinstance(item, dict) and parent_key in _ENTRY_KINDS:
                kind = _ENTRY_KINDS[parent_key]
                entry = f"{kind} {item['id']}" if "id" in item else f"{kind} #{part + 1}"
                fields = []
            elif isinstance(item, dict) and parent_key == "indicators":
                name = (
                    f"indicator {item['indicator']}"
                    if "indicator" in item
                    else f"indicator #{part + 1}"
                )
                entry = f"{entry}, {name}" if entry else name
                fields = []
            elif isinstance(item, dict) and parent_key == "agreements":
                entry = f"agreement {item.get('year', '?')}/{item.get('municipality', '?')}"
                fields = []
            elif isinstance(item, dict) and parent_key == "partner_agreements":
                partner = item.get("partner") if isinstance(item.get("partner"), dict) else {}
                entry = f"partner agreement {item.get('year', '?')}/{partner.get('name', '?')}"
                fields = []
            elif isinstance(item, dict) and parent_key == "impacts":
                entry = f"impact {item['kind']}" if "kind" in item else f"impact #{part + 1}"
                fields = []
            else:
                if fields:
                    fields[-1] = f"{fields[-1]}[{part}]"
                else:
                    fields.append(f"[{part}]")
            node = item
        else:
            fields.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
            parent_key = str(part)
    return entry, ".".join(fields)


def _describe(exc: ValidationError, raw: Any, path: Path) -> list[str]:
    problems = []
    for error in exc.errors():
        entry, field_path = _locate(raw, tuple(error["loc"]))
        given = error.get("input")
        shown = "" if isinstance(given, (dict, list)) or given is None else f" (got {given!r})"
        where = f"{entry}: " if entry else ""
        what = f"field '{field_path}': " if field_path else ""
        problems.append(
            f"{path}: {where}{what}{_clean_message(error['msg'])}{shown}"
            + decimal_comma_hint(error)
        )
    return problems


def _raise_first(problems: list[str], hint: str = "", note: str = "") -> None:
    """Raise the first problem as one line, with how many more there are and an optional note."""
    if problems:
        more = len(problems) - 1
        tail = f" [+{more} more problem{'s' if more > 1 else ''}{hint}]" if more else ""
        raise HyteError(problems[0] + note + tail)


def _effective_direction(
    target: TargetIndicator, indicator: Indicator
) -> tuple[Direction | None, str]:
    """The aim's direction and a problem text ('' when fine)."""
    by_polarity = {
        Polarity.lower_is_better: Direction.decrease,
        Polarity.higher_is_better: Direction.increase,
    }.get(indicator.polarity)
    if by_polarity is None:
        if target.direction is None:
            return None, (
                f"field 'direction': indicator {indicator.id} ({indicator.short_fi}) has no "
                "polarity in the catalog, so state 'direction: increase' or "
                "'direction: decrease'"
            )
        return target.direction, ""
    if target.direction is not None and target.direction is not by_polarity:
        return None, (
            f"field 'direction': '{target.direction.value}' contradicts the catalog polarity "
            f"'{indicator.polarity.value}' of indicator {indicator.id}; remove 'direction' or "
            "fix the catalog"
        )
    return by_polarity, ""


def check_plan(plan: Plan, path: Path, catalog: Catalog, regions: Regions) -> list[str]:
    """Cross-reference problems of a structurally valid plan (empty list when all is well).

    Sets each target's ``direction`` and fills the names of municipality parties.
    """
    problems: list[str] = []

    def problem(entry: str, text: str) -> None:
        problems.append(f"{path}: {entry}: {text}")

    match = re.fullmatch(r"(\d{4})-(\d{4})", Path(path).stem)
    if match and Path(path).stem != plan.term:
        problems.append(
            f"{path}: field 'term': '{plan.term}' differs from the file name; rename the file "
            f"or fix the term"
        )
    try:
        county = regions.county(plan.county)
    except HyteError:
        problems.append(
            f"{path}: field 'county': unknown county code '{plan.county}'; use 01–21 or 90"
        )
        county = None
    start, end = plan.term_years

    seen: dict[str, str] = {}

    def register(kind: str, item_id: str) -> None:
        if item_id in seen:
            problem(
                f"{kind} {item_id}",
                f"field 'id': duplicate id (also used by a {seen[item_id]}); "
                "every focus area, goal, sub-goal and measure needs its own id",
            )
        else:
            seen[item_id] = kind

    def check_municipality(entry: str, field_name: str, code: str) -> bool:
        municipality = regions.municipalities.get(code)
        if municipality is None:
            problem(
                entry,
                f"field '{field_name}': unknown municipality code '{code}'; use a 3-digit "
                'code of the 2026 division, e.g. "179" (Jyväskylä)',
            )
            return False
        if county is not None and municipality.county_code != county.code:
            problem(
                entry,
                f"field '{field_name}': {municipality.name_fi} ({code}) is not in the plan's "
                f"county {county.name_fi} ({county.code})",
            )
            return False
        return True

    for area in plan.focus_areas:
        register("focus area", area.id)
        for goal in area.goals:
            register("goal", goal.id)
            for group in goal.population_groups:
                if group not in catalog.groups:
                    problem(
                        f"goal {goal.id}",
                        f"field 'population_groups': unknown group '{group}'; use "
                        f"one of {', '.join(catalog.groups)}",
                    )
            for sub in goal.sub_goals:
                register("sub-goal", sub.id)
                seen_indicators: set[int] = set()
                for target in sub.indicators:
                    entry = f"sub-goal {sub.id}, indicator {target.indicator}"
                    if target.indicator in seen_indicators:
                        problem(
                            entry, "field 'indicator': the same indicator twice in one sub-goal"
                        )
                    seen_indicators.add(target.indicator)
                    if target.indicator not in catalog:
                        problem(
                            entry,
                            f"field 'indicator': unknown indicator {target.indicator}: it is "
                            f"not in the catalog {catalog.source or 'data/indicators.yml'}; add it "
                            "there or use another id",
                        )
                        continue
                    indicator = catalog.get(target.indicator)
                    direction, text = _effective_direction(target, indicator)
                    if text:
                        problem(entry, text)
                        continue
                    target.direction = direction
                    base, goal_value = target.baseline.value, target.target.value
                    wrong = (
                        goal_value > base if direction is Direction.decrease else goal_value < base
                    )
                    if wrong:
                        aim = "lower" if direction is Direction.decrease else "higher"
                        why = (
                            "lower is better"
                            if indicator.polarity is Polarity.lower_is_better
                            else "higher is better"
                            if indicator.polarity is Polarity.higher_is_better
                            else f"the stated direction is '{direction.value}'"
                        )
                        problem(
                            entry,
                            f"field 'target.value': the target {goal_value:g} is in the wrong "
                            f"direction from the baseline {base:g} ({why} for "
                            f"{indicator.short_fi}); set a target {aim} than or equal to the baseline",
                        )
                    if target.target.year < start:
                        problem(
                            entry,
                            f"field 'target.year': {target.target.year} is before the council "
                            f"term {plan.term}",
                        )
                for measure in sub.measures:
                    register("measure", measure.id)
                    for position, party in enumerate(measure.responsible):
                        if (
                            party.municipality
                            and check_municipality(
                                f"measure {measure.id}",
                                f"responsible[{position}].municipality",
                                party.municipality,
                            )
                            and not party.name
                        ):
                            party.name = regions.municipalities[party.municipality].name_fi

    goal_ids = {goal.id for _, goal in plan.goals()}
    measure_ids = {m.id for *_, m in plan.measures()}
    agreement_keys: set[tuple[int, str]] = set()
    for agreement in plan.agreements:
        entry = f"agreement {agreement.year}/{agreement.municipality}"
        if (agreement.year, agreement.municipality) in agreement_keys:
            problem(entry, "duplicate agreement: one entry per municipality and year; merge them")
        agreement_keys.add((agreement.year, agreement.municipality))
        check_municipality(entry, "municipality", agreement.municipality)
        if not start <= agreement.year <= end:
            problem(
                entry, f"field 'year': {agreement.year} is outside the council term {plan.term}"
            )
        for goal_id in agreement.goals:
            if goal_id not in goal_ids:
                problem(
                    entry,
                    f"field 'goals': unknown goal id '{goal_id}'; use one of the plan's goal "
                    f"ids ({', '.join(sorted(goal_ids))})",
                )
        for measure_id in agreement.measures:
            if measure_id not in measure_ids:
                problem(entry, f"field 'measures': unknown measure id '{measure_id}'")
    partner_keys: set[tuple[int, str, str]] = set()
    for partner_agreement in plan.partner_agreements:
        partner = partner_agreement.partner
        entry = f"partner agreement {partner_agreement.year}/{partner.label()}"
        key = (partner_agreement.year, partner.type.value, partner.label())
        if key in partner_keys:
            problem(entry, "duplicate agreement: one entry per partner and year; merge them")
        partner_keys.add(key)
        if not start <= partner_agreement.year <= end:
            problem(
                entry,
                f"field 'year': {partner_agreement.year} is outside the council term {plan.term}",
            )
        for goal_id in partner_agreement.goals:
            if goal_id not in goal_ids:
                problem(
                    entry,
                    f"field 'goals': unknown goal id '{goal_id}'; use one of the plan's goal "
                    f"ids ({', '.join(sorted(goal_ids))})",
                )
        for measure_id in partner_agreement.measures:
            if measure_id not in measure_ids:
                problem(entry, f"field 'measures': unknown measure id '{measure_id}'")
    return problems


def _parse_plan(
    raw: Any, path: Path, catalog: Catalog, regions: Regions
) -> tuple[Plan | None, list[str]]:
    if not isinstance(raw, dict):
        return None, [
            (
                f"{path}: expected a mapping with 'title', 'county', 'term', 'focus_areas' and "
                "'agreements'."
            )
        ]
    try:
        plan = Plan(**raw)
    except ValidationError as exc:
        return None, _describe(exc, raw, path)
    problems = check_plan(plan, path, catalog, regions)
    plan._source, plan._catalog, plan._regions = path, catalog, regions
    return plan, problems


def plan_problems(path: Path, catalog: Catalog, regions: Regions) -> tuple[Plan | None, list[str]]:
    """Every problem of the plan file (for `hyte plan-check`), and the plan when it has none."""
    path = Path(path)
    plan, problems = _parse_plan(read_yaml(path), path, catalog, regions)
    return (None if problems else plan), problems


def load_plan(path: Path, catalog: Catalog, regions: Regions) -> Plan:
    """Read and validate the plan; the first problem is raised as one HyteError line."""
    path = Path(path)
    plan, problems = _parse_plan(read_yaml(path), path, catalog, regions)
    _raise_first(problems, "; `hyte plan-check` lists them all")
    assert plan is not None
    return plan


def plan_from_context(ctx) -> Plan:
    """The plan named by the configuration of a :class:`hyte.context.Context`; a plan of another
    county than the configured one is an error (hyte.plan.consistency)."""
    from hyte.plan.consistency import check_plan_county

    check_plan_county(ctx.config)
    return load_plan(ctx.config.plan_path, ctx.catalog, ctx.regions)


def eva_path(plan_path: Path) -> Path:
    """The EVA file beside the plan file: ``data/plan/eva.yml``."""
    return Path(plan_path).parent / "eva.yml"


# --------------------------------------------------------------------------------------------------
# Follow-up


@dataclass
class TargetFollowUp:
    """The follow-up of one indicator target."""

    focus_area_id: str
    goal_id: str
    goal_title: str
    sub_goal_id: str
    kind: SubGoalKind
    indicator: int
    label: str
    unit: str
    decimals: int
    direction: Direction
    baseline_year: int
    baseline_value: float
    target_year: int
    target_value: float
    latest_year: int | None
    latest_value: float | None
    status: Status
    progress: float | None  # share of the way from baseline to target (1.0 = reached)
    expected_progress: float | None  # share of the time elapsed at the latest year (linear path)

    @property
    def key(self) -> str:
        return f"{self.sub_goal_id}/{self.indicator}"


def target_status(
    direction: Direction,
    baseline: tuple[int, float],
    target: tuple[int, float],
    latest: tuple[int, float] | None,
    decimals: int = 1,
) -> tuple[Status, float | None, float | None]:
    """Status, progress and expected progress of one target (rules in the module docstring).

    ``baseline``, ``target`` and ``latest`` are (year, value); ``latest`` is None without new data.
    """
    if latest is None:
        return Status.no_data, None, None
    (base_year, base), (goal_year, goal), (year, value) = baseline, target, latest
    rounded = round(value, decimals)
    goal_r, base_r = round(goal, decimals), round(base, decimals)
    expected = min(max((year - base_year) / (goal_year - base_year), 0.0), 1.0)
    progress = None if goal_r == base_r else (rounded - base_r) / (goal_r - base_r) + 0.0  # no -0.0
    reached = rounded >= goal_r if direction is Direction.increase else rounded <= goal_r
    if reached:
        return Status.met, progress, expected
    if progress is not None and progress + 1e-9 >= expected:
        return Status.on_track, progress, expected
    return Status.off_track, progress, expected


@dataclass
class FollowUp:
    """The follow-up of every target of a plan against one snapshot table."""

    plan: Plan
    region_id: int
    region_name: str
    entries: list[TargetFollowUp] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        """One row per target, with the status key and its Finnish label."""
        rows = []
        for e in self.entries:
            row = {k: getattr(e, k) for k in e.__dataclass_fields__}
            row["kind"] = e.kind.value
            row["direction"] = e.direction.value
            row["status"] = e.status.value
            row["status_fi"] = e.status.label_fi
            rows.append(row)
        columns = [*TargetFollowUp.__dataclass_fields__, "status_fi"]
        return pd.DataFrame(rows, columns=columns)

    def counts(self) -> dict[Status, int]:
        return {s: sum(1 for e in self.entries if e.status is s) for s in STATUS_ORDER}

    def _summary(self, keys: list[tuple[str, str]], key_of) -> pd.DataFrame:
        rows = []
        for key, label in keys:
            chosen = [e for e in self.entries if key_of(e) == key]
            row = {"key": key, "label": label, "indicators": len(chosen)}
            for status in STATUS_ORDER:
                row[status.value] = sum(1 for e in chosen if e.status is status)
            progress = [min(e.progress, 1.0) for e in chosen if e.progress is not None]
            row["mean_progress"] = sum(progress) / len(progress) if progress else math.nan
            rows.append(row)
        columns = ["key", "label", "indicators", *(s.value for s in STATUS_ORDER), "mean_progress"]
        return pd.DataFrame(rows, columns=columns)

    def by_goal(self) -> pd.DataFrame:
        """Counts of statuses per goal (plan order), with the mean progress (capped at 100 %)."""
        keys = [(goal.id, goal.title) for _, goal in self.plan.goals()]
        return self._summary(keys, lambda e: e.goal_id)

    def by_kind(self) -> pd.DataFrame:
        """Counts of statuses per sub-goal kind (the five kinds in their fixed order)."""
        keys = [(kind.value, kind.label_fi) for kind in SubGoalKind]
        return self._summary(keys, lambda e: e.kind.value)


def latest_value(
    table: pd.DataFrame, indicator: int, region_id: int, after_year: int, sex: str = "total"
) -> tuple[int, float] | None:
    """The latest (year, value) after ``after_year`` with a value, or None."""
    rows = table[
        (table["indicator"] == indicator)
        & (table["region_id"] == region_id)
        & (table["sex"] == sex)
        & (table["year"] > after_year)
        & table["value"].notna()
    ]
    if rows.empty:
        return None
    row = rows.loc[rows["year"].idxmax()]
    return int(row["year"]), float(row["value"])


def value_in_year(
    table: pd.DataFrame, indicator: int, region_id: int, year: int, sex: str = "total"
) -> float | None:
    rows = table[
        (table["indicator"] == indicator)
        & (table["region_id"] == region_id)
        & (table["sex"] == sex)
        & (table["year"] == year)
        & table["value"].notna()
    ]
    return None if rows.empty else float(rows["value"].iloc[0])


def follow_up(
    plan: Plan, table: pd.DataFrame, *, region_id: int | None = None, sex: str = "total"
) -> FollowUp:
    """Each target's status from the tidy table (default region: the plan's county)."""
    county = plan.regions.county(plan.county)
    region_id = county.sotkanet_id if region_id is None else int(region_id)
    ref = plan.regions.by_sotkanet_id(region_id)
    result = FollowUp(plan, region_id, ref.name_fi if ref else str(region_id))
    for area, goal, sub, target in plan.targets():
        indicator = plan.catalog.get(target.indicator)
        latest = latest_value(table, target.indicator, region_id, target.baseline.year, sex)
        direction = (
            target.direction or _effective_direction(target, indicator)[0] or Direction.decrease
        )
        status, progress, expected = target_status(
            direction,
            (target.baseline.year, target.baseline.value),
            (target.target.year, target.target.value),
            latest,
            indicator.decimals,
        )
        result.entries.append(
            TargetFollowUp(
                focus_area_id=area.id,
                goal_id=goal.id,
                goal_title=goal.title,
                sub_goal_id=sub.id,
                kind=sub.kind,
                indicator=indicator.id,
                label=indicator.short_fi,
                unit=indicator.unit_fi,
                decimals=indicator.decimals,
                direction=direction,
                baseline_year=target.baseline.year,
                baseline_value=target.baseline.value,
                target_year=target.target.year,
                target_value=target.target.value,
                latest_year=latest[0] if latest else None,
                latest_value=latest[1] if latest else None,
                status=status,
                progress=progress,
                expected_progress=expected,
            )
        )
    return result


# --------------------------------------------------------------------------------------------------
# A municipality's view of its agreed goals


class Change(str, Enum):
    better = "better"
    worse = "worse"
    same = "same"
    unknown = "unknown"

    @property
    def label_fi(self) -> str:
        return {
            "better": "parantunut",
            "worse": "heikentynyt",
            "same": "ennallaan",
            "unknown": "ei vertailutietoa",
        }[self.value]


@dataclass
class MunicipalIndicator:
    """One indicator of a goal the municipality agreed to, with the municipality's own values."""

    goal_id: str
    sub_goal_id: str
    indicator: int
    label: str
    unit: str
    decimals: int
    direction: Direction
    baseline_year: int
    baseline_value: float | None
    latest_year: int | None
    latest_value: float | None
    change: Change
    county_target_year: int
    county_target_value: float


def municipal_indicators(
    plan: Plan, table: pd.DataFrame, municipality_code: str, sex: str = "total"
) -> list[MunicipalIndicator]:
    """The indicators of the goals the municipality agreed to, with its own value in the baseline year,
    its latest value after that and whether it changed for the better (the target is the county's)."""
    municipality = plan.regions.municipality(municipality_code)
    agreed = set(plan.agreed_goal_ids(municipality.code))
    out = []
    for _, goal, sub, target in plan.targets():
        if goal.id not in agreed:
            continue
        indicator = plan.catalog.get(target.indicator)
        direction = target.direction or Direction.decrease
        base = value_in_year(
            table, target.indicator, municipality.sotkanet_id, target.baseline.year, sex
        )
        latest = latest_value(
            table, target.indicator, municipality.sotkanet_id, target.baseline.year, sex
        )
        change = Change.unknown
        if base is not None and latest is not None:
            delta = round(latest[1], indicator.decimals) - round(base, indicator.decimals)
            if delta == 0:
                change = Change.same
            else:
                good = delta > 0 if direction is Direction.increase else delta < 0
                change = Change.better if good else Change.worse
        out.append(
            MunicipalIndicator(
                goal_id=goal.id,
                sub_goal_id=sub.id,
                indicator=indicator.id,
                label=indicator.short_fi,
                unit=indicator.unit_fi,
                decimals=indicator.decimals,
                direction=direction,
                baseline_year=target.baseline.year,
                baseline_value=base,
                latest_year=latest[0] if latest else None,
                latest_value=latest[1] if latest else None,
                change=change,
                county_target_year=target.target.year,
                county_target_value=target.target.value,
            )
        )
    return out


# --------------------------------------------------------------------------------------------------
# Baselines from the snapshot


@dataclass
class BaselineUpdate:
    sub_goal_id: str
    indicator: int
    year: int
    old_value: float
    new_value: float | None  # None: the snapshot has no value for the baseline year
    decimals: int

    @property
    def changed(self) -> bool:
        return self.new_value is not None and round(self.new_value, self.decimals) != round(
            self.old_value, self.decimals
        )


def baseline_updates(
    plan: Plan, table: pd.DataFrame, *, region_id: int | None = None, sex: str = "total"
) -> list[BaselineUpdate]:
    """The county's value in each target's baseline year from the table (rounded to the catalog's
    decimals), beside the value now in the plan."""
    region_id = plan.regions.county(plan.county).sotkanet_id if region_id is None else region_id
    updates = []
    for _, _, sub, target in plan.targets():
        indicator = plan.catalog.get(target.indicator)
        value = value_in_year(table, target.indicator, region_id, target.baseline.year, sex)
        updates.append(
            BaselineUpdate(
                sub.id,
                target.indicator,
                target.baseline.year,
                target.baseline.value,
                None if value is None else round(value, indicator.decimals),
                indicator.decimals,
            )
        )
    return updates


_INDICATOR_LINE = re.compile(r"^\s*(?:-\s+)?indicator:\s*(\d+)\s*(?:#.*)?$")
_BASELINE_LINE = re.compile(
    r"^(?P<head>\s*baseline:\s*\{\s*year:\s*(?P<year>\d{4})\s*,\s*value:\s*)(?P<value>[^,}\s]+)(?P<tail>\s*\}.*)$"
)


def write_baselines(plan: Plan, updates: list[BaselineUpdate]) -> int:
    """Write the changed baseline values into the plan file, keeping its comments and layout.

    Needs each target written as ``- indicator: N`` followed by ``baseline: {year: Y, value: V}`` on
    one line. The result is validated before it replaces the file. Returns the number of changes.
    """
    from hyte.data.snapshot import write_text_atomic

    path = plan.source
    if path is None:
        raise HyteError("write_baselines needs a plan loaded from a file (load_plan).")
    lines = Path(path).read_text(encoding="utf-8").split("\n")
    targets = list(plan.targets())
    if len(updates) != len(targets):
        raise HyteError(
            f"{path}: {len(updates)} baseline updates for {len(targets)} targets; "
            "compute them with baseline_updates() on this plan."
        )
    position = -1
    changed = 0
    for number, line in enumerate(lines):
        found = _INDICATOR_LINE.match(line)
        if found:
            position += 1
            if position >= len(targets) or int(found[1]) != targets[position][3].indicator:
                raise HyteError(
                    f"{path}: line {number + 1}: 'indicator:' lines do not follow the plan's "
                    "targets; write each as '- indicator: N' in its sub-goal."
                )
            continue
        base = _BASELINE_LINE.match(line)
        if base and position >= 0:
            update = updates[position]
            if update.changed:
                text = f"{update.new_value:.{update.decimals}f}"
                lines[number] = f"{base['head']}{text}{base['tail']}"
                changed += 1
    if position + 1 != len(targets):
        raise HyteError(
            f"{path}: found {position + 1} 'indicator:' lines for {len(targets)} targets; "
            "write each target as '- indicator: N' on its own line."
        )
    if not changed:
        return 0
    text = "\n".join(lines)

    new_plan, problems = _parse_plan(
        loads_yaml(text, Path(path)), Path(path), plan.catalog, plan.regions
    )
    _raise_first(problems, note=" (the plan file was not changed)")
    assert new_plan is not None
    for update, (_, _, _, target) in zip(updates, new_plan.targets()):
        expected = update.new_value if update.changed else update.old_value
        if round(target.baseline.value, update.decimals) != round(expected, update.decimals):
            raise HyteError(
                f"{path}: sub-goal {update.sub_goal_id}, indicator {update.indicator}: write "
                "'baseline: {year: Y, value: V}' on one line so the value can be updated; "
                "the plan file was not changed."
            )
    write_text_atomic(Path(path), text)
    return changed


# --------------------------------------------------------------------------------------------------
# EVA: ex-ante impact assessment


class Alternative(_Model):
    id: Id
    title: Text
    description: str | None = None


class Assessment(_Model):
    rating: Rating
    text: Text


class Impact(_Model):
    kind: ImpactKind
    title: str | None = Field(None, description="Overrides the standard row title")
    assessments: dict[Id, Assessment]

    @property
    def label_fi(self) -> str:
        return self.title or self.kind.label_fi


class Eva(_Model):
    """The EVA table: one row per impact kind, one column per decision alternative."""

    title: Text
    term: str
    prepared: str | None = Field(None, description="Who assessed, when, with what material")
    alternatives: list[Alternative] = Field(min_length=2)
    impacts: list[Impact]
    conclusion: str | None = None
    recommended: Id | None = None

    _source: Path | None = PrivateAttr(None)

    @property
    def source(self) -> Path | None:
        return self._source

    def alternative(self, alternative_id: str) -> Alternative:
        return next(a for a in self.alternatives if a.id == alternative_id)

    def ordered_impacts(self) -> list[Impact]:
        order = list(ImpactKind)
        return sorted(self.impacts, key=lambda i: order.index(i.kind))


def check_eva(eva: Eva, path: Path, plan: Plan | None = None) -> list[str]:
    problems = []
    ids = [a.id for a in eva.alternatives]
    for alt_id in {i for i in ids if ids.count(i) > 1}:
        problems.append(f"{path}: alternative {alt_id}: field 'id': duplicate id")
    kinds = [i.kind for i in eva.impacts]
    for kind in ImpactKind:
        if kinds.count(kind) > 1:
            problems.append(f"{path}: impact {kind.value}: duplicate impact row; keep one per kind")
        if kinds.count(kind) == 0:
            problems.append(
                f"{path}: impacts: missing impact row '{kind.value}' ({kind.label_fi}); every "
                f"kind needs a row: {', '.join(k.value for k in ImpactKind)}"
            )
    for impact in eva.impacts:
        for alt_id in impact.assessments:
            if alt_id not in ids:
                problems.append(
                    f"{path}: impact {impact.kind.value}: field 'assessments.{alt_id}': unknown "
                    f"alternative '{alt_id}'; use one of {', '.join(ids)}"
                )
        for alt_id in ids:
            if alt_id not in impact.assessments:
                problems.append(
                    f"{path}: impact {impact.kind.value}: field 'assessments': alternative "
                    f"'{alt_id}' is not assessed; add 'assessments.{alt_id}: {{rating, text}}'"
                )
    if eva.recommended is not None and eva.recommended not in ids:
        problems.append(f"{path}: field 'recommended': unknown alternative '{eva.recommended}'")
    if plan is not None and eva.term != plan.term:
        problems.append(f"{path}: field 'term': '{eva.term}' is not the plan's term {plan.term}")
    return problems


def eva_problems(path: Path, plan: Plan | None = None) -> tuple[Eva | None, list[str]]:
    path = Path(path)
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        return None, [
            f"{path}: expected a mapping with 'title', 'term', 'alternatives' and 'impacts'."
        ]
    try:
        eva = Eva(**raw)
    except ValidationError as exc:
        return None, _describe(exc, raw, path)
    eva._source = path
    problems = check_eva(eva, path, plan)
    return (None if problems else eva), problems


def load_eva(path: Path, plan: Plan | None = None) -> Eva:
    """Read and validate ``eva.yml`` (and that its term is the plan's, when a plan is given)."""
    eva, problems = eva_problems(path, plan)
    _raise_first(problems)
    assert eva is not None
    return eva
