"""The PoseBH speed benchmark on a tiny model: every phase timed, deployment ratios sane."""

import json

import tiny

from posebh.bench.method import bench_deploy, bench_train, synthetic_batch
from posebh.commands import main
from posebh.models.config import ModelConfig

# as a parameters file holds it (lists, not tuples)
TINY = {**tiny.TINY, "img_size": [32, 32], "datasets": ["coco", "aic"]}
METHOD = {"embed_dim": 8, "num_clusters": 8}


def test_synthetic_batch_labels_each_row_with_its_dataset_keypoints():
    b = synthetic_batch(ModelConfig.from_dict(TINY), 4)
    assert b["dataset_idx"].tolist() == [0, 0, 1, 1]  # grouped by dataset, as the trainer's
    assert b["target_weight"][2].sum() == 14 and b["target_weight"][0].sum() == 17
    assert float(b["target"][0, 0].max()) == 1.0


def test_bench_train_times_the_baseline_and_all_three_phases():
    res = bench_train(TINY, METHOD, batch_size=4, steps=1, warmup=0)
    assert set(res["seconds"]) == {"baseline_full_batch", "baseline_own_rows", "phase1",
                                   "phase2_css", "phase3_css", "phase3_css_every_candidate"}
    assert res["ratio_to_baseline_full_batch"]["baseline_full_batch"] == 1.0
    assert all(v > 0 for v in res["seconds"].values())


def test_deployed_posebh_has_the_baseline_flops_exactly():
    res = bench_deploy(TINY, METHOD, repeats=2)
    assert res["flops_ratio"] == 1.0 and res["latency_ratio"] > 0


def test_cli_writes_the_json(tmp_path):
    conf = tmp_path / "conf"
    for profile in ("base", "paper"):
        (conf / profile).mkdir(parents=True)
        (conf / profile / "parameters_train.yml").write_text(json.dumps({"model": TINY}))
        (conf / profile / "parameters_method.yml").write_text(json.dumps({"method": METHOD}))
    out = tmp_path / "method.json"
    assert main(["bench-method", "--conf", str(conf), "--steps", "1", "--batch-embedded", "4",
                 "--batch-vitb", "2", "--out", str(out)]) == 0
    res = json.loads(out.read_text())
    assert set(res["configs"]) == {"embedded_default", "vit_b_256x192"}


def test_cli_bad_conf_is_one_line_error(tmp_path, capsys):
    assert main(["bench-method", "--conf", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err


def test_phase3_profile_names_every_part():
    from posebh.bench.method import profile_phase3

    parts = profile_phase3(TINY, METHOD, batch_size=4, steps=1)
    assert set(parts) == {"kmeans_once_ms", "foreground_ms", "ppc_ppd_with_sinkhorn_ms",
                          "sinkhorn_ms", "negatives_ms", "css_ms", "forward_ms", "backward_ms",
                          "optimizer_ms"}
    assert parts["sinkhorn_ms"] <= parts["ppc_ppd_with_sinkhorn_ms"] <= parts["forward_ms"]
