"""The ``hyte`` command line. Each command is a thin wrapper over a hyte function.

Errors caused by input or configuration (HyteError) are printed as one red line, exit code 2.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Annotated, Callable, Optional

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
    Optional[Path], typer.Option("--config", "-c", help="Project config file (default: hyte.yml)")
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
        except KeyboardInterrupt:
            console.print("[yellow]interrupted[/]: finished files are kept; rerun to resume.")
            raise typer.Exit(130) from None

    return wrapper


def _config(path: Optional[Path]):
    from hyte.config import load_config

    return load_config(path)


@app.command()
@clear_errors
def doctor(config: ConfigOption = None) -> None:
    """Check the installation: Python, packages, Quarto, config and the snapshot in use."""
    from hyte.doctor import run_doctor

    raise typer.Exit(run_doctor(_config(config)))


# --- commands added per module below; keep each a thin wrapper --------------------------------


def main() -> None:  # pragma: no cover - console entry point alias
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
