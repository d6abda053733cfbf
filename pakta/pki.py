"""Moved to `pakta.demo` (the `pakta[demo]` extra); kept for callers importing it."""

from pakta.demo import *  # noqa: F403
from pakta.demo import __all__  # noqa: F401
