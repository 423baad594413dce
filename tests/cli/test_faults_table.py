"""The fault tables of tests/cli/test_faults_*.py together cover every CLI subcommand and converter."""

from faultkit import Fault
from test_faults_bench import BENCH
from test_faults_evaluate import EVALUATE
from test_faults_real import CONVERT
from test_faults_split import SPLIT

ROWS: list[Fault] = EVALUATE + SPLIT + BENCH + CONVERT


def test_the_table_covers_every_command_and_converter() -> None:
    ids = [r.id for r in ROWS]
    assert len(ids) == len(set(ids)) and len(ids) >= 60
    for prefix in ("evaluate-", "split-", "bench-", "bench-method-", "real-fetch-", "real-convert-"):
        assert any(i.startswith(prefix) for i in ids), prefix
    for dataset in ("coco", "wholebody", "aic", "mpii", "ap10k", "apt36k", "interhand", "pw3d",
                    "ochuman", "det"):
        assert any(i.startswith(f"convert-{dataset}-") for i in ids), dataset
    assert any(i.startswith("split-") for i in ids)  # the APT-36K splitter's own CLI
