"""Where tests leave files for people to look at (screenshots of the web pages).

``USHER_TEST_ARTEFACTS`` names the directory; unset, it is ``test-artefacts/`` at the root of
the repository (git-ignored). CI can keep the directory as a build artefact: a reviewer sees
what a fan's phone showed without running anything.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Read once at import, like ``USHER_TEST_REDIS_URL``: app fixtures clear every ``USHER_*``
#: variable before a test runs.
ARTEFACTS = Path(os.environ.get("USHER_TEST_ARTEFACTS") or ROOT / "test-artefacts")


def artefacts_dir() -> Path:
    """The artefacts directory, created when missing."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    return ARTEFACTS
