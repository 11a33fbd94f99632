"""Benchmark: the county-wide results computed once and shared (hyte.card.shared), side by side, in one run.

    python benchmarks/bench_shared.py             # the demo project (hyte.yml of this checkout)
    python benchmarks/bench_shared.py --repeat 3  # best of 3 of each timing
    python benchmarks/bench_shared.py --no-rerun  # skip the `hyte cards` no-change rerun

In one warm process (tables loaded, modules imported), as a chapter or a card kernel sees it:

1. a chapter's ``chapter_context().county_summary`` + ``.municipal`` + the women/men county summaries:
   computed (as before the cache) vs read from the cache files by a new process-level object;
2. a card's data part (``summary``, ``sex_data``, ``fitness``): computed vs read;
3. ``hyte cards`` with nothing changed (a subprocess, interpreter start-up included), against the
   1,0 s target; if some cards were not up to date the first call makes them and the second is timed.

The cache folder is the project's own ``.hyte-cache/shared`` (made if missing).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def best(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--municipality", default="179")
    parser.add_argument("--no-rerun", action="store_true")
    args = parser.parse_args()

    from hyte.book.report import Chapter
    from hyte.card import card as card_module
    from hyte.card import shared
    from hyte.config import load_config
    from hyte.context import load_context

    config = load_config(root=ROOT)
    ctx = load_context(config)
    ctx.table  # loaded once, as in a warm kernel  # noqa: B018
    shared.ensure(ctx)  # the cache files exist (hyte cards makes them before its workers start)
    county_id = ctx.county.sotkanet_id

    def chapter_computed():
        shared._compute(ctx, "municipal", "fi")
        shared._compute(ctx, "county", "fi")  # total, male, female

    def chapter_cached():
        shared._CACHE.clear()  # a new chapter process: read from disk
        chapter = Chapter(ctx)
        chapter.county_summary, chapter.municipal  # noqa: B018
        chapter.summary(county_id, sex="male"), chapter.summary(county_id, sex="female")

    def card(cached: bool):
        shared._CACHE.clear()
        kortti = card_module.open_card(args.municipality, output_dir=ROOT / ".hyte-cache" / "b")
        if not cached:
            kortti.__dict__["shared"] = None  # the cached_property: as before the cache
        kortti.summary, kortti.sex_data, kortti.fitness  # noqa: B018

    rows = [
        (
            "chapter: county_summary + municipal + women/men",
            best(chapter_computed, args.repeat),
            best(chapter_cached, args.repeat),
        ),
        (
            f"card {args.municipality}: summary + sex_data + fitness",
            best(lambda: card(False), args.repeat),
            best(lambda: card(True), args.repeat),
        ),
    ]
    print(f"{'':52} {'computed':>10} {'cached':>10} {'ratio':>8}")
    for label, before, after in rows:
        print(f"{label:52} {before:9.3f}s {after:9.3f}s {before / after:7.1f}×")

    if not args.no_rerun:
        hyte = Path(sys.executable).with_name("hyte")
        env = {**os.environ, "HYTE_ROOT": str(ROOT)}
        seconds = []
        for _ in range(max(2, args.repeat + 1)):
            start = time.perf_counter()
            done = subprocess.run(
                [str(hyte), "cards"], cwd=ROOT, env=env, capture_output=True, text=True
            )
            seconds.append(time.perf_counter() - start)
            if done.returncode != 0:
                sys.exit("hyte cards failed:\n" + (done.stderr or done.stdout)[-800:])
        made = done.stdout.splitlines()[0] if done.stdout else ""
        rerun = min(seconds[1:])
        print(
            f"{'hyte cards, nothing changed (target 1,0 s)':52} {'':>10} {rerun:9.3f}s "
            f"{1.0 / rerun:7.1f}× of target   ({made})"
        )


if __name__ == "__main__":
    main()
