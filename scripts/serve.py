"""Start the app: ``python scripts/serve.py [streamlit options]`` (what scripts/app.sh runs).

Same as ``streamlit run app.py`` with one difference.  Streamlit treats a folder called
``pages/`` next to the entry script as an old-style (v1) multipage app until the script's
own ``st.navigation`` has run once; on a freshly started server the very first visitor who
opens a deep link (say ``/gan-objective``, a presenter's bookmark) would get a spurious
"Page not found" pop-up.  Telling Streamlit up front that the app uses ``st.navigation``
removes that.  Everything else is plain ``streamlit run``.
"""
import sys
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

ROOT = Path(__file__).resolve().parent.parent

PagesManager.uses_pages_directory = False
sys.argv = ["streamlit", "run", str(ROOT / "app.py"), *sys.argv[1:]]
sys.exit(cli.main())
