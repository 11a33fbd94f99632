"""Regenerate data/reference/kuntarajat_2026.json (the 2026 municipal borders for hyte's maps) from
Maanmittauslaitos' municipal division 1:4 500 000 (CC BY 4.0) in ../shared/reference:

    python scripts/derive_municipal_borders.py [SOURCE.geojson]

Projects to ETRS-TM35FIN (EPSG:3067) and dissolves Pertunmaa (588) into Mäntyharju (507); see
hyte.book.maps.derive_borders and data/reference/SOURCES.md."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from hyte.book.maps import BORDERS_FILE, SOURCE_NAME, derive_borders  # noqa: E402
from hyte.errors import HyteError  # noqa: E402


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else ROOT.parent / "shared" / "reference" / SOURCE_NAME
    target = ROOT / "data" / "reference" / BORDERS_FILE
    try:
        data = derive_borders(
            source, target, municipalities_csv=ROOT / "data" / "reference" / "municipalities.csv"
        )
    except (HyteError, OSError) as exc:
        print(f"derive_municipal_borders: {exc}", file=sys.stderr)
        return 1
    print(
        f"wrote {target} ({len(data['municipalities'])} municipalities, "
        f"{target.stat().st_size // 1024} KB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
