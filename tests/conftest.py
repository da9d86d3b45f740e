"""Shared pytest setup: the repo root and tests/ on sys.path, so tests import gan_core, pages and helpers."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Two workers on two cores (pytest.ini): one torch thread each, else their thread pools fight
    # over the cores.  The servers the browser tests start are other processes, left as they are.
    import torch

    torch.set_num_threads(1)

