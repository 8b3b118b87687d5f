"""The pack format: every problem reported with its file and line; loading and level ids."""

from __future__ import annotations

import pytest

from kubequest.levels.actions import ACTIONS
from kubequest.levels.checks import REGISTRY
from kubequest.levels.loader import (
    LevelNotFound,
    PackError,
    check_pack,
    find_level,
    load_pack,
    load_packs,
)
from kubequest.levels.schema import ACTION_FIELDS, CHECK_FIELDS, parse_duration

from .conftest import LEVEL_YAML, make_pack, write


def problems_of(root) -> list[str]:
    return [str(p) for p in check_pack(root)[1]]


def only(problems: list[str], needle: str) -> str:
    found = [p for p in problems if needle in p]
    assert len(found) == 1, problems
    return found[0]


def level_with(extra: str = "", **replace: str) -> str:
    text = LEVEL_YAML.format(name="scale")
    for old, new in replace.items():
        text = text.replace(old, new)
    return text + extra


def test_a_good_pack_loads_with_no_problems(tmp_path):
    make_pack(tmp_path)
    pack, problems = check_pack(tmp_path)
    assert problems == []
    level = pack.levels[0]
    assert level.id == "demo/scale"
    assert level.setup == [tmp_path / "scale" / "setup" / "app.yaml"]
    assert level.time_limit == 60
    assert [n.name for n in level.nodes] == ["node-1"] and level.nodes[0].cpu == "4"
    assert level.objectives[0].check["type"] == "pods"
    assert level.briefing == "# Brief\n"


def test_the_format_tables_and_the_implementations_agree():
    assert set(CHECK_FIELDS) == set(REGISTRY)
    assert set(ACTION_FIELDS) == set(ACTIONS)


def test_an_unknown_key_is_reported_at_its_line(tmp_path):
    make_pack(tmp_path, level_yaml=level_with("timeLimitSecond: 30\n"))
    problem = only(problems_of(tmp_path), "timeLimitSecond")
    assert problem.startswith(f"{tmp_path / 'scale' / 'level.yaml'}:16: ")
    assert 'unknown key "timeLimitSecond"' in problem


def test_an_unknown_check_type_names_file_and_line(tmp_path):
    make_pack(tmp_path, level_yaml=level_with(**{"type: pods": "type: pod"}))
    problem = only(problems_of(tmp_path), "unknown check type")
    assert problem.startswith(f"{tmp_path / 'scale' / 'level.yaml'}:13: objectives[0].check.type:")
    assert '"pod"' in problem


def test_a_missing_file_and_a_glob_matching_nothing(tmp_path):
    make_pack(tmp_path, level_yaml=level_with(**{"setup: [setup/app.yaml]": "setup: [setup/*.yml]",
                                                 "solution: [solution/app.yaml]": "solution: [solution/x.yaml]"}))
    problems = problems_of(tmp_path)
    assert ":8: setup[0]: " in only(problems, "matches no file")
    assert ":15: solution[0]: " in only(problems, 'file "solution/x.yaml" not found')


def test_a_missing_briefing_file(tmp_path):
    make_pack(tmp_path)
    (tmp_path / "scale" / "briefing.md").unlink()
    problem = only(problems_of(tmp_path), "briefing")
    assert problem.startswith(f"{tmp_path / 'scale' / 'level.yaml'}:6: briefing: ")


def test_a_level_without_briefing_hints_or_solution(tmp_path):
    text = level_with().replace("briefing: briefing.md\n", "").replace("hints: [Scale it.]\n", "")
    text = text.replace("solution: [solution/app.yaml]\n", "")
    make_pack(tmp_path, level_yaml=text)
    problems = problems_of(tmp_path)
    for key in ("briefing", "hints", "solution"):
        assert f'missing required key "{key}"' in only(problems, f'"{key}"')


def test_steps_and_objectives_together_are_refused(tmp_path):
    steps = "steps:\n  - title: one\n    text: do it\n    objectives:\n" \
            "      - {id: a, description: a, check: {type: exists, kind: Pod, name: x}}\n"
    make_pack(tmp_path, level_yaml=level_with(steps))
    problem = only(problems_of(tmp_path), "not both")
    assert ":16: steps: " in problem


def test_bad_difficulty_and_duplicate_ids(tmp_path):
    text = level_with(**{"difficulty: 1": "difficulty: 7"}).replace(
        "hints:", "  - {id: three-ready, description: again, check: {type: exists, kind: Pod, name: x}}\nhints:")
    make_pack(tmp_path, level_yaml=text)
    problems = problems_of(tmp_path)
    assert ":5: difficulty: 7 must be between 1 and 5" in only(problems, "must be between")
    assert ":14: objectives[1].id: " in only(problems, "used twice")


def test_a_privileged_pod_in_setup_names_file_and_line(tmp_path):
    setup = """\
    apiVersion: v1
    kind: Pod
    metadata:
      name: root
    spec:
      containers:
        - name: c
          image: kubequest/toolbox:1.0
          securityContext:
            privileged: true
    """
    make_pack(tmp_path, setup=setup)
    problem = only(problems_of(tmp_path), "privileged")
    assert problem.startswith(f"{tmp_path / 'scale' / 'setup' / 'app.yaml'}:10: Pod/root: ")
    assert "Forbidden" in problem


def test_an_invalid_manifest_and_bad_yaml(tmp_path):
    make_pack(tmp_path, solution="apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: Web_1\n",
              extra={"scale/workspace/app.yaml": "a: [b\n"})
    problems = problems_of(tmp_path)
    assert ":4: Deployment/Web_1: metadata.name: Invalid value" in only(problems, "Web_1: metadata.name")
    assert "workspace/app.yaml:2: YAML syntax error" in only(problems, "YAML syntax")


def test_events_and_actions_are_checked(tmp_path):
    extra = ("events:\n"
             "  - {after: soon, action: {type: killContainer, selector: {app: web}}}\n"
             "  - {when: later, action: {type: failNode, node: node-9}}\n"
             "  - {after: 30s, when: objectivesMet, action: {type: explode}}\n")
    make_pack(tmp_path, level_yaml=level_with(extra))
    problems = problems_of(tmp_path)
    assert ":17: events[0].after: " in only(problems, "events[0].after")
    assert ":18: events[1].when: " in only(problems, "events[1].when")
    assert 'no node "node-9"' in only(problems, "node-9")
    assert "exactly one of" in only(problems, "events[2]: ")
    assert 'unknown action type "explode"' in only(problems, "explode")


def test_check_fields_are_checked_per_type(tmp_path):
    text = level_with(**{"check: {type: pods, selector: {app: web}, ready: true, count: 3}":
                         "check: {type: field, kind: Gadget, name: web, path: 'a..b', gte: x, equals: 1}"})
    make_pack(tmp_path, level_yaml=text)
    problems = problems_of(tmp_path)
    assert any('"Gadget" is not a kind' in p for p in problems)
    assert any("exactly one of" in p for p in problems)
    assert any("gte: must be a number" in p for p in problems)
    assert any("is not a dotted path" in p for p in problems)


def test_pack_yaml_problems(tmp_path):
    make_pack(tmp_path)
    write(tmp_path, {"pack.yaml": "apiVersion: kubequest/v2\nkind: LevelPack\nname: My_Pack\n"
                                  "title: T\nlevels: [scale, nope]\ncolour: red\n"})
    problems = problems_of(tmp_path)
    pack_yaml = str(tmp_path / "pack.yaml")
    assert f"{pack_yaml}:1: apiVersion: " in only(problems, "kubequest/v2")
    assert f"{pack_yaml}:3: name: " in only(problems, "My_Pack")
    assert f"{pack_yaml}:5: levels[1]: " in only(problems, '"nope"')
    assert f"{pack_yaml}:6: colour: " in only(problems, "colour")


def test_a_level_name_must_match_its_folder(tmp_path):
    make_pack(tmp_path, level_yaml=LEVEL_YAML.format(name="other"))
    assert "must match the level folder" in only(problems_of(tmp_path), "folder")


def test_paths_may_not_leave_the_level_folder(tmp_path):
    make_pack(tmp_path, level_yaml=level_with(**{"setup: [setup/app.yaml]": "setup: [../../etc/passwd]"}))
    assert "inside the level folder" in only(problems_of(tmp_path), "passwd")


def test_globs_expand_sorted_and_in_order(tmp_path):
    files = {"scale/setup/b.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n",
             "scale/setup/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"}
    make_pack(tmp_path, extra=files,
              level_yaml=level_with(**{"setup: [setup/app.yaml]": "setup: [setup/app.yaml, setup/*.yaml]"}))
    level = load_pack(tmp_path).levels[0]
    assert [p.name for p in level.setup] == ["app.yaml", "a.yaml", "b.yaml"]


def test_a_folder_without_pack_yaml(tmp_path):
    pack = load_pack(tmp_path)
    assert "no pack.yaml" in str(pack.all_problems()[0])


def test_find_level_and_its_errors(tmp_path):
    make_pack(tmp_path / "p")
    packs = load_packs([tmp_path / "p"], builtin_dir=None)
    assert find_level("demo/scale", packs).name == "scale"
    for bad, words in [("scale", "pack/level"), ("nope/scale", 'no level pack "nope"'),
                       ("demo/nope", 'no level "nope"')]:
        with pytest.raises(LevelNotFound, match=words):
            find_level(bad, packs)


def test_a_broken_level_cannot_be_played(tmp_path):
    make_pack(tmp_path, level_yaml=level_with(**{"type: pods": "type: pod"}))
    packs = load_packs([tmp_path], builtin_dir=None)
    with pytest.raises(PackError, match="cannot be played: .*unknown check type"):
        find_level("demo/scale", packs)


def test_two_packs_with_one_name(tmp_path):
    make_pack(tmp_path / "a")
    make_pack(tmp_path / "b")
    packs = load_packs([tmp_path / "a", tmp_path / "b"], builtin_dir=None)
    assert packs[0].problems == []
    assert "already used" in str(packs[1].problems[0])


def test_the_builtin_packs_are_valid():
    packs = load_packs([])
    assert packs, "levels/ holds the built-in packs"
    for pack in packs:
        assert check_pack(pack.dir)[1] == [], pack.name


@pytest.mark.parametrize("text,seconds", [("30s", 30), ("2m", 120), ("1m30s", 90), ("1h", 3600),
                                          (45, 45), (2.5, 2.5), ("soon", None), ("", None), (-1, None)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds
