"""Run in a build pool's worker process (importable by spawn-started children): what that
worker has loaded and how many threads its libraries use."""
from __future__ import annotations

import sys


def state(heavy: tuple[str, ...]) -> dict:
    import cv2

    from mattehub.build.worker import worker_recipe

    return {"recipe": type(worker_recipe()).__name__, "cv2_threads": cv2.getNumThreads(),
            "loaded": [name for name in heavy if name in sys.modules]}
