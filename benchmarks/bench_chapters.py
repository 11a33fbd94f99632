"""Benchmark: the book's chapters executed Quarto-style against hyte's chapter engine, in one run.

    python benchmarks/bench_chapters.py                 # the laaja profile's 12 chapters
    python benchmarks/bench_chapters.py --profile vuosiraportti

Each side gets its own temporary project (data/ linked, the chapters and book files copied), so the
real project's chapters and caches are untouched. Wall-clock seconds:

1. baseline, Quarto-style: each chapter of the profile converted to a notebook as Quarto's Jupyter engine
   does and executed in a fresh kernel (nbclient), one after another, from the project root, with
   QUARTO_PROFILE set; twice, once per format (HTML and typst), as `quarto render` did before hyte
   executed the chapters (the first pass alone is shown too);
2. `hyte chapters --force` (cold: every chapter, parallel workers with warm kernels, interpreter
   start-up included);
3. `hyte chapters` again with nothing changed (every chapter skipped, no kernel started).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hyte.book.chapters import profile_chapters
from hyte.book.qmd import qmd_to_notebook

ROOT = Path(__file__).resolve().parents[1]
BOOK_FILES = [
    "hyte.yml",
    "_quarto.yml",
    "_quarto-laaja.yml",
    "_quarto-vuosiraportti.yml",
    "_brand.yml",
]


def make_project(source: Path, target: Path) -> Path:
    """A project folder sharing ``source``'s data, notebooks and styles, with its own chapters and outputs."""
    target.mkdir(parents=True)
    for name in BOOK_FILES + ["index.qmd"]:
        shutil.copy(source / name, target / name)
    (target / "report").mkdir()
    for path in (source / "report").glob("*.qmd"):
        shutil.copy(path, target / "report" / path.name)
    for name in ("data", "notebooks", "styles"):
        (target / name).symlink_to(source / name, target_is_directory=True)
    return target


def quarto_style(project: Path, profile: str) -> tuple[float, dict[str, float]]:
    """Every chapter in a fresh kernel, one after another (one format's pass); seconds, per chapter."""
    import nbformat
    from nbclient import NotebookClient

    per_chapter = {}
    start = time.perf_counter()
    for chapter in profile_chapters(project, profile):
        clock = time.perf_counter()
        text = (project / chapter.source).read_text(encoding="utf-8")
        nb = qmd_to_notebook(text, source=chapter.source)
        NotebookClient(
            nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(project)}}
        ).execute()
        nbformat.writes(nb)  # Quarto reads the executed notebook back
        per_chapter[chapter.source] = time.perf_counter() - clock
    return time.perf_counter() - start, per_chapter


def timed(command: list[str], cwd: Path, label: str) -> tuple[float, str]:
    env = {**os.environ, "HYTE_ROOT": str(cwd)}
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        sys.exit(f"{label} failed (exit {done.returncode}):\n" + "\n".join(tail))
    return seconds, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="laaja", help="book profile (default laaja)")
    parser.add_argument("--workers", type=int, default=None, help="hyte chapters --workers")
    parser.add_argument("--project", type=Path, default=ROOT, help="project to benchmark")
    args = parser.parse_args()
    project = args.project.resolve()
    chapters = profile_chapters(project, args.profile)
    hyte = [sys.executable, "-m", "hyte.cli", "chapters", "--profile", args.profile]
    if args.workers:
        hyte += ["--workers", str(args.workers)]

    with tempfile.TemporaryDirectory(prefix="hyte-bench-chapters-") as temp:
        base = make_project(project, Path(temp) / "baseline")
        print(
            f"{len(chapters)} chapters of profile '{args.profile}', {os.cpu_count()} CPU core(s); "
            "baseline: a fresh kernel per chapter, one pass per format",
            flush=True,
        )
        os.environ["HYTE_ROOT"], os.environ["QUARTO_PROFILE"] = str(base), args.profile
        html, per_chapter = quarto_style(base, args.profile)
        print(f"  pass 1 (html): {html:.1f} s", flush=True)
        typst, _ = quarto_style(base, args.profile)
        print(f"  pass 2 (typst): {typst:.1f} s", flush=True)
        del os.environ["QUARTO_PROFILE"]

        engine_root = make_project(project, Path(temp) / "engine")
        cold, output = timed([*hyte, "--force"], engine_root, "hyte chapters --force")
        made = int(re.search(r"(\d+) made", output)[1])
        workers = re.search(r"(\d+) worker", output)
        if made != len(chapters):
            sys.exit(f"hyte chapters made {made} chapters, expected {len(chapters)}:\n{output}")
        rerun, output = timed(hyte, engine_root, "hyte chapters (no change)")
        rerun_made = int(re.search(r"(\d+) made", output)[1])

    baseline = html + typst
    rows = [
        ("Quarto-style, both formats (baseline)", baseline),
        ("Quarto-style, one format", html),
        (f"hyte chapters --force ({workers[1] if workers else '?'} workers)", cold),
        ("hyte chapters (nothing changed)", rerun),
    ]
    print()
    print(f"{'run':<42}{'chapters':>9}{'kernels':>9}{'seconds':>10}{'speed-up':>10}")
    kernels = [2 * len(chapters), len(chapters), int(workers[1]) if workers else 0, 0]
    for (label, seconds), started in zip(rows, kernels, strict=True):
        print(
            f"{label:<42}{len(chapters):>9}{started:>9}{seconds:>10.1f}{baseline / seconds:>9.1f}×"
        )
    slowest = sorted(per_chapter.items(), key=lambda item: -item[1])[:3]
    print(
        "\nSlowest chapters in a fresh kernel (one pass): "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in slowest)
    )
    if rerun_made:
        print(
            f"Note: the rerun made {rerun_made} chapter(s): an input changed during the benchmark."
        )


if __name__ == "__main__":
    main()
