"""Reading YAML files and turning pydantic validation errors into one clear line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from hyte.errors import HyteError


def read_yaml(path: Path) -> Any:
    """Parse a YAML file; a missing file or a syntax error is a HyteError naming file and line."""
    path = Path(path)
    if not path.is_file():
        raise HyteError(f"{path}: file not found.")
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise HyteError(f"{path}:{where}: YAML syntax error: {problem}. Fix the file and run again.") from None


def describe_validation_error(exc: ValidationError, path: Path, entry: str | None = None) -> str:
    """'file: entry: field: message' for the first error (and how many more there are)."""
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "(top level)"
    given = first.get("input")
    shown = "" if isinstance(given, (dict, list)) or given is None else f" (got {given!r})"
    where = f"{entry}: " if entry else ""
    more = len(exc.errors()) - 1
    tail = f" [+{more} more problem{'s' if more > 1 else ''}]" if more else ""
    return f"{path}: {where}field '{field}': {first['msg']}{shown}{tail}"
