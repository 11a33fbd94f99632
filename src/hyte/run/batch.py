"""``hyte cards``: run the municipal card notebook once per municipality, in parallel and incrementally.

- Parallel: one worker process per core, each owning one warm kernel (see :mod:`hyte.run.kernels`) that
  runs many cards; cards are handed out one at a time as workers become free.
- Incremental: a card reruns only when its cache key changes: the sha256 of the template notebook, its
  parameters, the snapshot manifest, the catalog, plan, HYTE-kerroin, config and reference files, and
  hyte's version and source files. Keys and provenance live in ``<cards>/_manifest.json``.
- Robust: a card runs in a hidden staging folder and its files are moved into place only when it
  succeeded, so a failing card keeps its previous good output; the failed notebook goes to
  ``<cards>/_failed/<code>.ipynb``. One failure never stops the other cards.

Outputs: ``<cards>/<code>-<slug>.ipynb`` (e.g. ``992-aanekoski.ipynb``), the files and folders the
notebook writes into its ``output_dir`` (its CSV and figures), ``_manifest.json``, and the Quarto card
list (:mod:`hyte.book.files`).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hyte import __version__
from hyte.card.names import card_slug, card_stem  # noqa: F401
from hyte.config import Config
from hyte.data.regions import ALL_COUNTIES, Municipality, load_regions
from hyte.errors import HyteError
from hyte.paths import CONFIG_NAME
from hyte.run.card_list import write_county_card_list  # noqa: F401
from hyte.run.kernels import notebook_imports

TEMPLATE = Path("notebooks") / "municipal_card.ipynb"
MANIFEST_NAME = "_manifest.json"
FAILED_DIR = "_failed"
ENGINES = ("warm", "fresh")
DEFAULT_TIMEOUT = 600  # seconds per cell
_STAGING_PREFIX = ".staging-"
_LOCK_NAME = ".lock"
_TRANSIENT_PARAMETERS = ("output_dir",)  # where a card writes: not part of its cache key


# --- results ------------------------------------------------------------------------------------


@dataclass
class CardResult:
    """One card of a run: made ("ok"), unchanged ("skipped") or "failed"."""

    code: str
    name: str
    status: str
    notebook: Path | None = None
    seconds: float = 0.0
    cell: int | None = None  # 1-based position of the failing cell in the executed notebook
    execution_count: int | None = None  # the failing cell's In [n]
    error: str | None = None  # the error's last line
    failed_notebook: Path | None = None

    def failure_line(self) -> str:
        where = "cell ?" if self.cell is None else f"cell {self.cell}"
        if self.execution_count is not None:
            where += f" (In [{self.execution_count}])"
        line = f"{self.code} {self.name}: {where}: {self.error}"
        if self.failed_notebook:
            line += f" – see {self.failed_notebook}"
        return line


@dataclass
class BatchResult:
    """What ``run_cards`` did."""

    ok: list[CardResult] = field(default_factory=list)
    skipped: list[CardResult] = field(default_factory=list)
    failed: list[CardResult] = field(default_factory=list)
    seconds: float = 0.0
    engine: str = "warm"
    workers: int = 0
    manifest_path: Path | None = None
    card_list_path: Path | None = None
    interrupted: bool = False
    notes: list[str] = field(default_factory=list)  # e.g. a stale lock taken over

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def summary_lines(self) -> list[str]:
        total = len(self.ok) + len(self.skipped) + len(self.failed)
        ran = f", {self.engine} kernels, {self.workers} worker(s)" if self.workers else ""
        lines = [
            (
                f"{total} card(s): {len(self.ok)} made, {len(self.skipped)} unchanged, "
                f"{len(self.failed)} failed in {self.seconds:.1f} s{ran}."
            )
        ]
        if self.interrupted:
            lines[0] = "Interrupted: " + lines[0]
        lines += self.notes
        if self.card_list_path:
            lines.append(f"Card list for the book: {self.card_list_path}")
        lines += [f"FAILED {card.failure_line()}" for card in self.failed]
        return lines


class CardsInterrupted(KeyboardInterrupt):
    """Ctrl-C during ``hyte cards``: the running cards were finished (or stopped) and recorded."""

    def __init__(self, result: BatchResult):
        super().__init__("interrupted")
        self.result = result


# --- names and parameters -----------------------------------------------------------------------


def template_parameters(template: Path) -> list[str]:
    """Names assigned in the notebook's cell tagged ``parameters``."""
    nb = _read_notebook_json(template)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get(
            "tags", []
        ):
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else source
            try:
                tree = ast.parse(source)
            except SyntaxError as exc:
                raise HyteError(
                    f"{template}: the parameters cell is not valid Python (line {exc.lineno})"
                    "; fix the notebook."
                ) from None
            names = []
            for node in tree.body:
                targets = (
                    node.targets
                    if isinstance(node, ast.Assign)
                    else ([node.target] if isinstance(node, ast.AnnAssign) else [])
                )
                names += [t.id for t in targets if isinstance(t, ast.Name)]
            return names
    raise HyteError(
        f"{template}: no cell tagged 'parameters'; tag the cell that sets municipality, "
        "snapshot and county (papermill needs it)."
    )


def _read_notebook_json(path: Path) -> dict:
    if not Path(path).is_file():
        raise HyteError(
            f"Card notebook not found: {path}. Restore it from the repository "
            f"(it is {TEMPLATE} in the project)."
        )
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HyteError(
            f"{path}: not a valid notebook ({exc}); restore it from the repository."
        ) from None


def select_municipalities(config: Config, codes: Iterable[str] | None = None) -> list[Municipality]:
    """The configured county's municipalities (by Finnish name), or the named ones (validated)."""
    regions = load_regions(config.root / "data" / "reference")
    if config.county == ALL_COUNTIES:
        if not codes:
            return regions.selection(ALL_COUNTIES)
        return list({m.code: m for m in map(regions.municipality, codes)}.values())
    county = regions.county(config.county)
    if not codes:
        return regions.county_municipalities(county.code)
    chosen: dict[str, Municipality] = {}
    for code in codes:
        municipality = regions.municipality(code)
        if municipality.county_code != county.code:
            raise HyteError(
                f"Municipality {municipality.code} {municipality.name_fi} is not in county "
                f"{county.code} {county.name_fi} (hyte.yml 'county'): name municipalities of that county, "
                "or change 'county' in hyte.yml."
            )
        chosen[municipality.code] = municipality
    return list(chosen.values())


# --- fingerprints and provenance ----------------------------------------------------------------


def _sha256(path: Path) -> str | None:
    path = Path(path)
    if not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hyte_source_sha(package: Path | None = None) -> str:
    """sha256 over hyte's own source files (so a code change reruns the cards)."""
    package = Path(package) if package else Path(__file__).resolve().parents[1]
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


def input_fingerprint(
    config: Config, template: Path, snapshot_path: Path, config_file: Path | None = None
) -> dict[str, Any]:
    """The shared part of every card's cache key: sha256 of each input file (None when absent)."""
    reference = config.root / "data" / "reference"
    files = {
        "template": template,
        "config": config_file or config.root / CONFIG_NAME,
        "snapshot_manifest": Path(snapshot_path) / "manifest.json",
        "catalog": config.catalog_path,
        "plan": config.plan_path,
        "plan_progress": config.plan_path.parent / "seuranta" / f"{config.reporting_year}.yml",
        "local_catalog": config.root / "data" / "local" / "indicators.yml",
        "local_values": config.root / "data" / "local" / "values.csv",
        "hyte_kerroin": config.hyte_kerroin_path,
        "municipalities": reference / "municipalities.csv",
        "counties": reference / "counties.csv",
    }
    return {
        "files": {label: _sha256(path) for label, path in files.items()},
        "hyte_version": __version__,
        "hyte_source": hyte_source_sha(),
    }


def card_key(fingerprint: dict[str, Any], parameters: dict[str, Any]) -> str:
    """A card's cache key: the inputs' fingerprint plus its own parameters."""
    stable = {k: v for k, v in parameters.items() if k not in _TRANSIENT_PARAMETERS}
    payload = json.dumps({"inputs": fingerprint, "parameters": stable}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def git_commit(root: Path) -> dict[str, Any] | None:
    """The project's git commit and whether the work tree has uncommitted changes (None: no git)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if head.returncode != 0:
            return None
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip())}


def _now() -> str:
    from hyte.data.snapshot import now_iso

    return now_iso()


def _relative(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return str(path)


# --- the run -------------------------------------------------------------------------------------


@dataclass
class _Job:
    """What a worker needs to make one card (picklable)."""

    code: str
    name: str
    stem: str
    template: str
    parameters: dict[str, Any]
    staging: str
    cards_dir: str
    kernel_name: str
    cwd: str
    timeout: float


def run_cards(
    config: Config,
    municipalities: Iterable[str] | None = None,
    *,
    workers: int | None = None,
    force: bool = False,
    progress: bool = True,
    engine: str = "warm",
    notebook: Path | None = None,
    parameters: dict[str, Any] | None = None,
    config_path: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> BatchResult:
    """Run the card notebook for the county's municipalities (or those named); see the module doc.

    ``notebook`` replaces the template (default ``notebooks/municipal_card.ipynb``), ``parameters``
    adds notebook parameters for every card, ``config_path`` is passed to cards as ``config_path``.
    Everything is validated before any card runs; a bad input raises HyteError (one line).
    """
    started_clock = time.perf_counter()
    if engine not in ENGINES:
        raise HyteError(f"Unknown engine '{engine}': use one of {', '.join(ENGINES)}.")
    if workers is not None and workers < 1:
        raise HyteError(f"--workers must be 1 or more (got {workers}).")
    selected = select_municipalities(config, municipalities)
    template = Path(notebook) if notebook else config.root / TEMPLATE
    declared = template_parameters(template)
    if "municipality" not in declared:
        raise HyteError(
            f"{template}: the parameters cell does not set 'municipality'; add "
            'municipality = "179" to it.'
        )
    extra = dict(parameters or {})
    if config_path is not None:
        extra["config_path"] = str(Path(config_path).resolve())
    unknown = sorted(set(extra) - set(declared))
    if unknown:
        raise HyteError(
            f"{template}: no parameter '{unknown[0]}' in its parameters cell "
            f"(it has: {', '.join(declared)})."
        )

    from hyte.data.snapshot import open_snapshot

    snapshot = open_snapshot(config.snapshot_path)
    cards_dir = config.cards_dir
    try:
        cards_dir.resolve().relative_to(config.root.resolve())
    except ValueError:
        raise HyteError(
            f"hyte.yml outputs.cards: {cards_dir} is outside the project {config.root}; "
            "the book can only list cards inside it."
        ) from None
    cards_dir.mkdir(parents=True, exist_ok=True)
    lock = CardsLock(cards_dir)
    lock.acquire()
    try:
        return _run_locked(
            config,
            template,
            declared,
            selected,
            extra,
            snapshot,
            cards_dir,
            workers,
            force,
            progress,
            engine,
            config_path,
            timeout,
            started_clock,
            notes=lock.notes,
        )
    finally:
        lock.release()


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (and, where /proc tells, is a Python process: not a reused pid)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    try:
        text = cmdline.read_bytes().decode("utf-8", "replace").lower()
    except OSError:
        return True
    status = Path(f"/proc/{pid}/stat")
    try:
        if status.read_text().rsplit(")", 1)[1].split()[0] == "Z":  # a zombie has ended
            return False
    except (OSError, IndexError):
        pass
    return "python" in text or "hyte" in text


class CardsLock:
    """``<cards>/.lock``: created exclusively, holding the owner's PID. A lock whose process has
    ended (killed run) is taken over with a note; one whose process runs is refused. Unlike an
    flock, no worker or kernel inherits it, so a killed run never blocks later ones."""

    def __init__(self, cards_dir: Path, command: str = "hyte cards"):
        self.path = Path(cards_dir) / _LOCK_NAME
        self.command = command  # named in the messages (the chapters use it too)
        self.notes: list[str] = []
        self.held = False

    def acquire(self) -> None:
        import fcntl

        # A short flock serialises two runs that start at once (so two never take over the same
        # stale lock); it is released before any worker starts, so no child inherits it.
        with (self.path.parent / f"{_LOCK_NAME}.guard").open("a") as guard:
            fcntl.flock(guard, fcntl.LOCK_EX)
            try:
                self._acquire()
            finally:
                fcntl.flock(guard, fcntl.LOCK_UN)

    def _acquire(self) -> None:
        for _ in range(3):
            try:
                handle = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = self._owner()
                if owner is not None and _pid_alive(owner.get("pid", -1)):
                    raise HyteError(
                        f"Another `{self.command}` run (PID {owner['pid']}, started {owner.get('started')}) "
                        f"is writing {self.path.parent}; wait for it to finish."
                    ) from None
                what = f"PID {owner['pid']}" if owner else "an unreadable lock"
                note = (
                    f"Took over the lock of an earlier `{self.command}` run that ended without "
                    f"releasing it ({what}); its unfinished cards are remade."
                )
                self.notes.append(note)
                print(note, file=sys.stderr, flush=True)
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump({"pid": os.getpid(), "started": _now()}, out)
            self.held = True
            return
        raise HyteError(
            f"Cannot take the lock {self.path}: remove it if no `{self.command}` run is active."
        )

    def _owner(self) -> dict | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and isinstance(data.get("pid"), int) else None

    def release(self) -> None:
        if self.held and (self._owner() or {}).get("pid") == os.getpid():
            self.path.unlink(missing_ok=True)
        self.held = False


def _run_locked(
    config,
    template,
    declared,
    selected,
    extra,
    snapshot,
    cards_dir,
    workers,
    force,
    progress,
    engine,
    config_path,
    timeout,
    started_clock,
    notes=(),
) -> BatchResult:
    """The run itself, holding the lock of the cards folder: plan, execute, record, list."""
    from hyte.data.snapshot import write_json_atomic

    for stale in cards_dir.glob(f"{_STAGING_PREFIX}*"):  # left by a killed run; we hold the lock
        shutil.rmtree(stale, ignore_errors=True)
    manifest_path = cards_dir / MANIFEST_NAME
    notes = list(notes)
    manifest = _read_manifest(manifest_path, notes)
    entries: dict[str, dict] = manifest.get("cards", {})
    fingerprint = input_fingerprint(config, template, snapshot.path, config_path)
    nb_json = _read_notebook_json(template)
    kernel_name = (nb_json.get("metadata", {}).get("kernelspec") or {}).get("name") or "python3"

    result = BatchResult(engine=engine, manifest_path=manifest_path, notes=notes)
    jobs: list[_Job] = []
    keys: dict[str, str] = {}
    params_of: dict[str, dict] = {}
    for municipality in selected:
        params = {"municipality": municipality.code}
        if "snapshot" in declared:
            params["snapshot"] = config.snapshot
        if "county" in declared:
            params["county"] = (
                municipality.county_code if config.county == ALL_COUNTIES else config.county
            )
        params.update(extra)
        key = card_key(fingerprint, params)
        stem = card_stem(municipality)
        keys[municipality.code], params_of[municipality.code] = key, params
        previous = entries.get(municipality.code, {})
        if not force and _still_good(previous, key, config.root):
            result.skipped.append(
                CardResult(
                    municipality.code,
                    municipality.name_fi,
                    "skipped",
                    config.root / previous["notebook"],
                )
            )
            continue
        staging = cards_dir / f"{_STAGING_PREFIX}{municipality.code}"
        run_params = dict(params)
        if "output_dir" in declared:
            run_params["output_dir"] = _relative(staging, config.root)
        jobs.append(
            _Job(
                municipality.code,
                municipality.name_fi,
                stem,
                str(template),
                run_params,
                str(staging),
                str(cards_dir),
                kernel_name,
                str(config.root),
                timeout,
            )
        )

    run_info = {
        "snapshot": {
            "name": config.snapshot,
            "id": snapshot.id,
            "synthetic": snapshot.synthetic,
            "manifest_sha256": fingerprint["files"]["snapshot_manifest"],
        },
        "git": git_commit(config.root) if jobs else manifest.get("git"),
        "hyte_version": __version__,
    }

    def record(outcome: dict) -> CardResult:
        code = outcome["code"]
        previous = entries.get(code, {})
        if outcome["status"] == "ok" and outcome.get("staged"):
            # The worker left the finished card in staging: move it into place here, in the process
            # that records it, right before its manifest entry is written.
            staging = Path(outcome.pop("staged"))
            try:
                outcome.update(_move_into_place(staging, cards_dir, staging / outcome.pop("stem")))
            except OSError as exc:
                outcome.update(status="failed", error=f"moving the card into place failed: {exc}")
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        entry = {
            "code": code,
            "name": outcome["name"],
            "status": outcome["status"],
            "notebook": _relative(Path(outcome["notebook"]), config.root)
            if outcome.get("notebook")
            else None,
            "files": [_relative(Path(p), config.root) for p in outcome.get("files", [])],
            "cache_key": keys[code],
            "parameters": params_of[code],
            "snapshot_id": snapshot.id,
            "git_commit": (run_info["git"] or {}).get("commit"),
            "hyte_version": __version__,
            "engine": engine,
            "started": outcome["started"],
            "finished": outcome["finished"],
            "seconds": round(outcome["seconds"], 3),
            "error": outcome.get("error"),
            "cell": outcome.get("cell"),
            "execution_count": outcome.get("execution_count"),
            "failed_notebook": _relative(Path(outcome["failed_notebook"]), config.root)
            if outcome.get("failed_notebook")
            else None,
        }
        if outcome["status"] != "ok":
            good = previous if previous.get("status") == "ok" else previous.get("previous_good")
            if good:
                entry["previous_good"] = {k: v for k, v in good.items() if k != "previous_good"}
        entries[code] = entry
        card = CardResult(
            code,
            outcome["name"],
            outcome["status"],
            Path(outcome["notebook"]) if outcome.get("notebook") else None,
            outcome["seconds"],
            outcome.get("cell"),
            outcome.get("execution_count"),
            outcome.get("error"),
            Path(outcome["failed_notebook"]) if outcome.get("failed_notebook") else None,
        )
        (result.ok if card.status == "ok" else result.failed).append(card)
        save()
        return card

    def save() -> None:
        payload = {
            "generated_by": "hyte cards",
            "updated": _now(),
            **run_info,
            "inputs": fingerprint,
            "template": _relative(template, config.root),
            "last_run": {
                "engine": engine,
                "workers": result.workers,
                "made": len(result.ok),
                "unchanged": len(result.skipped),
                "failed": len(result.failed),
                "seconds": round(time.perf_counter() - started_clock, 3),
                "interrupted": result.interrupted,
            },
            "cards": dict(sorted(entries.items())),
        }
        write_json_atomic(manifest_path, payload)

    try:
        if jobs:
            result.workers = min(workers or os.cpu_count() or 1, len(jobs))
            warm_modules = notebook_imports(nb_json)
            if any(m == "hyte.card" or m.startswith("hyte.card.") for m in warm_modules):
                by_code = {m.code: m for m in selected}
                counties = [
                    str(params_of[job.code].get("county") or "")
                    or (
                        by_code[job.code].county_code
                        if config.county == ALL_COUNTIES
                        else config.county
                    )
                    for job in jobs
                ]
                shared_snapshot = params_of[jobs[0].code].get("snapshot")

                def prepare() -> None:  # while the workers start their kernels
                    notes.extend(prepare_shared(config, counties, shared_snapshot))

            else:
                prepare = None
            _execute(
                jobs,
                result.workers,
                engine,
                str(config.root),
                kernel_name,
                warm_modules,
                progress,
                record,
                result,
                prepare=prepare,
            )
    finally:
        result.seconds = time.perf_counter() - started_clock
        save()
        result.card_list_path = write_county_card_list(config)
    if result.interrupted:
        raise CardsInterrupted(result)
    return result


def prepare_shared(config: Config, counties: list[str], snapshot: str | None = None) -> list[str]:
    """Compute the county-wide results the cards read (:mod:`hyte.card.shared`) once, here in the
    parent, for each county of the cards about to run (``county: all``: each card's own county), so
    that the card kernels only read them. Returns notes: a failure here is one line, and the cards
    then compute (and report) for themselves."""
    from hyte.card.shared import CARD_KINDS, ensure
    from hyte.context import load_context

    notes = []
    base = None
    for county in dict.fromkeys(counties):
        try:
            if base is None:
                ctx = base = load_context(config, snapshot=snapshot, county=county)
            else:  # another county of the same inputs: one table in memory, not one per county
                update = {"county": county.zfill(2)}
                ctx = replace(base, config=base.config.model_copy(update=update))
                ctx.__dict__["table"] = base.table  # a cached_property: the same for every county
                ctx.county  # fail early on an unknown county  # noqa: B018
            results = ensure(ctx, kinds=CARD_KINDS)
        except Exception as exc:  # noqa: BLE001 - the cards report their own errors
            note = (
                f"county-wide results for county {county} were not computed in advance "
                f"({type(exc).__name__}: {_last_line(str(exc))}); each card computes its own."
            )
            print(note, file=sys.stderr, flush=True)
            notes.append(note)
            continue
        try:  # for the book's HYTE-kerroin chapter; its errors are reported there, not here
            results.part("kerroin")
        except Exception:  # noqa: BLE001, S110
            pass
    _forget_tables()
    return notes


def _forget_tables() -> None:
    """Drop the parent's copy of the snapshot table once the shared results are written: the card
    kernels load their own, and the whole country's table would otherwise be held three times."""
    import gc

    import hyte.card.shared
    import hyte.context

    hyte.context._CACHE.clear()
    hyte.context._KEPT.clear()
    hyte.card.shared._CACHE.clear()
    gc.collect()


def _still_good(entry: dict, key: str, root: Path) -> bool:
    if entry.get("status") != "ok" or entry.get("cache_key") != key or not entry.get("notebook"):
        return False
    paths = [entry["notebook"], *entry.get("files", [])]  # files and folders (e.g. of figures)
    return all((root / p).exists() for p in paths)


def _read_manifest(path: Path, notes: list[str] | None = None) -> dict:
    """The manifest of earlier runs. A damaged one (truncated, not JSON) is kept as a backup beside
    it, with a note, and every card reruns; its provenance is never dropped silently."""
    if not path.is_file():
        return {}
    problem = None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        problem, data = f"not valid JSON ({exc})", None
    if data is not None and not isinstance(data, dict):
        problem = f"a JSON {type(data).__name__}, not an object"
    if problem is None:
        return data
    backup = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
    shutil.copy2(path, backup)
    note = (
        f"{path} was damaged ({problem[:80]}); kept as {backup.name}; every card is remade "
        "and the manifest written anew."
    )
    print(note, file=sys.stderr, flush=True)
    if notes is not None:
        notes.append(note)
    return {}


# --- parallel execution --------------------------------------------------------------------------


def _execute(
    jobs,
    workers,
    engine,
    root,
    kernel_name,
    warm_modules,
    progress,
    record,
    result,
    *,
    run_job=None,
    label: str = "kuntakortit",
    prepare=None,
) -> None:
    """Run the jobs on ``workers`` processes; ``record`` each outcome as it arrives. ``run_job``
    (default: make a card) runs one job in a worker; the book's chapters use it too
    (:mod:`hyte.book.chapters`), with their own ``label`` on the progress bar. ``prepare`` (the
    county-wide results) runs here while the workers start their kernels, before any job is handed
    out: the two overlap instead of one waiting for the other."""
    import multiprocessing

    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    )
    bar = _progress_bar(len(jobs), label) if progress else None
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(engine, root, kernel_name, warm_modules),
    )
    if prepare is not None:
        started = [pool.submit(_started) for _ in range(workers)]  # spawns the workers now
        try:
            prepare()
            wait(started)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    pending = {pool.submit(run_job or _run_job, job): job for job in jobs}
    try:
        if bar:
            bar.start()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                card = record(_outcome_of(future, pending.pop(future)))
                if bar:
                    mark = "[green]✓[/]" if card.status == "ok" else "[red]✗[/]"
                    bar.update(
                        bar.task_ids[0], advance=1, description=f"{mark} {card.code} {card.name}"
                    )
    except KeyboardInterrupt:
        result.interrupted = True
        running = [pending[f] for f in list(pending) if not f.cancel()]
        if bar:
            bar.stop()
            bar = None
        if running:
            names = ", ".join(f"{job.code} {job.name}" for job in running)
            print(
                f"Interrupted: waiting for the {len(running)} running card(s) to finish ({names}); "
                "press Ctrl-C again to stop them now.",
                file=sys.stderr,
                flush=True,
            )
        try:  # let the cards already running finish (a second Ctrl-C stops them too)
            for future in list(pending):
                if not future.cancelled():
                    wait([future])
                    record(_outcome_of(future, pending[future]))
        except KeyboardInterrupt:
            print("Stopping the running cards now.", file=sys.stderr, flush=True)
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()  # the worker's handler ends its kernels too
    finally:
        if bar:
            bar.stop()
        pool.shutdown(wait=True, cancel_futures=True)


def _outcome_of(future, job: _Job) -> dict:
    try:
        return future.result()
    except Exception as exc:  # the worker process itself died
        now = _now()
        return {
            "code": job.code,
            "name": job.name,
            "status": "failed",
            "started": now,
            "finished": now,
            "seconds": 0.0,
            "error": _last_line(f"{type(exc).__name__}: {exc}"),
        }


def _progress_bar(total: int, label: str = "kuntakortit"):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn(f"[bold]{label}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=Console(stderr=True),
        transient=False,
    )
    bar.add_task("", total=total)
    return bar


# --- inside a worker process ---------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _started() -> None:
    """A job that does nothing: handing one to each worker makes the pool start them all now."""


def _init_worker(engine: str, root: str, kernel_name: str, warm_modules: list[str]) -> None:
    """Start this worker's warm kernel, importing papermill while the kernel boots."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C
    _end_with_parent()
    os.environ["HYTE_ROOT"] = root  # cards and their kernels find this project
    os.chdir(root)
    _WORKER.update(engine=engine, kernel=None)
    kernel = None
    if engine == "warm":
        from multiprocessing.util import Finalize

        from hyte.run.kernels import WarmKernel

        kernel = WarmKernel(kernel_name, cwd=root, warm_modules=warm_modules)
        _WORKER["kernel"] = kernel
        Finalize(kernel, kernel.shutdown, exitpriority=100)
        try:
            kernel.launch()
        except Exception:  # retried, and reported per card, by the first card
            kernel.shutdown()
    _import_papermill()
    import hyte.card.card  # noqa: F401  (finalises every card; imported while the kernel boots)

    if kernel is not None and kernel.km is not None:
        try:
            kernel.connect()
        except Exception:
            kernel.shutdown()


def _end_with_parent(poll: float = 0.5) -> None:
    """Make this worker and its kernels end with the main process.

    The worker leads its own process group, which its kernels join (so a terminal Ctrl-C reaches
    only the main process, which lets running cards finish); SIGTERM, or the main process ending
    (its PID no longer the parent's, checked every ``poll`` s), kills the whole group."""
    import threading

    parent = os.getppid()
    try:
        os.setpgid(0, 0)
    except OSError:  # pragma: no cover - not permitted: the parent check still applies
        pass

    def end_group(*_args) -> None:
        try:
            kernel = _WORKER.get("kernel")
            pid = getattr(getattr(getattr(kernel, "km", None), "provisioner", None), "pid", None)
            if pid:  # the kernel runs in its own session: end it by its PID
                os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.killpg(os.getpgid(0), signal.SIGKILL)
        finally:
            os._exit(143)

    signal.signal(signal.SIGTERM, end_group)

    def watch() -> None:
        while True:
            time.sleep(poll)
            if os.getppid() != parent:
                end_group()

    threading.Thread(target=watch, name="hyte-parent-watch", daemon=True).start()


def _import_papermill() -> None:
    # jsonschema (via nbformat) imports the optional rfc3987_syntax when installed, which compiles a
    # grammar for ~0.75 s; it only checks the 'iri' string format, which notebook schemas never use.
    import sys

    sys.modules.setdefault("rfc3987_syntax", None)  # seen as not installed, in this worker only
    import logging

    import nbformat  # noqa: F401
    import papermill  # noqa: F401

    from hyte.run.kernels import register_engine

    # papermill logs a warning per card for parameters it cannot read back from the notebook (a
    # comment holding '=' defeats it); the runner has validated the parameters itself.
    logging.getLogger("papermill").setLevel(logging.ERROR)
    register_engine()


def _run_job(job: _Job) -> dict:
    """Make one card. Never raises: failures come back as an outcome."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from hyte.run.kernels import ENGINE_NAME

    staging, cards_dir = Path(job.staging), Path(job.cards_dir)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    temp_notebook = staging / f"{job.stem}.ipynb"
    (cards_dir / FAILED_DIR / f"{job.code}.ipynb").unlink(missing_ok=True)  # an older failure
    kernel = _WORKER.get("kernel")
    outcome: dict[str, Any] = {"code": job.code, "name": job.name, "started": _now()}
    clock = time.perf_counter()
    engine_kwargs = {"warm_kernel": kernel} if kernel is not None else {}
    try:
        nb = papermill.execute_notebook(
            job.template,
            str(temp_notebook),
            parameters=job.parameters,
            engine_name=ENGINE_NAME if kernel is not None else None,
            request_save_on_cell_execute=False,
            progress_bar=False,
            kernel_name=job.kernel_name,
            cwd=job.cwd,
            execution_timeout=job.timeout,
            **engine_kwargs,
        )
        _unstage_parameters(nb, job)
        _finalise(nb, job)
        _write_notebook(nb, temp_notebook)
        outcome.update(status="ok", staged=str(staging), stem=temp_notebook.name)
    except PapermillExecutionError as exc:
        outcome.update(
            status="failed",
            cell=exc.cell_index + 1,
            execution_count=exc.exec_count,
            error=_last_line(f"{exc.ename}: {exc.evalue}"),
        )
        outcome["failed_notebook"] = _keep_failed(temp_notebook, cards_dir, job.code)
    except Exception as exc:  # the kernel died or timed out, a finalising step failed, ...
        cell = kernel.current_cell if kernel is not None else None
        outcome.update(
            status="failed",
            cell=None if cell is None else cell + 1,
            error=_last_line(f"{type(exc).__name__}: {exc}"),
        )
        outcome["failed_notebook"] = _keep_failed(temp_notebook, cards_dir, job.code)
    finally:
        if outcome.get("status") != "ok":  # a good card is moved into place by the main process
            shutil.rmtree(staging, ignore_errors=True)
    outcome.update(finished=_now(), seconds=time.perf_counter() - clock)
    return outcome


def _unstage_parameters(nb, job: _Job) -> None:
    """Make the injected ``output_dir`` name the cards folder, where the files end up, not staging."""
    staged = job.parameters.get("output_dir")
    if not staged:
        return
    final = _relative(Path(job.cards_dir), Path(job.cwd))
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell.source = cell.source.replace(f'"{staged}"', f'"{final}"')


def _finalise(nb, job: _Job) -> None:
    """Prepare the executed notebook for Quarto (front matter, parameter cells hidden): hyte.card.card."""
    from hyte.card.card import finalize_notebook

    finalize_notebook(nb, job.code)


def _write_notebook(nb, path: Path) -> None:
    import nbformat

    path.write_text(nbformat.writes(nb), encoding="utf-8")


def _move_into_place(staging: Path, cards_dir: Path, notebook: Path) -> dict:
    """Move the card's files from staging into the cards folder, the notebook last (each os.replace)."""
    files = []
    for path in sorted(staging.iterdir()):
        if path == notebook:
            continue
        target = cards_dir / path.name
        if path.is_dir():
            _replace_dir(path, target)
        else:
            os.replace(path, target)
        files.append(str(target))
    target = cards_dir / notebook.name
    os.replace(notebook, target)
    return {"notebook": str(target), "files": files}


def _replace_dir(source: Path, target: Path) -> None:
    old = target.with_name(f"{_STAGING_PREFIX}old-{target.name}")
    if target.exists():
        os.replace(target, old)
    os.replace(source, target)
    shutil.rmtree(old, ignore_errors=True)


def _keep_failed(temp_notebook: Path, cards_dir: Path, code: str) -> str | None:
    """Move a failed card's notebook (if papermill wrote one) to ``_failed/<code>.ipynb``."""
    if not temp_notebook.is_file():
        return None
    target = cards_dir / FAILED_DIR / f"{code}.ipynb"
    target.parent.mkdir(exist_ok=True)
    os.replace(temp_notebook, target)
    return str(target)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[-1] if lines else str(text)
