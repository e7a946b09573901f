"""The SVG pieces bpmn/render.py draws with: text wrapped without a font engine, and the markers inside shapes
(event triggers, BPMN 2.0 table 10.93; task types, 10.3.3)."""

from __future__ import annotations

import math

from lxml import etree

SVG_NS = "http://www.w3.org/2000/svg"
FONT = "Arial, Helvetica, sans-serif"
INK, PAPER = "#222222", "#ffffff"
#: average glyph width as a share of the font size, to wrap labels without a font engine
GLYPH = 0.56


def num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"


def wrap(text: str, width: float, size: float, max_lines: int) -> list[str]:
    """*text* broken into lines that fit *width* px at font *size*; at most *max_lines*, the last cut with '…'."""
    per_line = max(int(width / (size * GLYPH)), 4)
    lines: list[str] = []
    for word in text.split():
        while len(word) > per_line:  # a word longer than a line is split
            if lines and len(lines[-1]) + 1 < per_line:
                room = per_line - len(lines[-1]) - 1
                lines[-1] += " " + word[:room]
                word = word[room:]
            else:
                lines.append(word[:per_line])
                word = word[per_line:]
        if lines and len(lines[-1]) + 1 + len(word) <= per_line:
            lines[-1] += " " + word
        elif word:
            lines.append(word)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:per_line - 1].rstrip() + "…"
    return lines


def add(parent: etree._Element, tag: str, **attrs: object) -> etree._Element:
    return etree.SubElement(parent, f"{{{SVG_NS}}}{tag}",
                            {k.rstrip("_").replace("_", "-"): (num(v) if isinstance(v, (int, float)) else str(v))
                             for k, v in attrs.items()})


def text(g: etree._Element, lines: list[str], x: float, y: float, size: float, colour: str,
         anchor: str = "middle", rotate: bool = False) -> None:
    """Lines centred on (x, y) (vertically), or rotated a quarter turn for a lane's name."""
    if not lines:
        return
    top = y - (len(lines) - 1) * size * 1.2 / 2 + size * 0.35
    attrs = {"x": x, "y": top, "font_family": FONT, "font_size": size, "text_anchor": anchor, "fill": colour}
    if rotate:
        attrs["transform"] = f"rotate(-90 {num(x)} {num(y)})"
    node = add(g, "text", **attrs)
    for i, line in enumerate(lines):
        span = add(node, "tspan", x=x, dy=0 if i == 0 else size * 1.2)
        span.text = line


def event_marker(g: etree._Element, trigger: str, cx: float, cy: float, r: float, filled: bool,
                 ink: str, fill: str) -> None:
    """The trigger's symbol inside an event circle (BPMN 2.0 table 10.93); *filled* for a throwing event."""
    s = r * 0.5
    body = ink if filled else fill
    if trigger == "timer":
        add(g, "circle", cx=cx, cy=cy, r=r * 0.62, stroke=ink, fill=fill, stroke_width=1.5)
        for a in range(0, 360, 30):
            t = math.radians(a)
            add(g, "line", x1=cx + r * 0.5 * math.cos(t), y1=cy + r * 0.5 * math.sin(t),
                 x2=cx + r * 0.6 * math.cos(t), y2=cy + r * 0.6 * math.sin(t), stroke=ink, stroke_width=1)
        add(g, "polyline", points=f"{num(cx)},{num(cy - r * 0.45)} {num(cx)},{num(cy)} "
             f"{num(cx + r * 0.3)},{num(cy)}", stroke=ink, fill="none", stroke_width=1.5)
    elif trigger == "message":
        w, h = r * 1.0, r * 0.7
        add(g, "rect", x=cx - w / 2, y=cy - h / 2, width=w, height=h, stroke=fill if filled else ink, fill=body,
             stroke_width=1)
        add(g, "polyline", points=f"{num(cx - w / 2)},{num(cy - h / 2)} {num(cx)},{num(cy + h / 8)} "
             f"{num(cx + w / 2)},{num(cy - h / 2)}", stroke=fill if filled else ink, fill="none", stroke_width=1)
    elif trigger == "error":
        pts = [(-0.5, 0.55), (-0.2, -0.5), (0.15, 0.15), (0.5, -0.55), (0.2, 0.5), (-0.15, -0.15)]
        add(g, "polygon", points=" ".join(f"{num(cx + x * r)},{num(cy + y * r)}" for x, y in pts),
             stroke=ink, fill=body, stroke_width=1)
    elif trigger in ("signal", "escalation"):
        pts = ([(0, -0.55), (0.5, 0.35), (-0.5, 0.35)] if trigger == "signal"
               else [(0, -0.55), (0.35, 0.45), (0, 0.1), (-0.35, 0.45)])
        add(g, "polygon", points=" ".join(f"{num(cx + x * r)},{num(cy + y * r)}" for x, y in pts),
             stroke=ink, fill=body, stroke_width=1)
    elif trigger == "terminate":
        add(g, "circle", cx=cx, cy=cy, r=r * 0.6, stroke=ink, fill=ink)
    elif trigger == "conditional":
        add(g, "rect", x=cx - s * 0.8, y=cy - s, width=s * 1.6, height=s * 2, stroke=ink, fill=fill, stroke_width=1)
        for i in range(4):
            y = cy - s + (i + 1) * s * 2 / 5
            add(g, "line", x1=cx - s * 0.5, y1=y, x2=cx + s * 0.5, y2=y, stroke=ink, stroke_width=1)
    elif trigger in ("link", "compensate", "cancel"):
        add(g, "text", x=cx, y=cy + r * 0.3, font_family=FONT, font_size=r * 0.9, text_anchor="middle",
             fill=ink).text = {"link": "➜", "compensate": "◀◀", "cancel": "✕"}[trigger]


def task_icon(g: etree._Element, kind: str, x: float, y: float, ink: str) -> None:
    """The task type's marker in the top-left corner (BPMN 2.0 10.3.3): envelope, gear, person, script."""
    if kind in ("sendTask", "receiveTask"):
        filled = kind == "sendTask"
        add(g, "rect", x=x, y=y, width=14, height=10, stroke=PAPER if filled else ink, fill=ink if filled else PAPER)
        add(g, "polyline", points=f"{num(x)},{num(y)} {num(x + 7)},{num(y + 6)} {num(x + 14)},{num(y)}",
             stroke=PAPER if filled else ink, fill="none")
    elif kind == "serviceTask":
        add(g, "circle", cx=x + 6, cy=y + 6, r=5, stroke=ink, fill="none", stroke_width=2.5,
             stroke_dasharray="2 1.5")
        add(g, "circle", cx=x + 6, cy=y + 6, r=2, stroke=ink, fill="none")
    elif kind in ("userTask", "manualTask"):
        add(g, "circle", cx=x + 6, cy=y + 4, r=3.5, stroke=ink, fill="none")
        add(g, "path", d=f"M{num(x)},{num(y + 14)}q0,-6 6,-6q6,0 6,6z", stroke=ink, fill="none")
    elif kind in ("scriptTask", "businessRuleTask"):
        add(g, "rect", x=x, y=y, width=12, height=12, stroke=ink, fill="none")
        for i in (3, 6, 9):
            add(g, "line", x1=x + 2, y1=y + i, x2=x + 10, y2=y + i, stroke=ink)
