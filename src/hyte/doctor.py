"""``hyte doctor``: what is installed, what is configured, what is missing and how to get it."""

from __future__ import annotations

import platform
import shutil
import subprocess
from importlib import metadata

from rich.console import Console
from rich.table import Table
from rich.text import Text

from hyte import __version__
from hyte.config import Config
from hyte.errors import HyteError

PACKAGES = [
    "pandas",
    "numpy",
    "scipy",
    "pyarrow",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbclient",
    "ipykernel",
    "pydantic",
    "pyyaml",
    "requests",
    "tenacity",
    "typer",
    "rich",
]
QUARTO_HELP = (
    "Quarto not found. Install it (1.9 or newer) from https://quarto.org/docs/get-started/ , "
    'or `pip install -e ".[quarto]"` (downloads Quarto while installing), '
    "or `conda env create -f environment.yml`."
)


def quarto_version() -> str | None:
    """Quarto's version, or None when the quarto command is not on PATH."""
    exe = shutil.which("quarto")
    if not exe:
        return None
    try:
        done = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "MISSING"


def run_doctor(config: Config, console: Console | None = None) -> int:
    """Print the checks; return 0 when everything needed for `hyte build` is in place, else 1."""
    console = console or Console()
    problems = 0
    table = Table(title=f"hyte {__version__}", show_header=True)
    table.add_column("check")
    table.add_column("result")
    table.add_row("Python", f"{platform.python_version()} ({platform.python_implementation()})")
    for name in PACKAGES:
        version = _version(name)
        problems += version == "MISSING"
        table.add_row(name, version)
    quarto = quarto_version()
    table.add_row("Quarto", quarto or Text(QUARTO_HELP, style="yellow"))
    table.add_row("project root", str(config.root))
    table.add_row("county", config.county)
    table.add_row("council term", config.council_term)
    table.add_row("reporting year", str(config.reporting_year))
    try:
        from hyte.data.snapshot import open_snapshot

        snapshot = open_snapshot(config.snapshot_path)
        kind = "[bold yellow]DEMO DATA (synthetic)[/]" if snapshot.synthetic else snapshot.source
        table.add_row(
            "snapshot",
            f"{snapshot.id}: {snapshot.path} – {kind}, {snapshot.manifest.get('rows', '?')} rows",
        )
        damaged = snapshot.verify()
        if damaged:
            problems += 1
            table.add_row("snapshot files", f"[red]{damaged[0]}[/] (+{len(damaged) - 1})")
    except HyteError as exc:
        problems += 1
        table.add_row("snapshot", f"[red]{exc}[/]")
    try:
        from hyte.data.catalog import load_catalog

        catalog = load_catalog(config.catalog_path)
        table.add_row("catalog", f"{config.catalog_path}: {len(catalog)} indicators")
    except HyteError as exc:
        problems += 1
        table.add_row("catalog", f"[red]{exc}[/]")
    console.print(table)
    limits = _fitness(config, console)
    if problems:
        console.print(f"[red]{problems} problem(s) found.[/]")
    else:
        console.print(
            "[green]Ready[/]"
            + ("" if quarto else " (everything up to the Quarto render).")
            + (
                f" [yellow]The snapshot limits what the reports can say ({limits} warning(s) "
                "above).[/]"
                if limits
                else ""
            )
        )
    return 1 if problems else 0


def _fitness(config: Config, console: Console) -> int:
    """Print the snapshot's fitness report (hyte.data.fitness); return its number of warnings."""
    try:
        from hyte.data.catalog import load_catalog
        from hyte.data.fitness import assess_snapshot
        from hyte.data.regions import load_regions
        from hyte.data.snapshot import open_snapshot

        regions = load_regions(config.root / "data" / "reference")
        fitness = assess_snapshot(
            open_snapshot(config.snapshot_path),
            load_catalog(config.catalog_path),
            regions.county(config.county),
            regions,
        )
    except HyteError:
        return 0  # already reported in the table
    for line in fitness.lines():
        style = "yellow" if "WARNING" in line else None
        console.print(Text(line, style=style) if style else Text(line), soft_wrap=True)
    return len(fitness.problems())
