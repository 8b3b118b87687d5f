"""Checks about time and logic: `stable` (held for N seconds without a break),
`survives` (the game acts, the nested check must hold again in time), and
`all` / `any` / `not`.

`stable` and `survives` remember what they saw, so they must be evaluated on
every pass of the cluster loop; they ask for a wake-up (`ctx.wake_at`) at the
moment their answer would change, so a virtual clock does not jump past it.
"""

from __future__ import annotations

import re
from typing import Any

from .checkbase import (
    Check,
    CheckContext,
    CheckResult,
    compile_check,
    plural,
    register,
    selector_text,
)
from .schema import parse_duration


def secs(t: float) -> str:
    """A duration as a player reads it: 0.7s, 4.2s, 23s — not 0.829151s."""
    if t >= 10:
        return f"{t:.0f}s"
    return f"{t:.1f}".rstrip("0").rstrip(".") + "s"


@register
class Stable(Check):
    type = "stable"

    def __init__(self, spec: dict[str, Any]):
        super().__init__(spec)
        self.check = compile_check(spec["check"])
        self.seconds = parse_duration(spec["seconds"]) or 0.0
        self.since: float | None = None
        self.last_break = ""  # what the nested check said when it last did not hold

    def children(self) -> list[Check]:
        return [self.check]

    def reset(self) -> None:
        super().reset()
        self.since = None
        self.last_break = ""

    def evaluate(self, ctx: CheckContext) -> CheckResult:
        inner = self.check.evaluate(ctx)
        now = ctx.now
        if not inner.ok:
            self.since = None
            self.last_break = inner.detail
            return CheckResult(False, inner.detail)
        if self.since is None:
            self.since = now
            ctx.wake_at(now + self.seconds)  # come back when it has held long enough
        held = now - self.since
        if held >= self.seconds:
            return CheckResult(True, f"{inner.detail}, for {secs(held)} now")
        # A break the learner did not see happen is the most useful thing to show.
        broke = f" (before that: {self.last_break})" if self.last_break else ""
        return CheckResult(False, f"{inner.detail}, for {secs(held)} of the {secs(self.seconds)} needed{broke}")


def describe_action(action: dict[str, Any]) -> str:
    t = action.get("type")
    sel = selector_text(action.get("selector")) if "selector" in action else ""
    n = int(action.get("count") or 1)
    return {
        "killContainer": f"kill the container of {plural(n, 'pod')} {sel}",
        "deletePod": f"delete {plural(n, 'pod')} {sel}",
        "failNode": f"fail node {action.get('node')}",
        "recoverNode": f"recover node {action.get('node')}",
        "cordonNode": f"cordon node {action.get('node')}",
        "addNode": f"add node {action.get('node')}",
        "scale": f"scale Deployment {action.get('deployment')} to {action.get('replicas')}",
        "setImage": f"release {action.get('image')} to Deployment {action.get('deployment')}",
    }.get(str(t), str(t))


@register
class Survives(Check):
    """Once everything else holds, the game acts (kills a pod…); the nested check must hold again in time."""

    type = "survives"
    WAITING, ACTING, WATCHING, PASSED, FAILED = "waiting", "acting", "watching", "passed", "failed"

    def __init__(self, spec: dict[str, Any]):
        super().__init__(spec)
        self.then = compile_check(spec["then"])
        self.action = dict(spec["action"])
        self.within = parse_duration(spec["withinSeconds"]) or 0.0
        self.reset()

    def children(self) -> list[Check]:
        return [self.then]

    def reset(self) -> None:
        super().reset()
        self.state = self.WAITING
        self.ready = False  # the nested check holds, so the action may be performed
        self.acted_at: float | None = None
        self.what = ""
        self.failure = ""
        self.passed = ""

    @property
    def pending(self) -> bool:
        """Waiting to act, and ready to: the session triggers it once the rest holds."""
        return self.state == self.WAITING and self.ready

    def trigger(self, ctx: CheckContext) -> None:
        if ctx.perform is None or not self.pending:
            return
        self.state = self.ACTING

        def done(what: str, ok: bool) -> None:
            self.what = what
            if not ok:
                self.state, self.failure = self.FAILED, f"the game could not {describe_action(self.action)}: {what}"
                return
            self.state, self.acted_at = self.WATCHING, ctx.now
            ctx.wake_at(ctx.now + self.within)

        ctx.perform(self.action, done)

    def evaluate(self, ctx: CheckContext) -> CheckResult:
        doing = describe_action(self.action)
        if self.state == self.PASSED:
            return CheckResult(True, self.passed)
        if self.state == self.FAILED:
            return CheckResult(False, self.failure)
        if self.state == self.ACTING:
            return CheckResult(False, f"the game is about to {doing}")
        inner = self.then.evaluate(ctx)
        if self.state == self.WAITING:
            self.ready = inner.ok
            if inner.ok:
                return CheckResult(False, f"{inner.detail}; once every other objective holds, "
                                          f"the game will {doing}")
            return CheckResult(False, inner.detail)
        assert self.acted_at is not None
        elapsed = ctx.now - self.acted_at
        if inner.ok:
            self.state = self.PASSED
            self.passed = f"the game {self.what}; {secs(elapsed)} later: {inner.detail}"
            return CheckResult(True, self.passed)
        if elapsed >= self.within:
            self.state = self.FAILED
            self.failure = (f"the game {self.what}; {secs(self.within)} later: {inner.detail}. "
                            "Your next change to the cluster tries again")
            return CheckResult(False, self.failure)
        return CheckResult(False, f"the game {self.what} {secs(elapsed)} ago; now: {inner.detail} "
                                  f"({secs(self.within - elapsed)} left)")


@register
class All(Check):
    type = "all"

    def __init__(self, spec: dict[str, Any]):
        super().__init__(spec)
        self.checks = [compile_check(c) for c in spec["checks"]]

    def children(self) -> list[Check]:
        return list(self.checks)

    def evaluate(self, ctx: CheckContext) -> CheckResult:
        results = [c.evaluate(ctx) for c in self.checks]  # every one: stateful checks must see each pass
        failed = list(dict.fromkeys(r.detail for r in results if not r.ok))  # "db-0 missing" once
        if failed:
            return CheckResult(False, "; ".join(failed))
        return CheckResult(True, "; ".join(r.detail for r in results))


@register
class Any_(All):
    type = "any"

    def evaluate(self, ctx: CheckContext) -> CheckResult:
        results = [c.evaluate(ctx) for c in self.checks]
        held = [r.detail for r in results if r.ok]
        if held:
            return CheckResult(True, held[0])
        return CheckResult(False, "not one of these holds: " + "; or ".join(r.detail for r in results))


@register
class Not(Check):
    type = "not"

    def __init__(self, spec: dict[str, Any]):
        super().__init__(spec)
        self.check = compile_check(spec["check"])

    def children(self) -> list[Check]:
        return [self.check]

    def evaluate(self, ctx: CheckContext) -> CheckResult:
        ok, detail = self.check.evaluate(ctx)
        # The inner detail says what it wanted ("(wanted ≥ 1)"): under `not` that reads backwards.
        fact = _WANTED.sub("", detail)
        return CheckResult(not ok, f"{fact} (wanted: not so)" if ok else fact)


_WANTED = re.compile(r"\s*\((?:wanted|at most)[^)]*\)")
