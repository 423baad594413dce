"""A resume file is reused only by the run that wrote it, and never unpickles code (#13)."""

from __future__ import annotations

import os
import pickle

import pytest
import torch

from posebh.training.resume import ResumeFile, ResumeMismatch, digest

RUN = {"variant": "proto", "model": "m1", "method": "a", "train": "t", "sample": "s", "data": "d"}


def test_round_trip_and_missing_file(tmp_path):
    f = ResumeFile(tmp_path / "resume" / "proto.pt", RUN)
    assert f.load() is None
    f.save({"epoch": 2, "model": {"w": torch.ones(2)}})
    state = f.load()
    assert state["epoch"] == 2 and state["fingerprint"] == RUN


def test_another_variant_or_config_is_refused_naming_what_differs(tmp_path):
    ResumeFile(tmp_path / "r.pt", RUN).save({"epoch": 0})
    other = {**RUN, "variant": "posebh", "method": "b"}
    with pytest.raises(ResumeMismatch, match=r"r\.pt: written by another run \(differs in method, "
                                             r"variant\); delete it to start over"):
        ResumeFile(tmp_path / "r.pt", other).load()


def test_a_crafted_resume_file_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"epoch": 0, "x": Payload()}))
    with pytest.raises(ResumeMismatch, match="not a readable resume file"):
        ResumeFile(path, RUN).load()
    assert not marker.exists()


def test_digest_ignores_key_order_and_sees_values():
    assert digest({"a": 1, "b": [1, 2]}) == digest({"b": [1, 2], "a": 1})
    assert digest({"a": 1}) != digest({"a": 2})
