"""Everything a card or a chapter needs, loaded once: config, snapshot, table, catalog, regions."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
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

    @cached_property
    def _positions_by_region(self) -> dict[int, np.ndarray]:
        # Row positions, not copies: the whole country's table is large enough that a second copy
        # in every kernel would count against the run's memory.
        return {int(k): v for k, v in self.table.groupby("region_id", sort=False).indices.items()}

    @cached_property
    def latest_years(self) -> pd.Series:
        """Each indicator's latest year in the table (any region, any sex)."""
        return self.table.groupby("indicator")["year"].max()

    def region_rows(self, region_ids) -> pd.DataFrame:
        """The table's rows of these regions (in table order within each region), from one grouping
        of the table per context: a card reads its municipality, county and country many times, and
        a scan of the whole table (the whole country: over a million rows) each time was most of
        the work."""
        positions = [
            self._positions_by_region[int(r)]
            for r in region_ids
            if int(r) in self._positions_by_region
        ]
        if not positions:
            return self.table.iloc[0:0]
        return self.table.take(np.concatenate(positions))

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
#: Contexts kept across the notebooks a warm kernel runs (hyte.run.kernels empties ``_CACHE`` between
#: them); each is reused only while the stamps of its input files are unchanged.
_KEPT: dict[tuple, tuple[tuple, Context]] = {}


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
        stamp = input_stamp(config)
        kept = _KEPT.get(key)
        if kept is not None and kept[0] == stamp and kept[1].config == config:
            _CACHE[key] = kept[1]
            return kept[1]
        other = _same_inputs_other_county(config, stamp)
        if other is not None:  # `county: all`: the next county of the same table
            _CACHE[key] = other
            _KEPT.clear()
            _KEPT[key] = (stamp, other)
            return other
        regions = load_regions(config.root / "data" / "reference")
        regions.county(config.county)  # fail early on an unknown county
        _CACHE[key] = Context(
            config=config,
            snapshot=open_snapshot(config.snapshot_path),
            catalog=_with_local_catalog(load_catalog(config.catalog_path), config.root),
            regions=regions,
        )
        _KEPT.clear()  # one kept context per process is enough (a run has one configuration)
        _KEPT[key] = (stamp, _CACHE[key])
    return _CACHE[key]


def _same_inputs_other_county(config: Config, stamp: tuple) -> Context | None:
    """A context for ``config``'s county that shares the kept context's table (and its grouping)
    when only the county differs: the whole country's cards change county 21 times per kernel, and
    reading the table again each time doubled the kernel's memory for a moment."""
    for kept_stamp, kept in _KEPT.values():
        if (
            kept_stamp != stamp
            or kept.config.model_copy(update={"county": config.county}) != config
        ):
            continue
        kept.regions.county(config.county)  # fail early on an unknown county
        context = Context(
            config=config, snapshot=kept.snapshot, catalog=kept.catalog, regions=kept.regions
        )
        for name in ("table", "local_values", "_positions_by_region", "latest_years"):
            if name in kept.__dict__:  # computed cached properties: the same for every county
                context.__dict__[name] = kept.__dict__[name]
        return context
    return None


def input_stamp(config: Config) -> tuple:
    """(path, size, modification time) of every file a context is loaded from: the snapshot folder,
    the catalog, data/local and data/reference. Equal stamps: the same inputs."""
    from hyte.data.local import local_dir

    def files(path: Path) -> list[Path]:
        if path.is_file():
            return [path]
        if path.is_dir():
            return sorted(p for p in path.rglob("*") if p.is_file())
        return []

    stamps = []
    for path in (
        config.snapshot_path,
        config.catalog_path,
        local_dir(config.root),
        config.root / "data" / "reference",
    ):
        for file in files(Path(path)):
            stat = file.stat()
            stamps.append((str(file), stat.st_size, stat.st_mtime_ns))
    return tuple(stamps)


def _with_local_catalog(catalog: Catalog, root: Path) -> Catalog:
    """The catalog with the entries of ``data/local/indicators.yml`` when that file exists."""
    from hyte.data.local import load_local_catalog, local_dir, with_local

    path = local_dir(root) / "indicators.yml"
    return with_local(catalog, load_local_catalog(path, catalog)) if path.is_file() else catalog
