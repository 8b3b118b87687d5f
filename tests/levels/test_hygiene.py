"""kubequest.levels is shared by the CLI and the TUI: it must not load Textual or Rich."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_every_levels_module_loads_no_ui():
    code = (
        "import importlib, pkgutil, sys, kubequest.levels as lv\n"
        "for m in pkgutil.walk_packages(lv.__path__, 'kubequest.levels.'):\n"
        "    importlib.import_module(m.name)\n"
        "import kubequest.runtime_select, kubequest.commands.run, kubequest.commands.pack\n"
        "import kubequest.commands.levels\n"
        "print(','.join(sorted(n for n in sys.modules if n.split('.')[0] in ('textual', 'rich'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=False, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
