"""Released checkpoints are only ever loaded with ``weights_only=True``: a pickle that would run
code is refused with a one-line ``DataError`` naming the file and the global, and nothing runs;
an mmcv checkpoint whose ``meta`` holds numpy scalars / dtypes / OrderedDict still loads."""

from __future__ import annotations

import builtins
import collections
import os

import numpy as np
import pytest
import torch

from posebh.data.errors import DataError
from posebh.zoo.official import read_state_dict


class _Payload:
    """Unpickling calls ``func(*args)``: what a crafted checkpoint does."""

    def __init__(self, func: object, *args: object) -> None:
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _weights() -> dict[str, torch.Tensor]:
    return {"backbone.pos_embed": torch.ones(1, 5, 4),
            "keypoint_head.final_layer.bias": torch.zeros(3)}


@pytest.mark.parametrize("kind", ["exec", "os.system"])
def test_a_checkpoint_that_runs_code_is_refused_and_nothing_runs(tmp_path, kind):
    marker = tmp_path / "pwned"
    if kind == "exec":
        payload, name = _Payload(builtins.exec, f"open({str(marker)!r}, 'w').write('x')"), "exec"
    else:
        payload = _Payload(os.system, f"touch '{marker}'")
        name = f"{os.system.__module__}.system"  # posix.system
    path = tmp_path / "vitpose+_base.pth"
    torch.save({"meta": {"epoch": 1, "hook": payload}, "state_dict": _weights()}, path)
    with pytest.raises(DataError) as err:
        read_state_dict(path)
    msg = str(err.value)
    assert not marker.exists()
    assert "\n" not in msg and msg.startswith(f"{path}: refused to load") and name in msg, msg


def test_numpy_arrays_are_not_on_the_allow_list(tmp_path):
    path = tmp_path / "w.pth"
    torch.save({"meta": {"anchors": np.zeros(3)}, "state_dict": _weights()}, path)
    with pytest.raises(DataError, match=r"refused to load the checkpoint: it needs the global "
                                        r"numpy\._core\.multiarray\._reconstruct"):
        read_state_dict(path)


def _mmcv_meta() -> dict:
    return {"mmcv_version": "1.3.9", "time": "Tue Aug  2 10:00:00 2022", "epoch": 210,
            "iter": 123, "config": "model = dict(type='TopDownMoE')\n", "CLASSES": ("person",),
            "hook_msgs": collections.OrderedDict(best_score=np.float64(0.781),
                                                 best_epoch=np.int64(200),
                                                 last_ckpt="work_dirs/epoch_210.pth"),
            "flags": [np.bool_(True), np.float32(0.5)], "dtype": np.dtype("float16")}


def test_an_mmcv_checkpoint_with_numpy_scalars_in_meta_loads(tmp_path):
    path = tmp_path / "posebh_base.pth"
    torch.save({"meta": _mmcv_meta(), "state_dict": _weights(),
                "optimizer": {"state": {}, "param_groups": [{"lr": 5e-4, "params": [0, 1]}]}}, path)
    before = set(map(str, torch.serialization.get_safe_globals()))
    sd = read_state_dict(path)
    assert sorted(sd) == sorted(_weights())
    assert torch.equal(sd["backbone.pos_embed"], torch.ones(1, 5, 4))
    assert set(map(str, torch.serialization.get_safe_globals())) == before  # scoped to the call


def test_a_checkpoint_written_with_numpy_1_names_loads(tmp_path):
    """numpy 1.x pickles name ``numpy.core.multiarray.scalar`` (2.x: ``numpy._core``)."""
    path = tmp_path / "old.pth"
    torch.save({"meta": _mmcv_meta(), "state_dict": _weights()}, path,
               _use_new_zipfile_serialization=False)  # legacy format: one plain pickle stream
    raw = path.read_bytes()
    assert b"numpy._core.multiarray\nscalar\n" in raw
    path.write_bytes(raw.replace(b"numpy._core.multiarray\nscalar\n",
                                 b"numpy.core.multiarray\nscalar\n"))
    assert sorted(read_state_dict(path)) == sorted(_weights())
