"""Reading YAML files and turning pydantic validation errors into one clear line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from hyte.errors import HyteError

#: libyaml's safe loader where PyYAML was built with it (about 8× faster: a card reads the plan file
#: twice), else the pure-Python one; both give the same values and error marks.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SAFE_LOADER):
    """A safe loader that refuses a key given twice in one mapping (YAML would keep the last)."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    loader.flatten_mapping(node)
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            first = seen.get(key)
        except TypeError:  # an unhashable key: the constructor reports it
            continue
        if first is not None:
            raise DuplicateKeyError(key, first, key_node.start_mark.line + 1)
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=deep)


def _construct_int_keeping_zeros(loader: _UniqueKeyLoader, node: yaml.ScalarNode):
    """YAML 1.1 reads ``010`` as octal 8; hyte's codes have leading zeros, so ``010`` stays "010"."""
    text = loader.construct_scalar(node)
    digits = text.lstrip("+-").replace("_", "")
    if len(digits) > 1 and digits.startswith("0") and digits.isdigit():
        return text
    return loader.construct_yaml_int(node)


class _FastUniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same loader over libyaml's parser (when PyYAML has it): several times faster. Only a
    document it reads without an error is taken from it; any error is reported by the pure-Python
    loader, so the messages stay the same."""


for _loader in (_UniqueKeyLoader, _FastUniqueKeyLoader):
    _loader.add_constructor(
        yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
    )
    _loader.add_constructor("tag:yaml.org,2002:int", _construct_int_keeping_zeros)


class DuplicateKeyError(Exception):
    def __init__(self, key: Any, first: int, line: int) -> None:
        super().__init__(key)
        self.key, self.first, self.line = key, first, line


def decode_text(data: bytes, path: Path) -> str:
    """Bytes of a text file -> str: UTF-8 (with or without a BOM) or UTF-16 with a BOM; anything else
    is a HyteError naming the file, the line and the byte."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise HyteError(
                f"{path}: broken UTF-16 text: save it as UTF-8 and run again."
            ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise HyteError(
            f"{path}: line {line}: byte 0x{data[exc.start]:02X} is not UTF-8 text (saved as Latin-1 or "
            "Windows-1252?): save the file as UTF-8 and run again."
        ) from None


def loads_yaml(text: str, path: Path) -> Any:
    """Parse YAML text read from ``path``: a syntax error or a duplicate key is a HyteError naming the
    file and line."""
    try:
        return yaml.load(text, Loader=_FastUniqueKeyLoader)
    except Exception:  # noqa: BLE001 - reread below with the loader whose messages hyte reports
        pass
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except DuplicateKeyError as exc:
        raise HyteError(
            f"{path}: line {exc.line}: key '{exc.key}' is given twice (first on line {exc.first}); "
            "YAML would silently keep only the last one: merge the two and run again."
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise HyteError(
            f"{path}:{where}: YAML syntax error: {problem}. Fix the file and run again."
        ) from None


def read_yaml(path: Path) -> Any:
    """Parse a YAML file; a missing file, a folder, bytes that are not UTF-8 (or UTF-16 with a BOM),
    a syntax error or a key given twice is a HyteError naming file and line."""
    path = Path(path)
    if path.is_dir():
        raise HyteError(f"{path}: is a folder, not a YAML file.")
    if not path.is_file():
        raise HyteError(f"{path}: file not found.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise HyteError(f"{path}: cannot be read ({exc.strerror}).") from None
    return loads_yaml(decode_text(data, path), path)


def decimal_comma_hint(error: dict) -> str:
    """For a number key (``{value: 7,9}`` parses as keys ``value: 7`` and ``9``): say so."""
    if "Keys should be strings" in str(error.get("msg")) and isinstance(error.get("input"), int):
        return (
            " (a decimal comma? In YAML '{value: 7,9}' is two keys: write the number with a "
            "point, 7.9)"
        )
    return ""


def describe_validation_error(exc: ValidationError, path: Path, entry: str | None = None) -> str:
    """'file: entry: field: message' for the first error (and how many more there are)."""
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "(top level)"
    given = first.get("input")
    shown = "" if isinstance(given, (dict, list)) or given is None else f" (got {given!r})"
    where = f"{entry}: " if entry else ""
    first = {**first, "msg": first["msg"] + decimal_comma_hint(first)}
    more = len(exc.errors()) - 1
    tail = f" [+{more} more problem{'s' if more > 1 else ''}]" if more else ""
    return f"{path}: {where}field '{field}': {first['msg']}{shown}{tail}"
