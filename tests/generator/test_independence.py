"""The generator is an independent oracle: it imports no pipeline code."""
from __future__ import annotations

import ast
from pathlib import Path

GEN = Path(__file__).resolve().parents[2] / "generator"
FORBIDDEN = ("ingestion", "expectations", "dbt_project", "orchestration", "transform", "serving", "compat")


def test_generator_imports_no_pipeline_code():
    files = sorted(GEN.glob("*.py"))
    assert files
    for f in files:
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative import inside the generator package
                    continue
                names = [node.module or ""]
            else:
                continue
            for n in names:
                assert n.split(".")[0] not in FORBIDDEN, f"{f.name} imports {n}"
