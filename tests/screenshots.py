"""Where the browser tests put their screenshots.

With ``TTS_UPDATE_SCREENSHOTS=1`` they replace the README's pictures in
``docs/screenshots/``; otherwise they go to a folder under the system's
temporary directory, so an ordinary test run leaves the checkout as it was.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tests.procutil import REPO


def screenshot_path(filename: str) -> Path:
    """The path to write screenshot ``filename`` (e.g. ``widget-form.png``) to."""
    if os.environ.get("TTS_UPDATE_SCREENSHOTS") == "1":
        folder = REPO / "docs" / "screenshots"
    else:
        folder = Path(tempfile.gettempdir()) / "ttsservice-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / filename
