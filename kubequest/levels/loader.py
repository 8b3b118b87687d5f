"""Loading level packs: the built-in ones in `levels/` and every `--packs DIR`.

A pack that has problems still loads (its problems listed on the Pack), so the
level map can show it greyed out and `pack check` can print every problem;
only a level without problems can be played. Levels are addressed as
`pack/level`, e.g. `basics/crashloop`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.api.errors import KubeQuestError, ManifestError
from engine.api.source import Document, load_file
from engine.cluster import NodeConfig

from .schema import (
    DEFAULT_TIME_LIMIT,
    OBJECTIVES_MET,
    LevelChecker,
    PackProblem,
    check_manifest_files,
    check_pack_document,
    parse_duration,
    resolve_files,
)

BUILTIN_PACKS = Path(__file__).resolve().parents[2] / "levels"

# The teaching order of the built-in packs, on the level map and in `kubequest levels`: the
# guided tour first, then each pack building on the one before. A built-in pack not listed
# here comes after these, by name; `--packs` folders come after every built-in pack, in the
# order given.
BUILTIN_ORDER = ("first-steps", "basics", "services", "self-healing", "rollouts", "scheduling")


class LevelNotFound(KubeQuestError):
    """A `pack/level` id that no loaded pack has."""


class PackError(KubeQuestError):
    """A pack or level that cannot be used; str() is its first problem and a way on."""


@dataclass
class Objective:
    id: str
    description: str
    check: dict[str, Any]


@dataclass
class Step:
    title: str
    text: str
    objectives: list[Objective]


@dataclass
class ScriptedEvent:
    """`{after: 30s, action}` (after = seconds from level start) or `{when: objectivesMet, action}`."""

    action: dict[str, Any]
    after: float | None = None
    when: str | None = None


@dataclass
class Level:
    pack: str
    name: str
    dir: Path
    title: str = ""
    difficulty: int = 1
    concepts: list[str] = field(default_factory=list)
    briefing: str = ""
    debrief: str | None = None
    time_limit: float = DEFAULT_TIME_LIMIT
    par_seconds: float | None = None
    nodes: list[NodeConfig] = field(default_factory=lambda: [NodeConfig()])
    setup: list[Path] = field(default_factory=list)
    workspace: list[Path] = field(default_factory=list)
    solution: list[Path] = field(default_factory=list)
    alternatives: list[list[Path]] = field(default_factory=list)
    objectives: list[Objective] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    events: list[ScriptedEvent] = field(default_factory=list)
    problems: list[PackProblem] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.pack}/{self.name}"

    @property
    def playable(self) -> bool:
        return not self.problems

    def all_objectives(self) -> list[Objective]:
        """The top-level objectives, or every step's, in order."""
        if self.steps:
            return [o for s in self.steps for o in s.objectives]
        return list(self.objectives)


@dataclass
class Pack:
    name: str
    dir: Path
    title: str = ""
    author: str = ""
    version: str = ""
    description: str = ""
    levels: list[Level] = field(default_factory=list)
    builtin: bool = False
    problems: list[PackProblem] = field(default_factory=list)  # of pack.yaml itself

    def all_problems(self) -> list[PackProblem]:
        return self.problems + [p for lv in self.levels for p in lv.problems]

    def level(self, name: str) -> Level | None:
        return next((lv for lv in self.levels if lv.name == name), None)


def _load_doc(path: Path, problems: list[PackProblem]) -> Document | None:
    try:
        docs = load_file(path)
    except ManifestError as exc:
        problems.append(PackProblem(str(path), exc.line, exc.reason))
        return None
    if len(docs) != 1:
        problems.append(PackProblem(str(path), None, f"must hold exactly one YAML document, not {len(docs)}"))
        return None
    return docs[0]


def _files(level_dir: Path, patterns: Any) -> list[Path]:
    out: list[Path] = []
    for pattern in patterns or []:
        found = resolve_files(level_dir, pattern) if isinstance(pattern, str) else "bad"
        if not isinstance(found, str):
            out.extend(p for p in found if p not in out)
    return out


def _read_text(level_dir: Path, name: Any) -> str:
    found = resolve_files(level_dir, name) if isinstance(name, str) else "missing"
    if isinstance(found, str):
        return ""
    try:
        return found[0].read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _list(obj: dict, key: str) -> list:
    """obj[key] when it is a list, else [] (a wrong type is already a reported problem)."""
    value = obj.get(key)
    return value if isinstance(value, list) else []


def _objectives(items: Any) -> list[Objective]:
    return [Objective(str(o.get("id")), str(o.get("description", "")), dict(o.get("check") or {}))
            for o in (items if isinstance(items, list) else []) if isinstance(o, dict)]


def _nodes(cluster: Any) -> list[NodeConfig]:
    nodes = (cluster or {}).get("nodes") if isinstance(cluster, dict) else None
    if not isinstance(nodes, list) or not nodes:
        return [NodeConfig()]
    out = []
    for n in nodes:
        if not isinstance(n, dict):
            continue
        out.append(NodeConfig(
            name=str(n.get("name", "node-1")),
            cpu=str(n.get("cpu", "4")),
            memory=str(n.get("memory", "4Gi")),
            labels={str(k): str(v) for k, v in (n.get("labels") or {}).items()},
            taints=[dict(t) for t in n.get("taints") or [] if isinstance(t, dict)],
        ))
    return out or [NodeConfig()]


def load_level(pack_name: str, level_dir: Path) -> Level:
    """A level from its folder; problems with its level.yaml are kept on `Level.problems`."""
    level = Level(pack=pack_name, name=level_dir.name, dir=level_dir)
    doc = _load_doc(level_dir / "level.yaml", level.problems)
    if doc is None:
        return level
    level.problems += LevelChecker(doc, level_dir).run()
    obj = doc.obj if isinstance(doc.obj, dict) else {}
    level.title = str(obj.get("title") or level.name)
    if isinstance(obj.get("difficulty"), int):
        level.difficulty = obj["difficulty"]
    level.concepts = [str(c) for c in _list(obj, "concepts")]
    level.briefing = _read_text(level_dir, obj.get("briefing"))
    level.debrief = _read_text(level_dir, obj["debrief"]) if obj.get("debrief") else None
    if isinstance(obj.get("timeLimitSeconds"), int):
        level.time_limit = float(obj["timeLimitSeconds"])
    if isinstance(obj.get("parSeconds"), int):
        level.par_seconds = float(obj["parSeconds"])
    level.nodes = _nodes(obj.get("cluster"))
    level.setup = _files(level_dir, obj.get("setup"))
    level.workspace = _files(level_dir, obj.get("workspace"))
    level.solution = _files(level_dir, obj.get("solution"))
    level.alternatives = [_files(level_dir, alt) for alt in _list(obj, "alternatives")
                          if isinstance(alt, list)]
    level.objectives = _objectives(obj.get("objectives"))
    level.steps = [Step(str(s.get("title", "")), str(s.get("text", "")), _objectives(s.get("objectives")))
                   for s in _list(obj, "steps") if isinstance(s, dict)]
    level.hints = [str(h) for h in _list(obj, "hints")]
    for ev in _list(obj, "events"):
        if isinstance(ev, dict) and isinstance(ev.get("action"), dict):
            after = parse_duration(ev["after"]) if "after" in ev else None
            when = OBJECTIVES_MET if ev.get("when") == OBJECTIVES_MET else None
            level.events.append(ScriptedEvent(dict(ev["action"]), after, when))
    return level


def load_pack(pack_dir: str | Path, *, builtin: bool = False) -> Pack:
    """A pack from its folder. Never raises for a broken pack: see `Pack.all_problems()`."""
    pack_dir = Path(pack_dir)
    pack = Pack(name=pack_dir.name, dir=pack_dir, builtin=builtin)
    if not pack_dir.is_dir():
        pack.problems.append(PackProblem(str(pack_dir), None, "no such folder"))
        return pack
    doc = _load_doc(pack_dir / "pack.yaml", pack.problems) if (pack_dir / "pack.yaml").is_file() else None
    if doc is None:
        if not pack.problems:
            pack.problems.append(PackProblem(str(pack_dir / "pack.yaml"), None,
                                             "no pack.yaml: is this a level pack folder?"))
        return pack
    pack.problems += check_pack_document(doc, pack_dir)
    obj = doc.obj if isinstance(doc.obj, dict) else {}
    if isinstance(obj.get("name"), str):
        pack.name = obj["name"]
    pack.title = str(obj.get("title") or pack.name)
    pack.author = str(obj.get("author") or "")
    pack.version = str(obj.get("version") or "")
    pack.description = str(obj.get("description") or "")
    names = obj.get("levels") if isinstance(obj.get("levels"), list) else []
    for name in dict.fromkeys(n for n in names if isinstance(n, str)):
        if (pack_dir / name / "level.yaml").is_file():
            pack.levels.append(load_level(pack.name, pack_dir / name))
    return pack


def level_manifests(level: Level) -> list[Path]:
    """Every manifest file a level names, once each."""
    files = level.setup + level.workspace + level.solution + [p for alt in level.alternatives for p in alt]
    return list(dict.fromkeys(files))


def check_pack(pack_dir: str | Path) -> tuple[Pack, list[PackProblem]]:
    """`pack check`: the schema problems plus every manifest that would not validate."""
    pack = load_pack(pack_dir)
    problems = pack.all_problems()
    for level in pack.levels:
        problems += check_manifest_files(level_manifests(level))
    return pack, problems


def load_packs(extra_dirs: list[str | Path] = (), *, builtin_dir: Path | None = BUILTIN_PACKS) -> list[Pack]:
    """The built-in packs in teaching order (BUILTIN_ORDER), then every `--packs` folder in
    the order given. A later pack with a name already taken is reported on that pack (names
    are unique)."""
    packs: list[Pack] = []
    if builtin_dir is not None and builtin_dir.is_dir():
        builtin = [load_pack(d, builtin=True) for d in sorted(builtin_dir.iterdir())
                   if (d / "pack.yaml").is_file()]
        packs += sorted(builtin, key=_teaching_order)
    for d in extra_dirs:
        packs.append(load_pack(d))
    seen: dict[str, Path] = {}
    for pack in packs:
        if pack.name in seen:
            pack.problems.append(PackProblem(str(pack.dir / "pack.yaml"), None,
                                             f'pack name "{pack.name}" is already used by {seen[pack.name]}'))
        else:
            seen[pack.name] = pack.dir
    return packs


def _teaching_order(pack: Pack) -> tuple[int, str]:
    """Where a built-in pack goes: its place in BUILTIN_ORDER, else after those, by name."""
    name = pack.name if pack.name in BUILTIN_ORDER else pack.dir.name
    if name in BUILTIN_ORDER:
        return BUILTIN_ORDER.index(name), ""
    return len(BUILTIN_ORDER), name


def find_level(level_id: str, packs: list[Pack]) -> Level:
    """The playable level `pack/level`; a clear error when it is unknown or broken."""
    pack_name, sep, level_name = level_id.partition("/")
    if not sep or not pack_name or not level_name:
        raise LevelNotFound(f'"{level_id}" is not a level id: write it as pack/level, e.g. basics/crashloop')
    pack = next((p for p in packs if p.name == pack_name), None)
    if pack is None:
        known = ", ".join(p.name for p in packs) or "none"
        raise LevelNotFound(f'no level pack "{pack_name}" (packs: {known}; add one with --packs DIR)')
    level = pack.level(level_name)
    if level is None:
        known = ", ".join(lv.name for lv in pack.levels) or "none"
        raise LevelNotFound(f'pack "{pack_name}" has no level "{level_name}" (levels: {known})')
    if level.problems or pack.problems:
        first = (pack.problems + level.problems)[0]
        raise PackError(f"level {level.id} cannot be played: {first} "
                        f"(`kubequest pack check {pack.dir}` lists every problem)")
    return level
