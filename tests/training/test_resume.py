"""Killing a real training process and resuming it gives bit-identical final weights on CPU."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

EPOCHS = 4  # PoseBH phases: epochs 0-1 phase 1, 2 phase 2 (K-means), 3 phase 3

SCRIPT = textwrap.dedent('''
    """Tiny multi-dataset training with a per-epoch resume file (written by tests/test_resume.py)."""
    import sys
    import time
    from pathlib import Path

    import torch

    from posebh.io import save_torch
    from posebh.method.config import MethodConfig
    from posebh.method.objective import PoseBHObjective
    from posebh.models.config import ModelConfig
    from posebh.models.multihead import MultiHeadPose
    from posebh.method.posebh_model import PoseBHModel
    from posebh.training.config import OptimConfig
    from posebh.training.objective import MultiHeadObjective
    from posebh.training.resume import ResumeFile
    from posebh.training.config import TrainConfig
    from posebh.training.trainer import train_multihead

    TINY = dict(img_size=(32, 32), embed_dim=16, depth=1, num_heads=2, mlp_ratio=2.0,
                part_features=4, head_channels=8, datasets=("coco", "aic"))


    class Points(torch.utils.data.Dataset):
        def __init__(self, idx, k, n=8):
            self.idx, self.k, self.n, self.epoch = idx, k, n, 0

        def set_epoch(self, epoch):
            self.epoch = epoch

        def __len__(self):
            return self.n

        def __getitem__(self, i):
            g = torch.Generator().manual_seed(10_000 * self.idx + 1000 * self.epoch + i)
            cells = torch.randperm(36, generator=g)[: self.k]
            ys, xs = cells // 6 + 1, cells % 6 + 1
            img = torch.zeros(3, 32, 32)
            target = torch.zeros(17, 8, 8)
            for j, (y, x) in enumerate(zip(ys.tolist(), xs.tolist())):
                img[j % 3, 4 * y:4 * y + 4, 4 * x:4 * x + 4] += (j + 1) / self.k
                target[j, y - 1:y + 2, x - 1:x + 2] = 0.5
                target[j, y, x] = 1.0
            weight = torch.zeros(17)
            weight[: self.k] = 1.0
            return {"image": img, "target": target, "target_weight": weight,
                    "dataset_idx": torch.tensor(self.idx)}


    def main(mode, resume, out, sleep, epochs, sleep_from):
        torch.manual_seed(0)
        if mode == "posebh":
            model = PoseBHModel(ModelConfig(**TINY), MethodConfig(embed_dim=8, num_clusters=6))
            objective = PoseBHObjective(model, model.method, epochs, True)
        else:
            model = MultiHeadPose(ModelConfig(**TINY))
            objective = MultiHeadObjective(model, True)
        cfg = TrainConfig(epochs=epochs, batch_size=4, num_threads=1,
                          optim=OptimConfig(lr=3e-3, warmup_iters=3, lr_steps=(3,)))
        hist = train_multihead(model, [Points(0, 17), Points(1, 14)], cfg, torch.device("cpu"),
                               objective, progress=False,
                               resume=ResumeFile(Path(resume), {"variant": mode}),
                               on_epoch=lambda epoch, log: time.sleep(sleep * (epoch >= sleep_from)))
        save_torch({"state_dict": model.state_dict(), "history": hist}, out)


    if __name__ == "__main__":
        main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5]),
             int(sys.argv[6]))
''')


def _epoch_done(resume: Path) -> int:
    """Last epoch recorded in the resume file (-1 while there is none)."""
    if not resume.exists():
        return -1
    return int(torch.load(resume, map_location="cpu", weights_only=True)["epoch"])


@pytest.mark.parametrize("mode,kill_after", [("posebh", 2)])
def test_killed_run_resumes_to_bit_identical_weights(tmp_path: Path, mode: str, kill_after: int):
    """PoseBH objective (a superset of the baseline's state: bank, K-means buffers, phases).

    Killed once epoch 2 (phase 2: prototypes frozen, K-means done) is recorded; the restart
    resumes in phase 3. ``mode="baseline"`` runs the plain ViTPose++ objective (one process
    start costs ~8 s here, so only one variant runs by default).
    """
    script = tmp_path / "train_tiny.py"
    script.write_text(SCRIPT)

    def cmd(resume: Path, out: Path, sleep: float) -> list[str]:
        # sleep after the epochs >= kill_after: the window in which the test kills the run
        return [sys.executable, str(script), mode, str(resume), str(out), str(sleep), str(EPOCHS),
                str(kill_after)]

    ref_out, out, resume = tmp_path / "ref.pt", tmp_path / "out.pt", tmp_path / "resume.pt"
    reference = subprocess.Popen(cmd(tmp_path / "ref_resume.pt", ref_out, 0.0),
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    victim = subprocess.Popen(cmd(resume, out, 2.0), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while _epoch_done(resume) < kill_after:
        assert victim.poll() is None, victim.communicate()[0].decode()[-2000:]
        assert time.monotonic() < deadline, "training never reached the kill epoch"
        time.sleep(0.02)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL
    killed_at = _epoch_done(resume)
    assert kill_after <= killed_at < EPOCHS - 1 and not out.exists()  # really interrupted

    resumed = subprocess.run(cmd(resume, out, 0.0), capture_output=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr.decode()[-2000:]
    assert reference.wait(timeout=300) == 0, reference.communicate()[0].decode()[-2000:]

    want = torch.load(ref_out, map_location="cpu", weights_only=False)
    got = torch.load(out, map_location="cpu", weights_only=False)
    assert list(got["state_dict"]) == list(want["state_dict"])
    for key, value in want["state_dict"].items():
        assert torch.equal(got["state_dict"][key], value), key
    assert [h["epoch"] for h in got["history"]] == list(range(EPOCHS))
    for a, b in zip(got["history"], want["history"]):
        assert a["loss"] == b["loss"] and a.get("phase") == b.get("phase")
