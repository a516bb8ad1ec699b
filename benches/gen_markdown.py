#!/usr/bin/env python3
"""Generates a Markdown procedure document of a given size, for the import
benchmark (docs/PERFORMANCE.md, benchmark 9). Deterministic: the same
arguments give the same bytes.

Two shapes:

  wiki   a long wiki page: sections of several paragraphs of explanation,
         a numbered list, a bash block with a $VARIABLE and a <placeholder>,
         a table every fourth section. Its runbook stays under the 1 MiB
         that `stepwise run` reads, so the whole import (parse, build, emit,
         read back with the loader) is measured.
  dense  the seed procedure's shape repeated: short sections of numbered
         items, a checklist, a code block each. At 1 MB its runbook would be
         over 1 MiB, so the import refuses it (exit 2) after parsing,
         building and writing it in memory: the worst case without the
         read-back.

Usage: gen_markdown.py OUT BYTES [--shape wiki|dense]
"""

import argparse

WORDS = (
    "the service deploy release replica primary cache queue worker node pod "
    "health check latency error rate traffic rollback config database "
    "connection timeout retry alert dashboard owner team incident version "
    "tag branch build pipeline storage volume log metric request upstream "
    "region cluster secret token certificate backup restore migration lock"
).split()


class Words:
    """A linear congruential generator over WORDS: no random module, no seed
    drift between Python versions."""

    def __init__(self):
        self.state = 12345

    def word(self):
        self.state = (self.state * 1103515245 + 12345) % 2**31
        return WORDS[self.state % len(WORDS)]

    def sentence(self, n):
        text = " ".join(self.word() for _ in range(n))
        return text[0].upper() + text[1:] + "."

    def paragraph(self, sentences, words=14):
        return " ".join(self.sentence(words) for _ in range(sentences))


def wiki_section(w, i):
    out = [f"## {i}. {w.sentence(4)[:-1]}", ""]
    for _ in range(6):
        out += [w.paragraph(14), ""]
    out += [f"1. {w.sentence(7)[:-1]}", f"2. Check the {w.word()} {w.word()} on the {w.word()}", ""]
    out += [f"Then look at the {w.word()} of the {w.word()}:", ""]
    out += ["```bash", f'kubectl -n "$NAMESPACE" get {w.word()} <service-{i % 7}> -o wide', "```", ""]
    for _ in range(6):
        out += [w.paragraph(14), ""]
    if i % 4 == 0:
        out += ["| host | role | owner |", "|---|---|---|"]
        out += [f"| {w.word()}-{k} | {w.word()} | {w.word()} |" for k in range(5)]
        out += [""]
    return out


def dense_section(w, i):
    out = [f"## {w.sentence(3)[:-1]} {i}", "", f"Before the {w.word()}, ensure the following:", ""]
    out += [f"{k}. {w.sentence(7)[:-1]}" for k in range(1, 6)]
    out += ["", "Notify affected parties:", "", "- Development team", "- Operations team", ""]
    out += ["```sh", f'systemctl restart "$SERVICE_{i % 50}"', "```", ""]
    return out


def generate(size, shape):
    w = Words()
    lines = ["# Generated procedure", "", w.paragraph(3), ""]
    section = wiki_section if shape == "wiki" else dense_section
    total = sum(len(line) + 1 for line in lines)
    i = 0
    while total < size:
        i += 1
        block = section(w, i)
        lines += block
        total += sum(len(line) + 1 for line in block)
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("bytes", type=int)
    ap.add_argument("--shape", choices=["wiki", "dense"], default="wiki")
    args = ap.parse_args()
    text = generate(args.bytes, args.shape)
    with open(args.out, "w") as f:
        f.write(text)
    print(len(text.encode()))


if __name__ == "__main__":
    main()
