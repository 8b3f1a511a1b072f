#!/usr/bin/env python3
"""Write N lines of `beian check --batch` input: the worked examples of examples/check/, minified,
each line varied (the district, which no rule reads) so that no two lines are identical.

usage: gen_batch.py N OUT.jsonl [EXAMPLE-NAME-PREFIX]
(with a prefix, only the examples whose file name starts with it: `valid-enterprise` gives the
typical organisation filing two websites on every line)
"""
import json
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parents[2] / "examples" / "check"
bases = []
prefix = sys.argv[3] if len(sys.argv) > 3 else ""
for p in sorted(root.glob(f"{prefix}*.json")):
    doc = json.loads(p.read_text(encoding="utf-8"))
    doc["application"].pop("documents", None)  # files are relative to the example folder
    bases.append(doc)

n = int(sys.argv[1])
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for i in range(n):
        doc = bases[i % len(bases)]
        region = doc["application"].setdefault("region", {})
        original = region.get("district")
        region["district"] = f"{original or ''}第{i}片区"
        line = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
        if original is None:
            del region["district"]
        else:
            region["district"] = original
        out.write(line)
        out.write("\n")
