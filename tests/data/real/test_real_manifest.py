"""The paper profile's file table against the download manifest, and the missing-files message."""

from __future__ import annotations

import pytest
from support import paper_real_params

from posebh.data.real.download import MissingRawFiles, prepare
from posebh.data.real.manifest import default_manifest


def test_paper_file_table_matches_the_manifest_layout():
    manifest = default_manifest()
    params = paper_real_params()
    for name, split_files in params["real"]["files"].items():
        for split, files in split_files.items():
            for role, rel in files.items():
                dataset, _, inner = rel.partition("/")
                provided = manifest[dataset].provides()
                assert any(inner == p or inner.startswith(p + "/") for p in provided), \
                    f"{name}.{split}.{role}: {rel} is provided by no manifest entry of {dataset}"


def test_missing_raw_files_give_one_message_listing_them(tmp_path):
    with pytest.raises(MissingRawFiles) as err:
        prepare(["coco", "apt36k"], tmp_path, download=False)
    msg = str(err.value)
    assert msg.splitlines()[0].startswith(f"{tmp_path}: 7 raw file(s) missing")
    assert (f"{tmp_path}/coco/train2017  <- http://images.cocodataset.org/zips/train2017.zip "
            "(or set data.real.download: true") in msg
    assert f"{tmp_path}/apt36k/annotations/apt36k_annotations.json  <- OneDrive link" in msg
    assert ("person_detection_results/COCO_val2017_detections_AP_H_56_person.json  <- "
            "person detections") in msg
