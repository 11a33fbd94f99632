"""``hyte render`` and ``hyte build``: the Quarto book as an HTML site and a typst PDF.

``render`` prepares everything the book reads (the card list, the title metadata with the provenance,
the demo-data banner and PDF footer), checks that every file the book names exists, executes the
chapters that changed (:mod:`hyte.book.chapters`: Quarto then only typesets them), and runs
``quarto render`` for the profile and formats asked. ``build`` first makes the municipal cards
(incrementally, :func:`hyte.run.batch.run_cards`), then renders both formats.

Without Quarto everything up to the render still runs and the result says exactly how to install Quarto
(:data:`QUARTO_INSTALL_HELP`); ``hyte build`` then exits 0 when the cards succeeded (the build did all it
could), ``hyte render`` exits 1 (it could not do what it was asked).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hyte.book import files as book
from hyte.errors import HyteError

FORMATS = ("html", "typst")
MIN_QUARTO = (1, 9)
QUARTO_INSTALL_HELP = (
    "Quarto (1.9 or newer) is needed for the render and was not found on PATH. Install it in one of "
    "these ways, then run `hyte render`:\n"
    "  1. the installer for your system from https://quarto.org/docs/get-started/\n"
    '  2. pip (downloads Quarto while installing):  pip install -e ".[quarto]"\n'
    "  3. conda (Python, Quarto and hyte together): conda env create -f environment.yml && "
    "conda activate hyte"
)
_WARNING_LINE = re.compile(r"^\s*(WARN|WARNING)\b", re.IGNORECASE)
_ERROR_LINE = re.compile(r"^\s*ERROR\b")


@dataclass
class RenderResult:
    """What a render did. ``rendered`` is False when Quarto was not found (``message`` says what to do)."""

    profile: str
    formats: tuple[str, ...]
    output_dir: Path
    rendered: bool = False
    quarto_version: str | None = None
    warnings: list[str] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    log_path: Path | None = None
    message: str = ""
    cards: int = 0
    stale_cards: list = field(
        default_factory=list
    )  # hyte.book.freshness.CardCheck of cards not current
    chapters: object = None  # hyte.book.chapters.ChaptersResult of the chapters executed before

    @property
    def exit_code(self) -> int:
        """1 when the book was not rendered or a chapter failed (its page is marked), else 0."""
        failed = bool(getattr(self.chapters, "failed", None))
        return 0 if self.rendered and not failed else 1


class RenderInterrupted(KeyboardInterrupt):
    """Ctrl-C during ``quarto render``: the staging folder and Quarto's leftovers were removed."""


STAGING_SUFFIX = ".rendering"
# What Quarto leaves beside the sources while it renders (moved into the output folder at the end).
_LEFTOVER_SUFFIXES = (".html", ".typ", ".pdf", ".tex", ".quarto_ipynb", ".knit.md")


def quarto_executable() -> str | None:
    return shutil.which("quarto")


def parse_version(text: str) -> tuple[int, ...] | None:
    """'1.9.18' -> (1, 9, 18); None when the text holds no version."""
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text or "")
    if not match:
        return None
    return tuple(int(part) for part in match.groups() if part is not None)


def formats_for(to: str | None) -> tuple[str, ...]:
    """``--to`` to the formats rendered: None/'all' -> both; 'pdf' is accepted for 'typst'."""
    if to in (None, "", "all"):
        return FORMATS
    name = "typst" if to == "pdf" else to
    if name not in FORMATS:
        raise HyteError(f"--to {to}: the book has the formats {', '.join(FORMATS)} (or 'all').")
    return (name,)


def output_dir(root: Path, profile: str) -> Path:
    """The profile's output folder (``project: output-dir`` of ``_quarto.yml`` and the profile file)."""
    project = book.book_config(root, profile).get("project") or {}
    return Path(root) / str(project.get("output-dir") or "_book")


def output_stem(root: Path, profile: str) -> str:
    return str((book.book_config(root, profile).get("book") or {}).get("output-file") or "index")


def prepare(
    config, profile: str | None = None, *, chapters: bool | None = None, progress: bool = False
):
    """Write the card list and the generated book files, check every file the book names exists,
    and execute the chapters that changed (:func:`hyte.book.chapters.run_chapters`; ``chapters=False``
    skips that, and so does ``HYTE_SKIP_CHAPTERS=1`` when ``chapters`` is None); returns
    ``(profile, ChaptersResult or None)``. A missing chapter is a HyteError naming it."""
    if chapters is None:
        chapters = os.environ.get("HYTE_SKIP_CHAPTERS", "") not in ("1", "true")
    profile = book.active_profile(profile)
    book.sync_card_list(config)
    book.write_generated(config, profile)
    missing = book.missing_files(config.root, profile)
    if missing:
        raise HyteError(
            f"The book (profile '{profile}') names files that do not exist: "
            f"{', '.join(missing)}. Restore them (git checkout) or fix _quarto.yml / "
            f"{book.profile_config_path(config.root, profile).name}."
        )
    made = None
    if chapters:
        from hyte.book.chapters import run_chapters

        made = run_chapters(config, profile, progress=progress)
    return profile, made


def quarto_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for ``quarto render``: this Python first on PATH (the pre-render hook and the
    Jupyter kernel then use the interpreter hyte runs in), QUARTO_PYTHON set to it, and the card batch
    skipped in the pre-render hook (``hyte render`` renders only), and the chapters too (``prepare``
    has just executed them)."""
    env = dict(os.environ if base is None else base)
    python_dir = str(Path(sys.executable).parent)
    env["PATH"] = python_dir + os.pathsep + env.get("PATH", "")
    env["QUARTO_PYTHON"] = sys.executable
    env["HYTE_SKIP_CARDS"] = "1"
    env["HYTE_SKIP_CHAPTERS"] = "1"  # hyte has executed the chapters just before (prepare)
    return env


def quarto_command(quarto: str, profile: str, formats: tuple[str, ...]) -> list[str]:
    command = [quarto, "render", "--profile", profile]
    if formats != FORMATS:
        command += ["--to", formats[0]]
    return command


def _quarto_version(quarto: str) -> str | None:
    try:
        done = subprocess.run([quarto, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def _run_streaming(
    command: list[str], cwd: Path, env: dict[str, str], echo: Callable[[str], None]
) -> tuple[int, list[str]]:
    """Run ``command``, echo each output line as it comes, return the exit code and the lines."""
    lines: list[str] = []
    with subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            line = line.rstrip("\n")
            lines.append(line)
            echo(line)
        return process.wait(), lines


def warning_lines(lines: list[str]) -> list[str]:
    """Quarto's warning lines ('WARN ...', 'WARNING: ...') in a render's output."""
    return [line.strip() for line in lines if _WARNING_LINE.match(line)]


def expected_outputs(root: Path, profile: str, formats: tuple[str, ...]) -> list[Path]:
    folder = output_dir(root, profile)
    outputs = []
    if "html" in formats:
        outputs.append(folder / "index.html")
    if "typst" in formats:
        outputs.append(folder / f"{output_stem(root, profile)}.pdf")
    return outputs


def render(
    config,
    profile: str | None = None,
    to: str | None = None,
    *,
    echo: Callable[[str], None] | None = None,
    runner=None,
    progress: bool = False,
    chapters: bool | None = None,
) -> RenderResult:
    """Prepare the book (its chapters executed, :func:`prepare`) and run ``quarto render`` (see the
    module doc). ``runner(command, cwd, env, echo) -> (exit code, lines)`` replaces the subprocess in
    tests."""
    echo = echo or (lambda line: print(line, file=sys.stderr))
    formats = formats_for(to)
    profile, chapters = prepare(config, profile, chapters=chapters, progress=progress)
    root = Path(config.root)
    result = RenderResult(
        profile=profile,
        formats=formats,
        output_dir=output_dir(root, profile),
        cards=len(book.read_card_list(root)),
        chapters=chapters,
    )
    from hyte.book.freshness import check_and_mark_cards

    result.stale_cards = check_and_mark_cards(config)
    quarto = quarto_executable()
    if quarto is None:
        result.message = QUARTO_INSTALL_HELP
        return result
    version_text = _quarto_version(quarto)
    version = parse_version(version_text or "")
    if version is not None and version[:2] < MIN_QUARTO:
        raise HyteError(
            f"Quarto {version_text} is too old for the typst book: install 1.9 or newer "
            '(https://quarto.org/docs/get-started/, or pip install -e ".[quarto]").'
        )
    result.quarto_version = version_text
    final = result.output_dir
    staging = final.with_name(final.name + STAGING_SUFFIX)
    shutil.rmtree(staging, ignore_errors=True)
    command = quarto_command(quarto, profile, formats) + [
        "--output-dir",
        _for_quarto(staging, root),
    ]
    before = _source_entries(root, config)
    try:
        code, lines = (runner or _run_streaming)(command, root, quarto_environment(), echo)
    except KeyboardInterrupt:
        shutil.rmtree(staging, ignore_errors=True)
        raise RenderInterrupted(
            f"the render was stopped; the previous site in {final} is unchanged."
        ) from None
    finally:
        _remove_leftovers(root, config, before)
    log = root / ".hyte-cache" / f"render-{profile}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    book_log = "$ " + " ".join(command) + "\n" + "\n".join(lines) + "\n"
    from hyte.data.snapshot import write_text_atomic

    write_text_atomic(log, book_log)
    result.log_path = log
    result.warnings = warning_lines(lines)
    if code != 0:
        shutil.rmtree(staging, ignore_errors=True)
        errors = [line.strip() for line in lines if _ERROR_LINE.match(line)]
        last = errors[-1] if errors else (lines[-1].strip() if lines else "no output")
        raise HyteError(
            f"quarto render failed (exit {code}): {last} – full output in {log}; the "
            f"previous site in {final.name} is unchanged."
        )
    expected = expected_outputs(root, profile, formats)
    absent = [str(p) for p in expected if not (staging / p.relative_to(final)).is_file()]
    if absent or not staging.is_dir():
        shutil.rmtree(staging, ignore_errors=True)
        raise HyteError(
            f"quarto render finished but did not write {', '.join(absent) or staging}; "
            f"see {log}. The previous site in {final.name} is unchanged."
        )
    _swap_in(staging, final)
    result.outputs = expected
    result.rendered = True
    result.message = (
        f"Rendered profile '{profile}' ({', '.join(formats)}) into {result.output_dir}."
    )
    return result


def _for_quarto(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def _swap_in(staging: Path, final: Path) -> None:
    """Replace ``final`` by the finished ``staging`` folder: two renames, the old site removed last."""
    old = final.with_name(final.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        os.replace(final, old)
    try:
        os.replace(staging, final)
    except BaseException:
        if old.exists() and not final.exists():
            os.replace(old, final)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _source_folders(root: Path, config) -> list[Path]:
    folders = [root, root / "report", root / "notebooks"]
    cards = Path(config.cards_dir)
    if cards.is_dir():
        folders.append(cards)
    return folders


def _source_entries(root: Path, config) -> set[Path]:
    """The files and folders beside the book's sources before a render."""
    entries: set[Path] = set()
    for folder in _source_folders(root, config):
        if folder.is_dir():
            entries.update(folder.iterdir())
    return entries


def _remove_leftovers(root: Path, config, before: set[Path]) -> None:
    """Remove what Quarto left beside the sources (html, typst, ``*_files/``) that was not there
    before the render: after an interrupted or failed render the source tree is as it was."""
    for entry in _source_entries(root, config) - before:
        name = entry.name
        if entry.is_dir() and name.endswith("_files"):
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.is_file() and name.endswith(_LEFTOVER_SUFFIXES):
            entry.unlink(missing_ok=True)


def build(
    config,
    profile: str | None = None,
    to: str | None = None,
    *,
    workers: int | None = None,
    force: bool = False,
    progress: bool = False,
    echo: Callable[[str], None] | None = None,
    runner=None,
):
    """Make the cards, then render; returns ``(BatchResult, RenderResult)``. The render runs also when
    some cards failed (their previous good output is used, or they are left out of the book)."""
    from hyte.plan.consistency import check_plan_county
    from hyte.run.batch import run_cards

    check_plan_county(config)  # one line before any card is made with another county's plan
    cards = run_cards(config, workers=workers, force=force, progress=progress)
    rendered = render(config, profile, to, echo=echo, runner=runner, progress=progress)
    return cards, rendered
