"""County-wide results computed once per snapshot and configuration, shared by every card and chapter.

Every card and several chapters need the same county-wide numbers: the per-indicator summary of every
municipality of the county (:func:`hyte.stats.summary.indicator_summary`: values, CIs, the comparisons
with the county and the country, trends, ranks), the county's own summary for all, women and men,
every municipality's women/men values (the card's ``sex_data``), the snapshot's fitness for the
county (:func:`hyte.data.fitness.assess`) and the HYTE-kerroin (:func:`hyte.kerroin.model.for_context`).
They are computed once and kept on disk, in the project's ignored cache folder::

    .hyte-cache/shared/<county>-<key>/
        municipal.parquet          every municipality × indicator (Chapter.municipal)
        county.parquet             the county's summary, sex total / male / female
        sex.parquet                every municipality's women/men values
        fitness.json               the snapshot's fitness for the county
        kerroin.json, kerroin-*.parquet   the HYTE-kerroin (a KerroinRun)

The key (:func:`shared_key`) is the sha256 of everything the computation reads: the snapshot's manifest
and table, the catalog and the local catalog, the local values, ``data/labels.yml``, the reference
files, the HYTE-kerroin settings, the county, the reporting year, the language, hyte's source files
and the versions of pandas, numpy and pyarrow. Any change gives a new folder; old folders are left
for ``rm -r .hyte-cache``.

``hyte cards`` computes everything in the parent process before the workers start
(:func:`ensure`), so the card kernels only read; otherwise the first card or chapter that needs a
part computes and writes it (:func:`for_context`). Files are written to a temporary file and renamed,
so two processes racing write the same bytes and a reader never sees half a file; a damaged or
unreadable file is recomputed with a one-line note on stderr.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hyte.card.sexes import SEX_MAX_AGE_YEARS, sex_differences

__all__ = [
    "CACHE_FOLDER",
    "SEX_MAX_AGE_YEARS",
    "SharedResults",
    "ensure",
    "for_context",
    "sex_frames",
    "shared_folder",
    "shared_key",
]

#: The cache folder, relative to the project root (ignored by git, see .gitignore).
CACHE_FOLDER = Path(".hyte-cache") / "shared"
#: Bump when the layout or the meaning of the cached files changes.
FORMAT = 1
_KINDS = ("municipal", "county", "sex", "fitness", "kerroin")
_SEXES = ("total", "male", "female")

#: How many times each part was computed in this process (tests count them).
COMPUTED: dict[str, int] = {kind: 0 for kind in _KINDS}


# --- the key ------------------------------------------------------------------------------------


def _file_sha(path: Path) -> str | None:
    path = Path(path)
    if not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _folder_shas(folder: Path) -> dict[str, str | None]:
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): _file_sha(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def _hyte_source_sha() -> str:
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if (
            path.is_file()
            and path.suffix in {".py", ".yml", ".yaml", ".json", ".csv"}
            and "__pycache__" not in path.parts
        ):
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def key_inputs(ctx, language: str = "fi") -> dict[str, Any]:
    """What the shared results are computed from (the payload of :func:`shared_key`)."""
    import pyarrow

    from hyte import __version__
    from hyte.data.snapshot import MANIFEST, TABLE
    from hyte.stats.summary import labels_path

    config = ctx.config
    snapshot = Path(ctx.snapshot.path)
    return {
        "format": FORMAT,
        "county": config.county,
        "reporting_year": config.reporting_year,
        "language": language,
        "files": {
            # the manifest holds the sha256 of every file of the snapshot; the table is what is read
            "snapshot_manifest": _file_sha(snapshot / MANIFEST),
            "snapshot_table": _file_sha(snapshot / TABLE),
            "catalog": _file_sha(config.catalog_path),
            "local": _folder_shas(config.root / "data" / "local"),
            "labels": _file_sha(labels_path(config.root)),
            "reference": _folder_shas(config.root / "data" / "reference"),
            "hyte_kerroin": _file_sha(config.hyte_kerroin_path),
        },
        "hyte_version": __version__,
        "hyte_source": _hyte_source_sha(),
        "versions": {
            "pandas": pd.__version__,
            "numpy": np.__version__,
            "pyarrow": pyarrow.__version__,
        },
    }


def shared_key(ctx, language: str = "fi") -> str:
    """The sha256 of :func:`key_inputs`: the shared results' cache key."""
    payload = json.dumps(key_inputs(ctx, language), sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def shared_folder(ctx, key: str | None = None) -> Path:
    """``<project>/.hyte-cache/shared/<county>-<key>``."""
    key = key or shared_key(ctx)
    return ctx.config.root / CACHE_FOLDER / f"{ctx.config.county}-{key[:24]}"


# --- women and men of every municipality at once -----------------------------------------------------


def sex_frames(
    table: pd.DataFrame, catalog, region_ids, language: str = "fi"
) -> dict[int, pd.DataFrame]:
    """:func:`hyte.card.card.sex_differences` of each region in ``region_ids``: the table grouped by
    region once, each indicator's latest year taken from the whole table once."""
    ids = [int(r) for r in region_ids]
    latest_years = table.groupby("indicator")["year"].max()
    positions = table.groupby("region_id", sort=False).indices
    empty = table.iloc[0:0]
    return {
        region_id: sex_differences(
            table.take(positions[region_id]) if region_id in positions else empty,
            catalog,
            region_id,
            language,
            latest_years=latest_years,
        )
        for region_id in ids
    }


# --- computing the parts -------------------------------------------------------------------------


def _summary(ctx, region_id: int, sex: str = "total", language: str = "fi") -> pd.DataFrame:
    from hyte.stats.summary import indicator_summary

    return indicator_summary(
        ctx.table,
        ctx.catalog,
        region_id,
        county_id=ctx.county.sotkanet_id,
        country_id=ctx.country_id,
        peer_ids=[m.sotkanet_id for m in ctx.municipalities],
        sex=sex,
        language=language,
    )


def _compute(ctx, kind: str, language: str):
    COMPUTED[kind] += 1
    if kind == "municipal":
        frames = []
        for order, municipality in enumerate(ctx.municipalities):
            frame = _summary(ctx, municipality.sotkanet_id, language=language)
            frame.insert(0, "order", order)
            frame.insert(0, "name", municipality.name_fi)
            frame.insert(0, "code", municipality.code)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if kind == "county":
        return {sex: _summary(ctx, ctx.county.sotkanet_id, sex, language) for sex in _SEXES}
    if kind == "sex":
        ids = [m.sotkanet_id for m in ctx.municipalities]
        return sex_frames(ctx.table, ctx.catalog, ids, language)
    if kind == "fitness":
        from hyte.data.fitness import assess

        return assess(ctx.table, ctx.catalog, ctx.county, ctx.regions)
    if kind == "kerroin":
        from hyte.kerroin.model import for_context

        return for_context(ctx)
    raise ValueError(kind)


# --- files ----------------------------------------------------------------------------------------


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _stacked(frames: dict, column: str) -> pd.DataFrame:
    """One frame of several, with ``column`` naming each part (kept for empty parts too)."""
    parts = []
    for name, frame in frames.items():
        part = frame.copy()
        part.insert(0, column, pd.Series([name] * len(part), dtype="object", index=part.index))
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _unstacked(frame: pd.DataFrame, column: str, names, template: pd.DataFrame) -> dict:
    out = {}
    for name in names:
        part = frame[frame[column] == name].drop(columns=[column]).reset_index(drop=True)
        out[name] = part.astype(template.dtypes.to_dict()) if part.empty else part
    return out


_KERROIN_FRAMES = {
    "counties": ("inputs", "counties"),
    "current": ("inputs", "current"),
    "start": ("inputs", "start"),
    "table": ("result", "table"),
    "measure": ("result", "measure"),
    "subscores": ("result", "subscores"),
    "weights": ("result", "weights"),
    "contributions": ("result", "contributions"),
    "sensitivity": (None, "sensitivity"),
    "drivers": (None, "drivers"),
}

_FILES = {
    "municipal": ["municipal.parquet"],
    "county": ["county.parquet"],
    "sex": ["sex.parquet"],
    "fitness": ["fitness.json"],
    "kerroin": ["kerroin.json", *(f"kerroin-{name}.parquet" for name in _KERROIN_FRAMES)],
}


def _kerroin_encode(run) -> dict[str, bytes]:
    """A :class:`hyte.kerroin.model.KerroinRun` as files: its frames (index kept) and the rest as JSON
    (its configuration is read again from the file the key covers)."""
    out = {}
    empty = []
    for name, (owner, attribute) in _KERROIN_FRAMES.items():
        frame = getattr(getattr(run, owner) if owner else run, attribute)
        if frame.shape == (0, 0):
            empty.append(name)
        out[f"kerroin-{name}.parquet"] = b"" if frame.shape == (0, 0) else _parquet_frame(frame)
    meta = {
        "county": run.inputs.county,
        "years": {k: list(v) if v is not None else None for k, v in run.inputs.years.items()},
        "residents_year": run.inputs.residents_year,
        "inputs_missing": [asdict(m) for m in run.inputs.missing],
        "inputs_notes": list(run.inputs.notes),
        "result_missing": [asdict(m) for m in run.result.missing],
        "result_notes": list(run.result.notes),
        "catalog_notes": list(run.catalog_notes),
        "empty_frames": empty,
    }
    out["kerroin.json"] = (json.dumps(meta, ensure_ascii=False, sort_keys=True) + "\n").encode()
    return out


def _parquet_frame(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=True)
    return buffer.getvalue()


def _kerroin_decode(files: dict[str, bytes], ctx):
    from hyte.kerroin.model import (
        KerroinInputs,
        KerroinResult,
        KerroinRun,
        Missing,
        load_kerroin_config,
    )

    meta = json.loads(files["kerroin.json"].decode("utf-8"))
    frames = {
        name: pd.DataFrame()
        if name in meta["empty_frames"]
        else pd.read_parquet(io.BytesIO(files[f"kerroin-{name}.parquet"]))
        for name in _KERROIN_FRAMES
    }
    config = load_kerroin_config(ctx.config.hyte_kerroin_path, ctx.catalog)
    inputs = KerroinInputs(
        config,
        meta["county"],
        frames["counties"],
        frames["current"],
        frames["start"],
        {k: tuple(v) if v is not None else None for k, v in meta["years"].items()},
        meta["residents_year"],
        [Missing(**m) for m in meta["inputs_missing"]],
        list(meta["inputs_notes"]),
    )
    result = KerroinResult(
        inputs,
        frames["table"],
        frames["measure"],
        frames["subscores"],
        frames["weights"],
        frames["contributions"],
        [Missing(**m) for m in meta["result_missing"]],
        list(meta["result_notes"]),
    )
    return KerroinRun(
        config=config,
        inputs=inputs,
        result=result,
        sensitivity=frames["sensitivity"],
        drivers=frames["drivers"],
        catalog_notes=list(meta["catalog_notes"]),
    )


def _encode(kind: str, value) -> dict[str, bytes]:
    if kind == "municipal":
        data = _parquet_bytes(value)
    elif kind == "county":
        data = _parquet_bytes(_stacked(value, "_sex"))
    elif kind == "sex":
        data = _parquet_bytes(_stacked(value, "_region"))
    elif kind == "fitness":
        data = (json.dumps(asdict(value), ensure_ascii=False, sort_keys=True) + "\n").encode()
    elif kind == "kerroin":
        return _kerroin_encode(value)
    else:
        raise ValueError(kind)
    return {_FILES[kind][0]: data}


def _decode(kind: str, files: dict[str, bytes], ctx):
    if kind == "kerroin":
        return _kerroin_decode(files, ctx)
    data = files[_FILES[kind][0]]
    if kind == "fitness":
        from hyte.data.fitness import Fitness

        return Fitness(**json.loads(data.decode("utf-8")))
    frame = pd.read_parquet(io.BytesIO(data))
    if kind == "municipal":
        return frame
    if kind == "county":
        from hyte.stats.summary import _empty_summary

        return _unstacked(frame, "_sex", _SEXES, _empty_summary())
    if kind == "sex":
        ids = [m.sotkanet_id for m in ctx.municipalities]
        empty = sex_frames(ctx.table.iloc[0:0], ctx.catalog, [0])[0]
        return _unstacked(frame, "_region", ids, empty)
    raise ValueError(kind)


# --- the shared results ------------------------------------------------------------------------------


class SharedResults:
    """The shared results of one context (its county): each part read from the cache folder, or
    computed and written there when missing, damaged or of other inputs."""

    def __init__(self, ctx, language: str = "fi"):
        self.ctx = ctx
        self.language = language
        self.key = shared_key(ctx, language)
        self.folder = shared_folder(ctx, self.key)
        self._parts: dict[str, Any] = {}

    def _paths(self, kind: str) -> list[Path]:
        return [self.folder / name for name in _FILES[kind]]

    def part(self, kind: str):
        """One part (``municipal``, ``county``, ``sex``, ``fitness``, ``kerroin``): from memory, the
        cache files, or computed (and written)."""
        if kind in self._parts:
            return self._parts[kind]
        paths = self._paths(kind)
        value = None
        if all(path.is_file() for path in paths):
            try:
                value = _decode(kind, {p.name: p.read_bytes() for p in paths}, self.ctx)
            except Exception as exc:  # noqa: BLE001 - any damage: recompute, say so in one line
                where = paths[0] if len(paths) == 1 else f"{paths[0].parent}/{kind}*"
                print(
                    f"note: shared results cache {where} is unreadable "
                    f"({type(exc).__name__}); computing it again.",
                    file=sys.stderr,
                    flush=True,
                )
                value = None
        if value is None:
            value = _compute(self.ctx, kind, self.language)
            self._write(kind, value)
        self._parts[kind] = value
        return value

    def _write(self, kind: str, value) -> None:
        from hyte.data.snapshot import write_bytes_atomic

        try:
            # the JSON of a part of several files last: its files are complete once it is there
            for name, data in sorted(
                _encode(kind, value).items(), key=lambda i: i[0].endswith("json")
            ):
                write_bytes_atomic(self.folder / name, data)
        except OSError as exc:  # a read-only project still works, only slower
            print(
                f"note: cannot write the shared results cache in {self.folder} ({exc.strerror}); "
                "continuing without it.",
                file=sys.stderr,
                flush=True,
            )

    def ensure(self, kinds=_KINDS) -> SharedResults:
        """Every part (or those named) read or computed (``hyte cards`` calls this before the
        workers start)."""
        for kind in kinds:
            self.part(kind)
        return self

    # -- what cards and chapters read --------------------------------------------------------------

    @property
    def municipal(self) -> pd.DataFrame:
        """Every municipality × indicator: ``code``, ``name``, ``order`` and the summary columns."""
        return self.part("municipal").copy()

    def municipality_summary(self, code: str) -> pd.DataFrame:
        """One municipality's summary (equals :func:`indicator_summary` of it, peers the county)."""
        from hyte.stats.summary import _empty_summary

        frame = self.part("municipal")
        rows = frame[frame["code"] == code] if len(frame) else frame
        if rows.empty:  # as indicator_summary says "no values": its empty frame, its dtypes
            return _empty_summary()
        return rows.drop(columns=["code", "name", "order"]).reset_index(drop=True)

    def county_summary(self, sex: str = "total") -> pd.DataFrame:
        return self.part("county")[sex].copy()

    def sex_data(self, region_id: int) -> pd.DataFrame:
        return self.part("sex")[int(region_id)].copy()

    @property
    def kerroin(self):
        """The HYTE-kerroin of the county (:func:`hyte.kerroin.model.for_context`)."""
        return self.part("kerroin")

    @property
    def fitness(self):
        from dataclasses import replace

        return replace(self.part("fitness"))


_CACHE: dict[tuple, SharedResults] = {}


def for_context(ctx, language: str = "fi") -> SharedResults:
    """The shared results of a loaded context (one object per context and process; the warm card
    kernels clear this between cards, and the files on disk carry over)."""
    key = (id(ctx), str(ctx.config.root), ctx.config.snapshot, ctx.config.county, language)
    found = _CACHE.get(key)
    if found is None or found.ctx is not ctx:
        found = _CACHE[key] = SharedResults(ctx, language)
    return found


#: The parts a card reads (the HYTE-kerroin is the book's).
CARD_KINDS = ("municipal", "county", "sex", "fitness")


def ensure(ctx, language: str = "fi", kinds=_KINDS) -> SharedResults:
    """Compute (or read) every shared part (or those named) of ``ctx``'s county now."""
    return for_context(ctx, language).ensure(kinds)
