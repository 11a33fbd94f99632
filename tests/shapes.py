"""Snapshots with the shapes real Sotkanet downloads have, made by transforming the demo table (or
by importing the real fixtures), each inside a throw-away project folder (for tests).

    from shapes import SHAPES, make_project
    root = make_project(tmp_path, "municipalities_only")

A project folder has its own ``hyte.yml`` (county, snapshot) and links to the checkout's catalog,
reference data, plan, chapters and notebook, so that cards and chapters run on it as on the real one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "fixtures"
DEMO = ROOT / "data" / "demo"
LINKED = [
    "data/reference",
    "data/indicators.yml",
    "data/labels.yml",
    "data/hyte_kerroin.yml",
    "data/plan",
    "report",
    "notebooks",
    "index.qmd",
    "_quarto.yml",
    "styles",
]
#: The catalog's measurement frequencies used by the 'gappy' shape (id -> step in years).
BIENNIAL_IDS = (1514, 3906)  # school health survey, grades 8–9
FOUR_YEARLY_IDS = (181,)  # drawn every fourth year, like an election indicator


#: Municipalities kept in the transformed shapes (smallest, largest and four others), so that the
#: chapters' 'every municipality' tables stay quick; the others have no rows (named as missing).
KEPT_MUNICIPALITIES = ("435", "179", "077", "592", "892", "992")


def demo_table(trim: bool = True) -> pd.DataFrame:
    table = pd.read_parquet(DEMO / "data.parquet")
    if trim:
        table = table[
            (table["region_level"] != "municipality")
            | table["region_code"].isin(KEPT_MUNICIPALITIES)
        ]
    return table


def _municipalities_only(t: pd.DataFrame) -> pd.DataFrame:
    return t[t["region_level"] == "municipality"]


def _no_counts(t: pd.DataFrame) -> pd.DataFrame:
    return t.assign(count=np.nan)


def _no_sex(t: pd.DataFrame) -> pd.DataFrame:
    return t[t["sex"] == "total"]


def _gappy(t: pd.DataFrame) -> pd.DataFrame:
    """Series end in different years, some years are suppressed (no value) or missing, two
    indicators are biennial and one 4-yearly."""
    last = int(t["year"].max())
    ids = sorted(t["indicator"].unique())
    keep = pd.Series(True, index=t.index)
    for n, indicator in enumerate(ids):
        rows = t["indicator"] == indicator
        keep &= ~(rows & (t["year"] > last - n % 5))  # ends 0–4 years before the latest year
        if indicator in BIENNIAL_IDS:
            keep &= ~(rows & (t["year"] % 2 == 1))
        if indicator in FOUR_YEARLY_IDS:
            keep &= ~(rows & (t["year"] % 4 != 1))
        if n % 3 == 0:
            keep &= ~(rows & (t["year"] == last - 3))  # a missing year
    out = t[keep].copy()
    hole = (out["year"] == last - 6) & (out["indicator"].isin(ids[::4]))
    out.loc[hole, ["value", "count"]] = np.nan  # suppressed years: rows without a value
    return out


def _few_indicators(t: pd.DataFrame) -> pd.DataFrame:
    """9 of the catalog's 54 indicators (17 %), as in the snapshot the issue was found with."""
    return t[t["indicator"].isin([127, 181, 189, 5, 234, 699, 1570, 683, 3906])]


def _no_kerroin_score(t: pd.DataFrame) -> pd.DataFrame:
    """County rows exist but none of the HYTE-kerroin's indicators has a county value."""
    from hyte.data.catalog import load_catalog

    catalog = load_catalog(ROOT / "data" / "indicators.yml")
    kerroin = [i.id for i in catalog if i.hyte_kerroin.value != "none"]
    return t[~((t["region_level"] == "county") & t["indicator"].isin(kerroin))]


def _issue_shape(t: pd.DataFrame) -> pd.DataFrame:
    """All of the issue's snapshot at once: municipalities only, no counts, no women/men, 9 indicators,
    series ending in different years with suppressed years between, a 4-yearly indicator."""
    return _few_indicators(_gappy(_no_counts(_no_sex(_municipalities_only(t)))))


TRANSFORMS: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
    "municipalities_only": _municipalities_only,
    "no_counts": _no_counts,
    "no_sex": _no_sex,
    "gappy": _gappy,
    "few_indicators": _few_indicators,
    "no_kerroin_score": _no_kerroin_score,
    "issue": _issue_shape,
}
#: Shapes made by importing real fixtures (county 20 Kainuu; old county ids).
IMPORTED = ("kainuu", "old_county_ids")
SHAPES = (*TRANSFORMS, *IMPORTED)


def _link(root: Path) -> None:
    for relative in LINKED:
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(ROOT / relative)


def _write_config(root: Path, county: str, snapshot: str) -> None:
    (root / "hyte.yml").write_text(
        f'county: "{county}"\nsnapshot: "{snapshot}"\n', encoding="utf-8"
    )


def write_snapshot(root: Path, name: str, table: pd.DataFrame, *, synthetic: bool = True) -> Path:
    """A snapshot folder data/snapshots/<name> holding ``table`` (a manifest like the demo's)."""
    from hyte.data.snapshot import SnapshotBuilder

    builder = SnapshotBuilder(
        root / "data" / "snapshots" / name, source="test-shape", synthetic=synthetic, resume=False
    )
    manifest = json.loads((DEMO / "manifest.json").read_text(encoding="utf-8"))
    builder.indicators.update(
        {
            k: v
            for k, v in manifest.get("indicators", {}).items()
            if int(k) in set(table["indicator"])
        }
    )
    builder.set_table(table.reset_index(drop=True))
    builder.finish(name)
    return root / "data" / "snapshots" / name


def _old_ids_file(folder: Path) -> Path:
    """The real all-counties 683 file with every county's current Sotkanet id replaced by its old one."""
    from hyte.data.regions import load_regions

    regions = load_regions(ROOT / "data" / "reference")
    old = {c.sotkanet_id: c.sotkanet_id_old for c in regions.counties.values() if c.sotkanet_id_old}
    frame = pd.read_csv(FIXTURES / "sotkanet_683_hyvinvointialueet_2005_2023.csv")
    frame["region"] = frame["region"].map(lambda r: old.get(int(r), r))
    path = folder / "sotkanet_683_old_ids.csv"
    frame.to_csv(path, index=False)
    return path


def make_project(tmp: Path, shape: str) -> Path:
    """A project folder whose hyte.yml uses a snapshot of ``shape`` (one of :data:`SHAPES`)."""
    root = Path(tmp) / shape
    root.mkdir(parents=True)
    _link(root)
    county = "15"
    if shape in TRANSFORMS:
        write_snapshot(root, shape, TRANSFORMS[shape](demo_table()))
    else:
        from hyte.data.importer import import_files

        if shape == "kainuu":
            county = "20"
            files = [
                FIXTURES / "sotkanet_683_kainuu_2015_2023.csv",
                FIXTURES / "sotkanet_683_hyvinvointialueet_2005_2023.csv",
            ]
        elif shape == "old_county_ids":
            county = "20"
            files = [FIXTURES / "sotkanet_683_kainuu_2015_2023.csv", _old_ids_file(root)]
        else:  # pragma: no cover
            raise ValueError(shape)
        import_files(files, snapshot_id=shape, root=root)
    _write_config(root, county, shape)
    return root
