import torch

from posebh.models.config import ModelConfig
from posebh.models.multihead import MultiHeadPose
from posebh.training.config import OptimConfig, TrainConfig
from posebh.training.objective import MultiHeadObjective
from posebh.training.trainer import autocast, train_multihead

TINY = dict(img_size=(32, 32), embed_dim=16, depth=1, num_heads=2, mlp_ratio=2.0,
            part_features=4, head_channels=8, datasets=("coco", "aic"))


class Blobs(torch.utils.data.Dataset):
    """A tiny dataset: a bright square whose centre is the target of every keypoint."""

    def __init__(self, idx: int, k: int, n: int = 8) -> None:
        self.idx, self.k, self.n, self.epoch = idx, k, n, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(1000 * self.epoch + i)
        y, x = torch.randint(2, 6, (2,), generator=g).tolist()
        img = torch.zeros(3, 32, 32)
        img[:, 4 * y:4 * y + 4, 4 * x:4 * x + 4] = 1
        target = torch.zeros(17, 8, 8)
        target[: self.k, y, x] = 1
        weight = torch.zeros(17)
        weight[: self.k] = 1
        return {"image": img, "target": target, "target_weight": weight,
                "dataset_idx": torch.tensor(self.idx)}


def _run(cfg: TrainConfig):
    torch.manual_seed(0)
    model = MultiHeadPose(ModelConfig(**TINY))
    hist = train_multihead(model, [Blobs(0, 17), Blobs(1, 14)], cfg, torch.device("cpu"),
                           MultiHeadObjective(model, cfg.heads_on_full_batch), progress=False)
    return model, hist


def test_training_is_bit_identical_on_cpu_and_loss_falls():
    cfg = TrainConfig(epochs=3, batch_size=4, optim=OptimConfig(lr=3e-3, warmup_iters=1, lr_steps=()))
    a, hist = _run(cfg)
    b, _ = _run(cfg)
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(pa, pb), name
    assert hist[-1]["loss"] < hist[0]["loss"]
    assert set(hist[0]) >= {"loss", "loss_coco", "loss_aic", "lr", "seconds", "images_per_s"}


def test_bf16_autocast_runs_on_cpu():
    model = MultiHeadPose(ModelConfig(**TINY))
    with autocast(torch.device("cpu"), "bf16"):
        out = model(torch.randn(2, 3, 32, 32), torch.tensor([0, 1]))
    assert out["coco"].dtype == torch.bfloat16
    cfg = TrainConfig(epochs=1, batch_size=4, amp="bf16", optim=OptimConfig(warmup_iters=1, lr_steps=()))
    _, hist = _run(cfg)
    assert torch.isfinite(torch.tensor(hist[0]["loss"]))
