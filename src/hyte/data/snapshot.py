"""Versioned data snapshots: a folder with raw responses, a tidy parquet table and a manifest.

A snapshot is built in a hidden work folder beside its target and moved into place only when complete,
so an interrupted build never touches earlier snapshots, and a rerun can resume from the raw files
already saved.

    data/snapshots/<id>/
        manifest.json   ids, times, URLs, sha256 and size of every file, row counts, indicator metadata
        data.parquet    the tidy table (see hyte.data.tidy)
        raw/            the responses as received (gzip-compressed)
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyte import __version__
from hyte.errors import HyteError
from hyte.paths import data_dir

# pandas is imported where a table is read: `hyte cards` with nothing to do stays fast
if TYPE_CHECKING:
    import pandas as pd

MANIFEST = "manifest.json"
TABLE = "data.parquet"
RAW = "raw"
_PROGRESS = "progress.json"
SYNTHETIC_LABEL_FI = "esimerkkiaineisto – ei todellisia lukuja"
SYNTHETIC_LABEL_SV = "exempeldata – inte verkliga siffror"


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def current_umask() -> int:
    """The process's umask (read from /proc where possible: setting it to read it is not
    thread-safe)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: Path, payload: bytes) -> None:
    """Write to a temporary file in the same folder, then rename over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
            out.flush()
            os.fchmod(out.fileno(), 0o666 & ~current_umask())  # mkstemp makes 0600: publishable
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: Path, payload: Any) -> None:
    write_text_atomic(
        path, json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
    )


@dataclass
class Snapshot:
    """An existing, complete snapshot folder."""

    path: Path
    manifest: dict[str, Any]
    _table: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def id(self) -> str:
        return str(self.manifest.get("snapshot_id", self.path.name))

    @property
    def synthetic(self) -> bool:
        return bool(self.manifest.get("synthetic", False))

    @property
    def created(self) -> str:
        return str(self.manifest.get("created", ""))

    @property
    def source(self) -> str:
        return str(self.manifest.get("source", ""))

    def label(self, language: str = "fi") -> str:
        """'<id> (<date>)', with the synthetic-data warning where it applies."""
        text = f"{self.id} ({self.created[:10]})"
        if self.synthetic:
            text += " – " + (SYNTHETIC_LABEL_SV if language == "sv" else SYNTHETIC_LABEL_FI)
        return text

    def indicator_metadata(self, indicator_id: int) -> dict[str, Any] | None:
        return (self.manifest.get("indicators") or {}).get(str(indicator_id))

    def table(self) -> pd.DataFrame:
        """The tidy table, validated (cached)."""
        if self._table is None:
            import pandas as pd

            from hyte.data.tidy import validate_tidy

            path = self.path / TABLE
            try:
                frame = pd.read_parquet(path)
            except Exception as exc:  # pyarrow raises many kinds
                raise HyteError(
                    f"{path}: cannot read the snapshot table ({exc}). "
                    "Rebuild the snapshot (hyte fetch / hyte import / hyte demo)."
                ) from None
            self._table = validate_tidy(frame, path)
        return self._table.copy()

    def verify(self) -> list[str]:
        """Files whose sha256 or presence differ from the manifest (empty when intact)."""
        problems = []
        for entry in self.manifest.get("files", []):
            file_path = self.path / entry["path"]
            if not file_path.is_file():
                problems.append(f"{file_path}: missing")
            elif sha256_file(file_path) != entry["sha256"]:
                problems.append(f"{file_path}: sha256 differs from the manifest")
        return problems


def resolve_snapshot_path(name: str | Path, root: Path | None = None) -> Path:
    """'demo' -> data/demo; an existing folder as given; else data/snapshots/<name>."""
    base = data_dir(root)
    text = str(name)
    if text == "demo":
        return base / "demo"
    candidate = Path(text)
    if candidate.is_absolute() or candidate.exists():
        return candidate.resolve()
    if root is not None and (Path(root) / candidate).exists():
        return (Path(root) / candidate).resolve()
    return base / "snapshots" / text


def open_snapshot(path: str | Path, root: Path | None = None) -> Snapshot:
    """Open a complete snapshot by folder or name (see resolve_snapshot_path)."""
    folder = resolve_snapshot_path(path, root)
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        hint = (
            "Run `hyte demo` to regenerate it."
            if folder.name == "demo"
            else (
                "Make one with `hyte fetch` or `hyte import FILE...`, or set 'snapshot: demo' in hyte.yml."
            )
        )
        raise HyteError(f"No snapshot at {folder} (no {MANIFEST}). {hint}")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise HyteError(
            f"{manifest_path}: not UTF-8 text: the snapshot is damaged; rebuild it "
            "(hyte fetch / hyte import --replace)."
        ) from None
    except json.JSONDecodeError as exc:
        raise HyteError(
            f"{manifest_path}: not valid JSON (line {exc.lineno}): the snapshot is damaged; "
            "rebuild it."
        ) from None
    if not isinstance(manifest, dict):
        raise HyteError(
            f"{manifest_path}: a manifest is a JSON object, this is a "
            f"{type(manifest).__name__}: the snapshot is damaged; rebuild it."
        )
    return Snapshot(folder, manifest)


def refuse_existing(target: Path, snapshot_id: str, replace: bool) -> None:
    """A snapshot is never replaced silently: an existing id needs ``--replace``."""
    if Path(target).exists() and not replace:
        raise HyteError(
            f"Snapshot '{snapshot_id}' already exists ({target}): choose another "
            "--snapshot-id, or give --replace to replace it (the old one stays until the "
            "new one is complete)."
        )


class SnapshotBuilder:
    """Builds a snapshot in ``.partial-<name>`` beside ``target``; ``finish()`` moves it into place.

    Raw files are saved as they arrive; with ``resume=True`` a builder reopens the work folder of an
    interrupted build and ``has_raw`` tells which responses need not be fetched again.
    """

    def __init__(self, target: Path, *, source: str, synthetic: bool = False, resume: bool = True):
        self.target = Path(target)
        self.work = self.target.parent / f".partial-{self.target.name}"
        self.source = source
        self.synthetic = synthetic
        self.files: dict[str, dict[str, Any]] = {}
        self.indicators: dict[str, Any] = {}
        self.notes: list[str] = []
        self.extra: dict[str, Any] = {}
        self._table: pd.DataFrame | None = None
        if self.work.exists() and not resume:
            shutil.rmtree(self.work)
        (self.work / RAW).mkdir(parents=True, exist_ok=True)
        progress = self.work / _PROGRESS
        if progress.is_file():
            try:
                self.files = json.loads(progress.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError):
                self.files = {}
            if not isinstance(self.files, dict):
                self.files = {}
            self.files = {k: v for k, v in self.files.items() if (self.work / k).is_file()}

    @property
    def resumed(self) -> int:
        """How many raw files an earlier, interrupted build already saved."""
        return len(self.files)

    def has_raw(self, name: str) -> bool:
        return f"{RAW}/{name}" in self.files

    def read_raw(self, name: str) -> bytes:
        data = (self.work / RAW / name).read_bytes()
        return gzip.decompress(data) if name.endswith(".gz") else data

    def write_raw(self, name: str, payload: bytes, **info: Any) -> Path:
        """Save one raw response (gzip-compressed when ``name`` ends in .gz) and record it."""
        relative = f"{RAW}/{name}"
        data = gzip.compress(payload, mtime=0) if name.endswith(".gz") else payload
        write_bytes_atomic(self.work / relative, data)
        self.files[relative] = {"path": relative, **info}
        write_json_atomic(self.work / _PROGRESS, self.files)
        return self.work / relative

    def set_table(self, table: pd.DataFrame) -> None:
        from hyte.data.tidy import validate_tidy

        self._table = validate_tidy(table, self.work / TABLE)

    def finish(self, snapshot_id: str | None = None, **extra: Any) -> Snapshot:
        """Write table and manifest, then move the complete folder into place (atomically)."""
        if self._table is None:
            raise HyteError(f"{self.work}: the snapshot has no table yet; nothing was written.")
        table_path = self.work / TABLE
        self._table.to_parquet(table_path, index=False)
        entries = []
        for relative, info in sorted(self.files.items()):
            file_path = self.work / relative
            entries.append(
                {**info, "sha256": sha256_file(file_path), "bytes": file_path.stat().st_size}
            )
        entries.append(
            {
                "path": TABLE,
                "sha256": sha256_file(table_path),
                "bytes": table_path.stat().st_size,
                "rows": int(len(self._table)),
            }
        )
        years = self._table["year"]
        manifest = {
            "snapshot_id": snapshot_id or self.target.name,
            "created": now_iso(),
            "source": self.source,
            "synthetic": self.synthetic,
            "hyte_version": __version__,
            "rows": int(len(self._table)),
            "indicator_count": int(self._table["indicator"].nunique()),
            "years": [int(years.min()), int(years.max())] if len(years) else [],
            "notes": self.notes,
            **self.extra,
            **extra,
            "files": entries,
            "indicators": self.indicators,
        }
        if self.synthetic:
            manifest["label_fi"] = SYNTHETIC_LABEL_FI
            manifest["label_sv"] = SYNTHETIC_LABEL_SV
        (self.work / _PROGRESS).unlink(missing_ok=True)
        write_json_atomic(self.work / MANIFEST, manifest)
        self._swap_into_place()
        return open_snapshot(self.target)

    def _swap_into_place(self) -> None:
        old = None
        if self.target.exists():
            old = self.target.parent / f".old-{self.target.name}-{os.getpid()}"
            os.replace(self.target, old)
        try:
            os.replace(self.work, self.target)
        except BaseException:
            if old is not None:
                os.replace(old, self.target)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def abandon(self) -> None:
        """Delete the work folder (the target is untouched)."""
        shutil.rmtree(self.work, ignore_errors=True)


def load_table(snapshot: str | Path, root: Path | None = None) -> pd.DataFrame:
    """The tidy table of a snapshot (folder, name or 'demo')."""
    return open_snapshot(snapshot, root).table()
