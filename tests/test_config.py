import pytest

from hyte.config import load_config
from hyte.errors import HyteError


def test_project_config_defaults(root):
    config = load_config(root / "hyte.yml", root=root)
    assert config.county == "15"
    assert config.council_term == "2026-2029"
    assert config.term_years == (2026, 2029)
    assert config.plan_path == root / "data" / "plan" / "2026-2029.yml"
    assert config.snapshot_path == root / "data" / "demo"


@pytest.mark.parametrize(
    "text, field",
    [
        ("council_term: 2026-2028\n", "council_term"),
        ("county: abc\n", "county"),
        ("reporting_year: soon\n", "reporting_year"),
        ("countyy: '15'\n", "countyy"),
    ],
)
def test_bad_config_is_one_clear_line(tmp_path, text, field):
    path = tmp_path / "hyte.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(HyteError) as info:
        load_config(path, root=tmp_path)
    message = str(info.value)
    assert str(path) in message and f"'{field}'" in message and "\n" not in message


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "hyte.yml"
    path.write_text("county: '15'\nsnapshot: [demo\n", encoding="utf-8")
    with pytest.raises(HyteError, match=r"line \d+"):
        load_config(path, root=tmp_path)


def test_cli_reports_bad_config_without_traceback(tmp_path):
    from typer.testing import CliRunner

    from hyte.cli import app

    path = tmp_path / "hyte.yml"
    path.write_text("council_term: 26-29\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["doctor", "--config", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "council_term" in result.output
