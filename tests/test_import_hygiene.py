"""The layering the architecture promises, checked: `engine/` imports nothing from
the game, Textual or Rich, and only engine/runtime/docker.py imports `docker`."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "engine"
FORBIDDEN_IN_ENGINE = ("kubequest", "textual", "rich")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_engine_sources_import_no_ui_or_game_code():
    offenders = []
    for path in sorted(ENGINE.rglob("*.py")):
        for mod in imported_modules(path):
            if mod.split(".")[0] in FORBIDDEN_IN_ENGINE:
                offenders.append(f"{path.relative_to(ROOT)} imports {mod}")
    assert offenders == []


def test_only_the_docker_runtime_imports_docker():
    allowed = ENGINE / "runtime" / "docker.py"
    offenders = []
    for base in (ENGINE, ROOT / "kubequest"):
        for path in sorted(base.rglob("*.py")):
            if path == allowed:
                continue
            if any(m.split(".")[0] == "docker" for m in imported_modules(path)):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_importing_the_whole_engine_loads_no_ui_module():
    """Belt and braces: import every engine module in a fresh interpreter and look at sys.modules."""
    code = (
        "import importlib, pkgutil, sys, engine\n"
        "for m in pkgutil.walk_packages(engine.__path__, 'engine.'):\n"
        "    if m.name != 'engine.runtime.docker':\n"
        "        importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('textual', 'rich', 'kubequest', 'docker'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
