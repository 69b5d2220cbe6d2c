"""python -m generator --out DIR [--outsourcers N --months M --seed S --scale ROWS --start YYYY-MM]"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .core import DEFAULTS, generate, write_contracts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m generator", description=__doc__)
    ap.add_argument("--out", type=Path, help="output folder (contracts/, landing/, ground_truth.json)")
    ap.add_argument("--outsourcers", type=int, default=DEFAULTS["outsourcers"], help="0..3 (plus the in-house team)")
    ap.add_argument("--months", type=int, default=DEFAULTS["months"])
    ap.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    ap.add_argument("--scale", type=int, default=DEFAULTS["scale"], help="total interactions, all vendors and months")
    ap.add_argument("--start", default=DEFAULTS["start"], help="first month, YYYY-MM")
    ap.add_argument("--rows-per-file", type=int, default=None, help="split a vendor-month's interactions")
    ap.add_argument("--contracts-only", type=Path, default=None, metavar="DIR",
                    help="only write the contracts into DIR (e.g. the repo's contracts/) and exit")
    ap.add_argument("--evidence", action=argparse.BooleanOptionalAction, default=DEFAULTS["evidence"],
                    help="add agent_time, self_service and qa_evaluations, the contract sections and invoice lines "
                         "checked against them, and their ground truth")
    args = ap.parse_args(argv)
    if args.contracts_only is not None:
        for p in write_contracts(args.contracts_only, args.outsourcers, args.months, args.scale, args.start,
                                 args.evidence):
            print(p)
        return 0
    if args.out is None:
        ap.error("--out is required")
    t0 = time.perf_counter()
    truth = generate(args.out, outsourcers=args.outsourcers, months=args.months, seed=args.seed, scale=args.scale,
                     start=args.start, rows_per_file=args.rows_per_file, evidence=args.evidence)
    dt = time.perf_counter() - t0
    n = sum(truth["counts"]["interactions"].values())
    print(f"wrote {n} interactions, {len(truth['defects'])} injected invoice defects to {args.out} in {dt:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
