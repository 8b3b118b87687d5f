"""`kubequest serve`: a kubeconfig that the real kubectl uses, removed on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .conftest import KUBECTL, need_kubectl

ROOT = Path(__file__).resolve().parents[2]


def test_serve_level_then_ctrl_c(tmp_path: Path) -> None:
    need_kubectl()
    kubeconfig = tmp_path / "kq.yaml"
    proc = subprocess.Popen(
        [sys.executable, "-m", "kubequest", "--runtime", "sim", "serve", "basics/first-steps",
         "--kubeconfig", str(kubeconfig)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not kubeconfig.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no kubeconfig written"
            time.sleep(0.1)
        assert oct(kubeconfig.stat().st_mode & 0o777) == "0o600"
        env = {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(tmp_path)}
        out = subprocess.run([KUBECTL, "config", "current-context"], env=env, capture_output=True, text=True,
                             check=False)
        assert out.stdout.strip() == "kubequest", out
        out = subprocess.run([KUBECTL, "get", "nodes"], env=env, capture_output=True, text=True, timeout=30,
                             check=False)
        assert out.returncode == 0 and "node-1" in out.stdout, (out.stdout, out.stderr)
        solution = ROOT / "levels" / "basics" / "first-steps" / "solution"
        out = subprocess.run([KUBECTL, "apply", "-f", str(solution)], env=env, capture_output=True, text=True,
                             check=False, timeout=30)
        assert out.returncode == 0, (out.stdout, out.stderr)
    finally:
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, (stdout, stderr)
    assert f"export KUBECONFIG={kubeconfig}" in stdout, stdout
    assert "level basics/first-steps complete" in stdout, stdout
    assert not kubeconfig.exists(), "the kubeconfig is removed on Ctrl-C"
    assert "Traceback" not in stderr, stderr
