"""Benchmark: the cards of the whole country (`county: all`) from a synthetic whole-country demo.

    python benchmarks/bench_country.py              # all 308 municipalities
    python benchmarks/bench_country.py --limit 20   # the first 20 (by county, then name)

In a temporary project (hyte.yml with `county: all`, data/ and notebooks/ linked) it makes the demo
snapshot of the whole country (`hyte demo --county all`), then runs `hyte cards` and prints the
wall-clock seconds, seconds per card and the peak memory of the whole process tree (the main process,
its workers and their kernels, sampled every 0.2 s from /proc; as the sum of resident sizes and as the
sum of proportional set sizes, which counts shared pages once), against the targets of issue 13
(308 cards in ≤ 5 min, ≤ 2 GB).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS, TARGET_BYTES, ALL = 300, 2 * 1024**3, 308


def _pss(pid: int) -> int:
    """Proportional set size (bytes) of ``pid``: its private pages plus its share of pages it shares
    with other processes (the forked workers share most of their parent's), from smaps_rollup."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _rss(pid: int) -> int:
    """Resident size (bytes) of ``pid``."""
    try:
        with open(f"/proc/{pid}/statm", encoding="utf-8") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _tree_memory(pid: int) -> tuple[int, int]:
    """(resident, proportional) memory in bytes of ``pid`` and all its descendants: the sum of
    resident sizes counts a page shared by several processes once per process; the proportional
    sum counts it once."""
    pids = _tree_pids(pid)
    return sum(_rss(p) for p in pids), sum(_pss(p) for p in pids)


def _tree_pids(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def run_measured(command: list[str], cwd: Path) -> tuple[float, int, str, int]:
    """Run ``command``; (seconds, peak resident bytes of its process tree, output, peak
    proportional bytes)."""
    env = {**os.environ, "HYTE_ROOT": str(cwd)}
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    peak = peak_pss = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_pss
        while not done.is_set():
            rss, pss = _tree_memory(process.pid)
            peak, peak_pss = max(peak, rss), max(peak_pss, pss)
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    done.set()
    sampler.join()
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed (exit {process.returncode}):\n{output[-2000:]}")
    return seconds, peak, output, peak_pss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N municipalities")
    parser.add_argument("--workers", type=int, default=None, help="hyte cards --workers")
    args = parser.parse_args()

    from hyte.data.regions import ALL_COUNTIES, load_regions

    codes = [m.code for m in load_regions(ROOT / "data" / "reference").selection(ALL_COUNTIES)]
    chosen = codes[: args.limit] if args.limit else codes
    with tempfile.TemporaryDirectory(prefix="hyte-country-") as temp:
        project = Path(temp) / "project"
        project.mkdir()
        (project / "data").mkdir()
        for name in os.listdir(ROOT / "data"):
            if name not in ("snapshots",):
                (project / "data" / name).symlink_to(ROOT / "data" / name)
        (project / "data" / "snapshots").mkdir()
        (project / "notebooks").symlink_to(ROOT / "notebooks", target_is_directory=True)
        (project / "hyte.yml").write_text(
            "county: all\nsnapshot: demo-koko-maa\n", encoding="utf-8"
        )
        hyte = [sys.executable, "-m", "hyte.cli"]
        demo_seconds, demo_peak, _, _ = run_measured([*hyte, "demo", "--county", "all"], project)
        command = [*hyte, "cards", *(chosen if args.limit else [])]
        if args.workers:
            command += ["--workers", str(args.workers)]
        seconds, peak, output, peak_pss = run_measured(command, project)
        summary = [line for line in output.splitlines() if "card(s):" in line]
        shutil.rmtree(project / "municipal_cards", ignore_errors=True)

    n = len(chosen)
    projected = seconds / n * ALL
    print(
        f"{os.cpu_count()} CPU core(s); whole-country demo snapshot: {demo_seconds:.1f} s, "
        f"peak {demo_peak / 1024**2:.0f} MB"
    )
    print(summary[-1] if summary else output[-500:])
    print(f"{'measure':<34}{'value':>12}{'target':>12}{'ratio':>9}")
    print(f"{'hyte cards, ' + str(n) + ' cards (s)':<34}{seconds:>12.1f}{'':>12}")
    print(
        f"{'seconds per card':<34}{seconds / n:>12.2f}{TARGET_SECONDS / ALL:>12.2f}"
        f"{(seconds / n) / (TARGET_SECONDS / ALL):>8.1f}×"
    )
    print(
        f"{'308 cards (s, projected)' if args.limit else '308 cards (s)':<34}{projected:>12.0f}"
        f"{TARGET_SECONDS:>12}{projected / TARGET_SECONDS:>8.1f}×"
    )
    print(
        f"{'peak memory, sum of RSS (MB)':<34}{peak / 1024**2:>12.0f}{TARGET_BYTES / 1024**2:>12.0f}"
        f"{peak / TARGET_BYTES:>8.2f}×"
    )
    print(
        f"{'peak memory, sum of PSS (MB)':<34}{peak_pss / 1024**2:>12.0f}"
        f"{TARGET_BYTES / 1024**2:>12.0f}{peak_pss / TARGET_BYTES:>8.2f}×"
    )
    print(
        "(RSS counts a page the forked workers share with their parent once per process; PSS "
        "splits it among them, so its sum is the memory the run really holds.)"
    )


if __name__ == "__main__":
    main()
