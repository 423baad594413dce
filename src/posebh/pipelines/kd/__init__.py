"""``kd``: the multi-teacher unified-skeleton distillation baseline (teachers, KD student, α = 1
student), scored per dataset and on the hidden-truth cross-skeleton matrix."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
