"""Page feedback: votes, comments, honest statistics, retention and metrics.

:func:`setup` wires it into the app (see :mod:`feedback.web`). The public
statistics API for the dashboard and scripts is :mod:`feedback.stats`.
"""

from __future__ import annotations

from feedback.web import setup

__all__ = ["setup"]
