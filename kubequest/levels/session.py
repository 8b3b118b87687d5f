"""A LevelSession: one play of one level, headless.

It builds the level's cluster (nodes from `cluster:`), applies the setup,
copies the workspace to a working folder, applies the learner's files,
evaluates the objectives (or the current step's) on every pass of the cluster
loop, fires the scripted events, and keeps the time and the hints. `kubequest
run`, `pack test` and the TUI all play a level through it.

Changes the game makes to the cluster (scripted events, `survives` actions)
run as timers of the cluster loop, never from inside an evaluation: the loop
then settles their consequences (a replacement pod, a restart) before the
clock moves on, as it would for any controller's work.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from engine.api.errors import FieldError, Invalid, KubeQuestError, render_value
from engine.clock import Clock, VirtualClock, WallClock
from engine.cluster import Cluster
from engine.config import DEFAULT_TIMING, Timing

from ..runtime_select import RuntimeChoice, choose_runtime
from . import actions
from .checks import Check, CheckContext, CheckResult, Survives, compile_check, describe_action
from .explain import ExplainContext, explain
from .loader import Level, Objective

log = logging.getLogger(__name__)


class ApplyError(KubeQuestError):
    """A learner's (or a level's) file could not be applied; str() has file:line for each cause."""


@dataclass
class ObjectiveStatus:
    id: str
    description: str
    ok: bool
    detail: str
    explanation: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "description": self.description, "met": self.ok,
                "detail": self.detail, "explanation": list(self.explanation)}


@dataclass
class SessionState:
    objectives: list[ObjectiveStatus]  # the current objectives (the current step's, in a tutorial)
    won: bool
    elapsed: float
    step: int | None = None  # index of the current step; None for a level without steps


@dataclass
class _Compiled:
    objective: Objective
    check: Check


def _remove_leftovers(runtime: Any) -> None:
    """A level's cluster is thrown away with its session: remove what the runtime keeps
    for the cluster beyond its containers (on Docker, the cluster's bridge network and its
    volumes). Left behind, every session would keep an address pool, and after some thirty
    of them Docker refuses new networks."""
    cleanup, cluster_id = getattr(runtime, "cleanup", None), getattr(runtime, "cluster_id", None)
    if cleanup is None or not cluster_id:
        return
    try:
        cleanup(cluster_id)
    except Exception:  # tidying up must not hide how the level ended
        log.warning("could not remove the Docker objects of cluster %s", cluster_id, exc_info=True)


IMMUTABLE = "field is immutable"
LONG_VALUE = 60


def _short(cause: FieldError, kind: str) -> str:
    """A cause as the API server words it, but a whole pod template quoted as the bad value
    (an immutable Job template) is cut: the words that matter come after it."""
    message = cause.message()
    if not cause.has_value or len(render_value(cause.value)) <= LONG_VALUE:
        return message
    shown = "{…}" if isinstance(cause.value, dict) else "[…]" if isinstance(cause.value, list) else "…"
    short = ": ".join(p for p in (cause.field, cause.type, shown, cause.detail) if p)
    if cause.detail == IMMUTABLE and kind == "Job" and cause.field == "spec.template":
        short += " (a Job's pod template cannot change: delete the Job, then apply again)"
    return short


def format_apply_error(exc: KubeQuestError, filename: str) -> str:
    """file:line: Kind/name: field: message, one line per cause, as `validate` prints them."""
    if isinstance(exc, Invalid) and exc.causes:
        who = f"{exc.kind}/{exc.name}" if exc.name else exc.kind
        return "\n".join(f"{filename}:{c.line or 1}: {who}: {_short(c, exc.kind)}" for c in exc.causes)
    text = str(exc)
    return text if text.startswith(filename) else f"{filename}: {text}"


class LevelSession:
    def __init__(
        self,
        level: Level,
        *,
        runtime: str | RuntimeChoice = "sim",
        clock: Clock | None = None,
        timing: Timing = DEFAULT_TIMING,
        workdir: str | Path | None = None,
        seed: int = 0,
        runtime_factory: Callable[[Clock], Any] | None = None,
    ):
        self.level = level
        self.choice = runtime if isinstance(runtime, RuntimeChoice) else choose_runtime(runtime)
        self.clock = clock or (VirtualClock() if self.choice.name == "sim" else WallClock())
        self.timing = timing
        self.seed = seed
        self._runtime_factory = runtime_factory
        self._own_workdir = workdir is None
        self.workdir = Path(workdir) if workdir is not None else None
        self.cluster: Cluster | None = None
        self.started_at = 0.0
        self.hints_used = 0
        self.log: list[str] = []  # what the game did to the cluster, for the UI
        self.step = 0
        self.won_at: float | None = None
        self._stages = [[_Compiled(o, compile_check(o.check)) for o in objs]
                        for objs in ([s.objectives for s in level.steps] or [level.objectives])]
        self._met_events = [ev for ev in level.events if ev.when is not None]
        self._met_fired = False
        self._met_done = 0
        # The learner's change count when each `survives` acted: a change made after that
        # (even while the game still watched) earns a failed one another try.
        self._changes_at_act: dict[int, int] = {}
        self._ctx: CheckContext | None = None

    # ---- life cycle -----------------------------------------------------------------

    def start(self) -> None:
        """Build the cluster, apply the setup, copy the workspace, start the level's timers."""
        runtime = (self._runtime_factory(self.clock) if self._runtime_factory is not None
                   else self.choice.new(self.clock, seed=self.seed))
        self.cluster = Cluster(runtime, clock=self.clock, nodes=list(self.level.nodes),
                               timing=self.timing, seed=self.seed)
        try:
            # One file at a time, each settled before the next, as someone running
            # `kubectl apply` file by file would: the controllers see every state the
            # setup goes through (a release, then a bad one, leaves a rollout history).
            for path in self.level.setup:
                self._apply([path], "the level's setup")
                self.cluster.settle()
            self.started_at = self.clock.now()
            self._ctx = CheckContext(
                store=self.cluster.store, clock=self.clock, proxy=self.cluster.proxy,
                start_rv=self.cluster.store.resource_version, wake_at=self._wake_at,
                perform=self._perform,
            )
            for ev in self.level.events:
                if ev.after is not None:
                    self._at(self.started_at + ev.after, lambda a=ev.action, t=ev.after:
                             self._do(a, f"after {t:g}s"))
            self.copy_workspace()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.cluster is not None:
            runtime = self.cluster.runtime
            try:
                self.cluster.close()
            finally:
                try:
                    _remove_leftovers(runtime)
                finally:
                    close = getattr(runtime, "close", None)
                    if close is not None:
                        close()
                    self.cluster = None
        if self._own_workdir and self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def elapsed(self) -> float:
        return self.clock.now() - self.started_at if self.cluster is not None else 0.0

    # ---- the learner's moves ----------------------------------------------------------

    def copy_workspace(self, overwrite: bool = True) -> list[Path]:
        """Copy the workspace files to the working folder (a fresh temp folder by default)."""
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix=f"kubequest-{self.level.name}-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        copied = []
        for src in self.level.workspace:
            rel = src.relative_to(self.level.dir)
            if rel.parts[0] == "workspace" and len(rel.parts) > 1:
                rel = Path(*rel.parts[1:])
            dest = self.workdir / rel
            if overwrite or not dest.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dest)
            copied.append(dest)
        return copied

    def apply_files(self, paths: Iterable[str | Path]) -> list[str]:
        """Apply manifests as `kubectl apply -f` would; returns kubectl's lines (`deployment.apps/web created`)."""
        return self._apply(paths, None)

    def _apply(self, paths: Iterable[str | Path], what: str | None) -> list[str]:
        assert self.cluster is not None, "start() the session first"
        lines = []
        for path in paths:
            try:
                lines += [str(r) for r in self.cluster.apply_file(path)]
            except KubeQuestError as exc:
                message = format_apply_error(exc, str(path))
                raise ApplyError(f"{what}: {message}" if what else message) from None
        return lines

    def next_hint(self) -> str | None:
        """The next hint (each one costs the no-hint star), or None when none is left."""
        if self.hints_used >= len(self.level.hints):
            return None
        self.hints_used += 1
        return self.level.hints[self.hints_used - 1]

    # ---- timers and actions -----------------------------------------------------------

    def _at(self, when: float, fn: Callable[[], None]) -> None:
        assert self.cluster is not None
        self.cluster.ctx.timers.at(when, fn)
        self.cluster.loop.wake()

    def _wake_at(self, when: float) -> None:
        self._at(when, lambda: None)  # only so the loop evaluates again at that moment

    def _perform(self, action: dict, done: Callable[[str, bool], None]) -> None:
        self._at(self.clock.now(), lambda: self._do(action, "", done))

    def _do(self, action: dict, when: str, done: Callable[[str, bool], None] | None = None) -> None:
        assert self.cluster is not None
        prefix = f"{when}: " if when else ""
        try:
            what = actions.perform(self.cluster, action)
        except KubeQuestError as exc:
            self.log.append(f"{prefix}the game could not {describe_action(action)}: {exc}")
            if done is not None:
                done(str(exc), False)
            return
        if self._ctx is not None:
            self._ctx.acts += 1  # what the cluster answers may have changed without a store write
        self.log.append(f"{prefix}the game {what}")
        if done is not None:
            done(what, True)

    # ---- evaluating -----------------------------------------------------------------

    def evaluate(self) -> SessionState:
        """Evaluate the current objectives once (call it on every loop pass); advances
        steps, triggers `survives` actions and `when: objectivesMet` events."""
        assert self._ctx is not None, "start() the session first"
        if self.won_at is not None:
            return self._state(self._evaluate_stage(), won=True)
        self._retry_failed_survives()
        while True:
            results = self._evaluate_stage()
            self._trigger_survives(results)
            if not all(r.ok for _, r in results):
                return self._state(results, won=False)
            if self.step < len(self._stages) - 1:
                self.step += 1  # this step is done: the next one is evaluated at once
                continue
            if self._met_events and not self._met_fired:
                self._met_fired = True
                for ev in self._met_events:
                    self._perform(ev.action, lambda what, ok: self._met_event_done())
            if self._met_done < len(self._met_events):
                return self._state(results, won=False)
            self.won_at = self.clock.now()
            return self._state(results, won=True)

    def _retry_failed_survives(self) -> None:
        """A failed `survives` gets another try once the learner has changed the cluster
        since the game acted (the editor, `kubequest run`, or kubectl through the API server)."""
        for s in self._failed_survives():
            self._bring_back(s)
            if self._changed_since_act(s):
                s.reset()

    def _bring_back(self, survives: Survives) -> None:
        """A failed test of a dead node is over: the node comes back at once, so that the
        learner's fix spreads pods onto it again and the next try (which waits until the
        node is Ready and runs pods) tests something."""
        node = str(survives.action.get("node"))
        if survives.action.get("type") == "failNode" and actions.node_is_down(self.cluster, node):
            self._do({"type": "recoverNode", "node": node}, "the test is over")

    def _can_act(self, survives: Survives) -> bool:
        assert self.cluster is not None
        if survives.action.get("type") == "failNode":
            return actions.node_serves(self.cluster.store, str(survives.action.get("node")))
        return True

    def _failed_survives(self) -> list[Survives]:
        return [s for c in self._stages[self.step] for s in c.check.walk()
                if isinstance(s, Survives) and s.state == Survives.FAILED]

    def _changed_since_act(self, survives: Survives) -> bool:
        assert self.cluster is not None
        return self.cluster.user_changes != self._changes_at_act.get(id(survives), -1)

    def _met_event_done(self) -> None:
        self._met_done += 1

    def _evaluate_stage(self) -> list[tuple[_Compiled, CheckResult]]:
        assert self._ctx is not None
        return [(c, c.check.evaluate(self._ctx)) for c in self._stages[self.step]]

    def _trigger_survives(self, results: list[tuple[_Compiled, CheckResult]]) -> None:
        assert self._ctx is not None
        waiting = {id(c): [s for s in c.check.walk() if isinstance(s, Survives) and s.pending
                           and self._can_act(s)] for c, _ in results}
        others_hold = all(r.ok for c, r in results if not waiting[id(c)])
        if others_hold:
            for survives in (s for group in waiting.values() for s in group):
                assert self.cluster is not None
                self._changes_at_act[id(survives)] = self.cluster.user_changes
                survives.trigger(self._ctx)

    def _state(self, results: list[tuple[_Compiled, CheckResult]], *, won: bool) -> SessionState:
        statuses = [ObjectiveStatus(c.objective.id, c.objective.description, r.ok, r.detail)
                    for c, r in results]
        return SessionState(statuses, won, self.elapsed, self.step if self.level.steps else None)

    def explain(self, state: SessionState | None = None) -> SessionState:
        """The state with a "why not yet?" for each unmet objective."""
        state = state or self.evaluate()
        assert self.cluster is not None
        ectx = ExplainContext(self.cluster.store, self._logs)
        checks = {c.objective.id: c.check for c in self._stages[self.step]}
        for status in state.objectives:
            if not status.ok and status.id in checks:
                status.explanation = explain(checks[status.id], ectx)
        return state

    def _logs(self, pod: dict, name: str, cid: str) -> str | None:
        assert self.cluster is not None
        if not cid:
            for cs in (pod.get("status") or {}).get("containerStatuses") or []:
                if cs.get("name") == name:
                    cid = str(cs.get("containerID") or "").split("://", 1)[-1]
        if not cid:
            return None
        return self.cluster.runtime.logs(cid, tail=20)

    def run(self, timeout: float | None = None, *, max_wall: float | None = None) -> SessionState:
        """Run the cluster until the level is won or `timeout` cluster seconds pass
        (the level's time limit by default)."""
        assert self.cluster is not None, "start() the session first"
        limit = self.level.time_limit if timeout is None else timeout
        self.cluster.run_until(lambda: self.evaluate().won or self.hopeless(), limit, max_wall=max_wall)
        return self.explain()

    def hopeless(self) -> bool:
        """A `survives` failed: nothing but a change by the learner can win the level now."""
        failed = self._failed_survives()
        return bool(failed) and not any(self._changed_since_act(s) for s in failed)
