"""pyproject.toml and environment.yml name the same dependencies at the same minimum versions."""

import re
import tomllib

import yaml


def _name_version(spec: str) -> tuple[str, str]:
    match = re.fullmatch(r"([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(?:>=\s*([\w.]+))?.*", spec.strip())
    assert match, spec
    return match[1].lower().replace("_", "-"), match[2] or ""


def test_environment_yml_agrees_with_pyproject(root):
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = dict(_name_version(s) for s in project["dependencies"])
    wanted.update(_name_version(s) for s in project["optional-dependencies"]["test"])
    wanted["quarto"] = _name_version(project["optional-dependencies"]["quarto"][0])[1]
    environment = yaml.safe_load((root / "environment.yml").read_text(encoding="utf-8"))
    conda = dict(_name_version(s) for s in environment["dependencies"] if isinstance(s, str))
    for name, version in wanted.items():
        assert name in conda, f"{name} is in pyproject.toml but not in environment.yml"
        assert conda[name] == version, (
            f"{name}: pyproject >={version}, environment.yml >={conda[name]}"
        )
    assert not set(conda) - set(wanted) - {"python", "pip"}, "environment.yml has extra packages"
    assert conda["python"] == project["requires-python"].lstrip(">=")


def test_console_script_is_declared(root):
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["scripts"]["hyte"] == "hyte.cli:app"
