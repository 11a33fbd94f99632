"""Everything a card or a chapter needs, loaded once: config, snapshot, table, catalog, regions."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from hyte.config import Config, load_config
from hyte.data.catalog import Catalog, load_catalog
from hyte.data.regions import COUNTRY_SOTKANET_ID, County, Municipality, Regions, load_regions
from hyte.data.snapshot import Snapshot, open_snapshot


@dataclass
class Context:
    """The loaded inputs of one run. Build with :func:`load_context`."""

    config: Config
    snapshot: Snapshot
    catalog: Catalog
    regions: Regions

    @cached_property
    def table(self) -> pd.DataFrame:
        """The snapshot's rows, with the values imported from outside Sotkanet (hyte.data.local) beside
        them (where both have a value for the same key, the snapshot's is kept)."""
        from hyte.data.local import combine, tidy_local

        return combine(
            self.snapshot.table(), tidy_local(self.local_values, self.catalog, self.regions)
        )

    @cached_property
    def local_values(self) -> pd.DataFrame:
        """The values imported with `hyte import --local`, with their provenance (hyte.data.local)."""
        from hyte.data.local import read_values

        return read_values(self.config.root)

    @property
    def county(self) -> County:
        return self.regions.county(self.config.county)

    @property
    def municipalities(self) -> list[Municipality]:
        return self.regions.county_municipalities(self.config.county)

    @property
    def country_id(self) -> int:
        return COUNTRY_SOTKANET_ID

    @property
    def synthetic(self) -> bool:
        return self.snapshot.synthetic


_CACHE: dict[tuple, Context] = {}


def load_context(
    config: Config | None = None,
    *,
    config_path: Path | None = None,
    snapshot: str | Path | None = None,
    county: str | None = None,
) -> Context:
    """Load (and cache per process) the inputs named by ``hyte.yml``, optionally overriding
    the snapshot and the county."""
    config = config or load_config(config_path)
    updates = {}
    if snapshot is not None:
        updates["snapshot"] = str(snapshot)
    if county is not None:
        updates["county"] = str(county).zfill(2)
    if updates:
        config = config.model_copy(update=updates)
    key = (str(config.root), config.snapshot, config.county, config.catalog)
    if key not in _CACHE:
        regions = load_regions(config.root / "data" / "reference")
        regions.county(config.county)  # fail early on an unknown county
        _CACHE[key] = Context(
            config=config,
            snapshot=open_snapshot(config.snapshot_path),
            catalog=_with_local_catalog(load_catalog(config.catalog_path), config.root),
            regions=regions,
        )
    return _CACHE[key]


def _with_local_catalog(catalog: Catalog, root: Path) -> Catalog:
    """The catalog with the entries of ``data/local/indicators.yml`` when that file exists."""
    from hyte.data.local import load_local_catalog, local_dir, with_local

    path = local_dir(root) / "indicators.yml"
    return with_local(catalog, load_local_catalog(path, catalog)) if path.is_file() else catalog
