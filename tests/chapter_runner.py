"""Run a Quarto chapter's python cells outside Quarto, in order, as the book would (for tests).

    from chapter_runner import run_chapter
    namespace = run_chapter("report/hyvinvointisuunnitelma.qmd")
    namespace["__outputs__"]  # what each cell printed (the Markdown of `output: asis` cells)

Cells run with the project root as the working directory (the book sets ``execute-dir: project``).
A failing cell raises :class:`ChapterError` naming the chapter file and the cell number.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_CELL = re.compile(r"^```\{python[^}\n]*\}[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


class ChapterError(AssertionError):
    """A chapter cell failed; the message names the file and the cell."""


def python_cells(path: str | Path) -> list[str]:
    """The source of every ```{python} cell of a .qmd file, in order."""
    return _CELL.findall(Path(path).read_text(encoding="utf-8"))


def run_chapter(path: str | Path, *, root: Path = ROOT) -> dict:
    """Execute the chapter's python cells in one namespace; return it, with ``__outputs__`` (each cell's
    printed output) added. Matplotlib figures are closed afterwards."""
    path = Path(path)
    if not path.is_absolute():
        path = root / path
    cells = python_cells(path)
    if not cells:
        raise ChapterError(f"{path}: no ```{{python}} cells found")
    namespace: dict = {"__name__": "__chapter__"}
    outputs: list[str] = []
    previous = Path.cwd()
    os.chdir(root)
    try:
        for number, source in enumerate(cells, start=1):
            buffer = io.StringIO()
            try:
                with contextlib.redirect_stdout(buffer):
                    exec(compile(source, f"{path.name} [cell {number}]", "exec"), namespace)  # noqa: S102
            except Exception as exc:
                raise ChapterError(
                    f"{path}: python cell {number} failed: {type(exc).__name__}: {exc}"
                ) from exc
            outputs.append(buffer.getvalue())
    finally:
        os.chdir(previous)
        try:
            import matplotlib.pyplot as plt

            plt.close("all")
        except ImportError:  # pragma: no cover
            pass
    namespace["__outputs__"] = outputs
    return namespace
