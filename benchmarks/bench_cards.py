"""Benchmark: `hyte cards` against a naive sequential loop of the papermill command, in one run.

    python benchmarks/bench_cards.py                     # baseline 3 cards, hyte all 22
    python benchmarks/bench_cards.py --baseline-cards 22 # the baseline over every card too
    python benchmarks/bench_cards.py --quick             # 4 cards
    python benchmarks/bench_cards.py --fresh             # also time `hyte cards --engine fresh`

Ratios are per card (the baseline runs fewer cards than hyte: it takes about 9 s a card). Targets of
issue 13, printed with the result: `hyte cards` cold ≥ 10× faster a card than the papermill loop, a
rerun with nothing changed ≤ 1 s for the whole command.

Each side gets its own temporary project (hyte.yml copied, data/ and notebooks/ linked) so neither sees
the other's outputs and the real project's municipal_cards/ is untouched. Timings are wall-clock seconds
of the whole commands, interpreter start-up included:

1. baseline: `papermill notebooks/municipal_card.ipynb <out>/<code>-<slug>.ipynb -p municipality <code>`
   once per card, one after another;
2. `hyte cards --force` (parallel workers with warm kernels);
3. `hyte cards` again with nothing changed (every card skipped).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hyte.config import load_config
from hyte.data.regions import load_regions
from hyte.run.batch import TEMPLATE, card_stem, template_parameters

ROOT = Path(__file__).resolve().parents[1]
#: The papermill command of this interpreter's environment (the venv need not be activated).
PAPERMILL = (
    str(Path(sys.executable).with_name("papermill"))
    if Path(sys.executable).with_name("papermill").exists()
    else "papermill"
)


def make_project(source: Path, target: Path) -> Path:
    """A project folder that shares ``source``'s data and notebooks but has its own outputs."""
    target.mkdir(parents=True)
    shutil.copy(source / "hyte.yml", target / "hyte.yml")
    for name in ("data", "notebooks"):
        (target / name).symlink_to(source / name, target_is_directory=True)
    return target


def timed(command: list[str], cwd: Path, label: str) -> tuple[float, str]:
    """Run ``command`` in project ``cwd``; its wall-clock seconds and its output."""
    env = {**os.environ, "HYTE_ROOT": str(cwd)}
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        sys.exit(f"{label} failed (exit {done.returncode}):\n" + "\n".join(tail))
    return seconds, done.stdout


def card_seconds(project: Path, cards: str) -> list[float]:
    """Seconds each card took inside its worker (from the run manifest)."""
    manifest = json.loads((project / cards / "_manifest.json").read_text(encoding="utf-8"))
    return [entry["seconds"] for entry in manifest["cards"].values()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 cards instead of the whole county")
    parser.add_argument(
        "--fresh", action="store_true", help="also time `hyte cards --engine fresh`"
    )
    parser.add_argument("--workers", type=int, default=None, help="hyte cards --workers")
    parser.add_argument(
        "--baseline-cards", type=int, default=3, help="cards the papermill loop makes (default 3)"
    )
    parser.add_argument("--project", type=Path, default=ROOT, help="project to benchmark")
    args = parser.parse_args()

    project = args.project.resolve()
    config = load_config(root=project)
    template = project / TEMPLATE
    if not template.is_file():
        sys.exit(f"{template} does not exist yet: nothing to benchmark.")
    municipalities = load_regions(project / "data" / "reference").county_municipalities(
        config.county
    )
    if args.quick:
        municipalities = municipalities[:4]
    codes = [m.code for m in municipalities]
    writes_files = "output_dir" in template_parameters(template)
    hyte = [sys.executable, "-m", "hyte.cli", "cards", *(codes if args.quick else [])]
    if args.workers:
        hyte += ["--workers", str(args.workers)]

    with tempfile.TemporaryDirectory(prefix="hyte-bench-") as temp:
        base_root = make_project(project, Path(temp) / "baseline")
        out = base_root / "cards"
        out.mkdir()
        print(
            f"{len(codes)} cards of county {config.county}, {os.cpu_count()} CPU core(s); "
            f"baseline: papermill CLI one card after another",
            flush=True,
        )
        baseline = 0.0
        baseline_cards = municipalities[: max(1, min(args.baseline_cards, len(municipalities)))]
        for municipality in baseline_cards:
            command = [
                PAPERMILL,
                str(template),
                str(out / f"{card_stem(municipality)}.ipynb"),
                "-r",
                "municipality",
                municipality.code,
            ]
            if writes_files:
                command += ["-r", "output_dir", str(out)]
            baseline += timed(command, base_root, f"papermill {municipality.code}")[0]
        print(f"  baseline done: {baseline:.1f} s", flush=True)

        rows = [("papermill CLI, sequential loop", baseline, len(baseline_cards))]
        if args.fresh:
            fresh_root = make_project(project, Path(temp) / "fresh")
            rows.append(
                (
                    "hyte cards --force --engine fresh",
                    timed([*hyte, "--force", "--engine", "fresh"], fresh_root, "hyte (fresh)")[0],
                    len(codes),
                )
            )
        hyte_root = make_project(project, Path(temp) / "hyte")
        forced, output = timed([*hyte, "--force"], hyte_root, "hyte cards --force")
        rows.append(("hyte cards (cold, first run)", forced, len(codes)))
        workers = int(re.search(r"(\d+) worker", output)[1])
        per_card = card_seconds(hyte_root, config.outputs.cards)
        if len(per_card) != len(codes):
            sys.exit(f"hyte cards made {len(per_card)} cards, expected {len(codes)}")
        rerun, output = timed(hyte, hyte_root, "hyte cards (no change)")
        rows.append(("hyte cards (nothing changed)", rerun, len(codes)))
        rerun_made = int(re.search(r"(\d+) made", output)[1])

    print()
    print(f"{'command':<36}{'cards':>6}{'seconds':>10}{'s/card':>9}{'per card vs baseline':>22}")
    base_per_card = baseline / len(baseline_cards)
    for label, seconds, cards in rows:
        print(
            f"{label:<36}{cards:>6}{seconds:>10.1f}{seconds / cards:>9.2f}"
            f"{base_per_card / (seconds / cards):>21.1f}×"
        )
    speed_up = base_per_card / (forced / len(codes))
    print(
        f"\nTargets (issue 13): cold run ≥ 10× a card: {speed_up:.1f}× "
        f"({'met' if speed_up >= 10 else 'NOT met'}); rerun with nothing changed ≤ 1 s: "
        f"{rerun:.2f} s ({'met' if rerun <= 1 else 'NOT met'})."
    )
    busy = sum(per_card)
    print(
        f"Where `hyte cards` (cold) spent its time ({workers} workers): the cards themselves ran "
        f"{busy:.1f} s in the kernels ({busy / len(per_card):.2f} s a card, "
        f"{busy / workers:.1f} s per worker); start-up and the rest took "
        f"{forced - busy / workers:.1f} s."
    )
    if rerun_made:
        print(
            f"Note: the rerun made {rerun_made} card(s): an input (hyte's source, data) changed "
            "during the benchmark."
        )


if __name__ == "__main__":
    main()
