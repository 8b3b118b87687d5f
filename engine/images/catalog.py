"""The workload images KubeQuest ships (PRODUCT.md §3), as data.

Each image has one documented behaviour, the same under Docker (built from
`assets/images/<source>/`) and under the simulated runtime, which reads the
`env` and `behaviour` entries here instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# Where the image sources live: the repository's assets/ folder.
IMAGE_SOURCES = Path(__file__).resolve().parents[2] / "assets" / "images"

# Images under this name are built locally, never pulled: a registry's
# "kubequest/web" would be somebody else's image.
GAME_REPOSITORY_PREFIX = "kubequest/"


@dataclass(frozen=True)
class WorkloadImage:
    repository: str  # "kubequest/web"
    tag: str  # "1.0"
    source: str  # folder under assets/images/
    behaviour: str  # what a level author may rely on
    ports: tuple[int, ...] = ()
    env: dict[str, str] = field(default_factory=dict, hash=False)  # variable -> meaning, default
    # Baked into /etc/kubequest/image.env: what makes one tag differ from another
    # built from the same source (a pod's env cannot change it).
    settings: dict[str, str] = field(default_factory=dict, hash=False)
    internal: bool = False  # the runtime's own image, not for pods
    # Busybox applets hidden from the image's shell so that a script of the same
    # name on PATH runs instead (busybox's ash prefers its own applets to PATH).
    shadowed_applets: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.repository}:{self.tag}"


_WEB_BEHAVIOUR = (
    "HTTP on port 8080. GET / answers `web {version} <MESSAGE> from <pod hostname>`; "
    "GET /healthz 200 (500 once FAIL_AFTER_SECONDS have passed, if set); "
    "GET /ready 503 until READY_DELAY_SECONDS have passed (default 0), then 200; "
    "other paths 404. Exits 0 on SIGTERM."
)
_WEB_ENV = {
    "MESSAGE": "the word(s) in the GET / answer (default `hello`)",
    "FAIL_AFTER_SECONDS": "seconds after start when /healthz turns 500 (unset: never)",
    "READY_DELAY_SECONDS": "seconds after start when /ready turns 200 (default 0)",
}


def _web(tag: str, *, require_database_url: bool = False) -> WorkloadImage:
    behaviour = _WEB_BEHAVIOUR.format(version=tag)
    env = dict(_WEB_ENV)
    if require_database_url:
        behaviour = (
            "A bad release: prints `fatal: DATABASE_URL is not set` and exits 1 unless "
            f"DATABASE_URL is set; with it set, {behaviour}"
        )
        env["DATABASE_URL"] = "must be set, or the container exits 1 at start"
    return WorkloadImage(
        repository="kubequest/web",
        tag=tag,
        source="web",
        behaviour=behaviour,
        ports=(8080,),
        env=env,
        settings={
            "WEB_VERSION": tag,
            "WEB_REQUIRE_DATABASE_URL": "1" if require_database_url else "0",
        },
    )


PAUSE = WorkloadImage(
    repository="kubequest/pause",
    tag="1.0",
    source="pause",
    behaviour="The pod sandbox: holds the pod's network namespace and hostname; exits 0 on SIGTERM.",
    internal=True,
)

CATALOG: tuple[WorkloadImage, ...] = (
    _web("1.0"),
    _web("2.0"),
    _web("2.1", require_database_url=True),
    WorkloadImage(
        repository="kubequest/worker",
        tag="1.0",
        source="worker",
        behaviour=(
            "A batch task: prints progress once a second, exits 0 after WORK_SECONDS "
            "(default 3); with FAIL=1 it exits 1 when the work is done. Exits 143 on SIGTERM."
        ),
        env={
            "WORK_SECONDS": "how long the task runs, whole seconds (default 3)",
            "FAIL": "1: the task fails (exit 1) at the end",
        },
    ),
    WorkloadImage(
        repository="kubequest/memhog",
        tag="1.0",
        source="memhog",
        behaviour=(
            "Allocates MEMORY_MB MiB (default 64) and holds it; under a smaller memory "
            "limit the kernel OOM-kills it: exit 137, reason OOMKilled. Exits 0 on SIGTERM."
        ),
        env={"MEMORY_MB": "MiB to allocate and hold (default 64)"},
    ),
    WorkloadImage(
        repository="kubequest/toolbox",
        tag="1.0",
        source="toolbox",
        behaviour=(
            "A shell with `wget` (http:// GET: -qO-, -O FILE, --spider, -T), `nc`, `sleep` "
            "and the other busybox tools, for exec and probes; sleeps forever by default "
            "and exits 0 on SIGTERM."
        ),
        # Debian's static busybox wget crashes (SIGSEGV) with -T inside containers:
        # `sh -c 'wget -T 2 …'` must reach the nc-based /usr/local/bin/wget.
        shadowed_applets=("wget",),
    ),
    PAUSE,
)

PAUSE_IMAGE = PAUSE.ref


def is_game_image(ref: str) -> bool:
    """True for KubeQuest's own images, which are built here and never pulled."""
    return ref.startswith(GAME_REPOSITORY_PREFIX)


def find_image(ref: str) -> WorkloadImage | None:
    """The catalog entry for `kubequest/web:1.0` (a missing tag means `latest`, as Docker)."""
    if ":" not in ref.rsplit("/", 1)[-1]:
        ref += ":latest"
    return next((image for image in CATALOG if image.ref == ref), None)
