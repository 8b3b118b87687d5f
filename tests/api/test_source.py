import pytest

from engine.api.errors import ManifestError
from engine.api.source import load_documents, load_file


def test_lines_of_fields_and_documents():
    docs = load_documents("a: 1\nb:\n  c:\n  - name: x\n    image: y\n---\n---\nk: v\n", "f.yaml")
    assert [d.index for d in docs] == [0, 2]
    assert docs[0].line_of("b.c[0].image") == 5
    assert docs[0].line_of("b.c[0].missing") == 4  # nearest ancestor
    assert docs[1].start_line == 8


@pytest.mark.parametrize(
    "text, message, line",
    [
        ("a: b: c", "YAML syntax error: mapping values are not allowed here", 1),
        ("a: 1\na: 2", 'mapping key "a" already defined at line 1', 2),
        ("a: !!python/object:os.system x", "could not determine a constructor", 1),
        # Said in words, at the line of the mistake (PyYAML notices a missing ':' a line later).
        ("kind: Pod\nspe3\n  containers: []\n", "could not find expected ':' — this line has no `key: value` colon", 2),
        ("a:\n  b: 1\n c: 2\n", "this line is indented differently from the lines around it", 3),
        ("a:\n\tb: 1\n", "a tab character: YAML indents with spaces only", 2),
    ],
)
def test_bad_yaml_is_a_sentence_with_a_line(text, message, line):
    with pytest.raises(ManifestError) as exc:
        load_documents(text, "x.yaml")
    assert message in str(exc.value)
    assert exc.value.line == line and str(exc.value).startswith(f"x.yaml:{line}: ")


def test_alias_bomb_is_refused_quickly():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    prev = "a"
    for i in range(9):
        name = f"l{i}"
        bomb += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]\n"
        prev = name
    with pytest.raises(ManifestError, match="expands to more than"):
        load_documents(bomb, "bomb.yaml")


def test_unreadable_files(tmp_path):
    with pytest.raises(ManifestError, match="no such file"):
        load_file(tmp_path / "nope.yaml")
    with pytest.raises(ManifestError, match="is a directory"):
        load_file(tmp_path)
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ManifestError, match="not UTF-8"):
        load_file(tmp_path / "bin.yaml")
