"""The workload images as the sim runtime plays them.

PRODUCT.md §3 is the contract, engine/images/catalog.py lists the images, and
the scripts under assets/images/ are what Docker runs: the sim copies their
log lines, answers and exit codes, so a level behaves the same on both.

Each image's main process is a generator: it logs through its host and yields
instructions to the runtime — Sleep (resume later, on the clock), Listen (open
a pod port; the answer says whether the bind worked) and Allocate (take memory;
the runtime applies the memory limit like the kernel's OOM killer). What it
returns is the exit code. A program that traps SIGTERM says so with
host.trap_sigterm(exit_code, log_line), as the image's script does with `trap`.

Command and args (ContainerSpec.command / .args) follow Kubernetes: command
replaces the image ENTRYPOINT (the game images have none), args its CMD (the
image's program, e.g. /usr/local/bin/worker). The resulting argv is played when
its meaning is clear:
- the image's own program (`["worker"]`, `["/usr/local/bin/worker"]`);
- a shell or busybox command (`["sh", "-c", "echo hi; sleep 5"]`,
  `["sleep", "3600"]`, `["sh", "/scripts/run.sh"]`): every game image has busybox;
- anything else (`["python", "app.py"]`, another image's program) runs the
  image's default program instead. Docker would fail such a container with
  "executable file not found"; the sim cannot know what the binary would do.

SIGTERM, as the images' scripts trap it: web exits 0, worker 143, memhog 0,
toolbox's default (sleep-forever) 0, each at once. A command override (`sh -c`,
`sleep 3600`) runs as PID 1 with no trap, so the kernel ignores SIGTERM and it
runs on until SIGKILL at the end of the grace period: 137.
"""

from __future__ import annotations

import math
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from engine.images.catalog import CATALOG, GAME_REPOSITORY_PREFIX
from engine.runtime.sim_shell import Run, ShellHost, Sleep, knows, run_argv

MIB = 1024 * 1024


@dataclass(frozen=True)
class SimImage:
    """How the sim plays one image.

    program: the image source it behaves as ("web", "worker", "memhog",
    "toolbox"); for web, the version it reports, its port, and an env var it
    will not start without (web:2.1's DATABASE_URL).
    """

    program: str
    version: str = ""
    port: int = 8080
    requires_env: str | None = None


def _from_catalog() -> dict[str, SimImage]:
    images = {}
    for image in CATALOG:
        if image.internal:  # the pause image holds a sandbox; the sim needs none
            continue
        images[image.ref] = SimImage(
            program=image.source,
            version=image.settings.get("WEB_VERSION", ""),
            port=image.ports[0] if image.ports else 8080,
            requires_env="DATABASE_URL"
            if image.settings.get("WEB_REQUIRE_DATABASE_URL") == "1" else None,
        )
    return images


GAME_IMAGES: dict[str, SimImage] = _from_catalog()  # "kubequest/web:1.0" -> SimImage

# The images' CMD (their Dockerfiles); no game image has an ENTRYPOINT.
DEFAULT_CMD = {
    "web": ["/usr/local/bin/web"], "worker": ["/usr/local/bin/worker"],
    "memhog": ["/usr/local/bin/memhog"], "toolbox": ["/usr/local/bin/sleep-forever"],
}


def canonical_image(ref: str) -> str:
    """Docker's normalisation: `nginx` → `docker.io/library/nginx:latest`."""
    name, digest = ref.split("@", 1) if "@" in ref else (ref, "")
    tag = ""
    if ":" in name.rsplit("/", 1)[-1]:
        name, tag = name.rsplit(":", 1)
    parts = name.split("/")
    if len(parts) == 1:
        name = f"docker.io/library/{name}"
    elif "." not in parts[0] and ":" not in parts[0] and parts[0] != "localhost":
        name = f"docker.io/{name}"
    return f"{name}@{digest}" if digest else f"{name}:{tag or 'latest'}"


def build_catalog(extra: Mapping[str, SimImage | str] | None) -> dict[str, SimImage]:
    """The images a runtime can run, by canonical name. An extra image is a
    SimImage, or the name of a game image it behaves like."""
    images = {canonical_image(name): image for name, image in GAME_IMAGES.items()}
    for name, how in (extra or {}).items():
        images[canonical_image(name)] = (
            how if isinstance(how, SimImage) else images[canonical_image(how)])
    return images


def pull_error(image: str) -> str:
    """Why a pull fails, in the kubelet's words plus one sentence a learner understands."""
    ref = canonical_image(image)
    if ref.startswith(f"docker.io/{GAME_REPOSITORY_PREFIX}"):
        why = "not found: KubeQuest's images are " + ", ".join(GAME_IMAGES)
    else:
        why = ("no registry is reachable from KubeQuest's simulated runtime, "
               "which runs only KubeQuest's own images")
    return f'rpc error: code = NotFound desc = failed to pull and unpack image "{ref}": {why}'


# --- what a process can ask of the runtime --------------------------------------

@dataclass(frozen=True)
class WebApp:
    """The web image's answers (assets/images/web/.../handler); time from the caller."""

    version: str
    message: str
    hostname: str
    started_at: float
    fail_after: float | None = None
    ready_delay: float = 0.0

    def respond(self, method: str, target: str, now: float) -> tuple[int, str, str | None]:
        """(status, body, log line or None): like the image, only / and 404s are logged."""
        if method not in ("GET", "HEAD"):
            return 405, f"method {method} not allowed\n", None
        path = target.split("?", 1)[0]
        up_for = now - self.started_at
        if path == "/":
            body = f"web {self.version} {self.message} from {self.hostname}\n"
            return 200, body, f"web: {method} {target} 200"
        if path == "/healthz":
            if self.fail_after is not None and up_for >= self.fail_after:
                return 500, "unhealthy: FAIL_AFTER_SECONDS passed\n", None
            return 200, "ok\n", None
        if path == "/ready":
            if up_for >= self.ready_delay:
                return 200, "ready\n", None
            return 503, "not ready: READY_DELAY_SECONDS not passed\n", None
        return 404, f"not found: {path}\n", f"web: {method} {target} 404"


@dataclass(frozen=True)
class Listen:
    port: int
    app: WebApp


@dataclass(frozen=True)
class Allocate:
    megabytes: int


class ProcessHost(ShellHost, Protocol):
    """The shell host, plus what a main process needs."""

    time: float  # the virtual time this step of the process runs at

    def log(self, line: str, at: float | None = None) -> None:
        """A log line; `at` (≥ time) dates it ahead: shown once the clock gets there."""

    def trap_sigterm(self, exit_code: int, line: str | None = None) -> None:
        """From now on SIGTERM ends the process at once with this code (and log line)."""


def main_process(image: SimImage, command: list[str] | None, args: list[str] | None,
                 host: ProcessHost) -> Run:
    """What the container's PID 1 does (see the module docstring)."""
    argv = [*command, *(args or [])] if command else (args or DEFAULT_CMD[image.program])
    own = DEFAULT_CMD[image.program][0]
    if posixpath.basename(argv[0]) == posixpath.basename(own):
        return PROGRAMS[posixpath.basename(own)](host, image)
    if knows(argv[0]):
        return run_argv(argv, host)
    return main_process(image, None, None, host)


# --- the programs (each mirrors its script under assets/images/) -----------------

def _centiseconds(name: str, raw: str) -> int:
    """"1", "2.5", "0.25" -> centiseconds, as the web script reads its settings."""
    if not re.fullmatch(r"[0-9.]+", raw) or raw.count(".") > 1 or raw == ".":
        raise ValueError(f"fatal: {name} must be a number of seconds, got '{raw}'")
    whole, _, frac = raw.partition(".")
    return int(whole or 0) * 100 + int((frac + "00")[:2])


def web(host: ProcessHost, image: SimImage) -> Run:
    if image.requires_env and not host.env.get(image.requires_env):
        host.log(f"fatal: {image.requires_env} is not set")  # web:2.1, the bad release
        return 1
    try:
        ready_cs = _centiseconds("READY_DELAY_SECONDS", host.env.get("READY_DELAY_SECONDS") or "0")
        raw_fail = host.env.get("FAIL_AFTER_SECONDS", "")
        fail_cs = _centiseconds("FAIL_AFTER_SECONDS", raw_fail) if raw_fail else None
    except ValueError as exc:
        host.log(str(exc))
        return 1
    message = host.env.get("MESSAGE") or "hello"
    host.log(f"web {image.version} listening on :{image.port} (pod {host.hostname})")
    host.trap_sigterm(0, "web: SIGTERM received, shutting down")
    app = WebApp(image.version, message, host.hostname, host.time,
                 None if fail_cs is None else fail_cs / 100, ready_cs / 100)
    if not (yield Listen(image.port, app)):
        host.log("nc: bind: Address already in use")
        host.log(f"fatal: the HTTP listener on :{image.port} stopped")
        return 1
    yield Sleep(math.inf)
    return 1  # not reached: the listener runs until the container is stopped


def worker(host: ProcessHost, image: SimImage) -> Run:
    raw = host.env.get("WORK_SECONDS") or "3"
    if not raw.isdigit() or not raw.isascii():
        host.log(f"fatal: WORK_SECONDS must be a whole number of seconds, got '{raw}'")
        return 1
    seconds = int(raw)
    host.trap_sigterm(143, "worker: interrupted by SIGTERM")
    host.log(f"worker: starting a task of {seconds}s")
    for done in range(1, seconds + 1):  # once a second, dated ahead
        host.log(f"worker: progress {done}/{seconds}s ({done * 100 // seconds}%)",
                 at=host.time + done)
    yield Sleep(seconds)
    if host.env.get("FAIL") == "1":
        host.log("worker: task failed (FAIL=1)")
        return 1
    host.log("worker: task complete")
    return 0


def memhog(host: ProcessHost, image: SimImage) -> Run:
    raw = host.env.get("MEMORY_MB") or "64"
    if not raw.isdigit() or not raw.isascii() or int(raw) == 0:
        host.log(f"fatal: MEMORY_MB must be a whole number of MiB above 0, got '{raw}'")
        return 1
    megabytes = int(raw)
    host.trap_sigterm(0, f"memhog: SIGTERM received, releasing {megabytes} MiB")
    host.log(f"memhog: allocating {megabytes} MiB")
    if not (yield Allocate(megabytes)):  # the kernel OOM-killed the allocator
        host.log("memhog: allocator ended with status 137")
        return 137
    host.log(f"memhog: holding {megabytes} MiB (resident {megabytes * 1024} kB)")
    yield Sleep(math.inf)
    return 0


def sleep_forever(host: ProcessHost, image: SimImage) -> Run:
    """The toolbox's default command: something running for `kubectl exec` to enter."""
    host.trap_sigterm(0)
    yield Sleep(math.inf)
    return 0


PROGRAMS = {"web": web, "worker": worker, "memhog": memhog, "sleep-forever": sleep_forever}
