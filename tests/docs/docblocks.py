"""Finding the runnable examples of the user-facing docs, and running them for real.

Markers (HTML comments, invisible on GitHub), on the line right before a ```python block:

* ``<!-- example: illustrative (reason) -->``: the block is not run; the reason is printed.
* ``<!-- example: preamble tests/docs/preambles/<name>.py -->``: that file runs first, in the
  block's own namespace (script blocks) or in the console (console blocks), and sets up the
  names the block assumes (``file_id``, ``hospital``, ...).

A block whose lines start with ``>>> `` is console-style: it runs in a real ``brownie console``.
Any other block is script-style: it runs in the Brownie session of the tests, on Ganache.

In a script block, a one-line expression followed by a ``# True`` comment must evaluate to a
true value (the README says so; the test checks it).

Scenario scripts list their commands in their module docstring, one per line, each starting
with ``brownie run`` or ``python``; a command whose trailing comment starts with
``# not run by the docs test:`` is skipped, with the rest of that comment as its reason.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pexpect
import yaml

from offchain.services.local import free_port

ROOT = Path(__file__).resolve().parents[2]
#: The user-facing documents whose ```python blocks are run.
DOCS = (ROOT / "README.md",)

_FENCE = re.compile(r"^```(\w*)\s*$")
_MARKER = re.compile(r"^<!--\s*example:\s*(illustrative|preamble)\s*(.*?)\s*-->\s*$")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\r")
_NOT_RUN = "# not run by the docs test:"


@dataclass(frozen=True)
class Block:
    """One fenced ```python block of a document."""

    doc: Path
    line: int  # 1-based line of the opening fence
    source: str
    illustrative: str | None  # the reason, for a block marked illustrative
    preamble: Path | None

    @property
    def console(self) -> bool:
        """Whether the block is console-style (``>>> `` lines)."""
        return self.source.lstrip().startswith(">>>")

    @property
    def id(self) -> str:
        return f"{self.doc.name}:{self.line}"

    def console_lines(self) -> list[str]:
        """The statements of a console block, ``... `` continuations joined to their line."""
        statements: list[str] = []
        for raw in self.source.splitlines():
            if raw.startswith(">>> "):
                statements.append(raw[4:])
            elif raw.startswith("... ") and statements:
                statements[-1] += "\n" + raw[4:]
        return statements


def python_blocks(doc: Path) -> list[Block]:
    """Every ```python block of ``doc``, with its marker if the line before it has one."""
    lines = doc.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if not fence:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and not _FENCE.match(lines[end]):
            end += 1
        if fence.group(1) == "python":
            marker = _MARKER.match(lines[index - 1]) if index else None
            illustrative = preamble = None
            if marker and marker.group(1) == "illustrative":
                illustrative = marker.group(2).strip("() ") or "no reason given"
            elif marker:
                preamble = ROOT / marker.group(2)
            blocks.append(Block(doc, index + 1, "\n".join(lines[index + 1 : end]), illustrative, preamble))
        index = end + 1
    return blocks


def all_blocks() -> list[Block]:
    return [block for doc in DOCS for block in python_blocks(doc)]


@dataclass(frozen=True)
class Command:
    """A command from a scenario script's docstring."""

    script: Path
    command: str
    skipped: str | None  # the reason, for a command marked not run


def docstring_commands(script: Path) -> list[Command]:
    """The ``brownie run`` and ``python`` commands listed in ``script``'s module docstring."""
    docstring = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8"))) or ""
    commands = []
    for raw in docstring.splitlines():
        line = raw.strip()
        if not re.match(r"^([A-Z_]+=\S+\s+)*(brownie run|python) ", line):
            continue
        command, _, comment = line.partition("#")
        reason = None
        if ("#" + comment).startswith(_NOT_RUN):
            reason = ("#" + comment)[len(_NOT_RUN) :].strip()
        commands.append(Command(script, command.strip(), reason))
    return commands


def make_targets_named(doc: Path) -> set[str]:
    """Every ``make <target>`` the document names."""
    return set(re.findall(r"`make ([a-z][a-z-]*)", doc.read_text(encoding="utf-8")))


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def isolated_env(home: Path) -> dict[str, str]:
    """The environment for a Brownie subprocess whose local chains do not meet the tests' own.

    Brownie reads its network list from ``~/.brownie/network-config.yaml``: the subprocess gets
    a ``HOME`` of its own whose ``.brownie`` links everything of the real one except that file,
    rewritten so that ``ganache-cli``, ``anvil`` and ``development`` listen on free ports. (Under
    ``make test`` worker k's chain is on port 8545 + k, so Brownie's defaults would attach a
    subprocess to a worker's chain.) A port set in the project's brownie-config.yaml still wins.
    """
    real = Path.home() / ".brownie"
    data = home / ".brownie"
    data.mkdir(parents=True, exist_ok=True)
    for entry in real.iterdir():
        if entry.name not in ("network-config.yaml", ".history") and not (data / entry.name).exists():
            (data / entry.name).symlink_to(entry)
    config = yaml.safe_load((real / "network-config.yaml").read_text(encoding="utf-8"))
    for network in config.get("development", []):
        if network.get("id") in ("ganache-cli", "anvil", "development") and "cmd_settings" in network:
            network["cmd_settings"]["port"] = free_port()
    (data / "network-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    env = dict(os.environ)
    env["HOME"] = str(home)
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    for inherited in ("PYTEST_XDIST_WORKER", "PYTEST_CURRENT_TEST", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"):
        env.pop(inherited, None)  # a nested `make` must not take the outer one's variables
    return env


def run_command(command: str, env: dict[str, str], timeout_s: float) -> subprocess.CompletedProcess[str]:
    """Run a documented shell command from the project root with the project's venv first on PATH."""
    return subprocess.run(
        ["bash", "-c", command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


class ExampleFailed(AssertionError):
    """An example of the docs raised, or its console printed an error."""


#: What Brownie's console prints for an exception: the last line of its traceback.
_CONSOLE_ERROR = re.compile(r"(?m)^\s*(Traceback \(most recent call last\)|[A-Za-z_][\w.]*(Error|Exception|Exit)\b:?)")


class BrownieConsole:
    """A real ``brownie console --network ganache-cli`` in a pseudo-terminal (pexpect).

    Each statement is typed as a user types it; a sentinel printed after it (built by string
    concatenation, so its echo never matches) marks the end of its output.
    """

    def __init__(self, env: dict[str, str], *, timeout_s: float = 120) -> None:
        self.timeout_s = timeout_s
        self.child = pexpect.spawn(
            str(ROOT / ".venv" / "bin" / "brownie"),
            ["console", "--network", "ganache-cli"],
            cwd=str(ROOT),
            env=env,
            encoding="utf-8",
            codec_errors="replace",
            dimensions=(50, 400),
            timeout=timeout_s,
        )
        self._count = 0
        self.child.expect(">>>", timeout=timeout_s)
        self.banner = strip_ansi(self.child.before or "")

    def run(self, statement: str) -> str:
        """Type ``statement``, wait for its output, and return it (colours stripped)."""
        self._count += 1
        token = f"{self._count:06d}"
        for index, line in enumerate(statement.splitlines()):
            self.child.send(line + "\r")
            if index < len(statement.splitlines()) - 1:
                self.child.expect(r"\.\.\.", timeout=self.timeout_s)
        if "\n" in statement:
            self.child.send("\r")  # close the compound statement
        self.child.send(f'print("@@done-" + "{token}@@")\r')
        self.child.expect(f"@@done-{token}@@", timeout=self.timeout_s)
        return strip_ansi(self.child.before or "")

    def run_checked(self, statement: str, where: str) -> str:
        """:meth:`run`, raising ExampleFailed if the console printed an exception."""
        output = self.run(statement)
        found = _CONSOLE_ERROR.search(output)
        if found:
            raise ExampleFailed(f"{where}: `{statement}` failed in brownie console:\n{output.strip()}")
        return output

    def close(self) -> None:
        if self.child.isalive():
            self.child.sendline("exit()")
            self.child.expect(pexpect.EOF, timeout=60)
        self.child.close(force=True)


def run_console_block(console: BrownieConsole, block: Block) -> list[str]:
    """Run ``block`` (console-style) statement by statement after its preamble; the outputs."""
    if block.preamble is not None:
        console.run_checked(f"exec(open({str(block.preamble)!r}).read())", f"{block.id} preamble")
    return [console.run_checked(statement, block.id) for statement in block.console_lines()]


_SAYS_TRUE = re.compile(r"^(?P<expr>\S.*?)\s+#\s*True\b")


def checked_source(source: str) -> str:
    """``source`` with every one-line expression the docs annotate ``# True`` made an assertion."""
    lines = []
    for line in source.splitlines():
        says = _SAYS_TRUE.match(line)
        if says:
            try:
                ast.parse(says.group("expr"), mode="eval")
            except SyntaxError:
                says = None
        lines.append(f"assert {says.group('expr')}, {line.strip()!r}" if says else line)
    return "\n".join(lines)


def run_script_block(block: Block, namespace: dict[str, object]) -> dict[str, object]:
    """Run ``block`` (script-style) after its preamble in ``namespace``; the namespace after.

    A line the docs annotate ``# True`` must evaluate to a true value.
    """
    if block.preamble is not None:
        exec(compile(block.preamble.read_text(encoding="utf-8"), str(block.preamble), "exec"), namespace)
    try:
        exec(compile(checked_source(block.source), block.id, "exec"), namespace)
    except Exception as exc:
        raise ExampleFailed(f"{block.id} raised {type(exc).__name__}: {exc}") from exc
    return namespace
