"""Runs: one typed function per kind of experiment the pipelines execute.

``config`` (the run-level configs, parsed once), ``inputs`` (top-down datasets over COCO dicts),
``fit`` (training with dvclive and a resume file), ``variant`` (train from scratch),
``finetune`` (from the baseline; PoseBH's three phases), ``evaluate`` (every head on its val
split), ``grid`` (one fine-tune per grid point), ``transfer`` (hand 21 / SMPL 24).
"""
