"""The built-in level packs (levels/): every one passes `pack check` and `pack test` on
the sim runtime, one level per pack (and two more) is proven on real Docker containers, and the
curriculum keeps its promises (issue 7): at least 24 levels in at least 5 packs
plus a guided tutorial pack; each level with a short briefing that links one
kubernetes.io page, three hints, a solution, a debrief and concepts; difficulty
that never drops within a pack; and docs/curriculum.md naming every level.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from kubequest.cli import main
from kubequest.levels.loader import BUILTIN_PACKS, Level, Pack, load_pack

ROOT = Path(__file__).resolve().parent.parent
CURRICULUM = ROOT / "docs" / "curriculum.md"

PACK_DIRS = sorted(p for p in BUILTIN_PACKS.iterdir() if (p / "pack.yaml").is_file())
PACK_NAMES = [p.name for p in PACK_DIRS]
GUIDED = "first-steps"  # the guided tutorial pack: every level made of steps

# One level per pack on Docker: each finishes in well under a minute of wall time
# (the 30 s "setup alone" window, then a solution that converges in seconds).
DOCKER_LEVELS = {
    "first-steps": "first-steps/expose-and-scale",
    "basics": "basics/secret",
    "self-healing": "self-healing/bare-pods",
    "services": "services/wrong-port",
    "rollouts": "rollouts/undo",
    "scheduling": "scheduling/pin-to-ssd",
}
# And the levels whose lesson rests on something only they do on Docker: a node joining
# mid-level (the addNode action starts a kubelet on real containers), Recreate's ordering.
DOCKER_EXTRA_LEVELS = ("self-healing/node-joins", "rollouts/never-side-by-side")
DOCKER_WALL_LIMIT = 240  # seconds for one level's proof; they run side by side

KUBERNETES_LINK = re.compile(r"https://kubernetes\.io/[^\s)>\]]*")
MAX_BRIEFING_WORDS = 250


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, monkeypatch):
    """`pack test` records nothing, but keep any progress out of the user's folder."""
    monkeypatch.setenv("KUBEQUEST_DATA_DIR", str(tmp_path / "data"))


def _packs() -> list[Pack]:
    return [load_pack(d, builtin=True) for d in PACK_DIRS]


def _levels() -> list[Level]:
    return [lv for pack in _packs() for lv in pack.levels]


def _cli(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


# ---- pack check and pack test, on the sim runtime ---------------------------------------


@pytest.mark.parametrize("pack_dir", PACK_DIRS, ids=PACK_NAMES)
def test_pack_check(capsys, pack_dir):
    code, out = _cli(capsys, "pack", "check", str(pack_dir))
    assert code == 0, out


@pytest.mark.parametrize("pack_dir", PACK_DIRS, ids=PACK_NAMES)
def test_pack_test_on_sim(capsys, pack_dir):
    code, out = _cli(capsys, "--runtime", "sim", "pack", "test", str(pack_dir))
    assert code == 0, out
    assert "FAIL" not in out, out


# ---- one level per pack on Docker ----------------------------------------------------------

_docker_runs: dict[str, Future] = {}
_docker_lock = threading.Lock()


def _prove_on_docker(level_id: str) -> tuple[int, str]:
    """`kubequest --runtime docker pack test PACK --level ID`, in its own process, as a user runs it."""
    pack = level_id.split("/", 1)[0]
    cmd = [sys.executable, "-m", "kubequest", "--runtime", "docker", "pack", "test",
           str(BUILTIN_PACKS / pack), "--level", level_id]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    try:
        done = subprocess.run(cmd, check=False, capture_output=True, text=True,
                              timeout=DOCKER_WALL_LIMIT, cwd=ROOT, env=env, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return -1, f"{level_id}: no verdict within {DOCKER_WALL_LIMIT}s of wall time\n{out}"
    return done.returncode, done.stdout + done.stderr


DOCKER_PROOFS = sorted(DOCKER_LEVELS.values()) + list(DOCKER_EXTRA_LEVELS)


def _docker_future(level_id: str) -> Future:
    """All the Docker proofs start together on first use: side by side they take the
    time of the slowest one instead of the sum."""
    with _docker_lock:
        if not _docker_runs:
            pool = ThreadPoolExecutor(max_workers=len(DOCKER_PROOFS), thread_name_prefix="docker-proof")
            for lid in DOCKER_PROOFS:
                _docker_runs[lid] = pool.submit(_prove_on_docker, lid)
            pool.shutdown(wait=False)
        return _docker_runs[level_id]


@pytest.mark.docker
@pytest.mark.parametrize("level_id", DOCKER_PROOFS)
def test_one_level_per_pack_on_docker(level_id):
    code, out = _docker_future(level_id).result()
    assert code == 0, out
    assert "all 1 level(s) proven" in out, out


def test_docker_levels_cover_every_pack():
    assert sorted(DOCKER_LEVELS) == sorted(PACK_NAMES)
    known = {lv.id for lv in _levels()}
    assert set(DOCKER_PROOFS) <= known
    assert len(set(DOCKER_PROOFS)) == len(DOCKER_PROOFS)
    for level_id in DOCKER_PROOFS:
        level = next(lv for lv in _levels() if lv.id == level_id)
        assert level.time_limit <= 90, f"{level_id}: too slow for the Docker CI subset"


# ---- the curriculum's rules -----------------------------------------------------------------


def test_enough_levels_and_packs():
    packs = {p.name: p for p in _packs()}
    assert GUIDED in packs, "the guided tutorial pack is missing"
    guided = packs.pop(GUIDED)
    assert guided.levels and all(lv.steps for lv in guided.levels), "every first-steps level is a guided one"
    assert len(packs) >= 5, sorted(packs)
    assert sum(len(p.levels) for p in packs.values()) >= 24
    for pack in packs.values():
        assert len(pack.levels) >= 4, f"pack {pack.name} has only {len(pack.levels)} levels"


@pytest.mark.parametrize("pack_dir", PACK_DIRS, ids=PACK_NAMES)
def test_every_level_is_complete(pack_dir):
    pack = load_pack(pack_dir, builtin=True)
    assert not pack.all_problems(), [str(p) for p in pack.all_problems()]
    for lv in pack.levels:
        words = len(lv.briefing.split())
        assert 0 < words <= MAX_BRIEFING_WORDS, f"{lv.id}: briefing of {words} words"
        links = KUBERNETES_LINK.findall(lv.briefing)
        assert len(links) == 1, f"{lv.id}: the briefing links {len(links)} kubernetes.io pages, not 1"
        assert len(lv.hints) == 3, f"{lv.id}: {len(lv.hints)} hints, not 3"
        assert lv.solution, f"{lv.id}: no solution"
        assert lv.debrief and lv.debrief.strip(), f"{lv.id}: no debrief"
        assert lv.concepts, f"{lv.id}: no concepts"
        assert 1 <= lv.difficulty <= 5
        assert lv.workspace, f"{lv.id}: nothing for the learner to edit"
        assert lv.all_objectives(), f"{lv.id}: no objectives"


@pytest.mark.parametrize("pack_dir", PACK_DIRS, ids=PACK_NAMES)
def test_difficulty_never_drops_within_a_pack(pack_dir):
    pack = load_pack(pack_dir, builtin=True)
    levels = [(lv.name, lv.difficulty) for lv in pack.levels]
    assert [d for _, d in levels] == sorted(d for _, d in levels), levels


def test_levels_check_outcomes_not_yaml():
    """At most a few `field` checks, and never on a pod template: levels judge what the
    cluster does, so that any correct manifest wins."""
    for lv in _levels():
        for obj in lv.all_objectives():
            for path in _field_paths(obj.check):
                assert "template" not in path, f"{lv.id}/{obj.id}: checks the YAML ({path})"


def _field_paths(check: dict) -> list[str]:
    found = [str(check["path"])] if check.get("type") == "field" else []
    for key in ("check", "then"):
        if isinstance(check.get(key), dict):
            found += _field_paths(check[key])
    for child in check.get("checks") or []:
        found += _field_paths(child)
    return found


def test_the_existing_level_ids_stay():
    ids = {lv.id for lv in _levels()}
    assert {"basics/typo-service", "basics/crashloop", "basics/first-steps"} <= ids


def test_curriculum_names_every_level_and_only_real_ones():
    text = CURRICULUM.read_text(encoding="utf-8")
    ids = {lv.id for lv in _levels()}
    mentioned = set(re.findall(r"`([a-z0-9-]+/[a-z0-9-]+)`", text))
    assert ids - mentioned == set(), f"levels missing from docs/curriculum.md: {sorted(ids - mentioned)}"
    assert mentioned - ids == set(), f"docs/curriculum.md names unknown levels: {sorted(mentioned - ids)}"
    for concept in ("pods", "labels", "selectors", "ReplicationController", "ReplicaSet", "Deployment",
                    "StatefulSet", "DaemonSet", "Job", "Service", "kube-proxy", "volumes", "namespaces",
                    "ConfigMap", "Secret", "probes", "resources", "scheduler", "kubelet", "etcd"):
        row = next((ln for ln in text.splitlines() if ln.startswith(f"| {concept} ")), None)
        assert row is not None, f"docs/curriculum.md has no row for {concept}"
        assert re.search(r"`[a-z0-9-]+/[a-z0-9-]+`", row), f"no level teaches {concept}"


# ---- what two levels teach, beyond their reference solution ---------------------------------


def _level(level_id: str) -> Level:
    return next(lv for lv in _levels() if lv.id == level_id)


def test_node_joins_a_replica_count_does_not_follow_the_new_node(tmp_path):
    """self-healing/node-joins: `replicas: 3` covers today's nodes, so node-4 joins, and the
    level is not won until something puts an agent there too (a DaemonSet does)."""
    from kubequest.levels.session import LevelSession

    level = _level("self-healing/node-joins")
    naive = tmp_path / "log-agent.yaml"
    naive.write_text((level.dir / "workspace" / "log-agent.yaml").read_text(encoding="utf-8")
                     .replace("replicas: 2", "replicas: 3"), encoding="utf-8")
    with LevelSession(level, runtime="sim") as s:
        s.apply_files([naive])
        state = s.run(level.time_limit)
        assert not state.won
        assert s.cluster.store.try_get("Node", "node-4") is not None, s.log
        assert "node-4" in " ".join(o.detail for o in state.objectives)
        s.apply_files(level.solution)
        assert s.run(level.time_limit).won


def _running_images(pods) -> set[str]:
    """The images of the containers running in these pods, terminating pods included."""
    return {cs.get("image", "") for p in pods
            for cs in (p.get("status") or {}).get("containerStatuses") or []
            if "running" in (cs.get("state") or {})}


@pytest.mark.parametrize("strategy, mixed", [("Recreate", False), ("RollingUpdate", True)])
def test_never_side_by_side_recreate_never_mixes_versions(tmp_path, strategy, mixed):
    """rollouts/never-side-by-side: the solution (Recreate) never runs 1.0 and 2.0 at once,
    watched at every change of every pod, and wins; a rolling update to 2.0 does mix them,
    and is not a win."""
    from kubequest.levels.session import LevelSession

    level = _level("rollouts/never-side-by-side")
    manifest = (level.dir / "solution" / "ledger.yaml").read_text(encoding="utf-8")
    if strategy == "RollingUpdate":
        manifest = re.sub(r"  strategy:\n    type: Recreate[^\n]*\n", "", manifest)
        assert "Recreate" not in manifest
    path = tmp_path / "ledger.yaml"
    path.write_text(manifest, encoding="utf-8")
    pods: dict[str, dict] = {}
    mixes: list[set[str]] = []

    def on_change(ev) -> None:  # every store write, before any controller reacts to it
        if ev.kind != "Pod":
            return
        if ev.type == "DELETED":
            pods.pop(ev.object["metadata"]["name"], None)
        else:
            pods[ev.object["metadata"]["name"]] = ev.object
        images = _running_images(pods.values())
        if {"kubequest/web:1.0", "kubequest/web:2.0"} <= images:
            mixes.append(images)

    with LevelSession(level, runtime="sim") as s:
        pods.update({p["metadata"]["name"]: p for p in s.cluster.store.list("Pod")})
        unsubscribe = s.cluster.store.subscribe(on_change)
        assert s.cluster.run_until(lambda: _running_images(pods.values()) == {"kubequest/web:1.0"}
                                   and len(pods) == 3, 60)
        s.apply_files([path])
        state = s.run(level.time_limit)
        unsubscribe()
        assert bool(mixes) is mixed
        assert state.won is (not mixed), [o.detail for o in state.objectives]
        assert _running_images(pods.values()) == {"kubequest/web:2.0"}
