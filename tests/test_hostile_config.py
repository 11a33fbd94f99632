"""Issue 10 items 3, 7 and 9: hand-edited YAML and configuration are refused with one line, never
silently swallowed (duplicate keys, encodings, missing -c file, county codes, output paths)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hyte.cli import app
from hyte.config import load_config
from hyte.data.catalog import load_catalog
from hyte.data.regions import load_regions
from hyte.errors import HyteError
from hyte.plan.plan import load_plan
from hyte.yamlio import read_yaml

ROOT = Path(__file__).resolve().parents[1]


def _one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text and "Traceback" not in text
    return text


# --- item 3: duplicate keys ------------------------------------------------------------------------


def test_duplicate_key_names_file_line_and_key(tmp_path):
    path = tmp_path / "hyte.yml"
    path.write_text("county: 15\nreporting_year: 2026\ncounty: 16\n", encoding="utf-8")
    with pytest.raises(HyteError) as exc:
        load_config(path, root=ROOT)
    assert _one_line(exc) == (
        f"{path}: line 3: key 'county' is given twice (first on line 1); YAML would "
        "silently keep only the last one: merge the two and run again."
    )


def test_second_agreements_key_in_the_plan_is_refused_not_dropping_27_agreements(tmp_path):
    text = (ROOT / "data" / "plan" / "2026-2029.yml").read_text(encoding="utf-8")
    assert len(re.findall(r"^agreements:", text, flags=re.MULTILINE)) == 1
    path = tmp_path / "plan.yml"
    path.write_text(text + "\nagreements: []\n", encoding="utf-8")
    catalog, regions = (
        load_catalog(ROOT / "data" / "indicators.yml"),
        load_regions(ROOT / "data" / "reference"),
    )
    with pytest.raises(HyteError) as exc:
        load_plan(path, catalog, regions)
    assert re.fullmatch(
        rf"{re.escape(str(path))}: line \d+: key 'agreements' is given twice .*", _one_line(exc)
    )


def test_duplicate_polarity_in_the_catalog_is_blamed_on_the_catalog(tmp_path):
    text = (ROOT / "data" / "indicators.yml").read_text(encoding="utf-8")
    text = re.sub(
        r"^( +)(polarity: \w+)$", r"\1\2\n\1polarity: none", text, count=1, flags=re.MULTILINE
    )
    path = tmp_path / "indicators.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(HyteError) as exc:
        load_catalog(path)
    assert _one_line(exc).startswith(f"{path}: line ") and "key 'polarity' is given twice" in str(
        exc.value
    )


# --- item 7: encodings of YAML files ------------------------------------------------------------------


def test_latin1_yaml_is_one_line_naming_the_byte(tmp_path):
    path = tmp_path / "eva.yml"
    path.write_bytes("title: ok\nnote: Väestö\n".encode("latin-1"))
    with pytest.raises(HyteError) as exc:
        read_yaml(path)
    assert _one_line(exc) == (
        f"{path}: line 2: byte 0xE4 is not UTF-8 text (saved as Latin-1 or "
        "Windows-1252?): save the file as UTF-8 and run again."
    )


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_utf16_and_bom_yaml_are_read(tmp_path, encoding):
    path = tmp_path / "x.yml"
    path.write_text("note: Väestö\n", encoding=encoding)
    assert read_yaml(path) == {"note": "Väestö"}


def test_decimal_comma_in_a_plan_value_gets_a_hint(tmp_path):
    text = (ROOT / "data" / "plan" / "2026-2029.yml").read_text(encoding="utf-8")
    text, n = re.subn(r"(baseline: \{year: \d+, value: \d+)\.(\d+)", r"\1,\2", text, count=1)
    assert n == 1
    path = tmp_path / "plan.yml"
    path.write_text(text, encoding="utf-8")
    catalog, regions = (
        load_catalog(ROOT / "data" / "indicators.yml"),
        load_regions(ROOT / "data" / "reference"),
    )
    with pytest.raises(HyteError) as exc:
        load_plan(path, catalog, regions)
    assert "a decimal comma?" in _one_line(exc) and "7.9" in str(exc.value)


# --- item 9: configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, message",
    [
        ("county: 010\n", "field 'county': Value error, a county code is 1–2 digits"),
        ("county: 99\n", "field 'county': Unknown county code '99'"),
        (
            "outputs: {cards: data/..}\n",
            "field 'outputs.cards': 'data/..' is not a folder inside the project",
        ),
        (
            "outputs: {site: /tmp}\n",
            "field 'outputs.site': '/tmp' is not a folder inside the project",
        ),
    ],
)
def test_bad_config_values_are_errors(tmp_path, content, message):
    path = tmp_path / "c.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(HyteError) as exc:
        load_config(path, root=ROOT)
    assert message in _one_line(exc)


def test_leading_zero_county_is_not_read_as_octal(tmp_path):
    path = tmp_path / "c.yml"
    path.write_text("county: 08\n", encoding="utf-8")
    assert load_config(path, root=ROOT).county == "08"


def test_missing_or_folder_config_given_with_c_is_an_error(tmp_path):
    runner = CliRunner()
    missing = tmp_path / "missing.yml"
    for command in (["doctor", "-c", str(missing)], ["cards", "-c", str(missing)]):
        result = runner.invoke(app, command)
        assert result.exit_code != 0
        assert f"{missing}: config file not found" in result.output
        assert "Traceback" not in result.output and "Ready" not in result.output
    folder = tmp_path / "hyte.yml"
    folder.mkdir()
    result = runner.invoke(app, ["doctor", "-c", str(folder)])
    assert result.exit_code != 0 and "is a folder, not a YAML file" in result.output


def test_doctor_fails_for_an_unknown_county(tmp_path):
    path = tmp_path / "c.yml"
    path.write_text("county: 99\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["doctor", "-c", str(path)])
    assert result.exit_code != 0 and "Unknown county code '99'" in result.output
    assert "Ready" not in result.output
