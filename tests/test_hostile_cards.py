"""Issue 10 items 2 and 11: `hyte cards` killed, interrupted or given a damaged manifest, and the modes
of the files it writes. Real data: the Sotkanet 127 population fixture (as tests/test_batch.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest
from test_batch import POPULATION, TEST_CARD, _write_snapshot

from hyte.config import load_config
from hyte.data.snapshot import write_bytes_atomic
from hyte.errors import HyteError
from hyte.run.batch import MANIFEST_NAME, CardsLock, run_cards

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path, fixtures_dir, monkeypatch):
    import shutil

    root = tmp_path / "project"
    shutil.copytree(ROOT / "data" / "reference", root / "data" / "reference")
    (root / "hyte.yml").write_text("county: '15'\nsnapshot: pop\n", encoding="utf-8")
    _write_snapshot(root, fixtures_dir)
    monkeypatch.setenv("HYTE_ROOT", str(root))
    monkeypatch.setattr("hyte.run.batch.hyte_source_sha", lambda package=None: "fixed")
    return root


@pytest.fixture
def slow_card(tmp_path) -> Path:
    """The test card with a `sleep` parameter: a card that is still running when we strike."""
    nb = nbformat.read(TEST_CARD, as_version=4)
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []):
            cell.source += "\nsleep = 0.0  # seconds the card waits before its work"
            break
    position = next(
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        and "fail_for" in c.source
        and "parameters" not in c.metadata.get("tags", [])
    )
    nb.cells.insert(position, nbformat.v4.new_code_cell("import time\ntime.sleep(float(sleep))"))
    path = tmp_path / "slow_card.ipynb"
    nbformat.write(nb, path)
    return path


def _runner_script(root: Path, card: Path, fixtures_dir: Path, sleep: float) -> str:
    """`hyte cards 179 435 -w 2` on the slow card, through the real CLI."""
    return textwrap.dedent(f"""
        import hyte.run.batch as batch
        batch.hyte_source_sha = lambda package=None: "fixed"
        original = batch.run_cards
        def run_cards(*args, **kwargs):
            return original(*args, notebook={str(card)!r}, parameters={{
                "population_csv": {str(fixtures_dir / POPULATION)!r}, "sleep": {sleep}}}, **kwargs)
        batch.run_cards = run_cards
        from hyte.cli import app
        app(["cards", "179", "435", "--workers", "2"])
    """)


def _start(project: Path, script: str) -> subprocess.Popen:
    env = {**os.environ, "HYTE_ROOT": str(project)}
    return subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _processes_of(project: Path) -> list[int]:
    """PIDs of the processes (workers, kernels) that run with this project as HYTE_ROOT."""
    marker = f"HYTE_ROOT={project}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                    if state != "Z":
                        found.append(int(entry.name))
            except OSError:
                continue
    return found


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _cards_running(cards: Path) -> bool:
    return len(list(cards.glob(".staging-*"))) >= 2


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_run_leaves_no_workers_and_does_not_block_the_next(
    project, fixtures_dir, slow_card, how
):
    cards = project / "municipal_cards"
    process = _start(project, _runner_script(project, slow_card, fixtures_dir, sleep=60))
    assert _wait_for(lambda: _cards_running(cards), 120), process.communicate(timeout=5)
    assert (cards / ".lock").is_file()
    assert len(_processes_of(project)) >= 5  # main, 2 workers, 2 kernels
    process.send_signal(how)  # kill $! / kill -9 $!
    process.wait(timeout=30)
    # the workers and their kernels end with the main process
    ended = _wait_for(lambda: not _processes_of(project), 15)
    left = _processes_of(project)
    for pid in left:  # started by this test: never leave them running when it fails
        os.kill(pid, signal.SIGKILL)
    assert ended, left
    # nothing was moved into place without its manifest entry
    manifest = (
        json.loads((cards / MANIFEST_NAME).read_text())
        if (cards / MANIFEST_NAME).exists()
        else {"cards": {}}
    )
    for notebook in cards.glob("*.ipynb"):
        assert any(
            e.get("notebook", "").endswith(notebook.name) for e in manifest["cards"].values()
        )

    # the next run takes the stale lock over, says so, and makes the cards
    config = load_config(root=project)
    result = run_cards(
        config,
        ["179", "435"],
        notebook=slow_card,
        workers=2,
        progress=False,
        parameters={"population_csv": str(fixtures_dir / POPULATION), "sleep": 0},
    )
    assert sorted(c.code for c in result.ok) == ["179", "435"]
    assert any(
        line.startswith(
            "Took over the lock of an earlier `hyte cards` run that ended without "
            "releasing it (PID "
        )
        for line in result.summary_lines()
    )
    assert not (cards / ".lock").exists()


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_ctrl_c_says_what_it_waits_for_and_prints_the_summary(project, fixtures_dir, slow_card):
    cards = project / "municipal_cards"
    process = _start(project, _runner_script(project, slow_card, fixtures_dir, sleep=4))
    assert _wait_for(lambda: _cards_running(cards), 120)
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in the terminal: the foreground process group
    _out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "Interrupted: waiting for the 2 running card(s) to finish (" in err, err
    assert "179 Jyväskylä" in err and "435 Luhanka" in err
    assert "Interrupted: 2 card(s): 2 made, 0 unchanged, 0 failed" in err, err
    assert "Traceback" not in err
    manifest = json.loads((cards / MANIFEST_NAME).read_text())
    assert {code: e["status"] for code, e in manifest["cards"].items()} == {
        "179": "ok",
        "435": "ok",
    }
    assert not _processes_of(project)


def test_a_live_lock_is_refused_naming_its_pid(tmp_path):
    (tmp_path / ".lock").write_text(json.dumps({"pid": os.getpid(), "started": "now"}))
    with pytest.raises(
        HyteError, match=rf"Another `hyte cards` run \(PID {os.getpid()}, started now\)"
    ):
        CardsLock(tmp_path).acquire()
    lock = CardsLock(tmp_path / "other")
    (tmp_path / "other").mkdir()
    lock.acquire()
    assert json.loads((tmp_path / "other" / ".lock").read_text())["pid"] == os.getpid()
    lock.release()
    assert not (tmp_path / "other" / ".lock").exists()


def test_a_truncated_manifest_is_kept_as_a_backup_not_silently_reset(project, fixtures_dir):
    config = load_config(root=project)
    params = {"population_csv": str(fixtures_dir / POPULATION)}
    run_cards(
        config, ["179", "435"], notebook=TEST_CARD, workers=1, progress=False, parameters=params
    )
    manifest = project / "municipal_cards" / MANIFEST_NAME
    damaged = manifest.read_bytes()[:200]
    manifest.write_bytes(damaged)
    result = run_cards(
        config, ["179"], notebook=TEST_CARD, workers=1, progress=False, parameters=params
    )
    backups = list(manifest.parent.glob(f"{MANIFEST_NAME}.damaged-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == damaged
    assert any("was damaged" in line and backups[0].name in line for line in result.summary_lines())
    assert [c.code for c in result.ok] == ["179"]


def test_atomic_files_respect_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        write_bytes_atomic(tmp_path / "a.csv", b"x")
        assert (tmp_path / "a.csv").stat().st_mode & 0o777 == 0o644
        os.umask(0o027)
        write_bytes_atomic(tmp_path / "b.csv", b"x")
        assert (tmp_path / "b.csv").stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)


def test_card_outputs_are_readable_by_others(project, fixtures_dir):
    old = os.umask(0o022)
    try:
        run_cards(
            load_config(root=project),
            ["179"],
            notebook=TEST_CARD,
            workers=1,
            progress=False,
            parameters={"population_csv": str(fixtures_dir / POPULATION)},
        )
    finally:
        os.umask(old)
    cards = project / "municipal_cards"
    for name in (MANIFEST_NAME, "179-jyvaskyla.ipynb", "179.csv"):
        assert (cards / name).stat().st_mode & 0o777 == 0o644, name
