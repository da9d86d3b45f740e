"""Small helpers shared by the browser tests: poll until something holds, read the lab's step counter."""
from __future__ import annotations

import re
import time

#: The lab's status line starts "Step N generator steps".
STEP = re.compile(r"Step ([\d,]+)")
#: The status line itself (the metric table has a "generator steps" column too).
STATUS_LINE = re.compile(r"Step [\d,]+ generator steps")


def wait_until(predicate, timeout: float):
    """Call ``predicate`` every 0.2 s until it returns something truthy or ``timeout`` seconds pass;
    return its last value."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return predicate()


def read_step(page) -> int:
    """The generator step the lab's status line shows."""
    text = page.locator("[data-testid=stMarkdownContainer]").filter(has_text=STATUS_LINE).first.inner_text()
    return int(STEP.search(text).group(1).replace(",", ""))
