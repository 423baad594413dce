"""Report accessibility and readability: WCAG-AA text contrast, a caption on every table, a
"how to read this" line per section, and the seeds table computed once per build."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from reportkit import PARAMS, PROV, make_inputs
from test_seeds_section import scores

from posebh.reporting import contrast, html, report, seeds_section

TEMPLATE = Path(html.__file__).with_name("templates") / "report.html"
PAGE_BACKGROUNDS = ("#ffffff", "#f3f4f6")  # the body, and the lightest fill text sits on (th, code)


def test_contrast_ratio_known_values():
    assert contrast.contrast_ratio("#000", "#fff") == pytest.approx(21.0)
    assert contrast.contrast_ratio("#fff", "#fff") == pytest.approx(1.0)
    assert contrast.contrast_ratio("#999999", "#ffffff") == pytest.approx(2.85, abs=0.01)  # old grey
    assert contrast.contrast_ratio("#767676", "#fff") == pytest.approx(4.54, abs=0.01)
    with pytest.raises(ValueError, match="not a hex colour"):
        contrast.rgb("#12")


def test_css_colours_parses_rules():
    css = "p { color: #555; margin: 0 } th { background: #f3f4f6; } a { margin: 0 }"
    assert contrast.css_colours(css) == {"p": ("#555", None), "th": (None, "#f3f4f6")}


def test_every_template_text_colour_meets_wcag_aa():
    css = TEMPLATE.read_text(encoding="utf-8").split("<style>")[1].split("</style>")[0]
    rules = contrast.css_colours(css)
    texts = {sel: fg for sel, (fg, _) in rules.items() if fg}
    backgrounds = set(PAGE_BACKGROUNDS) | {bg for _, bg in rules.values() if bg}
    assert len(texts) >= 8
    low = {(sel, fg, bg): round(contrast.contrast_ratio(fg, bg), 2)
           for sel, fg in texts.items() for bg in backgrounds
           if contrast.contrast_ratio(fg, bg) < contrast.AA_NORMAL}
    assert not low, low


def test_table_html_caption_is_escaped():
    out = str(html.table_html(pd.DataFrame({"a": [1.0]}), caption="x < y"))
    assert out.startswith('<table class="dataframe">\n  <caption>x &lt; y</caption>')


@pytest.fixture(scope="module")
def page_and_calls(tmp_path_factory):
    calls = []
    original = seeds_section.seeds_table

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    mp = pytest.MonkeyPatch()
    mp.setattr(seeds_section, "seeds_table", counted)
    params = {**PARAMS, "seeds": {"resamples": 50, "level": 0.9}}
    inputs = make_inputs(tmp_path_factory.mktemp("a11y"), seeds={"scores": scores(0.05)}, params=params)
    try:
        out = report.build(inputs, PROV)
    finally:
        mp.undo()
    return out.html, len(calls)


def test_every_table_has_a_caption(page_and_calls):
    page, _ = page_and_calls
    tables = re.findall(r"<table[^>]*>\s*(<\w+)", page)
    assert len(tables) >= 15
    assert set(tables) == {"<caption"}


def test_every_section_says_how_to_read_it(page_and_calls):
    page, _ = page_and_calls
    heads = re.findall(r"<h2[^>]*>(.*?)</h2>\s*(<p class=\"how\">)?", page)
    assert any("Table 5 over seeds" in h for h, _ in heads)
    assert [h for h, how in heads if not how] == []


def test_ablation_delta_chart_and_bars_share_one_seeds_table(page_and_calls):
    page, calls = page_and_calls
    assert calls == 1  # the seeds section and the bar charts reuse ReportInputs.seed_table
    assert "Ablation deltas: each variant \u2212 baseline_ft" in page
    assert "mean over 2 seeds, error bar ± 1 std over seeds" in page
