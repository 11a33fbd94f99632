"""Where the project's files are: the project root and its standard folders."""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_NAME = "hyte.yml"
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def project_root(start: Path | None = None) -> Path:
    """The folder holding ``hyte.yml``: $HYTE_ROOT, else the nearest one upward from ``start``
    (default: the working directory), else the checkout this package was installed from."""
    env = os.environ.get("HYTE_ROOT")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return _PACKAGE_ROOT


def data_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "data"


def reference_dir(root: Path | None = None) -> Path:
    return data_dir(root) / "reference"
