#!/usr/bin/env python3
"""Write N lines of `beian check --batch` input: the worked examples of examples/check/, minified,
each line varied (subject name, domains, service number) so that no two lines are identical.

usage: gen_batch.py N OUT.jsonl
"""
import json
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parents[2] / "examples" / "check"
bases = []
for p in sorted(root.glob("*.json")):
    doc = json.loads(p.read_text(encoding="utf-8"))
    doc["application"].pop("documents", None)  # files are relative to the example folder
    bases.append(doc)

n = int(sys.argv[1])
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for i in range(n):
        doc = bases[i % len(bases)]
        app = doc["application"]
        subject = app.get("subject") or {}
        original = subject.get("name")
        if original:
            subject["name"] = f"{original}{i}"
        line = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
        if original:
            subject["name"] = original
        out.write(line)
        out.write("\n")
