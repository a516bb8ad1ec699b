#!/usr/bin/env python3
"""ANSI (tmux capture-pane -e) to a self-contained HTML page, for the
screenshot. Handles the SGR codes ratatui emits: reset, bold, dim, italic,
underline, reverse, 16/256/RGB colours. Usage: ansi2html.py < in > out.html"""
import html, re, sys

BASE = ["#1d1f21", "#cc6666", "#b5bd68", "#f0c674", "#81a2be", "#b294bb", "#8abeb7", "#c5c8c6",
        "#666666", "#d54e53", "#b9ca4a", "#e7c547", "#7aa6da", "#c397d8", "#70c0b1", "#eaeaea"]
FG, BG = "#d8dadc", "#16181a"

def c256(n):
    if n < 16: return BASE[n]
    if n < 232:
        n -= 16; v = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (v[n // 36], v[(n // 6) % 6], v[n % 6])
    g = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (g, g, g)

def sgr(params, st):
    p = [int(x) if x else 0 for x in params.split(";")] if params else [0]
    i = 0
    while i < len(p):
        n = p[i]
        if n == 0: st.clear()
        elif n == 1: st["b"] = 1
        elif n == 2: st["d"] = 1
        elif n == 3: st["i"] = 1
        elif n == 4: st["u"] = 1
        elif n == 7: st["r"] = 1
        elif n == 22: st.pop("b", None); st.pop("d", None)
        elif n == 23: st.pop("i", None)
        elif n == 24: st.pop("u", None)
        elif n == 27: st.pop("r", None)
        elif 30 <= n <= 37: st["fg"] = BASE[n - 30]
        elif 90 <= n <= 97: st["fg"] = BASE[n - 82]
        elif n == 39: st.pop("fg", None)
        elif 40 <= n <= 47: st["bg"] = BASE[n - 40]
        elif 100 <= n <= 107: st["bg"] = BASE[n - 92]
        elif n == 49: st.pop("bg", None)
        elif n in (38, 48) and i + 1 < len(p):
            key = "fg" if n == 38 else "bg"
            if p[i + 1] == 5 and i + 2 < len(p):
                st[key] = c256(p[i + 2]); i += 2
            elif p[i + 1] == 2 and i + 4 < len(p):
                st[key] = "#%02x%02x%02x" % tuple(p[i + 2:i + 5]); i += 4
        i += 1

def css(st):
    fg, bg = st.get("fg", FG), st.get("bg", BG)
    if st.get("r"): fg, bg = bg, fg
    s = "color:%s;background:%s;" % (fg, bg)
    if st.get("b"): s += "font-weight:bold;"
    if st.get("d"): s += "opacity:.6;"
    if st.get("i"): s += "font-style:italic;"
    if st.get("u"): s += "text-decoration:underline;"
    return s

def convert(text):
    out, st = [], {}
    for part in re.split(r"(\x1b\[[0-9;]*m)", text):
        m = re.match(r"\x1b\[([0-9;]*)m", part)
        if m: sgr(m.group(1), st); continue
        part = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", part)
        if part: out.append('<span style="%s">%s</span>' % (css(st), html.escape(part)))
    return "".join(out)

# The stopwatch of the incident clock is in no font Chromium finds here;
# a clock face of the same width stands in for it.
body = convert(sys.stdin.read().rstrip("\n").replace("\u23f1", "\u25f7"))
print("""<!doctype html><meta charset="utf-8"><style>
html,body{margin:0;background:%s}
pre{margin:0;padding:14px 16px;font:15px/18px 'DejaVu Sans Mono',monospace;color:%s}
</style><pre>%s</pre>""" % (BG, FG, body))
