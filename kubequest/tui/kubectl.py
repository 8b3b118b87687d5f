"""The level screen's kubectl prompt, minus the screen: parse a line, refuse what cannot
finish on its own, run the real kubectl against the level's API server.

No Textual here (the widget in widgets/kubectl_prompt.py calls this from a worker
thread). No shell either: the line is split with shlex and handed to kubectl as
arguments, so `;`, `|`, `$(…)` are just characters kubectl will complain about.

    args = parse("kubectl get pods -o wide")     # ["get", "pods", "-o", "wide"]
    refusal(args)                                # None, or a sentence saying what to run instead
    run(find_kubectl(), args, env={"KUBECONFIG": path}, cwd=workdir)   # a Result
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

TIMEOUT = 20.0  # seconds: every command must finish on its own within this
INSTALL_HINT = (
    "kubectl is not installed (no `kubectl` on your PATH), so this prompt cannot run it. "
    "Install it from https://kubernetes.io/docs/tasks/tools/ — e.g. `brew install kubectl`, "
    "`sudo snap install kubectl --classic`, or the Kubernetes apt/yum repository — and start "
    "the level again. Everything else in the game works without it (d describe, y YAML, l logs)."
)

# Global flags that take a value as the next word (kubectl -n web get pods).
_GLOBAL_VALUE_FLAGS = frozenset({
    "-n", "--namespace", "--context", "--kubeconfig", "--cluster", "--user", "-s", "--server",
    "--token", "--as", "--as-group", "--request-timeout", "--cache-dir", "-v", "--v",
})
# Short flags that take a value: in a group like `-owide` or `-pc web` the rest is the value.
_SHORT_VALUE_FLAGS = frozenset("olLncksf")


class Refused(Exception):
    """The line is not run; the message says why and what to type instead."""


@dataclass(frozen=True)
class Result:
    args: tuple[str, ...]
    code: int | None  # None: killed at the timeout
    stdout: str
    stderr: str

    @property
    def timed_out(self) -> bool:
        return self.code is None


def find_kubectl() -> str | None:
    """The kubectl on PATH, or None."""
    return shutil.which("kubectl")


def parse(line: str) -> list[str]:
    """A typed line as kubectl's arguments: shell-like quoting, a leading `kubectl` (or `k`)
    optional. Raises Refused for a line that cannot be split."""
    try:
        words = shlex.split(line, comments=False, posix=True)
    except ValueError as exc:  # "No closing quotation"
        raise Refused(f"cannot read that line: {str(exc).lower()}.") from None
    if words and words[0] in ("kubectl", "k"):
        words = words[1:]
    return words


def _short_flags(word: str) -> set[str]:
    """The letters of a short-flag group (`-Aw` → {A, w}); stops at a flag that takes a
    value, whose value is the rest of the word (`-owide` → {o})."""
    if not word.startswith("-") or word.startswith("--") or len(word) < 2:
        return set()
    letters: set[str] = set()
    for ch in word[1:]:
        if not ch.isalpha():
            break
        letters.add(ch)
        if ch in _SHORT_VALUE_FLAGS:
            break
    return letters


def _long_flag(word: str, *names: str) -> bool:
    """`--watch`, `--watch=true` (but not `--watch=false`)."""
    for name in names:
        if word == name:
            return True
        if word.startswith(name + "="):
            return word.split("=", 1)[1].lower() not in ("false", "0")
    return False


def verb(args: list[str]) -> str | None:
    """The kubectl sub-command (`get`, `logs`…), skipping global flags before it."""
    skip = False
    for word in args:
        if skip:
            skip = False
            continue
        if word == "--":
            return None
        if word.startswith("-"):
            skip = word in _GLOBAL_VALUE_FLAGS
            continue
        return word
    return None


def refusal(args: list[str]) -> str | None:
    """Why this command cannot run in the prompt (it never ends on its own, or needs a
    terminal or an editor), with the form that works; None when it can run."""
    cmd = verb(args)
    try:
        flags_end = args.index("--")  # what follows `--` belongs to the command run in a pod
    except ValueError:
        flags_end = len(args)
    flags = args[:flags_end]
    short = set().union(*(_short_flags(w) for w in flags)) if flags else set()
    if cmd == "edit":
        return ("`kubectl edit` opens an editor, which this prompt cannot show: edit the file in "
                "the workspace and press ctrl+s, or change one field with `kubectl patch`, "
                "`kubectl set image` or `kubectl scale`.")
    if cmd in ("port-forward", "proxy", "attach"):
        return (f"`kubectl {cmd}` keeps running until you stop it, which this prompt cannot do: "
                "run it in a terminal of your own, after the export KUBECONFIG=… line shown above.")
    if cmd in ("exec", "run", "debug") and ("i" in short or "t" in short
                                           or any(_long_flag(w, "--stdin", "--tty") for w in flags)):
        return (f"`kubectl {cmd} -it` needs an interactive terminal: run one command at a time "
                "instead, e.g. `kubectl exec POD -- ls /` — or open a shell in a terminal of your "
                "own, after the export KUBECONFIG=… line shown above.")
    if cmd == "logs" and ("f" in short or any(_long_flag(w, "--follow") for w in flags)):
        return ("`kubectl logs -f` follows the logs until you stop it: run `kubectl logs POD` "
                "(add `--tail=20`) again when you want more — or select the pod and press l, "
                "where f follows them live.")
    if cmd != "rollout" and ("w" in short or any(_long_flag(w, "--watch", "--watch-only")
                                                 for w in flags)):
        return ("`-w` watches until you stop it, which this prompt cannot do: run the command "
                "again without `-w` to see what changed — the cluster panels on the right are "
                "live anyway.")
    stdin = any(w in ("-f", "--filename") and nxt == "-" for w, nxt in pairwise(flags))
    if stdin or any(w in ("-f-", "--filename=-") for w in flags):
        return ("`-f -` reads a manifest from standard input, which this prompt does not have: "
                    "save it as a file and give its path (the prompt runs in the level's "
                    "working folder, where the workspace files are).")
    return None


ROLLOUT_STATUS_TIMEOUT = "15s"  # within TIMEOUT: kubectl ends it and says so itself


def bounded(args: list[str]) -> list[str]:
    """`rollout status` waits until the rollout ends, which a stuck one never does: give it
    kubectl's own --timeout, shorter than the prompt's, unless it has one or does not watch."""
    if verb(args) != "rollout" or "status" not in args:
        return args
    if any(a.startswith(("--timeout", "--watch=false", "-w=false")) for a in args):
        return args
    return [*args, f"--timeout={ROLLOUT_STATUS_TIMEOUT}"]


def run(kubectl: str, args: list[str], *, env: dict[str, str], cwd: Path | None = None,
        timeout: float = TIMEOUT) -> Result:
    """Run kubectl with `args` (no shell), with `env` added to this process's environment,
    no standard input; killed after `timeout` seconds. Blocks: call it from a worker thread."""
    full_env = dict(os.environ)
    full_env.update(env)
    full_env.setdefault("NO_COLOR", "1")
    try:
        done = subprocess.run([kubectl, *args], env=full_env, cwd=cwd, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        return Result(tuple(args), None, _text(exc.stdout), _text(exc.stderr))
    except OSError as exc:
        return Result(tuple(args), 127, "", f"cannot run {kubectl}: {exc.strerror or exc}")
    return Result(tuple(args), done.returncode, _text(done.stdout), _text(done.stderr))


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data.decode("utf-8", errors="replace")
    return data


def display(args: list[str] | tuple[str, ...]) -> str:
    """The command as a learner would type it: `kubectl get pods -o wide`."""
    return shlex.join(["kubectl", *args])
