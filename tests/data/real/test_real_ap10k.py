"""AP-10K: species categories kept."""

from __future__ import annotations

from posebh.data.real import convert_ap10k
from posebh.data.real.miniature import ap10k_raw


def test_ap10k_keeps_species_categories(tmp_path):
    raw = ap10k_raw(tmp_path)
    out = convert_ap10k.convert({"annotations": tmp_path / "ap10k/annotations/ap10k-test-split1.json",
                                 "images": tmp_path / "ap10k/data"})
    assert out["categories"] == raw["categories"]
    assert [a["category_id"] for a in out["annotations"]] == [26, 1]
    assert out["annotations"][0]["keypoints"] == raw["annotations"][0]["keypoints"]
    assert "background" not in out["images"][0]
