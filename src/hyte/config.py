"""The project configuration, ``hyte.yml`` at the project root: county, term, year, data, outputs."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hyte.errors import HyteError
from hyte.paths import CONFIG_NAME, project_root
from hyte.yamlio import describe_validation_error, read_yaml


class Outputs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cards: str = "municipal_cards"
    site: str = "_book"


class Config(BaseModel):
    """Validated ``hyte.yml``. Paths are relative to the project root."""

    model_config = ConfigDict(extra="forbid")

    county: str = Field(
        "15",
        description="Wellbeing services county code (01–21, 90, 91), or "
        "'all': every municipality of the country (cards only)",
    )
    council_term: str = Field("2026-2029", description="Council term, 'YYYY-YYYY'")
    reporting_year: int = Field(2026, ge=2023, le=2100)
    snapshot: str = Field("demo", description="'demo', a folder under data/snapshots/, or a path")
    catalog: str = "data/indicators.yml"
    plan: str | None = Field(None, description="Plan file; default data/plan/<council_term>.yml")
    hyte_kerroin: str = "data/hyte_kerroin.yml"
    outputs: Outputs = Outputs()
    root: Path = Field(default_factory=project_root, exclude=True)

    @field_validator("county", mode="before")
    @classmethod
    def _county_code(cls, value: object) -> str:
        text = str(value).strip()
        if text.lower() == "all":
            return "all"
        if not text.isdigit() or len(text) > 2:
            raise ValueError(
                "a county code is 1–2 digits, e.g. 15 for Keski-Suomi, or 'all' for "
                "every municipality of the country"
            )
        return text.zfill(2)

    @field_validator("council_term")
    @classmethod
    def _term(cls, value: str) -> str:
        match = re.fullmatch(r"(\d{4})-(\d{4})", value.strip())
        if not match or int(match[2]) - int(match[1]) != 3:
            raise ValueError("a council term is four years written 'YYYY-YYYY', e.g. 2026-2029")
        return value.strip()

    @property
    def term_years(self) -> tuple[int, int]:
        start, end = self.council_term.split("-")
        return int(start), int(end)

    def path(self, relative: str | Path) -> Path:
        """A configured path resolved against the project root."""
        candidate = Path(relative)
        return candidate if candidate.is_absolute() else self.root / candidate

    @property
    def catalog_path(self) -> Path:
        return self.path(self.catalog)

    @property
    def plan_path(self) -> Path:
        return self.path(self.plan or f"data/plan/{self.council_term}.yml")

    @property
    def hyte_kerroin_path(self) -> Path:
        return self.path(self.hyte_kerroin)

    @property
    def cards_dir(self) -> Path:
        return self.path(self.outputs.cards)

    @property
    def snapshot_path(self) -> Path:
        """The snapshot folder the configuration names."""
        from hyte.data.snapshot import resolve_snapshot_path

        return resolve_snapshot_path(self.snapshot, self.root)


def load_config(path: Path | None = None, root: Path | None = None) -> Config:
    """Read and validate ``hyte.yml``; defaults apply when the project has no ``hyte.yml``. A file
    named with ``path`` (``-c``) must exist; the county must be in the reference data and the outputs
    must stay inside the project."""
    root = Path(root) if root else project_root()
    explicit = path is not None
    path = Path(path) if path else root / CONFIG_NAME
    if explicit and not path.exists():
        raise HyteError(f"{path}: config file not found: check the path given with -c/--config.")
    raw = read_yaml(path) if explicit or path.exists() else {}
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise HyteError(f"{path}: expected 'key: value' settings, found {type(raw).__name__}.")
    try:
        config = Config(**raw, root=root)
    except ValidationError as exc:
        raise HyteError(describe_validation_error(exc, path)) from None
    _check_county(config, path)
    _check_outputs(config, path)
    return config


def _check_county(config: Config, path: Path) -> None:
    """The county code must be one of the reference data's counties (where the project has them)."""
    reference = config.root / "data" / "reference"
    if config.county == "all" or not (reference / "counties.csv").is_file():
        return
    from hyte.data.regions import load_regions

    try:
        load_regions(reference).county(config.county)
    except HyteError as exc:
        raise HyteError(f"{path}: field 'county': {exc}") from None


def _check_outputs(config: Config, path: Path) -> None:
    """Cards and the site are written (and cleaned) under their folders: keep them inside the project."""
    root = config.root.resolve()
    for name in ("cards", "site"):
        value = getattr(config.outputs, name)
        target = config.path(value).resolve()
        if target == root or not target.is_relative_to(root):
            raise HyteError(
                f"{path}: field 'outputs.{name}': '{value}' is not a folder inside the "
                f"project ({root}): name a subfolder such as 'municipal_cards'."
            )
