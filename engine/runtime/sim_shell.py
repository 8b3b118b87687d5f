"""A tiny busybox-like shell for the sim runtime: container commands and `exec`.

What it understands: `sh -c '…'`, `sh FILE`, lists with `;` / newline / `&&` /
`||`, pipes `|`, redirections `>`, `>>`, `2>`, `2>&1`, `>&2`, `<`, quotes,
`$VAR` / `${VAR}` / `$?`, `NAME=value`, and the commands in BUILTINS (echo,
cat, ls, test/[, sleep, wget, nc, grep, hostname, env, printenv, pwd, cd, mkdir,
touch, rm, true, false, exit, export, set -e, :).
Not supported (a clear error, exit 2): background jobs `&`, command
substitution `$(…)`/backticks, loops and `if`; no globbing or field splitting.

The interpreter is a generator: `sleep N` yields Sleep(N) so the caller decides
what N seconds mean (a container's main process resumes at virtual time +N; an
exec counts them against its timeout). Everything else runs at once.
"""

from __future__ import annotations

import math
import posixpath
import re
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Protocol

from engine.runtime.sim_commands import BUILTINS, SHELL_BUILTINS
from engine.runtime.sim_fs import ContainerFs, FsError
from engine.runtime.sim_net import HttpAnswer


@dataclass(frozen=True)
class Sleep:
    """Pause the process for this many seconds (math.inf: for ever)."""

    seconds: float


Run = Generator[object, object, int]  # yields Sleep (and, for programs, other instructions)


class ShellHost(Protocol):
    """What the shell needs from the container it runs in."""

    hostname: str
    env: dict[str, str]
    fs: ContainerFs
    net_timeout: float

    def stdout(self, text: str) -> None: ...

    def stderr(self, text: str) -> None: ...

    def http_get(self, host: str, port: int, path: str, timeout: float) -> HttpAnswer:
        """Raises sim_net.NetError."""

    def tcp_connect(self, host: str, port: int, timeout: float) -> None:
        """Raises sim_net.NetError."""


class ShellSyntaxError(Exception):
    pass


class _ExitShell(Exception):
    def __init__(self, code: int):
        self.code = code


SHELLS = {"sh", "ash", "bash"}


# --- tokenizer and parser ---------------------------------------------------

@dataclass(frozen=True)
class Word:
    parts: tuple[tuple[str, str], ...]  # ("lit", text) | ("var", name)


@dataclass(frozen=True)
class Op:
    text: str


_OPS = ("2>&1", "1>&2", ">&2", "2>>", "2>", "&&", "||", ">>", ">", "<", ";", "|", "&", "\n")
_REDIRECTS = {"2>&1", "1>&2", ">&2", "2>>", "2>", ">>", ">", "<"}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _read_var(src: str, i: int) -> tuple[str | None, int]:
    """At a `$`: the variable's name and the index after it (None: a literal `$`)."""
    rest = src[i + 1:]
    if rest.startswith("("):
        raise ShellSyntaxError("command substitution $(...) is not supported")
    if rest.startswith("{"):
        end = rest.find("}")
        if end < 0:
            raise ShellSyntaxError("bad substitution")
        return rest[1:end], i + end + 2
    if rest[:1] in ("?", "$") or rest[:1].isdigit():
        return rest[0], i + 2
    m = _NAME.match(rest)
    return (m.group(), i + 1 + m.end()) if m else (None, i + 1)


def tokenize(src: str) -> list[Word | Op]:
    tokens: list[Word | Op] = []
    parts: list[tuple[str, str]] | None = None

    def add(kind: str, text: str) -> None:
        nonlocal parts
        if parts is None:
            parts = []
        parts.append((kind, text))

    def flush() -> None:
        nonlocal parts
        if parts is not None:
            tokens.append(Word(tuple(parts)))
            parts = None

    i, n = 0, len(src)
    while i < n:
        ch = src[i]
        if ch in " \t\r":
            flush()
            i += 1
        elif ch == "#" and parts is None:
            while i < n and src[i] != "\n":
                i += 1
        elif (op := next((o for o in _OPS if src.startswith(o, i)), None)) and (
            not op[0].isdigit() or parts is None  # "2>" only at the start of a word
        ):
            flush()
            tokens.append(Op(";" if op == "\n" else op))
            i += len(op)
        elif ch == "'":
            end = src.find("'", i + 1)
            if end < 0:
                raise ShellSyntaxError("unterminated quoted string")
            add("lit", src[i + 1:end])
            i = end + 1
        elif ch == '"':
            add("lit", "")  # "" is still a word
            i += 1
            while i < n and src[i] != '"':
                if src[i] == "\\" and i + 1 < n and src[i + 1] in '"\\$`':
                    add("lit", src[i + 1])
                    i += 2
                elif src[i] == "$":
                    name, i = _read_var(src, i)
                    add("var", name) if name is not None else add("lit", "$")
                elif src[i] == "`":
                    raise ShellSyntaxError("command substitution `...` is not supported")
                else:
                    add("lit", src[i])
                    i += 1
            if i >= n:
                raise ShellSyntaxError("unterminated quoted string")
            i += 1
        elif ch == "\\":
            if i + 1 < n and src[i + 1] != "\n":  # backslash-newline joins lines
                add("lit", src[i + 1])
            i += 2
        elif ch == "$":
            name, i = _read_var(src, i)
            add("var", name) if name is not None else add("lit", "$")
        elif ch == "`":
            raise ShellSyntaxError("command substitution `...` is not supported")
        else:
            add("lit", ch)
            i += 1
    flush()
    return tokens


@dataclass
class Simple:
    words: list[Word]
    redirects: list[tuple[str, Word | None]]


Pipeline = list[Simple]
Script = list[tuple[str, Pipeline]]  # (";" | "&&" | "||", pipeline)


def parse(src: str) -> Script:
    script: Script = []
    connector = ";"
    pipeline: Pipeline = []
    cmd = Simple([], [])
    tokens = tokenize(src)
    i = 0
    while i <= len(tokens):
        tok = tokens[i] if i < len(tokens) else Op(";")
        i += 1
        if isinstance(tok, Word):
            cmd.words.append(tok)
        elif tok.text in _REDIRECTS:
            if tok.text in ("2>&1", "1>&2", ">&2"):
                cmd.redirects.append((tok.text, None))
            elif i < len(tokens) and isinstance(tokens[i], Word):
                cmd.redirects.append((tok.text, tokens[i]))  # type: ignore[arg-type]
                i += 1
            else:
                raise ShellSyntaxError(f"syntax error: missing file name after '{tok.text}'")
        elif tok.text == "&":
            raise ShellSyntaxError("background jobs (&) are not supported")
        else:  # ; && || |
            empty = not cmd.words and not cmd.redirects
            if tok.text == "|":
                if empty:
                    raise ShellSyntaxError("syntax error: unexpected '|'")
                pipeline.append(cmd)
            else:
                if empty and pipeline:
                    raise ShellSyntaxError("syntax error: unexpected end after '|'")
                if not empty:
                    script.append((connector, [*pipeline, cmd]))
                elif tok.text != ";" or connector != ";":
                    raise ShellSyntaxError(f"syntax error: unexpected '{tok.text}'")
                pipeline, connector = [], tok.text
            cmd = Simple([], [])
    return script


# --- the interpreter --------------------------------------------------------

@dataclass
class IO:
    out: Callable[[str], None]
    err: Callable[[str], None]
    stdin: str = ""


class Shell:
    def __init__(self, host: ShellHost):
        self.host = host
        self.vars = dict(host.env)
        self.status = 0
        self.errexit = False

    def expand(self, word: Word) -> str:
        def value(name: str) -> str:
            return str(self.status) if name == "?" else self.vars.get(name, "")

        return "".join(text if kind == "lit" else value(text) for kind, text in word.parts)

    def run(self, script: Script) -> Run:
        for connector, pipeline in script:
            if (connector == "&&" and self.status != 0) or (connector == "||" and self.status == 0):
                continue
            stdin = ""
            for n, cmd in enumerate(pipeline):
                last = n == len(pipeline) - 1
                captured: list[str] = []
                out = self.host.stdout if last else captured.append
                self.status = yield from self.run_simple(cmd, IO(out, self.host.stderr, stdin))
                stdin = "".join(captured)
            if self.errexit and self.status != 0 and connector == ";":
                raise _ExitShell(self.status)
        return self.status

    def run_simple(self, cmd: Simple, io: IO) -> Run:
        words = [self.expand(w) for w in cmd.words]
        assignments = 0
        for w in words:
            name, eq, _ = w.partition("=")
            if not eq or not _NAME.fullmatch(name):
                break
            assignments += 1
        for w in words[:assignments]:
            name, _, value = w.partition("=")
            self.vars[name] = value
        files: list[tuple[str, list[str], bool]] = []  # (path, collected text, is stdout)
        for op, target in cmd.redirects:
            if op == "2>&1":
                io.err = io.out
                continue
            if op in (">&2", "1>&2"):
                io.out = io.err
                continue
            path = self.expand(target) if target is not None else ""
            try:
                if op == "<":
                    io.stdin = self.host.fs.read(path).decode(errors="replace")
                    continue
                self.host.fs.write(path, b"", append=op.endswith(">>"))
            except FsError as exc:
                verb = "open" if op == "<" else "create"
                self.host.stderr(f"sh: can't {verb} {path}: {exc}\n")
                return 1
            sink: list[str] = []
            files.append((path, sink, not op.startswith("2")))
            if op.startswith("2"):
                io.err = sink.append
            else:
                io.out = sink.append
        code = yield from self.run_words(words[assignments:], io)
        for path, sink, _ in files:
            try:
                self.host.fs.write(path, "".join(sink).encode(), append=True)
            except FsError as exc:
                self.host.stderr(f"sh: can't create {path}: {exc}\n")
                code = 1
        return code

    def run_words(self, words: list[str], io: IO) -> Run:
        if not words:
            return 0
        name, args = words[0], words[1:]
        if name == "sleep":
            seconds = _duration(args)
            if seconds is None:
                io.err(f"sleep: invalid number '{' '.join(args)}'\n")
                return 1
            yield Sleep(seconds)
            return 0
        if name == "exit":
            raise _ExitShell(_int(args[0], 2) & 0xFF if args else self.status)
        builtin = BUILTINS.get(name) or SHELL_BUILTINS.get(name)
        if builtin is None:
            io.err(f"sh: {name}: not found\n")
            return 127
        return builtin(self, args, io)


def _duration(args: list[str]) -> float | None:
    """busybox sleep: `5`, `0.5`, `2m`, `infinity`; several arguments add up."""
    if not args:
        return None
    total = 0.0
    for arg in args:
        if arg in ("inf", "infinity"):
            return math.inf
        m = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)([smhd]?)", arg)
        if not m:
            return None
        total += float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    return total


def _int(text: str, default: int) -> int:
    try:
        return int(text)
    except ValueError:
        return default


def run_script(src: str, host: ShellHost) -> Run:
    """`sh -c src`. Syntax errors exit 2 with busybox's words."""
    try:
        script = parse(src)
    except ShellSyntaxError as exc:
        host.stderr(f"sh: {exc}\n")
        return 2
    shell = Shell(host)
    try:
        return (yield from shell.run(script))
    except _ExitShell as done:
        return done.code


def run_argv(argv: list[str], host: ShellHost) -> Run:
    """Run an exec-form command (a container's command, or `kubectl exec -- …`)."""
    if not argv:
        return 0
    name = posixpath.basename(argv[0])
    if name in SHELLS:
        if len(argv) >= 3 and argv[1] == "-c":
            return (yield from run_script(argv[2], host))
        if len(argv) >= 2 and not argv[1].startswith("-"):
            try:
                src = host.fs.read(argv[1]).decode(errors="replace")
            except FsError as exc:
                host.stderr(f"sh: can't open '{argv[1]}': {exc}\n")
                return 2
            return (yield from run_script(src, host))
        return 0  # a shell with no script and no terminal reads EOF and exits at once
    if not knows(name):
        host.stderr(f'exec: "{argv[0]}": executable file not found in $PATH\n')
        return 127
    shell = Shell(host)
    try:
        return (yield from shell.run_words([name, *argv[1:]], IO(host.stdout, host.stderr)))
    except _ExitShell as done:
        return done.code


def knows(command: str) -> bool:
    """Whether the image's PATH has this command (every game image has busybox)."""
    name = posixpath.basename(command)
    return name in SHELLS or name in BUILTINS or name == "sleep"

