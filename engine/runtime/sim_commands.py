"""The busybox commands of the sim shell (see sim_shell for the language).

Each takes (shell, args, io) and returns the exit status; messages use
busybox's words so that what a learner sees in the sim matches Docker.
`sleep` and `exit` live in the interpreter itself (they change its flow).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from engine.runtime.sim_fs import FsError
from engine.runtime.sim_net import NetError

if TYPE_CHECKING:
    from engine.runtime.sim_shell import IO, Shell

Command = Callable[["Shell", list[str], "IO"], int]


def _flags(args: list[str]) -> tuple[set[str], list[str]]:
    """Split `-rf x y` into ({'r', 'f'}, ['x', 'y'])."""
    flags: set[str] = set()
    rest = []
    for arg in args:
        if arg.startswith("-") and len(arg) > 1 and not rest:
            flags.update(arg[1:])
        else:
            rest.append(arg)
    return flags, rest


def echo(sh: Shell, args: list[str], io: IO) -> int:
    newline = True
    while args and args[0] in ("-n", "-e", "-ne", "-en"):
        newline = newline and "n" not in args[0]
        args = args[1:]
    io.out(" ".join(args) + ("\n" if newline else ""))
    return 0


def cat(sh: Shell, args: list[str], io: IO) -> int:
    _, files = _flags(args)
    if not files:
        io.out(io.stdin)
        return 0
    code = 0
    for path in files:
        try:
            io.out(sh.host.fs.read(path).decode(errors="replace"))
        except FsError as exc:
            io.err(f"cat: can't open '{path}': {exc}\n")
            code = 1
    return code


def ls(sh: Shell, args: list[str], io: IO) -> int:
    _, paths = _flags(args)
    code = 0
    for path in paths or ["."]:
        try:
            names = sh.host.fs.list(path)
        except FsError as exc:
            io.err(f"ls: {path}: {exc}\n")
            code = 1
            continue
        if len(paths) > 1 and sh.host.fs.kind(path) == "dir":
            io.out(f"{path}:\n")
        io.out("".join(f"{name}\n" for name in names))
    return code


def _test(sh: Shell, args: list[str]) -> bool | None:
    if args[:1] == ["!"]:
        inner = _test(sh, args[1:])
        return None if inner is None else not inner
    fs = sh.host.fs
    if len(args) == 0:
        return False
    if len(args) == 1:
        return args[0] != ""
    if len(args) == 2:
        op, x = args
        kind = fs.kind(x) if op in ("-e", "-f", "-d", "-s", "-r", "-w") else None
        unary = {
            "-e": kind is not None, "-f": kind == "file", "-d": kind == "dir",
            "-r": kind is not None, "-w": kind is not None,
            "-s": kind == "dir" or (kind == "file" and bool(fs.read(x))),
            "-z": x == "", "-n": x != "",
        }
        return unary.get(op)
    if len(args) == 3:
        a, op, b = args
        if op in ("=", "=="):
            return a == b
        if op == "!=":
            return a != b
        numeric = {"-eq": int.__eq__, "-ne": int.__ne__, "-lt": int.__lt__,
                   "-gt": int.__gt__, "-le": int.__le__, "-ge": int.__ge__}
        if op in numeric:
            try:
                return numeric[op](int(a), int(b))
            except ValueError:
                return None
    return None


def test(sh: Shell, args: list[str], io: IO) -> int:
    result = _test(sh, args)
    if result is None:
        io.err(f"sh: test: {' '.join(args)}: unknown operand\n")
        return 2
    return 0 if result else 1


def bracket(sh: Shell, args: list[str], io: IO) -> int:
    if not args or args[-1] != "]":
        io.err("sh: [: missing ]\n")
        return 2
    return test(sh, args[:-1], io)


def hostname(sh: Shell, args: list[str], io: IO) -> int:
    io.out(sh.host.hostname + "\n")
    return 0


def env(sh: Shell, args: list[str], io: IO) -> int:
    io.out("".join(f"{k}={v}\n" for k, v in sorted(sh.vars.items())))
    return 0


def printenv(sh: Shell, args: list[str], io: IO) -> int:
    if not args:
        return env(sh, args, io)
    found = [sh.vars[name] for name in args if name in sh.vars]
    io.out("".join(f"{v}\n" for v in found))
    return 0 if len(found) == len(args) else 1


def pwd(sh: Shell, args: list[str], io: IO) -> int:
    io.out(sh.host.fs.cwd + "\n")
    return 0


def cd(sh: Shell, args: list[str], io: IO) -> int:
    target = args[0] if args else sh.vars.get("HOME", "/")
    if sh.host.fs.kind(target) != "dir":
        io.err(f"sh: cd: can't cd to {target}: No such file or directory\n")
        return 2
    sh.host.fs.cwd = sh.host.fs.abspath(target)
    return 0


def mkdir(sh: Shell, args: list[str], io: IO) -> int:
    flags, paths = _flags(args)
    code = 0
    for path in paths:
        try:
            sh.host.fs.mkdir(path, parents="p" in flags)
        except FsError as exc:
            io.err(f"mkdir: can't create directory '{path}': {exc}\n")
            code = 1
    return code


def touch(sh: Shell, args: list[str], io: IO) -> int:
    code = 0
    for path in _flags(args)[1]:
        if sh.host.fs.kind(path) is None:
            try:
                sh.host.fs.write(path, b"")
            except FsError as exc:
                io.err(f"touch: {path}: {exc}\n")
                code = 1
    return code


def rm(sh: Shell, args: list[str], io: IO) -> int:
    flags, paths = _flags(args)
    code = 0
    for path in paths:
        try:
            sh.host.fs.remove(path, recursive="r" in flags or "R" in flags)
        except FsError as exc:
            if "f" in flags and sh.host.fs.kind(path) is None:
                continue
            io.err(f"rm: can't remove '{path}': {exc}\n")
            code = 1
    return code


def grep(sh: Shell, args: list[str], io: IO) -> int:
    flags, rest = _flags(args)
    if not rest:
        io.err("grep: no pattern given\n")
        return 2
    pattern, files = rest[0], rest[1:]
    try:
        regex = re.compile(pattern, re.IGNORECASE if "i" in flags else 0)
    except re.error as exc:
        io.err(f"grep: bad regex '{pattern}': {exc}\n")
        return 2
    texts = []
    for path in files or [None]:
        try:
            texts.append(io.stdin if path is None else sh.host.fs.read(path).decode())
        except FsError as exc:
            io.err(f"grep: {path}: {exc}\n")
    hits = [line for text in texts for line in text.splitlines()
            if bool(regex.search(line)) != ("v" in flags)]
    if "q" not in flags:
        io.out(f"{len(hits)}\n" if "c" in flags else "".join(f"{h}\n" for h in hits))
    return 0 if hits else 1


def wget(sh: Shell, args: list[str], io: IO) -> int:
    """The toolbox's wget (assets/images/toolbox/.../wget): -q, -S, -O FILE|-, -T SEC,
    --spider, --timeout=, --output-document=; plain http:// only; exit 0 on 2xx.
    Redirects are not followed (no game image sends one)."""
    quiet = spider = headers = False
    out, timeout, url = "", "30", ""
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg in ("--spider", "--quiet", "--server-response"):
            spider, quiet, headers = (spider or arg == "--spider", quiet or arg == "--quiet",
                                      headers or arg == "--server-response")
        elif arg.startswith(("--timeout=", "--output-document=")):
            key, _, value = arg.partition("=")
            timeout, out = (value, out) if key == "--timeout" else (timeout, value)
        elif arg in ("--timeout", "--output-document"):
            if not rest or not rest[0]:
                io.err(f"wget: option {arg} needs a value\n")
                return 1
            value = rest.pop(0)
            timeout, out = (value, out) if arg == "--timeout" else (timeout, value)
        elif arg == "--":
            url = rest[0] if rest else ""
            break
        elif arg.startswith("--"):
            io.err(f"wget: unsupported option {arg}\n")
            return 1
        elif arg.startswith("-") and len(arg) > 1:
            flags = arg[1:]  # clustered short options: -qO- is -q -O -
            while flags:
                flag, flags = flags[0], flags[1:]
                if flag in "qS":
                    quiet, headers = quiet or flag == "q", headers or flag == "S"
                elif flag in "OT":
                    if not flags:
                        if not rest or not rest[0]:
                            io.err(f"wget: option -{flag} needs a value\n")
                            return 1
                        flags = rest.pop(0)
                    out, timeout = (flags, timeout) if flag == "O" else (out, flags)
                    flags = ""
                else:
                    io.err(f"wget: unsupported option -{flag}\n")
                    return 1
        else:
            url = arg
    if not url:
        io.err("usage: wget [-q] [-S] [-O FILE|-] [-T SEC] [--spider] "
               "http://HOST[:PORT][/PATH]\n")
        return 1
    if not timeout.isdigit():
        io.err(f"wget: bad timeout '{timeout}'\n")
        return 1
    if "://" in url and not url.startswith("http://"):
        io.err(f"wget: only http:// URLs are supported here: {url}\n")
        return 1
    rest_url = url.removeprefix("http://")
    hostport = rest_url.split("/", 1)[0]
    path = rest_url[len(hostport):] or "/"
    host, _, port = hostport.rpartition(":") if ":" in hostport else (hostport, "", "80")
    if not host or not port.isdigit():
        io.err(f"wget: bad address '{url}'\n")
        return 1
    if not quiet:
        io.err(f"Connecting to {hostport}\n")
    try:
        answer = sh.host.http_get(host, int(port), path, float(timeout))
    except NetError as exc:
        if exc.kind == "bad address":
            io.err(f"wget: bad address '{host}'\n")
        elif exc.kind == "timeout":
            io.err("wget: download timed out\n")
        elif exc.kind == "no answer":
            io.err(f"wget: no answer from {hostport}\n")
        else:
            io.err(f"wget: can't connect to remote host ({host}): {exc}\n")
        return 1
    if headers:
        io.err("".join(f"  {k}: {v}\n" for k, v in answer.headers) + f"  {answer.status_line}\n")
    if not 200 <= answer.status < 300:
        io.err(f"wget: server returned error: {answer.status_line}\n")
        return 1
    if spider:
        if not quiet:
            io.err("remote file exists\n")
        return 0
    if not out:
        out = posixpath.basename(path.split("?", 1)[0]) or "index.html"
        if not quiet:
            io.err(f"saving to '{out}'\n")
    if out == "-":
        io.out(answer.body.decode(errors="replace"))
        return 0
    try:
        sh.host.fs.write(out, answer.body)
    except FsError as exc:
        io.err(f"sh: can't create {out}: {exc}\n")
        return 1
    return 0


def nc(sh: Shell, args: list[str], io: IO) -> int:
    """busybox nc, port-check only: `nc -z [-v] [-w SECONDS] HOST PORT`.

    Without -z it behaves as with it: the sim has no stdin to send.
    """
    verbose, timeout = False, sh.host.net_timeout
    rest: list[str] = []
    it = iter(args)
    for arg in it:
        if arg.startswith("-") and len(arg) > 1:
            verbose = verbose or "v" in arg
            if arg.endswith("w"):
                timeout = float(next(it, "1"))
        else:
            rest.append(arg)
    if len(rest) != 2 or not rest[1].isdigit():
        io.err("nc: usage: nc -z [-v] [-w SECONDS] HOST PORT\n")
        return 1
    host, port = rest[0], int(rest[1])
    try:
        sh.host.tcp_connect(host, port, timeout)
    except NetError as exc:
        if exc.kind == "bad address":
            io.err(f"nc: bad address '{host}'\n")
        else:
            io.err(f"nc: can't connect to remote host ({host}): {exc}\n")
        return 1
    if verbose:
        io.err(f"{host} ({host}:{port}) open\n")
    return 0


def export(sh: Shell, args: list[str], io: IO) -> int:
    for arg in args:
        name, eq, value = arg.partition("=")
        if eq:
            sh.vars[name] = value
    return 0


def set_options(sh: Shell, args: list[str], io: IO) -> int:
    flags, _ = _flags(args)
    sh.errexit = sh.errexit or "e" in flags
    return 0


# Executables on the image's PATH (usable in exec form and in scripts).
BUILTINS: dict[str, Command] = {
    "echo": echo, "cat": cat, "ls": ls, "test": test, "[": bracket,
    "hostname": hostname, "env": env, "printenv": printenv, "pwd": pwd,
    "mkdir": mkdir, "touch": touch, "rm": rm, "grep": grep, "wget": wget, "nc": nc,
    "true": lambda sh, args, io: 0, "false": lambda sh, args, io: 1,
}
# Only inside a shell (`sh -c`): they change the shell itself.
SHELL_BUILTINS: dict[str, Command] = {
    "cd": cd, "export": export, "set": set_options, ":": lambda sh, args, io: 0,
}
