import re

from posebh.pipelines.report.nodes import build_report
from posebh.reporting import tables
from posebh.reporting.provenance import stable_hash

OKS = {"AP": 0.5, "AP50": 0.75, "AR": 0.6, "PCK@0.2": 0.8}
WB = {p: {"AP": 0.1, "AR": 0.2} for p in ("body", "foot", "face", "lefthand", "righthand", "wholebody")}
METRICS = {
    "coco": OKS, "aic": {**OKS, "AP": 0.25}, "ap10k": OKS, "apt36k": OKS,
    "mpii": {"PCKh": 90.0, "PCKh@0.1": 30.0, "AP": 0.4, "AR": 0.5, "PCK@0.2": 0.7},
    "coco_wholebody": {**WB, "PCK@0.2": 0.6},
}
PARAMS = {"report": {"profile": "unit", "note": "fixed inputs"}, "model": {}, "train": {}}


def test_headline_values_in_percent():
    assert tables.headline(METRICS, "coco") == {"AP": 50.0, "AP50": 75.0, "AR": 60.0, "PCK@0.2": 80.0}
    assert tables.headline(METRICS, "mpii")["PCKh"] == 90.0
    assert tables.headline(METRICS, "coco_wholebody")["AP"] == 10.0
    hand = {"interhand2d": {"PCK@0.2": 0.9, "AUC@30px": 0.5, "EPE": 4.2}}
    assert tables.headline(hand, "interhand2d") == {"PCK@0.2": 90.0, "AUC": 50.0, "EPE": 4.2}


def test_report_puts_values_in_the_right_cells():
    history = [{"epoch": 0, "loss": 0.01, "seconds": 60.0}, {"epoch": 1, "loss": 0.005, "seconds": 60.0}]
    transfer = {"interhand2d": {"scratch": {"PCK@0.2": 0.5, "AUC@30px": 0.25, "EPE": 9.0}}}
    split = {"train": {"videos": 7, "images": 105, "instances": 105, "species": 3}}
    page, long, transfer_df, headline = build_report(
        {"baseline": METRICS}, {"baseline": history}, transfer, split, ["baseline"], PARAMS)
    row = long[(long.dataset == "aic") & (long.metric == "AP")]
    assert row.value.tolist() == [25.0]
    assert headline["baseline"]["mpii"]["PCKh"] == 90.0
    assert headline["transfer"]["interhand2d.scratch"]["EPE"] == 9.0
    assert transfer_df.value.tolist() == [50.0, 25.0, 9.0]
    # ablation mean over the six headline numbers (AP, PCKh for MPII)
    assert "<td>45.8</td>" in page  # (50 + 25 + 90 + 50 + 50 + 10) / 6
    assert "<script" not in page and 'src="data:image/png;base64,' in page
    assert re.search(r"2\.0 min", page)  # wall time = sum of the histories' seconds


def test_report_is_byte_stable():
    args = ({"baseline": METRICS}, {"baseline": [{"epoch": 0, "loss": 0.01, "seconds": 1.0}]}, {},
            {}, ["baseline"], PARAMS)
    assert build_report(*args)[0] == build_report(*args)[0]


def test_stable_hash_ignores_key_order():
    assert stable_hash({"a": 1, "b": 2}) == stable_hash({"b": 2, "a": 1})
