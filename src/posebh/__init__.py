"""posebh: the reproducible experiment and benchmark suite for PoseBH (CVPR 2025).

The library (skeletons, data, models, losses, training, evaluation, reporting) never imports
Kedro; ``posebh.pipelines`` holds thin Kedro pipelines over it.
"""

__version__ = "0.1.0"
