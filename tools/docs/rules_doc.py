#!/usr/bin/env python3
"""Regenerate the generated parts of docs/rules.md from the code and the data.

The rule tables (ID, severity, rejection reason, grouped in catalogue order) come from
crates/beian-rules/src/catalogue.rs; the rejection reason catalogue comes from
data/rejection-reasons.toml. The "What it checks" column is written by hand and kept: each
row's text is carried over by rule ID, a new rule gets a placeholder to fill in, and a rule
that left the catalogue disappears.

    python3 tools/docs/rules_doc.py          # rewrite docs/rules.md in place
    python3 tools/docs/rules_doc.py --check  # exit 1 if docs/rules.md is stale or incomplete

Python 3.11 or later (tomllib); no other dependency.
"""

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "crates/beian-rules/src/catalogue.rs"
REASONS = ROOT / "data/rejection-reasons.toml"
DOC = ROOT / "docs/rules.md"

# The catalogue lists related rules together; each group starts at one of these rules and runs
# until the next group's first rule (a rule added later joins the group of the rule before it).
GROUPS = {
    "INPUT_MISSING_FIELD": "Input and region",
    "SUBJECT_NATURE_CREDENTIAL_MISMATCH": "Subject and credentials (主体与证件)",
    "ADDRESS_NOT_DETAILED": "Addresses, phones, e-mail and administrators (联系方式与负责人)",
    "WEBSITE_NAME_TOO_FEW_HANZI": "Website names and remarks (网站名称)",
    "DOMAIN_COUNT_EXCEEDED": "Domains and homepage (域名)",
    "SERVICE_CONTENT_INVALID": "Service content and preapproval (服务内容与前置审批)",
    "PRODUCT_INVALID": "Products and service numbers (产品与备案服务号)",
    "CREDENTIAL_ORDER_IN_PROGRESS": "Orders in progress, blacklist and filing type",
    "DOCUMENT_FORMAT_UNSUPPORTED": "Documents (材料)",
}

PLACEHOLDER = "*(not described yet: see `crates/beian-rules/src/engine.rs`)*"
RULES_BEGIN, RULES_END = "<!-- generated:rules begin -->", "<!-- generated:rules end -->"
REASONS_BEGIN, REASONS_END = "<!-- generated:reasons begin -->", "<!-- generated:reasons end -->"

ENTRY = re.compile(
    r'^\s*(\w+)\s*=\s*"([A-Z0-9_]+)",\s*(Error|Warning|Info),\s*(None|Some\((\w+)\)),',
    re.M,
)
ROW = re.compile(r"^\| `([A-Z0-9_]+)` \|[^|]*\|[^|]*\| (.*) \|$")


def rules():
    text = CATALOGUE.read_text(encoding="utf-8")
    body = text[text.index("catalogue! {"):]
    out = [(m[2], m[3].lower(), m[5] or "") for m in ENTRY.finditer(body)]
    if not out:
        sys.exit(f"no rules found in {CATALOGUE}")
    return out


def rules_section(existing):
    lines = [RULES_BEGIN, ""]
    all_rules = rules()
    lines.append(f"{len(all_rules)} rules, in the catalogue's order.")
    for rule, severity, reason in all_rules:
        if rule in GROUPS:
            lines += ["", f"### {GROUPS[rule]}", ""]
            lines += ["| Rule | Severity | Reason | What it checks |", "| --- | --- | --- | --- |"]
        reason_cell = f"[{reason}](#{reason.lower()})" if reason else "—"
        text = existing.get(rule, PLACEHOLDER)
        lines.append(f"| `{rule}` | {severity} | {reason_cell} | {text} |")
    lines += ["", RULES_END]
    return "\n".join(lines)


def reasons_section():
    data = tomllib.loads(REASONS.read_text(encoding="utf-8"))
    lines = [REASONS_BEGIN, ""]
    for code, r in data.items():
        who = "the administration or the provider" if code.startswith("R") else "the provider only"
        lines.append(f"#### {code}")
        lines.append("")
        lines.append(f"**{r['title_zh']}** — {r['title_en']}. Used by {who}.")
        if r.get("free_text_required"):
            lines[-1] += " A rejection with this code must carry a note."
        lines.append("")
        lines.append(f"- {r['explanation_en']} ({r['explanation_zh']})")
        lines.append(f"- What to do: {r['solution_en']} ({r['solution_zh']})")
        lines.append("")
    lines.append(REASONS_END)
    return "\n".join(lines)


def replace(doc, begin, end, section):
    i, j = doc.find(begin), doc.find(end)
    if i < 0 or j < i:
        sys.exit(f"{DOC}: markers {begin} … {end} not found")
    return doc[:i] + section + doc[j + len(end):]


def main():
    check = "--check" in sys.argv[1:]
    doc = DOC.read_text(encoding="utf-8")
    existing = {}
    for line in doc.splitlines():
        m = ROW.match(line)
        if m and m[2] != PLACEHOLDER:
            existing[m[1]] = m[2]
    new = replace(doc, RULES_BEGIN, RULES_END, rules_section(existing))
    new = replace(new, REASONS_BEGIN, REASONS_END, reasons_section())
    missing = [r for r, _, _ in rules() if r not in existing]
    if check:
        stale = new != doc
        if stale:
            print(f"{DOC.relative_to(ROOT)} is stale: run python3 tools/docs/rules_doc.py")
        if missing:
            print("rules without a description: " + ", ".join(missing))
        sys.exit(1 if stale or missing else 0)
    DOC.write_text(new, encoding="utf-8")
    if missing:
        print("fill in the description of: " + ", ".join(missing))


if __name__ == "__main__":
    main()
