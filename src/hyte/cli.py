"""The ``hyte`` command line. Each command is a thin wrapper over a hyte function.

Errors caused by input or configuration (HyteError) are printed as one red line, exit code 2.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hyte.errors import HyteError

app = typer.Typer(
    name="hyte",
    help="Wellbeing reporting for a Finnish wellbeing services county (hyvinvointialue).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)


@app.callback()
def _main() -> None:
    """hyte: municipal cards, the wellbeing report and plan, and the HYTE-kerroin."""


ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="Project config file (default: hyte.yml)")
]


def clear_errors(command: Callable) -> Callable:
    """Print a HyteError as one line and exit 2 instead of showing a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except HyteError as exc:
            console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt as exc:
            said = str(exc) if str(exc) not in ("", "interrupted") else ""
            console.print(
                f"[yellow]interrupted[/]: {said or 'finished files are kept; rerun to resume.'}",
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(130) from None

    return wrapper


def _config(path: Path | None):
    from hyte.config import load_config

    return load_config(path)


@app.command()
@clear_errors
def doctor(config: ConfigOption = None) -> None:
    """Check the installation: Python, packages, Quarto, config and the snapshot in use."""
    from hyte.doctor import run_doctor

    raise typer.Exit(run_doctor(_config(config)))


# --- commands added per module below; keep each a thin wrapper --------------------------------


SnapshotOption = Annotated[
    str | None,
    typer.Option("--snapshot", "-s", help="Snapshot to use instead of hyte.yml's (id or folder)"),
]


@app.command("plan-check")
@clear_errors
def plan_check(config: ConfigOption = None) -> None:
    """Validate the wellbeing plan (data/plan/<term>.yml) and its EVA (eva.yml); print a summary."""
    from hyte.data.catalog import load_catalog
    from hyte.data.regions import load_regions
    from hyte.plan.plan import eva_path, eva_problems, plan_problems
    from hyte.plan.plan_report import check_summary_lines

    settings = _config(config)
    catalog = load_catalog(settings.catalog_path)
    regions = load_regions(settings.root / "data" / "reference")
    from hyte.plan.consistency import check_plan_county

    check_plan_county(settings)  # one line: the plan is for another county than hyte.yml's
    plan, problems = plan_problems(settings.plan_path, catalog, regions)
    eva = None
    if eva_path(settings.plan_path).is_file():
        eva, eva_issues = eva_problems(eva_path(settings.plan_path), plan)
        problems += eva_issues
    progress_files = []
    if plan is not None:
        from hyte.plan.progress import progress_dir, progress_problems

        progress_files = sorted(progress_dir(settings.plan_path).glob("*.yml"))
        for path in progress_files:
            problems += progress_problems(path, plan)[1]
    for problem in problems:
        console.print(f"[bold red]error:[/] {problem}", highlight=False, soft_wrap=True)
    if problems:
        raise typer.Exit(2)
    from hyte.plan.partners_report import partner_summary_line

    for line in check_summary_lines(plan, eva):
        typer.echo(line)
    typer.echo(partner_summary_line(plan))
    if eva is None:
        typer.echo(f"  note: no EVA file at {eva_path(settings.plan_path)}")
    for path in progress_files:
        typer.echo(f"Progress OK: {path}")


@app.command("plan-status")
@clear_errors
def plan_status(
    snapshot: SnapshotOption = None,
    markdown: Annotated[
        Path | None,
        typer.Option("--markdown", help="Also write the one-page monitoring table (Markdown) here"),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """The plan's follow-up: each indicator's baseline, latest value, target and status."""
    from rich.console import Console as StdoutConsole

    from hyte.context import load_context
    from hyte.data.snapshot import write_text_atomic
    from hyte.plan.plan import follow_up, plan_from_context
    from hyte.plan.plan_report import monitoring_markdown, status_counts_text, status_rich_table

    ctx = load_context(_config(config), snapshot=snapshot)
    result = follow_up(plan_from_context(ctx), ctx.table)
    StdoutConsole(soft_wrap=True).print(status_rich_table(result))
    typer.echo(f"{status_counts_text(result)} Aineisto: {ctx.snapshot.label()}.")
    if markdown:
        write_text_atomic(
            markdown, monitoring_markdown(result, data_label=ctx.snapshot.label(), heading_level=1)
        )
        typer.echo(f"Monitoring table written to {markdown}")


@app.command("plan-baselines")
@clear_errors
def plan_baselines(
    snapshot: SnapshotOption = None,
    write: Annotated[
        bool, typer.Option("--write", help="Write the snapshot's values into the plan file")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Compare the plan's baselines with the county's values in a snapshot; --write updates them."""
    from rich.console import Console as StdoutConsole

    from hyte.context import load_context
    from hyte.plan.plan import baseline_updates, plan_from_context, write_baselines
    from hyte.plan.plan_report import baselines_rich_table

    ctx = load_context(_config(config), snapshot=snapshot)
    plan = plan_from_context(ctx)
    updates = baseline_updates(plan, ctx.table)
    StdoutConsole(soft_wrap=True).print(baselines_rich_table(plan, updates))
    changes = sum(u.changed for u in updates)
    missing = sum(u.new_value is None for u in updates)
    typer.echo(
        f"{changes} baseline(s) differ from snapshot '{ctx.snapshot.id}'; {missing} without data."
    )
    if ctx.snapshot.synthetic:
        typer.echo(
            "Note: this snapshot is synthetic demo data; real baselines need a Sotkanet snapshot."
        )
    if write and changes:
        typer.echo(f"{write_baselines(plan, updates)} baseline(s) written to {plan.source}")
    elif changes:
        typer.echo("Run with --write to update the plan file.")


def _plan(settings):
    """The validated plan named by the configuration."""
    from hyte.data.catalog import load_catalog
    from hyte.data.regions import load_regions
    from hyte.plan.plan import load_plan

    return load_plan(
        settings.plan_path,
        load_catalog(settings.catalog_path),
        load_regions(settings.root / "data" / "reference"),
    )


@app.command("plan-form")
@clear_errors
def plan_form(
    year: Annotated[int, typer.Option("--year", help="Year to report on, e.g. 2026")],
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="Folder for the workbooks (one per responsible party)"),
    ],
    config: ConfigOption = None,
) -> None:
    """Excel workbooks for the measures' progress: one per responsible party, measures pre-filled."""
    from hyte.plan.plan_forms import write_forms

    plan = _plan(_config(config))
    paths = write_forms(plan, year, output)
    typer.echo(f"{len(paths)} workbook(s) for {year} written to {output}:")
    for path in paths:
        typer.echo(f"  {path.name}")
    typer.echo(
        "Send each to its responsible party; read the filled ones back with "
        "`hyte plan-progress FILE.xlsx ...`."
    )


@app.command("plan-progress")
@clear_errors
def plan_progress(
    files: Annotated[list[Path], typer.Argument(help="Filled workbooks made by `hyte plan-form`")],
    year: Annotated[
        int | None, typer.Option("--year", help="Refuse workbooks of any other year")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and show the changes, write nothing")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Read filled progress workbooks into data/plan/seuranta/<year>.yml (all or nothing)."""
    from hyte.plan.plan_forms import import_forms

    plan = _plan(_config(config))
    result = import_forms(plan, files, year=year, dry_run=dry_run)
    for line in result.lines():
        typer.echo(line)
    if dry_run:
        typer.echo("Dry run: nothing was written.")


ProfileOption = Annotated[
    str | None,
    typer.Option(
        "--profile",
        "-p",
        help="Book profile: laaja (default, the comprehensive report and plan) or "
        "vuosiraportti (the annual report to the regional council)",
    ),
]
ToOption = Annotated[
    str | None, typer.Option("--to", help="html, typst (the PDF) or all (default)")
]


def _print_chapters(chapters) -> None:
    """The chapter run's summary (hyte.book.chapters.ChaptersResult), failures in red."""
    if chapters is None:
        return
    for line in chapters.summary_lines():
        if line.startswith("FAILED"):
            console.print(f"[bold red]FAILED[/]{line[6:]}", highlight=False, soft_wrap=True)
        else:
            typer.echo(line)


def _print_render(result) -> None:
    from rich.markup import escape

    _print_chapters(result.chapters)

    for warning in result.warnings:
        console.print(f"[yellow]{escape(warning)}[/]", highlight=False, soft_wrap=True)
    if result.stale_cards:
        console.print(
            f"[yellow]{len(result.stale_cards)} card(s) not current, marked on their page "
            "(run `hyte cards` to remake them):[/]",
            highlight=False,
        )
        for stale in result.stale_cards:
            console.print(f"  {escape(stale.line())}", highlight=False, soft_wrap=True)
    if result.rendered:
        typer.echo(result.message)
        for path in result.outputs:
            typer.echo(f"  {path}")
    else:
        typer.echo(
            f"Book files are ready (profile '{result.profile}', {result.cards} municipal cards)."
        )
        console.print(f"[yellow]{escape(result.message)}[/]", highlight=False, soft_wrap=True)


@app.command()
@clear_errors
def render(profile: ProfileOption = None, to: ToOption = None, config: ConfigOption = None) -> None:
    """Render the book with Quarto (HTML site and typst PDF); the cards are not remade."""
    from hyte.book.render import render as render_book

    result = render_book(_config(config), profile, to, progress=sys.stderr.isatty())
    _print_render(result)
    raise typer.Exit(result.exit_code)


@app.command()
@clear_errors
def chapters(
    profile: ProfileOption = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-w", help="Parallel workers, each with its own kernel"),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Execute every chapter, also the unchanged ones")
    ] = False,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="warm: reuse a reset kernel per worker; fresh: a new kernel per chapter",
        ),
    ] = "warm",
    config: ConfigOption = None,
) -> None:
    """Execute the book's chapters (.qmd) that changed and write the notebooks Quarto renders
    (`hyte render` does this first; exit 1 when a chapter failed)."""
    from hyte.book.chapters import run_chapters

    result = run_chapters(
        _config(config),
        profile,
        workers=workers,
        force=force,
        engine=engine,
        progress=sys.stderr.isatty(),
        config_path=config,
    )
    _print_chapters(result)
    raise typer.Exit(result.exit_code)


@app.command()
@clear_errors
def build(
    profile: ProfileOption = None,
    to: ToOption = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-w", help="Parallel workers for the cards (default: CPU cores)"),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Remake every card")] = False,
    config: ConfigOption = None,
) -> None:
    """Make the municipal cards, then render the book (HTML and PDF). Without Quarto: everything up to
    the render, then how to install Quarto (exit 0 when the cards succeeded)."""
    from hyte.book.render import build as build_book
    from hyte.run.batch import CardsInterrupted

    try:
        cards_result, result = build_book(
            _config(config), profile, to, workers=workers, force=force, progress=sys.stderr.isatty()
        )
    except CardsInterrupted as stopped:  # the finished cards are recorded: say what was done
        for line in stopped.result.summary_lines():
            typer.echo(line, err=True)
        raise
    for line in cards_result.summary_lines():
        if line.startswith("FAILED"):
            console.print(f"[bold red]FAILED[/]{line[6:]}", highlight=False, soft_wrap=True)
        else:
            typer.echo(line)
    _print_render(result)
    chapters_failed = bool(result.chapters and result.chapters.failed)
    raise typer.Exit(max(cards_result.exit_code, 1 if chapters_failed else 0))


@app.command()
@clear_errors
def cards(
    codes: Annotated[
        list[str] | None,
        typer.Argument(
            help="Municipality codes, e.g. 179 992 (default: every municipality of the county)"
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            "-w",
            help="Parallel workers, each with its own kernel (default: CPU cores)",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Rerun every card, also those whose inputs did not change"),
    ] = False,
    engine: Annotated[
        str,
        typer.Option(
            "--engine", help="warm: reuse a reset kernel per worker; fresh: a new kernel per card"
        ),
    ] = "warm",
    config: ConfigOption = None,
) -> None:
    """Run the municipal card notebook for each municipality (only cards whose inputs changed)."""
    from hyte.plan.consistency import check_plan_county
    from hyte.run.batch import CardsInterrupted, run_cards

    check_plan_county(
        _config(config)
    )  # the cards show the plan's commitments: it must be this county's
    try:
        result = run_cards(
            _config(config),
            codes or None,
            workers=workers,
            force=force,
            engine=engine,
            progress=sys.stderr.isatty(),
            config_path=config,
        )
    except CardsInterrupted as stopped:  # the finished cards are recorded: say what was done
        for line in stopped.result.summary_lines():
            typer.echo(line, err=True)
        raise
    for line in result.summary_lines():
        if line.startswith("FAILED"):
            console.print(f"[bold red]FAILED[/]{line[6:]}", highlight=False, soft_wrap=True)
        else:
            typer.echo(line)
    raise typer.Exit(result.exit_code)


@app.command()
@clear_errors
def demo(
    seed: Annotated[
        int | None,
        typer.Option("--seed", help="Random seed (default: seed in data/demo/generator.yml)"),
    ] = None,
    target: Annotated[
        Path | None,
        typer.Option(
            "--target",
            help="Snapshot folder to write (default: data/demo, or data/snapshots/<id> "
            "with --county)",
        ),
    ] = None,
    county: Annotated[
        str | None,
        typer.Option(
            "--county",
            help="Make the demo for this county (01–21, 90, 91) or 'all' (the whole "
            "country) instead of the settings' county",
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Regenerate the synthetic demo snapshot (invented data in Sotkanet's format)."""
    from hyte.data.catalog import load_catalog
    from hyte.data.demo import (
        default_config_path,
        generate_demo,
        load_generator_config,
        settings_for_county,
    )
    from hyte.data.regions import load_regions
    from hyte.paths import data_dir, reference_dir

    settings = _config(config)
    regions = load_regions(reference_dir(settings.root))
    generator: object = default_config_path(settings.root)
    default_target = data_dir(settings.root) / "demo"
    if county is not None:
        generator = settings_for_county(load_generator_config(generator), county, regions)
        default_target = data_dir(settings.root) / "snapshots" / generator["snapshot_id"]
    snapshot = generate_demo(
        target or default_target, load_catalog(settings.catalog_path), regions, generator, seed=seed
    )
    typer.echo(
        f"Demo snapshot '{snapshot.id}' (synthetic) written to {snapshot.path}: "
        f"{snapshot.manifest.get('rows')} rows, {snapshot.manifest.get('indicator_count')} "
        f"indicators, years {'–'.join(map(str, snapshot.manifest.get('years', [])))}."
    )
    if county is not None:
        code = generator["county"]
        typer.echo(
            f'To use it, set in hyte.yml: county: "{code}" and snapshot: {snapshot.id}'
            if code != "all"
            else f"To use it, set in hyte.yml: snapshot: {snapshot.id} (and county: the county "
            "whose cards you want)."
        )


@app.command()
@clear_errors
def kerroin(
    kerroin_path: Annotated[
        Path | None,
        typer.Option(
            "--kerroin", help="HYTE-kerroin model file (default: hyte_kerroin in hyte.yml)"
        ),
    ] = None,
    county: Annotated[
        str | None,
        typer.Option("--county", help="County code, e.g. 15 (default: county in hyte.yml)"),
    ] = None,
    top: Annotated[int, typer.Option("--top", help="How many sensitivity rows to show")] = 3,
    config: ConfigOption = None,
) -> None:
    """HYTE-kerroin: all counties' scores, the county's rank and euros, what moves it most."""
    from rich.console import Console as RichConsole

    from hyte.context import load_context
    from hyte.kerroin.model import for_context, load_kerroin_config
    from hyte.kerroin.report import print_kerroin

    settings = _config(config)
    if kerroin_path is not None:
        settings = settings.model_copy(update={"hyte_kerroin": str(kerroin_path)})
    load_kerroin_config(
        settings.hyte_kerroin_path
    )  # a bad model file fails before any data is read
    print_kerroin(for_context(load_context(settings, county=county)), RichConsole(), top=top)


def _print_snapshot_result(snapshot, report, settings=None) -> None:
    """The load report, the snapshot's fitness for the configured county, then how to use it."""
    for line in report.lines():
        typer.echo(f"  {line}")
    typer.echo(
        f"Snapshot '{snapshot.id}' ready in {snapshot.path} "
        f"({snapshot.manifest.get('rows')} rows, {snapshot.manifest.get('indicator_count')} "
        "indicator(s))."
    )
    if settings is not None:
        for line in _fitness_lines(snapshot, settings):
            typer.echo(line)
    typer.echo(f"To use it, set `snapshot: {snapshot.id}` in hyte.yml.")


def _fitness_lines(snapshot, settings) -> list[str]:
    """hyte.data.fitness's report of the snapshot for hyte.yml's county and catalog."""
    from hyte.data.catalog import load_catalog
    from hyte.data.fitness import assess_snapshot
    from hyte.data.regions import load_regions

    try:
        regions = load_regions(settings.root / "data" / "reference")
        catalog = load_catalog(settings.catalog_path)
        return assess_snapshot(snapshot, catalog, regions.county(settings.county), regions).lines()
    except HyteError as exc:
        return [f"Snapshot fitness not assessed: {exc}"]


@app.command()
@clear_errors
def fetch(
    years: Annotated[
        str | None,
        typer.Option(
            "--years", help="Years, e.g. 2010-2025 or 2019,2023 (default: 2010 to this year)"
        ),
    ] = None,
    indicator: Annotated[
        list[int] | None,
        typer.Option(
            "--indicator",
            "-i",
            help="Sotkanet indicator id; repeat for more (default: the catalog)",
        ),
    ] = None,
    snapshot_id: Annotated[
        str | None,
        typer.Option(
            "--snapshot-id", help="Folder name under data/snapshots/ (default: sotkanet-YYYY-MM-DD)"
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url", help="Sotkanet REST base URL (default: https://sotkanet.fi/rest/1.1)"
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume/--restart",
            help="Reuse responses saved by an interrupted fetch, or start over",
        ),
    ] = True,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Replace an existing snapshot of the same id (kept until the new one is complete)",
        ),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Download indicator data from THL Sotkanet into a new snapshot."""
    from datetime import date

    from hyte.data.catalog import load_catalog
    from hyte.data.fetch import fetch_snapshot, parse_years
    from hyte.data.sotkanet import DEFAULT_BASE_URL, SotkanetClient

    settings = _config(config)
    catalog = None if indicator else load_catalog(settings.catalog_path)
    client = SotkanetClient(base_url or DEFAULT_BASE_URL)
    snapshot, report = fetch_snapshot(
        client,
        catalog,
        years=parse_years(years or f"2010-{date.today().year}"),
        snapshot_id=snapshot_id,
        root=settings.root,
        indicators=indicator,
        resume=resume,
        progress=sys.stderr.isatty(),
        replace=replace,
    )
    _print_snapshot_result(snapshot, report, settings)


@app.command("import")
@clear_errors
def import_(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Sotkanet /json or /csv responses saved by hand (a /regions response may be added)"
        ),
    ],
    indicator: Annotated[
        int | None,
        typer.Option("--indicator", "-i", help="Sotkanet id for files without an indicator column"),
    ] = None,
    snapshot_id: Annotated[
        str | None,
        typer.Option(
            "--snapshot-id", help="Folder name under data/snapshots/ (default: import-YYYY-MM-DD)"
        ),
    ] = None,
    local: Annotated[
        bool,
        typer.Option(
            "--local",
            help="The files are indicator values from outside Sotkanet (hyte's local CSV "
            "format, see docs/local_indicators.md); they go to data/local/values.csv",
        ),
    ] = False,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Replace an existing snapshot of the same id (kept until the new one is complete)",
        ),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Build a snapshot from Sotkanet data files saved by hand (or, with --local, import values from
    outside Sotkanet beside the Sotkanet rows)."""
    from hyte.data.importer import import_files

    settings = _config(config)
    if local:
        _import_local(files, settings)
        return
    snapshot, report = import_files(
        files, snapshot_id=snapshot_id, root=settings.root, indicator=indicator, replace=replace
    )
    _print_snapshot_result(snapshot, report, settings)


def _import_local(files: list[Path], settings) -> None:
    """`hyte import --local`: every file is checked first; any bad row refuses them all."""
    from hyte.context import _with_local_catalog
    from hyte.data.catalog import load_catalog
    from hyte.data.local import import_local, read_local_csv
    from hyte.data.regions import load_regions
    from hyte.errors import HyteError as _Error

    catalog = _with_local_catalog(load_catalog(settings.catalog_path), settings.root)
    regions = load_regions(settings.root / "data" / "reference")
    problems = [p for path in files for p in read_local_csv(path, catalog, regions)[1]]
    if problems:
        raise _Error(f"{len(problems)} problem(s); nothing was imported:\n" + "\n".join(problems))
    for path in files:
        for line in import_local(path, settings.root, catalog, regions).lines():
            typer.echo(line)


def main() -> None:  # pragma: no cover - console entry point alias
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
