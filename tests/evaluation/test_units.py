"""Metrics files: one unit per metric kind (ratios in percent), the evaluators' units in memory."""

import json

from posebh.evaluation.units import from_percent, to_percent


def test_fractions_become_percent_and_everything_else_stays():
    m = {"coco": {"AP": 0.25, "AP50": 0.5, "APL": -1.0, "AR": 0.3, "PCK@0.2": 0.9, "GFLOPs": 0.03,
                  "num_instances": 10},
         "mpii": {"PCKh": 61.2, "PCKh@0.1": 7.9, "Head": 80.0, "per_joint": {"pelvis": 70.0},
                  "AP": 0.1},
         "hand": {"AUC@30px": 0.5, "EPE": 4.25},
         "css_audit": {"a": {"b": {"share_kept": 0.4, "conf_thr": 0.5, "median_err_px": 2.0}}},
         "notes": ["AP is a fraction in memory"], "flag": True}
    p = to_percent(m)
    assert p["coco"] == {"AP": 25.0, "AP50": 50.0, "APL": -1.0, "AR": 30.0, "PCK@0.2": 90.0,
                         "GFLOPs": 0.03, "num_instances": 10}
    assert p["mpii"] == {**m["mpii"], "AP": 10.0}  # PCKh and its parts already are percent
    assert p["hand"] == {"AUC@30px": 50.0, "EPE": 4.25}
    assert p["css_audit"]["a"]["b"] == {"share_kept": 40.0, "conf_thr": 0.5, "median_err_px": 2.0}
    assert p["notes"] == m["notes"] and p["flag"] is True
    back = from_percent(p)
    assert back == m  # exact for these values (x 100 x 0.01 may differ in the last bit otherwise)


def test_metrics_file_writes_percent_and_reads_fractions(tmp_path):
    from posebh.pipelines.atomic_datasets import MetricsFile

    path = tmp_path / "m.json"
    ds = MetricsFile(str(path), indent=1)
    ds.save({"coco": {"AP": 0.125, "PCK@0.2": 0.5}, "mpii": {"PCKh": 60.0}})
    assert json.loads(path.read_text()) == {"coco": {"AP": 12.5, "PCK@0.2": 50.0}, "mpii": {"PCKh": 60.0}}
    assert ds.load() == {"coco": {"AP": 0.125, "PCK@0.2": 0.5}, "mpii": {"PCKh": 60.0}}
