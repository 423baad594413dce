"""The paper-profile download + data pipelines convert a complete raw tree (every manifest path of
the eight pipeline datasets, in each dataset's real format)."""

from __future__ import annotations

import json

from support import paper_real_params

from posebh.data.real.miniature import write_miniature


def test_paper_data_pipeline_converts_a_complete_raw_tree(tmp_path):
    from kedro.io import DataCatalog, MemoryDataset
    from kedro.runner import SequentialRunner

    from posebh.pipelines import data, download

    write_miniature(tmp_path)
    params = paper_real_params()
    params["image_root"] = str(tmp_path)
    catalog = DataCatalog({"params:data": MemoryDataset(params)})
    pipeline = download.create_pipeline() + data.create_pipeline()  # dvc stages download, data
    outputs = sorted(pipeline.all_outputs() - {"raw_data_status"})
    class Kept(MemoryDataset):  # the digest node consumes the sets: keep them readable
        def _release(self) -> None:
            pass

    for name in outputs:
        catalog[name] = Kept()
    SequentialRunner().run(pipeline, catalog)
    got = {name: catalog.load(name) for name in outputs}
    assert set(got) == {f"{d}_{s}" for d in ("coco", "aic", "mpii", "ap10k", "coco_wholebody",
                                             "interhand2d", "pw3d") for s in ("train", "val")} | {
        "ochuman_val", "ochuman_test", "ochuman_occ_val", "ochuman_occ_test",
        "apt36k_train", "apt36k_val", "apt36k_test", "apt36k_split_summary", "intermediate_digest",
        "hidden_truth"}
    assert "ochuman_val" in got["intermediate_digest"]["datasets"]
    assert got.pop("intermediate_digest")["image_files"] == 0  # real images are inputs, not hashed
    assert got.pop("hidden_truth") == {}  # real images carry one skeleton each: no hidden truth
    assert got["coco_val"]["info"]["image_root"] == str(tmp_path / "coco" / "val2017")
    assert len(got["coco_val"]["detections"]) == 2
    assert "head_bbox" in got["mpii_val"]["annotations"][0]
    assert got["interhand2d_val"]["info"]["source"][0].endswith("InterHand2.6M_test_data.json")
    assert got["ap10k_val"]["info"]["source"][0].endswith("ap10k-test-split1.json")
    assert got["apt36k_split_summary"]["train"]["videos"] == 7
    assert got["ochuman_test"]["info"]["source"][0].endswith("ochuman_coco_format_test_range_0.00_1.00.json")
    occ = got["ochuman_occ_val"]  # no PCT file in the tree: the derived stand-in
    assert "derived" in occ["info"]["subset"]
    assert {v for a in occ["annotations"] for v in a["keypoints"][2::3]} == {0, 1}
    for name, coco in got.items():
        if name != "apt36k_split_summary":
            json.dumps(coco)  # JSON-serialisable as the catalog writes it
            assert coco["images"] and coco["annotations"], name


def test_the_rendered_profiles_have_no_ochuman_and_their_digest_is_unchanged(tmp_path):
    from posebh.pipelines.data.nodes import convert_unseen, digest

    params = {"source": "synthetic", "image_root": str(tmp_path)}
    assert convert_unseen(params) == ({}, {}, {}, {})
    coco = {"images": [{"id": 1}], "annotations": []}
    assert digest(params, coco_val=coco, ochuman_val={}, ochuman_test={}, ochuman_occ_val={},
                  ochuman_occ_test={}) == digest(params, coco_val=coco)
