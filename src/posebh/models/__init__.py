"""Models: timm ViT backbone with ViTPose++ per-dataset FFN experts, heatmap heads, the assembled model."""
