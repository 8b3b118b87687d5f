"""`kubequest validate FILE...`: check manifests the way the API server would on create.

Each problem is printed as `FILE:LINE: Kind/name: field.path: message` on stdout;
a file whose every object is valid gets `FILE: valid (N objects)`. A file that
cannot be read or parsed is reported on stderr. Exit status: 0 all valid,
1 some manifest invalid, 2 some file unreadable or not YAML.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from engine.api.errors import ManifestError
from engine.api.source import load_file
from engine.api.validation import validate_documents

EXIT_VALID, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2

DESCRIPTION = """\
Validate Kubernetes manifests the way the API server would on create, plus
KubeQuest's sandbox rules (no privileged containers, host paths, host
namespaces or host ports). Every problem is reported at once, one per line:

  FILE:LINE: Kind/name: field.path: message

exit status: 0 all valid, 1 a manifest is invalid, 2 a file is unreadable
or is not valid YAML."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check manifests as the API server would",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="a YAML manifest file")
    parser.set_defaults(run=run)


def _plural(n: int) -> str:
    return f"{n} object" if n == 1 else f"{n} objects"


def validate_file(path: str, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Validate one file, print its outcome, return its exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        docs = load_file(path)
    except ManifestError as exc:
        print(str(exc), file=err)
        return EXIT_UNREADABLE
    except RecursionError:
        # PyYAML composes recursively; absurdly deep nesting is not a manifest.
        print(f"{path}: YAML nesting is too deep to be a manifest", file=err)
        return EXIT_UNREADABLE
    if not docs:
        print(f"{path}: no objects: the file holds no YAML document", file=out)
        return EXIT_INVALID
    problems = validate_documents(docs)
    for problem in problems:
        print(problem, file=out)
    if problems:
        return EXIT_INVALID
    print(f"{path}: valid ({_plural(len(docs))})", file=out)
    return EXIT_VALID


def run(args: argparse.Namespace) -> int:
    status = EXIT_VALID
    for path in args.files:
        status = max(status, validate_file(path))
    return status
