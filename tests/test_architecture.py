"""The layout's rules (README, "Layout"), checked on the tree as it is.

* The two import rules are ruff's TID251 (``pyproject.toml``): these tests feed ruff a violating
  file under each protected path and expect a refusal, so a rule that stops biting fails here.
* Every wing is a package with a docstring, and no module repeats its wing's name as a prefix.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"


def ruff_says(path: str, source: str) -> str:
    """Ruff's findings for ``source`` as if it were the file at ``path`` (TID251 only)."""
    command = [RUFF, "check", "--select", "TID251", "--output-format", "concise"]
    done = subprocess.run(
        [*command, "--stdin-filename", path, "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    return done.stdout + done.stderr


@pytest.mark.parametrize(
    "path",
    ["handlers/new_journey.py", "bot/orders.py", "bot/intents/recognise.py", "bot/buying/x.py"],
)
@pytest.mark.parametrize(
    "line",
    [
        "from adapters.acme.client import AcmeClient\n",
        "import adapters.store.store\n",
        "from adapters import qr\n",
        "import redis.asyncio\n",
        "from telegram import Bot\n",
        "import httpx\n",
        "import aiohttp\n",
        "from starlette.requests import Request\n",
    ],
)
def test_core_and_handlers_may_not_import_adapters_or_sdks(path: str, line: str) -> None:
    said = ruff_says(path, line)
    assert "TID251" in said, said


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("bot/app/bootstrap.py", "from adapters.acme.client import AcmeClient\n"),
        ("bot/app/web.py", "from starlette.requests import Request\n"),
        ("adapters/telegram/bot.py", "from telegram import Bot\n"),
        ("adapters/webchat/x.py", "import redis.asyncio\n"),
        ("handlers/x.py", "from bot.acme.models import Order\n"),
    ],
)
def test_the_shell_and_the_adapters_may(path: str, line: str) -> None:
    said = ruff_says(path, line)
    assert "TID251" not in said, said


def test_the_tree_as_it_is_obeys_the_rules() -> None:
    said = ruff_says("handlers/x.py", "x = 1\n")
    assert "TID251" not in said
    done = subprocess.run(
        [RUFF, "check", "--select", "TID251", "bot", "handlers", "adapters"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stdout


def _packages() -> list[Path]:
    return sorted(
        p.parent
        for wing in ("bot", "adapters", "handlers")
        for p in (ROOT / wing).rglob("__init__.py")
        if "__pycache__" not in p.parts
    )


@pytest.mark.parametrize("package", _packages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_wing_says_what_it_is_for(package: Path) -> None:
    tree = ast.parse((package / "__init__.py").read_text(encoding="utf-8"))
    doc = ast.get_docstring(tree)
    assert doc, f"{package} needs a docstring saying what the wing is for"
    assert len(doc) > 40, f"{package}: a docstring that says what the wing is for"


@pytest.mark.parametrize("package", _packages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_repeats_its_wings_name(package: Path) -> None:
    wing = package.name
    short = {"ticketmaster": "tm", "telegram": "telegram", "store": "store"}.get(wing, wing)
    for module in package.glob("*.py"):
        for prefix in {wing, short}:
            assert not module.stem.startswith(prefix + "_"), f"{module} carries its wing's prefix"
