"""The book's chapters executed by hyte, once per build, with the cards' warm-kernel engine.

The analyst edits the chapters as ``.qmd`` files (``index.qmd``, ``report/*.qmd``). The book's chapter
lists (``_quarto-<profile>.yml``, the appendices in ``_quarto.yml``) name the notebook hyte makes from
each: ``report/x.ipynb`` for ``report/x.qmd``, beside its source, so that the page keeps its address
(``report/x.html``), relative figure paths (``_kuvat/...``) resolve as before and ``index`` stays at the
project root, where a Quarto book needs it. Quarto renders a notebook without executing it
(``execute: ipynb: false`` in ``_quarto.yml``), so it starts no Jupyter kernel; a book renders only
the files its chapter lists name (Quarto >= 1.5, quarto-dev/quarto-cli#10588), so the ``.qmd``
sources themselves are not rendered.

For each chapter of the active profile (:func:`run_chapters`):

1. the source becomes a notebook (:mod:`hyte.book.qmd`: Markdown cells, code cells with their ``#|``
   option lines, exactly as Quarto's Jupyter engine makes its own intermediate notebook, from which it
   writes the Markdown of both a ``.qmd`` and an ``.ipynb`` input, quarto-dev/quarto-cli#6538, #12197);
2. its cache key is the sha256 of its source text, the profile, and the inputs' fingerprint the cards
   use (snapshot, catalog, plan, config, reference data, hyte's source; :func:`hyte.run.batch.input_fingerprint`).
   A chapter that prints the provenance line (``provenance_markdown``: build date and git commit) is
   also keyed by those two. An unchanged key is skipped: a build with nothing changed executes nothing
   and starts no kernel;
3. the others run on the cards' worker pool (:func:`hyte.run.batch._execute`): one worker per core,
   each with a warm kernel reset between notebooks, the project root as the working directory (as
   ``execute-dir: project``) and ``QUARTO_PROFILE`` set to the profile, as when Quarto runs them;
4. a finished notebook goes to ``.hyte-cache/chapters/<profile>/<source>.ipynb`` (atomic rename); a
   failed one to ``.hyte-cache/chapters/_failed/<profile>/...`` while the chapter keeps its previous
   good output; the run lists it and its exit code is 1;
5. every chapter's current notebook is copied beside its source (only when its content changed), the
   book's ``execute: echo/warning`` written into each code cell as ``#|`` options. A chapter whose last
   run failed gets a warning at the top of its page (as a card that is not current,
   :mod:`hyte.book.freshness`); one that never succeeded is a page that says so, under its heading.

Figure files a chapter writes (``report/_kuvat/*.png``) are found in its output (the image paths of
its Markdown) and must still exist for the chapter to be skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hyte.book import files as book
from hyte.errors import HyteError
from hyte.markup import md_text

CACHE_DIR = Path(".hyte-cache") / "chapters"
MANIFEST_NAME = "_manifest.json"
FAILED_DIR = "_failed"
SKIP_ENV = "HYTE_SKIP_CHAPTERS"
STALE_CELL_ID = "hyte-stale-chapter"
DEFAULT_TIMEOUT = 600  # seconds per cell
_PROVENANCE_CALL = re.compile(r"(?<![\w])provenance_markdown\(")
_IMAGE_PATH = re.compile(r"\]\(([^)\s]+)")
_HEADING = re.compile(r"^#\s+(.+?)\s*(\{[^}]*\})?\s*$", re.M)


# --- which chapters ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chapter:
    """One chapter of a profile: its ``.qmd`` source and the notebook the book lists (project-relative)."""

    source: str
    notebook: str


def profile_chapters(root: Path, profile: str) -> list[Chapter]:
    """The chapters hyte makes for ``profile``: every notebook its chapter lists name (a listed
    ``.qmd`` would be executed by Quarto itself and is not one of them), in reading order."""
    chapters = []
    for name in book.listed_chapters(root, profile):
        source = book.chapter_source(name)
        if source and Chapter(source, name) not in chapters:
            chapters.append(Chapter(source, name))
    return chapters


def chapter_title(text: str) -> str:
    """The chapter's first level-1 heading, without its attributes ('' when none)."""
    match = _HEADING.search(text)
    return match[1] if match else ""


# --- keys -----------------------------------------------------------------------------------------


def chapter_key(
    fingerprint: dict[str, Any], source: str, text: str, profile: str, extra: dict | None = None
) -> str:
    """A chapter's cache key (see the module doc)."""
    payload = json.dumps(
        {
            "inputs": fingerprint,
            "source": source,
            "text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "profile": profile,
            "extra": extra or {},
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _volatile_inputs(text: str, root: Path) -> dict[str, Any]:
    """What the provenance line states beside the inputs: the build date and the git commit."""
    if not _PROVENANCE_CALL.search(text):
        return {}
    from datetime import date

    from hyte.run.batch import git_commit

    return {"built": date.today().isoformat(), "git": git_commit(root)}


# --- results ----------------------------------------------------------------------------------------


@dataclass
class ChapterResult:
    """One chapter of a run: made ("ok"), unchanged ("skipped") or "failed"."""

    code: str  # the source, e.g. report/lahtokohdat.qmd (named like a card's code for the batch)
    name: str  # its title
    status: str
    notebook: str | None = None
    seconds: float = 0.0
    cell: int | None = None
    error: str | None = None
    failed_notebook: str | None = None
    kept: str | None = None  # failed: what the page shows ("previous" good output or "placeholder")

    def failure_line(self) -> str:
        where = "cell ?" if self.cell is None else f"cell {self.cell}"
        line = f"{self.code}: {where}: {self.error}"
        if self.failed_notebook:
            line += f" – see {self.failed_notebook}"
        if self.kept == "previous":
            line += "; the book shows its previous good output, marked as not current"
        elif self.kept == "placeholder":
            line += "; the book shows a page saying the chapter could not be made"
        return line


@dataclass
class ChaptersResult:
    """What :func:`run_chapters` did."""

    profile: str
    ok: list[ChapterResult] = field(default_factory=list)
    skipped: list[ChapterResult] = field(default_factory=list)
    failed: list[ChapterResult] = field(default_factory=list)
    seconds: float = 0.0
    engine: str = "warm"
    workers: int = 0
    kernels_started: bool = False
    written: list[str] = field(default_factory=list)  # book notebooks whose content changed
    manifest_path: Path | None = None
    interrupted: bool = False

    @property
    def executed(self) -> int:
        """Chapters whose code ran in this run (made or failed)."""
        return len(self.ok) + len(self.failed)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def summary_lines(self) -> list[str]:
        total = len(self.ok) + len(self.skipped) + len(self.failed)
        ran = f", {self.engine} kernels, {self.workers} worker(s)" if self.workers else ""
        lines = [
            f"{total} chapter(s) of profile '{self.profile}': {len(self.ok)} made, "
            f"{len(self.skipped)} unchanged, {len(self.failed)} failed in {self.seconds:.1f} s{ran}."
        ]
        if self.interrupted:
            lines[0] = "Interrupted: " + lines[0]
        lines += [f"FAILED {chapter.failure_line()}" for chapter in self.failed]
        return lines


# --- the run --------------------------------------------------------------------------------------------


@dataclass
class _ChapterJob:
    """What a worker needs to execute one chapter (picklable)."""

    code: str
    name: str
    input: str  # the unexecuted notebook (staging)
    output: str  # where the executed notebook is written (staging)
    failed: str  # where a failed notebook is kept
    kernel_name: str
    cwd: str
    timeout: float


def cache_dir(root: Path) -> Path:
    return Path(root) / CACHE_DIR


def _cached_path(root: Path, profile: str, source: str) -> Path:
    return cache_dir(root) / profile / (source[: -len(".qmd")] + ".ipynb")


def run_chapters(
    config,
    profile: str | None = None,
    *,
    workers: int | None = None,
    force: bool = False,
    progress: bool = True,
    engine: str = "warm",
    timeout: float = DEFAULT_TIMEOUT,
    config_path: Path | None = None,
) -> ChaptersResult:
    """Execute the profile's chapters that changed, keep the others, and write the book's chapter
    notebooks (see the module doc). A bad input raises HyteError (one line); a failing chapter does
    not stop the others."""
    from hyte.run import batch

    clock = time.perf_counter()
    if engine not in batch.ENGINES:
        raise HyteError(f"Unknown engine '{engine}': use one of {', '.join(batch.ENGINES)}.")
    if workers is not None and workers < 1:
        raise HyteError(f"--workers must be 1 or more (got {workers}).")
    profile = book.active_profile(profile)
    root = Path(config.root)
    if config.county == "all":
        raise HyteError(
            f"{root / 'hyte.yml'}: county: all makes the cards of every municipality, but the book "
            'is one county\'s report: set county to a county code (e.g. "15") to make its chapters.'
        )
    chapters = profile_chapters(root, profile)
    missing = [c.source for c in chapters if not (root / c.source).is_file()]
    if missing:
        raise HyteError(
            f"The book (profile '{profile}') lists chapters whose source does not exist: "
            f"{', '.join(missing)}. Restore them (git checkout) or fix _quarto.yml / "
            f"{book.profile_config_path(root, profile).name} (a chapter listed as x.ipynb is "
            "written as x.qmd)."
        )
    fingerprint = batch.input_fingerprint(
        config, root / batch.TEMPLATE, config.snapshot_path, config_path
    )
    store = cache_dir(root)
    store.mkdir(parents=True, exist_ok=True)
    lock = batch.CardsLock(store, "hyte chapters")
    lock.acquire()
    try:
        return _run_locked(
            config,
            profile,
            root,
            chapters,
            fingerprint,
            store,
            workers,
            force,
            progress,
            engine,
            timeout,
            clock,
        )
    finally:
        lock.release()


def _run_locked(
    config,
    profile,
    root,
    chapters,
    fingerprint,
    store,
    workers,
    force,
    progress,
    engine,
    timeout,
    clock,
) -> ChaptersResult:
    """The run itself, holding the lock of the chapter cache: plan, execute, record, publish."""
    from hyte.data.snapshot import write_json_atomic
    from hyte.run import batch

    manifest_path = store / MANIFEST_NAME
    manifest = batch._read_manifest(manifest_path)
    entries: dict[str, dict] = manifest.get("chapters", {}) if isinstance(manifest, dict) else {}
    result = ChaptersResult(profile=profile, engine=engine, manifest_path=manifest_path)
    staging_root = store / f".staging-{profile}"
    shutil.rmtree(staging_root, ignore_errors=True)

    jobs: list[_ChapterJob] = []
    keys: dict[str, str] = {}
    for chapter in chapters:
        text = (root / chapter.source).read_text(encoding="utf-8")
        key = chapter_key(fingerprint, chapter.source, text, profile, _volatile_inputs(text, root))
        entry_id = f"{profile}:{chapter.source}"
        keys[chapter.source] = key
        previous = entries.get(entry_id, {})
        title = chapter_title(text)
        if not force and _still_good(previous, key, root):
            result.skipped.append(
                ChapterResult(chapter.source, title, "skipped", previous.get("cached"))
            )
            continue
        import nbformat

        from hyte.book.qmd import qmd_to_notebook
        from hyte.data.snapshot import write_text_atomic

        staged = staging_root / (chapter.source[: -len(".qmd")] + ".ipynb")
        write_text_atomic(staged, nbformat.writes(qmd_to_notebook(text, source=chapter.source)))
        jobs.append(
            _ChapterJob(
                chapter.source,
                title,
                str(staged),
                str(staged.with_name(staged.stem + ".executed.ipynb")),
                str(store / FAILED_DIR / profile / (chapter.source[: -len(".qmd")] + ".ipynb")),
                "python3",
                str(root),
                timeout,
            )
        )
    # The longest chapters first (as long as the previous run took), so that the workers finish together.
    jobs.sort(key=lambda job: -float(entries.get(f"{profile}:{job.code}", {}).get("seconds") or 0))

    def save() -> None:
        payload = {
            "generated_by": "hyte chapters",
            "updated": batch._now(),
            "inputs": fingerprint,
            "last_run": {
                "profile": profile,
                "engine": engine,
                "workers": result.workers,
                "made": len(result.ok),
                "unchanged": len(result.skipped),
                "failed": len(result.failed),
                "seconds": round(time.perf_counter() - clock, 3),
            },
            "chapters": dict(sorted(entries.items())),
        }
        write_json_atomic(manifest_path, payload)

    def record(outcome: dict) -> ChapterResult:
        source = outcome["code"]
        entry_id = f"{profile}:{source}"
        previous = entries.get(entry_id, {})
        target = _cached_path(root, profile, source)
        if outcome["status"] == "ok":
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(outcome.pop("staged"), target)
            except OSError as exc:
                outcome.update(
                    status="failed", error=f"moving the chapter into place failed: {exc}"
                )
        notebook = next(c.notebook for c in chapters if c.source == source)
        entry = {
            "source": source,
            "notebook": notebook,
            "profile": profile,
            "status": outcome["status"],
            "cache_key": keys[source],
            "cached": _relative(target, root) if outcome["status"] == "ok" else None,
            "files": _referenced_files(target, root, notebook) if outcome["status"] == "ok" else [],
            "engine": engine,
            "started": outcome.get("started"),
            "finished": outcome.get("finished"),
            "seconds": round(outcome.get("seconds", 0.0), 3),
            "error": outcome.get("error"),
            "cell": outcome.get("cell"),
            "failed_notebook": _relative(Path(outcome["failed_notebook"]), root)
            if outcome.get("failed_notebook")
            else None,
        }
        if outcome["status"] != "ok":
            good = previous if previous.get("status") == "ok" else previous.get("previous_good")
            if good and (root / str(good.get("cached"))).is_file():
                entry["previous_good"] = {k: v for k, v in good.items() if k != "previous_good"}
        entries[entry_id] = entry
        chapter = ChapterResult(
            source,
            outcome.get("name", ""),
            outcome["status"],
            entry["cached"],
            outcome.get("seconds", 0.0),
            outcome.get("cell"),
            outcome.get("error"),
            entry["failed_notebook"],
            ("previous" if entry.get("previous_good") else "placeholder")
            if outcome["status"] != "ok"
            else None,
        )
        (result.ok if chapter.status == "ok" else result.failed).append(chapter)
        save()
        return chapter

    previous_profile = os.environ.get("QUARTO_PROFILE")
    try:
        if jobs:
            from hyte.run.kernels import notebook_imports

            result.workers = min(workers or os.cpu_count() or 1, len(jobs))
            result.kernels_started = True
            warm = []
            for job in jobs:
                warm += [m for m in notebook_imports(Path(job.input)) if m not in warm]
            os.environ["QUARTO_PROFILE"] = profile  # the workers and their kernels inherit it
            batch._execute(
                jobs,
                result.workers,
                engine,
                str(root),
                "python3",
                warm,
                progress,
                record,
                result,
                run_job=_run_chapter_job,
                label="luvut",
            )
    finally:
        if previous_profile is None:
            os.environ.pop("QUARTO_PROFILE", None)
        else:
            os.environ["QUARTO_PROFILE"] = previous_profile
        shutil.rmtree(staging_root, ignore_errors=True)
        result.written = publish(root, profile, chapters, entries)
        save()
        result.seconds = time.perf_counter() - clock
    if result.interrupted:
        raise KeyboardInterrupt
    return result


def _relative(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return str(path)


def _still_good(entry: dict, key: str, root: Path) -> bool:
    if entry.get("status") != "ok" or entry.get("cache_key") != key or not entry.get("cached"):
        return False
    return all((root / p).exists() for p in [entry["cached"], *entry.get("files", [])])


def _output_texts(nb) -> list[str]:
    """The text a notebook's code cells printed or displayed as Markdown (what Quarto reads as text)."""
    texts = []
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) or []:
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                text = output.get("text", "")
                texts.append("".join(text) if isinstance(text, list) else text)
            for mime in ("text/markdown", "text/html"):
                value = (output.get("data") or {}).get(mime)
                if value:
                    texts.append("".join(value) if isinstance(value, list) else value)
    return texts


def _referenced_files(path: Path, root: Path, notebook: str) -> list[str]:
    """The project files a chapter's output shows by a relative path (its figure files)."""
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - an unreadable notebook references nothing
        return []
    folder = (Path(root) / notebook).parent
    found = []
    for text in _output_texts(nb):
        for target in _IMAGE_PATH.findall(text):
            if "://" in target or target.startswith(("#", "/", "data:")):
                continue
            candidate = (folder / target.split("#")[0]).resolve()
            if candidate.is_file():
                relative = _relative(candidate, root)
                if relative not in found:
                    found.append(relative)
    return found


# --- inside a worker --------------------------------------------------------------------------------


def clean_notebook(nb):
    """Drop papermill's bookkeeping (run times, per-cell metadata) from an executed chapter."""
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        metadata = cell.setdefault("metadata", {})
        for key in ("papermill", "execution"):
            metadata.pop(key, None)
        if "tags" in metadata and not metadata["tags"]:
            metadata.pop("tags")
    return nb


def _run_chapter_job(job: _ChapterJob) -> dict:
    """Execute one chapter notebook in this worker's kernel. Never raises."""
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from hyte.run import batch
    from hyte.run.kernels import ENGINE_NAME

    kernel = batch._WORKER.get("kernel")
    outcome: dict[str, Any] = {"code": job.code, "name": job.name, "started": batch._now()}
    clock = time.perf_counter()
    output = Path(job.output)
    failed = Path(job.failed)
    failed.unlink(missing_ok=True)  # an older failure
    try:
        nb = papermill.execute_notebook(
            job.input,
            str(output),
            engine_name=ENGINE_NAME if kernel is not None else None,
            request_save_on_cell_execute=False,
            progress_bar=False,
            kernel_name=job.kernel_name,
            cwd=job.cwd,
            execution_timeout=job.timeout,
            **({"warm_kernel": kernel} if kernel is not None else {}),
        )
        output.write_text(nbformat.writes(clean_notebook(nb)), encoding="utf-8")
        outcome.update(status="ok", staged=str(output))
    except PapermillExecutionError as exc:
        outcome.update(
            status="failed",
            cell=_source_cell(exc.cell_index),
            error=batch._last_line(f"{exc.ename}: {exc.evalue}"),
        )
        outcome["failed_notebook"] = _keep_failed(output, failed)
    except Exception as exc:  # the kernel died or timed out, ...
        cell = kernel.current_cell if kernel is not None else None
        outcome.update(
            status="failed",
            cell=None if cell is None else _source_cell(cell),
            error=batch._last_line(f"{type(exc).__name__}: {exc}"),
        )
        outcome["failed_notebook"] = _keep_failed(output, failed)
    outcome.update(finished=batch._now(), seconds=time.perf_counter() - clock)
    return outcome


def _source_cell(index: int | None) -> int | None:
    """1-based position of the failing cell in the notebook (papermill puts an error note first)."""
    return None if index is None else index + 1


def _keep_failed(output: Path, failed: Path) -> str | None:
    if not output.is_file():
        return None
    failed.parent.mkdir(parents=True, exist_ok=True)
    os.replace(output, failed)
    return str(failed)


# --- the book's notebooks -------------------------------------------------------------------------------


def _warning_cell(text: str, cell_id: str = STALE_CELL_ID):
    import nbformat

    cell = nbformat.v4.new_markdown_cell(text)
    cell["id"] = cell_id
    return cell


def _stale_text(entry: dict) -> str:
    made = entry.get("previous_good") or {}
    return (
        "::: {.callout-warning}\n## Luku ei ole ajan tasalla\n\n"
        f"Luvun viimeisin ajo epäonnistui ({md_text(str(entry.get('error') or 'tuntematon virhe'))}). "
        f"Sivulla on {str(made.get('finished') or '?')[:10]} tehty luku, joten sen luvut eivät "
        "välttämättä vastaa kirjan muita lukuja. Luku päivittyy, kun virhe on korjattu ja kirja "
        "tehdään uudelleen (`hyte render`).\n:::"
    )


def _placeholder(source_text: str, entry: dict):
    """The page of a chapter that has never been made: its heading (keeping its id) and the reason."""
    import nbformat

    heading = next(
        (line for line in source_text.splitlines() if line.startswith("# ")), "# Luku puuttuu"
    )
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    nb.cells = [
        _warning_cell(heading + "\n", "hyte-heading"),
        _warning_cell(
            "::: {.callout-warning}\n## Lukua ei voitu tehdä\n\n"
            f"Luvun tekeminen epäonnistui ({md_text(str(entry.get('error') or 'tuntematon virhe'))}), "
            "eikä siitä ole aiempaa versiota. Luku päivittyy, kun virhe on korjattu ja kirja tehdään "
            "uudelleen (`hyte render`).\n:::"
        ),
    ]
    return nb


def _with_warning(nb, text: str | None):
    """``nb`` with the not-current warning after its first heading (none when ``text`` is None)."""
    nb.cells = [c for c in nb.cells if c.get("id") != STALE_CELL_ID]
    if text:
        at = next(
            (
                i + 1
                for i, c in enumerate(nb.cells)
                if c.cell_type == "markdown" and _HEADING.search("".join(c.source))
            ),
            0,
        )
        nb.cells.insert(at, _warning_cell(text))
    return nb


def project_cell_options(root: Path, profile: str) -> dict[str, str]:
    """The book's ``execute:`` output options that every chapter cell must follow (``echo``,
    ``warning``), as ``#|`` option values."""
    execute = book.book_config(root, profile).get("execute") or {}
    options = {}
    for name in ("echo", "warning"):
        if name in execute:
            value = execute[name]
            options[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return options


def with_cell_options(nb, options: dict[str, str]):
    """Write ``options`` into every code cell that does not set them itself, as ``#|`` lines (as the
    card notebook does): code stays hidden and warnings unprinted however Quarto merges a
    notebook's options with the project's (quarto-dev/quarto-cli#11682)."""
    from hyte.book.qmd import cell_options

    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        own = cell_options(cell.source)
        lines = [f"#| {name}: {value}\n" for name, value in options.items() if name not in own]
        cell.source = "".join(lines) + cell.source
    return nb


def _file_sha(path: Path) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def publish(root: Path, profile: str, chapters: list[Chapter], entries: dict) -> list[str]:
    """Write each chapter's current notebook beside its source (only when its content changed), with
    the book's cell options written into its cells (:func:`with_cell_options`); a failed chapter is its
    previous good output with a warning, or a page saying it is missing. Returns the notebooks
    written. What each page was made from is kept in its entry (``published``): a page whose file and
    origin are unchanged is not read again."""
    from hyte.data.snapshot import write_text_atomic

    options = project_cell_options(root, profile)
    written = []
    for chapter in chapters:
        entry = entries.get(f"{profile}:{chapter.source}")
        if not entry:
            continue
        good = entry if entry.get("status") == "ok" else entry.get("previous_good")
        path = root / good["cached"] if good and good.get("cached") else None
        usable = path is not None and path.is_file()
        stale = None if good is entry else _stale_text(entry)
        origin = {
            "from": _relative(path, root) if usable else None,
            "from_sha256": _file_sha(path) if usable else None,
            "warning": stale,
            "options": options,
        }
        if not usable:
            origin["source_sha256"] = _file_sha(root / chapter.source)
        target = root / chapter.notebook
        before = entry.get("published") or {}
        if {k: v for k, v in before.items() if k != "sha256"} == origin and before.get(
            "sha256"
        ) == _file_sha(target):
            continue  # this very page is in place
        import nbformat

        if usable:
            nb = nbformat.read(path, as_version=4)
            nb = _with_warning(nb, stale)
            nb = with_cell_options(nb, options)
        else:
            text = (root / chapter.source).read_text(encoding="utf-8")
            nb = _placeholder(text, entry)
        new = nbformat.writes(nb)
        try:
            old = target.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            old = None
        if old != new:
            write_text_atomic(target, new)
            written.append(chapter.notebook)
        entry["published"] = {**origin, "sha256": hashlib.sha256(new.encode("utf-8")).hexdigest()}
    return written
