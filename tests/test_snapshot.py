"""Snapshots are built aside and moved into place whole; an interrupted build harms nothing."""

import json

import pandas as pd
import pytest

from hyte.data.snapshot import SnapshotBuilder, open_snapshot
from hyte.data.tidy import tidy_from_rows
from hyte.errors import HyteError


def _table(regions, value=1.0):
    rows = [
        {
            "indicator": 5,
            "region": 85,
            "year": 2024,
            "gender": "total",
            "value": value,
            "absValue": 10,
        }
    ]
    return tidy_from_rows(rows, regions)[0]


def test_build_and_verify(tmp_path, regions):
    builder = SnapshotBuilder(tmp_path / "s1", source="test")
    builder.write_raw("data_5.json.gz", b'[{"x": 1}]', url="http://x/json")
    builder.set_table(_table(regions))
    snapshot = builder.finish()
    assert snapshot.verify() == []
    assert not (tmp_path / ".partial-s1").exists()
    manifest = json.loads((tmp_path / "s1" / "manifest.json").read_text())
    assert {f["path"] for f in manifest["files"]} == {"raw/data_5.json.gz", "data.parquet"}
    assert manifest["rows"] == 1 and manifest["synthetic"] is False
    assert snapshot.table().value.item() == 1.0


def test_interrupted_build_leaves_the_old_snapshot_and_resumes(tmp_path, regions):
    first = SnapshotBuilder(tmp_path / "s", source="test")
    first.set_table(_table(regions, 1.0))
    first.finish()
    before = (tmp_path / "s" / "data.parquet").read_bytes()

    interrupted = SnapshotBuilder(tmp_path / "s", source="test")
    interrupted.write_raw("a.json.gz", b"[1]")
    del interrupted  # e.g. the network went down before finish()
    assert (tmp_path / "s" / "data.parquet").read_bytes() == before

    resumed = SnapshotBuilder(tmp_path / "s", source="test")
    assert resumed.resumed == 1 and resumed.has_raw("a.json.gz")
    assert resumed.read_raw("a.json.gz") == b"[1]"
    resumed.set_table(_table(regions, 2.0))
    assert resumed.finish().table().value.item() == 2.0


def test_tampered_file_is_detected(tmp_path, regions):
    builder = SnapshotBuilder(tmp_path / "s", source="test")
    builder.write_raw("r.json", b"[]")
    builder.set_table(_table(regions))
    snapshot = builder.finish()
    (tmp_path / "s" / "raw" / "r.json").write_bytes(b"[1]")
    assert snapshot.verify() == [
        f"{tmp_path / 's' / 'raw' / 'r.json'}: sha256 differs from the manifest"
    ]


def test_missing_or_damaged_snapshot_is_a_clear_error(tmp_path):
    with pytest.raises(HyteError, match="No snapshot at .*hyte fetch"):
        open_snapshot(tmp_path / "nothing")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "manifest.json").write_text("{", encoding="utf-8")
    with pytest.raises(HyteError, match="damaged"):
        open_snapshot(tmp_path / "bad")


def test_finish_without_table_writes_nothing(tmp_path):
    builder = SnapshotBuilder(tmp_path / "s", source="test")
    with pytest.raises(HyteError):
        builder.finish()
    assert not (tmp_path / "s").exists()


def test_synthetic_snapshot_is_labelled(tmp_path, regions):
    builder = SnapshotBuilder(tmp_path / "d", source="demo", synthetic=True)
    builder.set_table(_table(regions))
    snapshot = builder.finish("demo-x")
    assert snapshot.synthetic and "esimerkkiaineisto" in snapshot.label()
    assert isinstance(snapshot.table(), pd.DataFrame)
