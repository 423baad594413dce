"""Top-down inference with GT boxes and with detector boxes (rescoring + OKS-NMS)."""

import pytest
import tiny
import torch

from posebh.data import synthetic
from posebh.data.dataset import TopDownDataset
from posebh.evaluation.predict import detections_to_coco, predict
from posebh.models.config import ModelConfig
from posebh.models.multihead import MultiHeadPose

TINY = {**tiny.TINY_64, "depth": 1}


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    root = tmp_path_factory.mktemp("coco")
    gt = synthetic.render_split("coco", 3, seed=0, image_dir=root)
    torch.manual_seed(0)
    return gt, root, MultiHeadPose(ModelConfig(**TINY))


def _ds(coco, root):
    return TopDownDataset(coco, root, "coco", 0, input_size=(48, 64), heatmap_size=(12, 16), train=False)


def test_gt_boxes_give_one_rescored_result_per_box(scene):
    gt, root, model = scene
    res = predict(model, _ds(gt, root), "coco", torch.device("cpu"))
    assert sorted(r["ann_id"] for r in res) == sorted(a["id"] for a in gt["annotations"])
    for r in res:
        assert len(r["keypoints"]) == 17 * 3 and 0.0 <= r["score"] <= 1.0


def test_detector_boxes_are_scored_and_deduplicated_by_oks_nms(scene):
    gt, root, model = scene
    ann = gt["annotations"][0]
    dets = [{"image_id": ann["image_id"], "category_id": 1, "bbox": ann["bbox"], "score": s}
            for s in (0.9, 0.8)]  # the same box twice: identical poses, OKS 1 -> one survives
    dets.append({"image_id": ann["image_id"], "category_id": 1, "bbox": ann["bbox"], "score": 0.01})
    coco = detections_to_coco(gt, dets, det_thr=0.05)
    assert [a["score"] for a in coco["annotations"]] == [0.9, 0.8]
    res = predict(model, _ds(coco, root), "coco", torch.device("cpu"), nms=True)
    assert len(res) == 1 and res[0]["image_id"] == ann["image_id"]
    with pytest.raises(ValueError, match="image_id 999 is not in the GT"):
        detections_to_coco(gt, [{"image_id": 999, "bbox": [0, 0, 1, 1], "score": 1.0}])
