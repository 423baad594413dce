"""WCAG 2.x contrast of the page's text colours (AA needs >= 4.5:1 for normal-size text)."""

from __future__ import annotations

import re

AA_NORMAL = 4.5
_HEX = re.compile(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")
_RULE = re.compile(r"([^{}]+)\{([^}]*)\}")


def rgb(colour: str) -> tuple[int, int, int]:
    """'#abc' or '#aabbcc' -> (r, g, b) in 0..255."""
    h = colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    if len(h) != 6:
        raise ValueError(f"not a hex colour: {colour!r}")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def luminance(colour: str) -> float:
    """WCAG relative luminance of a hex colour (sRGB, 0 = black, 1 = white)."""
    def lin(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(c) for c in rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str) -> float:
    """(L_light + 0.05) / (L_dark + 0.05), between 1 and 21."""
    a, b = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def css_colours(css: str) -> dict[str, tuple[str | None, str | None]]:
    """selector -> (text colour, background colour) of each rule that sets either as a hex value."""
    out = {}
    for selector, body in _RULE.findall(css):
        decl = {k.strip(): v.strip() for k, _, v in
                (d.partition(":") for d in body.split(";") if ":" in d)}
        fg, bg = (_HEX.search(decl.get(k, "")) for k in ("color", "background"))
        if fg or bg:
            out[selector.strip()] = (fg.group(0) if fg else None, bg.group(0) if bg else None)
    return out
