"""Benchmarks (``make bench``): OKS evaluators, PoseBH's train-step and deployment cost."""
