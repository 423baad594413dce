"""``report``: regenerate ``reports/index.html``, the CSV tables and the headline DVC metrics."""

from kedro.pipeline import Node, Pipeline

from posebh import skeletons
from posebh.experiments import load_matrix

from .nodes import build_report


def create_pipeline(**kwargs) -> Pipeline:
    matrix = load_matrix()
    variants = list(matrix)
    ablation = [v for v in variants if matrix[v].get("ablation")]
    transfers = list(skeletons.TRANSFER)
    n = len(variants)

    def report(*args):
        metrics = dict(zip(variants, args[:n]))
        histories = dict(zip(variants, args[n:2 * n]))
        transfer = dict(zip(transfers, args[2 * n:2 * n + len(transfers)]))
        split_summary, *param_values = args[2 * n + len(transfers):]
        params = dict(zip(["model", "train", "data", "evaluation", "transfer", "report"], param_values))
        return build_report(metrics, histories, transfer, split_summary, ablation, params)

    inputs = ([f"{v}.metrics" for v in variants] + [f"{v}.history" for v in variants]
              + [f"transfer_{t}_metrics" for t in transfers] + ["apt36k_split_summary"]
              + ["params:model", "params:train", "params:data", "params:evaluation",
                 "params:transfer", "params:report"])
    return Pipeline([
        Node(report, inputs=inputs,
             outputs=["report_html", "report_table", "report_transfer_table", "report_metrics"],
             name="build_report")
    ])
