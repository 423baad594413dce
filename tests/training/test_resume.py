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
from support import TESTS

EPOCHS = 4  # PoseBH phases: epochs 0-1 phase 1, 2 phase 2 (K-means), 3 phase 3

SCRIPT = textwrap.dedent('''
    """Tiny multi-dataset training with a per-epoch resume file (by tests/training/test_resume.py)."""
    import sys
    import time
    from pathlib import Path

    sys.path.insert(0, TESTS_DIR)  # tests/, for tiny.py

    import torch
    from tiny import METHOD, TINY, TinyKeypoints

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


    def main(mode, resume, out, sleep, epochs, sleep_from):
        torch.manual_seed(0)
        if mode == "posebh":
            model = PoseBHModel(ModelConfig(**TINY), MethodConfig(**METHOD))
            objective = PoseBHObjective(model, model.method, epochs, True)
        else:
            model = MultiHeadPose(ModelConfig(**TINY))
            objective = MultiHeadObjective(model, True)
        cfg = TrainConfig(epochs=epochs, batch_size=4, num_threads=1,
                          optim=OptimConfig(lr=3e-3, warmup_iters=3, lr_steps=(3,)))
        data = [TinyKeypoints(0, 17, style="square"), TinyKeypoints(1, 14, style="square")]
        hist = train_multihead(model, data, cfg, torch.device("cpu"),
                               objective, progress=False,
                               resume=ResumeFile(Path(resume), {"variant": mode}),
                               on_epoch=lambda epoch, log: time.sleep(sleep * (epoch >= sleep_from)))
        save_torch({"state_dict": model.state_dict(), "history": hist}, out)


    if __name__ == "__main__":
        main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5]),
             int(sys.argv[6]))
''').replace("TESTS_DIR", repr(str(TESTS)))


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
