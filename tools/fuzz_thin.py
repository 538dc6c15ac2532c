"""Thinning a fuzz golden to a size budget without losing what its cases cover.

A generator draws more random cases than the golden keeps; thin() then keeps,
in file order,

1. every case the generator marks as kept (curated corners, by `keep`) and
   every case with a bug label (the regression cases of fixed bugs),
2. every case that brings a feature class no earlier kept case has: for each
   statement of its `.op`/`.prog` record (kind = its
   `kind=` value or first word) each key's value class -- the value itself
   for words (dtypes, views, modes), for numbers their sign, zero and whether
   they are whole, for lists (shapes, dims, views) their length,
3. then the other cases in order while the file stays within `budget` bytes.

So a case is dropped only when every class it has occurs in a kept case: a
repeat of the same op, dtype and shape class. The classes and the kept cases
are those of the one fixed seed; the replays read whichever cases remain.
"""

import re

_NUM = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def value_class(key, v):
    if v in ("inf", "-inf", "nan", "none", "_", ""):
        return v or "empty"
    if _NUM.match(v):
        x = float(v)
        return ("0" if x == 0 else "+" if x > 0 else "-") + ("int" if x == int(x) else "frac")
    if key == "fill" and ":" in v:  # fill=pool:<a>:<b> / range:<start>:<step>: the kind of fill
        return v.split(":")[0]
    parts = re.split(r"[,x;:]", v)
    if len(parts) > 1 or re.match(r"^[-\d]", v):
        return "list%d" % len(parts)
    return v


def features(body):
    """The feature classes of a case's op/program text (lines)."""
    out = set()
    for line in body:
        w = line.split()
        if not w:
            continue
        kv = dict(t.split("=", 1) for t in w if "=" in t)
        kind = kv.get("kind", w[0])
        for t in w[1:] if "kind" not in kv else w:
            if "=" in t:
                k, v = t.split("=", 1)
                out.add(("bug", v) if k == "bug" else (kind, k, value_class(k, v)))
            elif not t.startswith("%"):
                out.add((kind, "_", value_class("_", t)))
    return out


def _cases(lines):
    """(header lines, [(case, [lines])]) of a RefFile's lines; a case is a record name's part before '.'."""
    i = 0
    while i < len(lines) and not lines[i].startswith("@ "):
        i += 1
    header, cases, index = lines[:i], [], {}
    in_str = False
    for line in lines[i:]:
        if not in_str and line.startswith("@ "):
            w = line.split()
            case = w[1].split(".")[0]
            if case not in index:
                index[case] = len(cases)
                cases.append((case, []))
            elif index[case] != len(cases) - 1:
                raise ValueError("records of case %s are not together" % case)
            in_str = w[2] == "str"
        elif in_str and line == "@@end":
            in_str = False
        cases[-1][1].append(line)
    return header, cases


def _body(case, lines):
    for k, line in enumerate(lines):
        w = line.split()
        if line.startswith("@ ") and len(w) > 2 and w[1] in (case + ".op", case + ".prog") and w[2] == "str":
            return lines[k + 1:lines.index("@@end", k)]
    return []


def thin(r, budget, keep=lambda case: False):
    """Drops cases from RefFile r (in place) as the module says; returns (kept, all, feature classes)."""
    header, cases = _cases(r.lines)
    size = sum(len(line) + 1 for line in header)
    chosen, seen = set(), set()
    for case, lines in cases:
        f = features(_body(case, lines))
        if keep(case) or any(x[0] == "bug" for x in f) or not f <= seen:
            chosen.add(case)
            seen |= f
            size += sum(len(line) + 1 for line in lines)
    for case, lines in cases:
        n = sum(len(line) + 1 for line in lines)
        if case not in chosen and size + n <= budget:
            chosen.add(case)
            size += n
    r.lines = header + [line for case, lines in cases if case in chosen for line in lines]
    return len(chosen), len(cases), len(seen)
