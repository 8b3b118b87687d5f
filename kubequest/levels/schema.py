"""The pack.yaml / level.yaml format, checked with the file and line of every problem.

Pack files are written by instructors, so every mistake is reported at once,
as `level.yaml:12: objectives[0].check: unknown check type "endpoint"`, rather
than the first one as an exception. Unknown keys are errors too: a misspelt
`timeLimitSecond` silently ignored would change how a level plays.

The vocabulary of checks, actions and events (and the Reporter that puts each
problem at its line) is in specs.py; manifests are validated by the engine's
own validator, sandbox policy included.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.api.errors import ManifestError
from engine.api.source import Document, load_file
from engine.api.validation import validate_documents

from .specs import (
    ACTION_FIELDS,
    API_VERSION,
    CHECK_FIELDS,
    DEFAULT_TIME_LIMIT,
    LEVEL_OPTIONAL,
    LEVEL_REQUIRED,
    NAME_RE,
    NODE_FIELDS,
    OBJECTIVES_MET,
    PACK_OPTIONAL,
    PACK_REQUIRED,
    PackProblem,
    Reporter,
    SpecChecker,
    join,
    parse_duration,
    type_name,
)

__all__ = [
    "ACTION_FIELDS", "CHECK_FIELDS", "DEFAULT_TIME_LIMIT", "OBJECTIVES_MET", "LevelChecker",
    "PackProblem", "check_manifest_files", "check_pack_document", "parse_duration", "resolve_files",
]

# ---- pack.yaml ---------------------------------------------------------------------


def check_pack_document(doc: Document, pack_dir: Path) -> list[PackProblem]:
    """Problems of a pack.yaml (its own fields; each level is checked on its own)."""
    problems: list[PackProblem] = []
    r = Reporter(doc, problems)
    obj = doc.obj
    if not isinstance(obj, dict):
        r.error("", f"a pack.yaml must be a mapping, not {type_name(obj)}")
        return problems
    r.mapping(obj, "", PACK_REQUIRED, PACK_OPTIONAL)
    _check_header(r, obj, "LevelPack")
    r.string(obj, "name", "", pattern=NAME_RE)
    r.string(obj, "title", "")
    r.string(obj, "author", "")
    r.string(obj, "description", "")
    if "version" in obj and not isinstance(obj["version"], (str, int, float)):
        r.error("version", f'must be a version string such as "1.0.0", not {type_name(obj["version"])}')
    levels = r.string_list(obj, "levels", "", non_empty=True)
    seen: set[str] = set()
    for i, name in enumerate(levels):
        path = f"levels[{i}]"
        if name in seen:
            r.error(path, f'level "{name}" is listed twice')
        seen.add(name)
        if not NAME_RE.match(name):
            r.error(path, f'"{name}" must be a folder name of lowercase letters, digits and dashes')
        elif not (pack_dir / name / "level.yaml").is_file():
            r.error(path, f'no level folder "{name}" with a level.yaml in {pack_dir}')
    return problems


def _check_header(r: Reporter, obj: dict, kind: str) -> None:
    if "apiVersion" in obj and obj["apiVersion"] != API_VERSION:
        r.error("apiVersion", f'must be "{API_VERSION}", not "{obj["apiVersion"]}"')
    if "kind" in obj and obj["kind"] != kind:
        r.error("kind", f'must be "{kind}", not "{obj["kind"]}"')


# ---- level.yaml --------------------------------------------------------------------


def resolve_files(level_dir: Path, pattern: str) -> list[Path] | str:
    """The files a setup/workspace/solution entry names (a path or a glob), sorted;
    or a sentence saying why there are none. Entries may not leave the level folder."""
    if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
        return f'"{pattern}" must be a path inside the level folder (no absolute paths, no "..")'
    if any(ch in pattern for ch in "*?["):
        found = sorted(p for p in level_dir.glob(pattern) if p.is_file())
        return found or f'"{pattern}" matches no file in {level_dir}'
    path = level_dir / pattern
    if not path.is_file():
        return f'file "{pattern}" not found in {level_dir}'
    return [path]


class LevelChecker(SpecChecker):
    """Checks one level.yaml: keys, types, files, cluster, objectives, steps (and,
    through SpecChecker, every check, action and event)."""

    def __init__(self, doc: Document, level_dir: Path):
        self.doc = doc
        self.level_dir = level_dir
        self.problems: list[PackProblem] = []
        super().__init__(Reporter(doc, self.problems))

    def run(self) -> list[PackProblem]:
        obj, r = self.doc.obj, self.r
        if not isinstance(obj, dict):
            r.error("", f"a level.yaml must be a mapping, not {type_name(obj)}")
            return self.problems
        r.mapping(obj, "", LEVEL_REQUIRED, LEVEL_OPTIONAL)
        _check_header(r, obj, "Level")
        r.string(obj, "name", "", pattern=NAME_RE)
        if isinstance(obj.get("name"), str) and obj["name"] != self.level_dir.name:
            r.error("name", f'"{obj["name"]}" must match the level folder\'s name "{self.level_dir.name}"')
        r.string(obj, "title", "")
        r.integer(obj, "difficulty", "", 1, 5)
        r.string_list(obj, "concepts", "")
        r.integer(obj, "timeLimitSeconds", "", 1)
        r.integer(obj, "parSeconds", "", 1)
        self._cluster(obj.get("cluster"))
        self.collect_added_nodes({k: obj.get(k) for k in ("objectives", "steps", "events")})
        for key in ("briefing", "debrief"):
            if key in obj:
                self._single_file(obj[key], key)
        for key in ("setup", "workspace", "solution"):
            if key in obj:
                self._files(obj[key], key, non_empty=key == "solution")
        self._alternatives(obj.get("alternatives"))
        r.string_list(obj, "hints", "", non_empty=True)
        self._objectives_or_steps(obj)
        self._events(obj.get("events"))
        return self.problems

    # -- files --

    def _single_file(self, value: Any, path: str) -> None:
        if not isinstance(value, str) or not value.strip():
            self.r.error(path, f"must be a file name, not {type_name(value)}")
            return
        found = resolve_files(self.level_dir, value)
        if isinstance(found, str):
            self.r.error(path, found)

    def _files(self, value: Any, path: str, *, non_empty: bool = False) -> None:
        for i, pattern in enumerate(self.r.strings(value, path, non_empty=non_empty)):
            found = resolve_files(self.level_dir, pattern)
            if isinstance(found, str):
                self.r.error(f"{path}[{i}]", found)

    def _alternatives(self, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, list):
            self.r.error("alternatives", f"must be a list of file lists, not {type_name(value)}")
            return
        for i, alt in enumerate(value):
            self._files(alt, f"alternatives[{i}]", non_empty=True)

    # -- cluster --

    def _cluster(self, cluster: Any) -> None:
        if cluster is None:
            return
        if not self.r.mapping(cluster, "cluster", {"nodes"}, set()):
            return
        nodes = cluster["nodes"]
        if not isinstance(nodes, list) or not nodes:
            self.r.error("cluster.nodes", "must be a non-empty list of nodes")
            return
        self.node_names = set()
        for i, node in enumerate(nodes):
            path = f"cluster.nodes[{i}]"
            if not self.r.mapping(node, path, *NODE_FIELDS):
                continue
            self.r.string(node, "name", path, pattern=NAME_RE)
            if node.get("name") in self.node_names:
                self.r.error(join(path, "name"), f'node "{node["name"]}" is listed twice')
            self.node_names.add(str(node.get("name")))
            self.node_fields(node, path)

    # -- objectives and steps --

    def _objectives_or_steps(self, obj: dict) -> None:
        has_obj, has_steps = "objectives" in obj, "steps" in obj
        if has_obj and has_steps:
            self.r.error("steps", "a level has either steps or top-level objectives, not both")
        if not has_obj and not has_steps:
            self.r.error("", "a level needs objectives (or steps, for a guided tutorial)")
            return
        ids: set[str] = set()
        if has_obj:
            self._objectives(obj["objectives"], "objectives", ids)
        if has_steps:
            steps = obj["steps"]
            if not isinstance(steps, list) or not steps:
                self.r.error("steps", "must be a non-empty list of steps")
                return
            for i, step in enumerate(steps):
                path = f"steps[{i}]"
                if self.r.mapping(step, path, {"title", "text", "objectives"}, set()):
                    self.r.string(step, "title", path)
                    self.r.string(step, "text", path)
                    self._objectives(step["objectives"], f"{path}.objectives", ids)

    def _objectives(self, value: Any, path: str, ids: set[str]) -> None:
        if not isinstance(value, list) or not value:
            self.r.error(path, "must be a non-empty list of objectives")
            return
        for i, objective in enumerate(value):
            p = f"{path}[{i}]"
            if not self.r.mapping(objective, p, {"id", "description", "check"}, set()):
                if isinstance(objective, dict) and "check" in objective:
                    self.check(objective["check"], f"{p}.check")
                continue
            self.r.string(objective, "id", p)
            self.r.string(objective, "description", p)
            oid = objective["id"]
            if oid in ids:
                self.r.error(f"{p}.id", f'objective id "{oid}" is used twice')
            ids.add(oid)
            self.check(objective["check"], f"{p}.check")


# ---- manifests ---------------------------------------------------------------------


def check_manifest_files(files: list[Path], shown: Callable[[Path], str] = str) -> list[PackProblem]:
    """Every problem the API server (and KubeQuest's sandbox policy) would report."""
    problems: list[PackProblem] = []
    for path in files:
        try:
            docs = load_file(path)
        except ManifestError as exc:
            problems.append(PackProblem(shown(path), exc.line, exc.reason))
            continue
        for doc in docs:
            doc.filename = shown(path)
        if not docs:
            problems.append(PackProblem(shown(path), None, "holds no Kubernetes object"))
        for p in validate_documents(docs):
            who = f"{p.kind}/{p.name}: " if p.kind and p.name else (f"{p.kind}: " if p.kind else "")
            problems.append(PackProblem(p.filename, p.line, who + p.message))
    return problems
