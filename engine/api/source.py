"""Reading manifests: YAML (safe loading only) with the line of every field.

Errors are data that point at the user's line, so the loader keeps, for each
document, a map from field path (`spec.template.spec.containers[0].image`) to
the line where that field's key or item starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ManifestError


@dataclass
class Document:
    """One YAML document of a manifest file."""

    obj: Any
    filename: str
    index: int  # 0-based position in the file's stream of documents
    start_line: int  # 1-based
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, path: str) -> int:
        """The line of `path`, or of its nearest ancestor the file has."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = _parent(path)
        return self.start_line


def _parent(path: str) -> str:
    if path.endswith("]"):
        return path[: path.rindex("[")]
    if "." in path:
        return path[: path.rindex(".")]
    return ""


def _join(base: str, key: str) -> str:
    return f"{base}.{key}" if base else key


# Aliases let a few lines expand into billions of nodes ("billion laughs"); no
# manifest a learner writes comes near this many.
MAX_NODES = 200_000


class _Builder:
    """Turns composed YAML nodes into Python values, recording each path's line."""

    def __init__(self, filename: str):
        self.filename = filename
        self.constructor = yaml.SafeLoader("")  # only for construct_object on scalars
        self.lines: dict[str, int] = {}
        self.nodes = 0

    def build(self, node: yaml.Node, path: str) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ManifestError(
                f"the document expands to more than {MAX_NODES:,} values (YAML aliases?); "
                "KubeQuest refuses it",
                filename=self.filename,
                line=node.start_mark.line + 1,
            )
        if isinstance(node, yaml.MappingNode):
            self.constructor.flatten_mapping(node)
            result: dict[Any, Any] = {}
            first_seen: dict[Any, int] = {}
            for key_node, value_node in node.value:
                key = self.build(key_node, path + ".<key>")
                if isinstance(key, (dict, list)):
                    raise ManifestError(
                        "a mapping key must be a plain value",
                        filename=self.filename,
                        line=key_node.start_mark.line + 1,
                    )
                line = key_node.start_mark.line + 1
                if key in result:
                    raise ManifestError(
                        f'mapping key "{key}" already defined at line {first_seen[key]}',
                        filename=self.filename,
                        line=line,
                    )
                child = _join(path, str(key))
                self.lines.setdefault(child, line)
                first_seen[key] = line
                result[key] = self.build(value_node, child)
            return result
        if isinstance(node, yaml.SequenceNode):
            items = []
            for i, item in enumerate(node.value):
                child = f"{path}[{i}]"
                self.lines.setdefault(child, item.start_mark.line + 1)
                items.append(self.build(item, child))
            return items
        return self.constructor.construct_object(node, deep=True)


def load_documents(text: str, filename: str = "<input>") -> list[Document]:
    """Parse every document of a YAML stream; empty documents are skipped.

    Raises ManifestError (with the line) on a syntax error or an unsafe tag.
    """
    docs: list[Document] = []
    try:
        loader = yaml.SafeLoader(text)
        try:
            index = 0
            while loader.check_node():
                node = loader.get_node()
                if node is None:
                    index += 1
                    continue
                builder = _Builder(filename)
                obj = builder.build(node, "")
                if obj is not None:
                    docs.append(
                        Document(obj, filename, index, node.start_mark.line + 1, builder.lines)
                    )
                index += 1
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        problem, mark = _in_words(exc)
        line = mark.line + 1 if mark is not None else None
        raise ManifestError(f"YAML syntax error: {problem}", filename=filename, line=line) from None
    except yaml.YAMLError as exc:
        raise ManifestError(f"YAML error: {exc}", filename=filename) from None
    return docs


def load_file(path: str | Path) -> list[Document]:
    """Read and parse a manifest file; unreadable files raise ManifestError."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError("no such file", filename=str(path)) from None
    except IsADirectoryError:
        raise ManifestError("is a directory, not a manifest file", filename=str(path)) from None
    except UnicodeDecodeError:
        raise ManifestError("is not UTF-8 text", filename=str(path)) from None
    except OSError as exc:
        raise ManifestError(f"cannot be read: {exc.strerror}", filename=str(path)) from None
    return load_documents(text, str(path))


def _in_words(exc: yaml.MarkedYAMLError) -> tuple[str, yaml.Mark | None]:
    """PyYAML's problem, followed by what it usually means in a manifest, at the line
    where the mistake most likely is (a missing ':' is noticed a line later)."""
    problem = exc.problem or exc.context or "invalid YAML"
    mark = exc.problem_mark or exc.context_mark
    if problem.startswith("could not find expected ':'") and exc.context_mark is not None:
        return f"{problem} — this line has no `key: value` colon", exc.context_mark
    if problem.startswith("mapping values are not allowed here"):
        return (f"{problem} — a `key: value` where none can be: check this line's indentation "
                "(and the line above for a missing ':')"), mark
    if problem.startswith("expected <block end>"):
        return f"{problem} — this line is indented differently from the lines around it", mark
    if "'\\t'" in problem:  # PyYAML shows the tab escaped
        return f"{problem} — a tab character: YAML indents with spaces only", mark
    return problem, mark
