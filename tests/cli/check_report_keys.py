#!/usr/bin/env python3
"""Every field a report writes is explained in docs/reports.md.

check_report_keys.py DOC ITEM...; each ITEM is KIND:SECTION:FILE with KIND
  json   every key path of the JSON file (arrays of objects: their elements' keys)
  csv    every column of the CSV file's header
  block  every row name of the statistics block(s) in the captured stdout
SECTION names a section of DOC, opened by a line `<!-- report: SECTION -->`
(it runs to the next such line). A field counts as documented when its name
is written in backticks in its section or in a section listed in SHARED
(objects several reports share: network, data, fixed, discord, mesh). Keys
under the maps in DYNAMIC (their keys are data: format names, task names,
table entries, operand widths) are not names to document; their children are.
Exit 1 listing every undocumented field.
"""
import csv
import json
import re
import sys

SHARED = ["common", "fixed", "mesh", "timing"]
# Objects that echo a user's file verbatim (explore's `config`): documented with the file, not here.
VERBATIM = {"config"}
DYNAMIC = {"axes", "units", "macs_by_operand_bits", "adds_by_bits", "entries", "smallest_per_round", "tasks", "register_write_bits_by_bits"}

# Block rows named after data (a layer and quantity, a rounding mode): the doc names the pattern.
BLOCK_PATTERNS = [(r"^layer\d+_[A-Za-z]+_range$", "layerK_Q_range"),
                  (r"^smallest_word_length_[a-z_]+$", "smallest_word_length_MODE")]


def sections(text):
    out, name = {}, None
    for line in text.splitlines():
        m = re.match(r"\s*<!-- report: ([\w-]+) -->", line)
        if m:
            name = m.group(1)
            out.setdefault(name, "")
            continue
        if name:
            out[name] += line + "\n"
    return out


def names(text):
    """Every identifier inside backticks: `a.b.c`, `x_y (z)`, `per_*` give a, b, c, x_y, z, ..."""
    found = set()
    for tok in re.findall(r"`([^`]+)`", text):
        found.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", tok))
    return found


def json_keys(node, parent=None, path=""):
    if isinstance(node, dict):
        for k, v in node.items():
            p = f"{path}.{k}" if path else k
            if k in VERBATIM and parent is None:
                yield p, k  # the object's name is documented; its keys are the file's
                continue
            if parent in DYNAMIC:
                yield from json_keys(v, k, p)  # the key is data; document its children
                continue
            yield p, k
            yield from json_keys(v, k, p)
    elif isinstance(node, list):
        for v in node:
            yield from json_keys(v, parent, path + "[]")


def main():
    doc = open(sys.argv[1]).read()
    secs = sections(doc)
    missing, checked = [], 0
    for item in sys.argv[2:]:
        kind, sec, path = item.split(":", 2)
        if sec not in secs:
            missing.append(f"{sec}: no section `<!-- report: {sec} -->` in {sys.argv[1]}")
            continue
        known = names(secs[sec])
        for s in SHARED:
            known |= names(secs.get(s, ""))
        fields = []
        if kind == "json":
            fields = sorted(set(json_keys(json.load(open(path)))))
        elif kind == "csv":
            fields = [(c, c) for c in next(csv.reader(open(path)))]
        elif kind == "block":
            for line in open(path):
                m = re.match(r"^([a-z][A-Za-z0-9_]*):\s", line)
                if m:
                    name = m.group(1)
                    for pattern, general in BLOCK_PATTERNS:
                        name = re.sub(pattern, general, name)
                    fields.append((m.group(1), name))
        for full, leaf in fields:
            checked += 1
            if leaf not in known:
                missing.append(f"{sec} ({kind} {path}): `{full}`")
    if missing:
        print(f"{len(missing)} report fields are not explained in {sys.argv[1]}:")
        print("\n".join(sorted(set(missing))))
        return 1
    print(f"{checked} report fields, every one explained in {sys.argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
