"""``seeds``: Table 5 over seeds (``conf/<profile>/parameters_seeds.yml`` says which)."""

from kedro.pipeline import Pipeline

from posebh.pipelines.seed_runs import seeds_pipeline


def create_pipeline(**kwargs) -> Pipeline:
    return seeds_pipeline()
