"""Start the app: ``python scripts/serve.py [streamlit options]`` (what scripts/app.sh runs).

Same as ``streamlit run app.py`` with one difference.  Streamlit treats a folder called
``pages/`` next to the entry script as an old-style (v1) multipage app until the script's
own ``st.navigation`` has run once; on a freshly started server the very first visitor who
opens a deep link (say ``/gan-objective``, a presenter's bookmark) would get a spurious
"Page not found" pop-up.  Telling Streamlit up front that the app uses ``st.navigation``
removes that.  It also imports torch and warms plotly before the first request (see the end
of this file; GAN_NO_PRELOAD=1 turns that off).  Everything else is plain ``streamlit run``.
"""
import os
import sys
import threading
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

ROOT = Path(__file__).resolve().parent.parent

PagesManager.uses_pages_directory = False


def _warm_imports() -> None:
    """Import what the first page needs while the browser is still fetching the front end.

    Runs in a daemon thread at start-up, so the first visitor's script run finds plotly,
    scipy and the lesson maths already imported.  torch is left to the pages that need it:
    importing it here could overlap a visitor's own import of it from another thread, which
    is not safe.  GAN_NO_PRELOAD=1 turns this off.
    """
    sys.path.insert(0, str(ROOT))
    import numpy as np

    from gan_core.lessons import toy1d, viz

    # Building and serialising one figure loads plotly's validators (about a second, once).
    thetas = np.linspace(-2, 2, 5)
    sweep = toy1d.disjoint_sweep(thetas)
    viz.sweep_figure(thetas, sweep.kl, sweep.js, sweep.w1, 1.0, "nats").to_json()


if os.environ.get("GAN_NO_PRELOAD") != "1":
    # torch first and in this thread, before the server takes its first request: about a second
    # here, which the first visitor of the lab or an image page would otherwise wait.  (Importing
    # it from a second thread while a page imports it too is not safe, so not in the thread below.)
    import torch  # noqa: F401

    threading.Thread(target=_warm_imports, name="warm-imports", daemon=True).start()
sys.argv = ["streamlit", "run", str(ROOT / "app.py"), *sys.argv[1:]]
sys.exit(cli.main())
