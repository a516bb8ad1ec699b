#!/usr/bin/env python3
"""Import cycles between the source files of stepwise.

Builds a graph with one node per .rs file and an edge A -> B when A names an
item of B's module through a path (`use crate::x::y`, `crate::x::y::f()`,
`super::z`, `stepwise_core::x`). A `mod x;` declaration is not an edge (a
parent declaring its child is not an import). Then prints every strongly
connected component of more than one file: each is an import cycle.

Checked: every file of crates/stepwise-core/src, and the files of
src/launch, src/trust_prompt.rs, src/picker.rs and src/tui (the drivers the
architecture issue named). Exit 1 when a cycle is found.

Usage: python3 .ci/import_cycles.py   (from the repository root)
"""
import os
import re
import sys

ROOTS = {"core": "crates/stepwise-core/src", "bin": "src"}
CORE_MODS = {"dryrun", "engine", "outcome", "policy", "runbook", "runner",
             "session", "text", "transcript", "trust"}
PATH = re.compile(r"\b(crate|super|stepwise_core|stepwise)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
USE_GROUP = re.compile(r"\buse\s+(crate|super|stepwise_core|stepwise)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*)\};", re.S)


def module_of(root, path):
    rel = os.path.relpath(path, root)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    return rel


def files(root):
    out = {}
    for d, _, fs in os.walk(root):
        for f in fs:
            if f.endswith(".rs"):
                p = os.path.join(d, f)
                out[tuple(module_of(root, p))] = p
    return out


REEXPORT = re.compile(r"\bpub use\s+([a-z_][a-z0-9_]*(?:::[a-z_][a-z0-9_]*)*)::(?:\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))\s*;")


def reexports(path):
    """Names a module file re-exports from a child: name -> child path."""
    text = strip_comments(open(path, encoding="utf-8").read())
    out = {}
    for m in REEXPORT.finditer(text):
        names = m.group(2).split(",") if m.group(2) else [m.group(3)]
        for n in names:
            n = n.strip().split(" as ")[-1].strip()
            if n:
                out[n] = m.group(1).split("::")
    return out


def resolve(crate, mods, segs):
    """The file defining what `segs` names: the longest module prefix, or,
    when that is a module that only re-exports the item from a child of
    its own, that child (a facade is not a dependency on the parent)."""
    for n in range(len(segs), -1, -1):
        key = (crate, tuple(segs[:n]))
        if key in mods:
            if n < len(segs):
                via = reexports(mods[key]).get(segs[n])
                if via and via[0] not in ("crate", "super", "self", "std", "stepwise_core"):
                    child = resolve(crate, mods, segs[:n] + via + segs[n:])
                    if child and child != key:
                        return child
            return key
    return None


def strip_comments(text):
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', text)


def edges_of(crate, mod, path, mods):
    text = strip_comments(open(path, encoding="utf-8").read())
    paths = []
    for m in USE_GROUP.finditer(text):
        for item in re.split(r"[,\s{}]+", m.group(3)):
            if item and item not in ("self",):
                paths.append((m.group(1), m.group(2) + "::" + item.split("::")[0]))
    paths += [(m.group(1), m.group(2)) for m in PATH.finditer(text)]
    # A child module named by a relative path (`report::outcome(..)`, `use
    # tails::neutralize`) is an edge too, as is a sibling through `self::`.
    own = list(mod) if os.path.basename(path) in ("mod.rs", "lib.rs", "main.rs") else list(mod[:-1]) if False else list(mod)
    for m in re.finditer(r"(?<![:\w])(self::)?([a-z_][a-z0-9_]*)::", text):
        name = m.group(2)
        if name in ("crate", "super", "std", "self") or (crate, tuple(own + [name])) not in mods:
            continue
        paths.append(("self", "::" + name))
    out = set()
    for head, rest in paths:
        segs = [s for s in rest.split("::") if s]
        target_crate = crate
        if head in ("stepwise_core",):
            target_crate = "core"
        elif head == "stepwise":
            target_crate = "bin"
        elif head == "self":
            segs = own + segs
        elif head == "super":
            base = list(mod) if os.path.basename(path) in ("mod.rs", "lib.rs") else list(mod[:-1])
            while segs and segs[0] == "super":
                base, segs = base[:-1], segs[1:]
            segs = base[:-1] + segs if False else base + segs
        if target_crate == "bin" and segs and segs[0] in CORE_MODS:
            target_crate = "core"
        key = resolve(target_crate, mods, segs)
        if key and key != (crate, tuple(mod)):
            out.add(key)
    return out


def sccs(graph):
    index, low, stack, on, out, i = {}, {}, [], set(), [], [0]
    def visit(v):
        index[v] = low[v] = i[0]; i[0] += 1; stack.append(v); on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v:
                    break
            out.append(comp)
    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def checked(key):
    crate, mod = key
    if crate == "core":
        return True
    return bool(mod) and mod[0] in ("launch", "trust_prompt", "picker", "tui")


def main():
    mods = {}
    for crate, root in ROOTS.items():
        for mod, path in files(root).items():
            mods[(crate, mod)] = path
    graph = {k: edges_of(k[0], list(k[1]), p, mods) for k, p in mods.items()}
    graph = {k: {w for w in v if checked(w)} for k, v in graph.items() if checked(k)}
    cycles = [c for c in sccs(graph) if len(c) > 1]
    for c in cycles:
        print("cycle: " + " <-> ".join(sorted(mods[k] for k in c)))
        if "--why" in sys.argv:
            for a in sorted(c):
                for b in sorted(graph[a] & set(c)):
                    print(f"    {mods[a]} -> {mods[b]}")
    print(f"{len(graph)} files checked, {len(cycles)} import cycles")
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main())
