"""Rendering and evaluation show a progress bar on a terminal (tqdm with ``disable=None``) (#15)."""

from typing import ClassVar

import tqdm as tqdm_module


class Recorder(tqdm_module.tqdm):
    made: ClassVar[list[dict]] = []

    def __init__(self, *args, **kwargs):
        Recorder.made.append(kwargs)
        super().__init__(*args, **{**kwargs, "disable": True})


def test_render_split_wraps_its_loop_in_a_terminal_only_bar(tmp_path, monkeypatch):
    from posebh.data import synthetic

    Recorder.made.clear()
    monkeypatch.setattr(synthetic, "tqdm", Recorder)
    synthetic.render_split("coco", 2, 0, tmp_path, canvas=(64, 64))
    assert [(k["desc"], k["disable"]) for k in Recorder.made] == [("render coco", None)]


def test_predict_wraps_its_batches_in_a_terminal_only_bar(tmp_path, monkeypatch):
    import tiny
    import torch

    from posebh.data import synthetic
    from posebh.data.dataset import TopDownDataset
    from posebh.evaluation import predict as predict_module
    from posebh.models.config import ModelConfig
    from posebh.models.multihead import MultiHeadPose

    gt = synthetic.render_split("coco", 2, seed=0, image_dir=tmp_path)
    torch.manual_seed(0)
    model = MultiHeadPose(ModelConfig(**{**tiny.TINY_64, "depth": 1}))
    ds = TopDownDataset(gt, tmp_path, "coco", 0, input_size=(48, 64), heatmap_size=(12, 16), train=False)
    Recorder.made.clear()
    monkeypatch.setattr(predict_module, "tqdm", Recorder)
    assert len(predict_module.predict(model, ds, "coco", torch.device("cpu"))) == 2
    assert [(k["desc"], k["disable"]) for k in Recorder.made] == [("predict coco", None)]
