"""A BI user: query the published copy in a loop, read-only, until told to stop.

    python -m tests.robustness.reader PUBLISHED STOP_FILE RESULT_JSON

Each read opens the file read-only, reads `publication` and the build id of
every row of every mart it lists (one connection = one consistent read), and
closes it. Errors of any kind (a lock, a half-written file, a missing table)
are recorded, as is any read that saw more than one build id.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb


def read_once(path: Path) -> tuple[str, set[str], int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        build_id, tables = con.execute("select build_id, tables from main.publication").fetchone()
        seen: set[str] = set()
        rows = 0
        for table in tables:
            schema, name = table.split(".")
            for bid, n in con.execute(f'select build_id, count(*) from {schema}."{name}" group by 1').fetchall():
                seen.add(bid)
                rows += n
        return build_id, seen, rows
    finally:
        con.close()


def main() -> None:
    path, stop, out = (Path(a) for a in sys.argv[1:4])
    reads, errors, mixed, builds = 0, [], [], []
    while not path.exists() and not stop.exists():
        time.sleep(0.05)
    while not stop.exists():
        try:
            build_id, seen, rows = read_once(path)
            reads += 1
            if seen - {build_id}:
                mixed.append({"publication": build_id, "marts": sorted(seen)})
            if not builds or builds[-1] != build_id:
                builds.append(build_id)
        except Exception as exc:  # noqa: BLE001 - every failure is a finding
            errors.append(f"{type(exc).__name__}: {exc}")
        time.sleep(0.1)
    out.write_text(json.dumps({"reads": reads, "errors": errors[:20], "error_count": len(errors),
                               "mixed": mixed[:20], "builds": builds}))


if __name__ == "__main__":
    main()
