"""The commands the docs tell users to run: each scenario script's docstring commands, and the
``make`` targets the README names, in their short forms. Each runs as a subprocess with a
``HOME`` of its own whose Brownie network list puts the local chains on free ports (see
:func:`tests.docs.docblocks.isolated_env`), so that no subprocess meets a test worker's chain.

Targets not run, and why, are listed in ``MAKE_NOT_RUN``; commands marked in a docstring with
``# not run by the docs test: <reason>`` are skipped with that reason. Both are printed.
"""

from __future__ import annotations

import time

import pytest

from tests.docs import docblocks

SCRIPTS = sorted((docblocks.ROOT / "scripts").glob("*.py"))
COMMANDS = [command for script in SCRIPTS for command in docblocks.docstring_commands(script)]
RUN = [c for c in COMMANDS if c.skipped is None]

#: The README's make targets run here, each in a short form, with its time limit in seconds.
MAKE_SHORT_FORMS = {
    "bench": ("make bench BENCHES='bench/envelope.py bench/pre.py' BENCH_ARGS=--quick", 300),
    "test-anvil": ("make test-anvil TESTS=tests/contracts/test_merkle_inclusion.py PY_TESTS= TEST_WORKERS=0", 600),
}
#: The README's make targets not run here, and why.
MAKE_NOT_RUN = {
    "demo": "the whole demo (minutes); its main() runs in tests/e2e/test_demo.py with small keys",
    "test": "the whole suite, of which this test is a part",
    "lint": "make test ends by running make lint itself, the same command",
    "test-forge": "make test runs make test-forge itself, the same command, over every campaign",
    "lock": "rewrites requirements.lock from the environment",
    "clean": "deletes the environment the tests run in",
    "setup": "a prerequisite of every target run here (lint, bench)",
}


def test_every_make_target_the_readme_names_is_run_or_listed_with_a_reason():
    named = docblocks.make_targets_named(docblocks.ROOT / "README.md")
    print(f"\nmake targets named in the README: {sorted(named)}")
    for target, reason in sorted(MAKE_NOT_RUN.items()):
        print(f"  not run: make {target}: {reason}")
    assert named <= set(MAKE_SHORT_FORMS) | set(MAKE_NOT_RUN)
    assert {"bench", "test-anvil"} <= set(MAKE_SHORT_FORMS)


def test_every_scenario_script_documents_a_command():
    print(f"\nscenario commands: {len(RUN)} run, {len(COMMANDS) - len(RUN)} skipped")
    for command in COMMANDS:
        if command.skipped is not None:
            print(f"  skipped `{command.command}` ({command.script.name}): {command.skipped}")
    assert {c.script for c in COMMANDS} == set(SCRIPTS)


@pytest.mark.parametrize("command", RUN, ids=lambda c: c.command)
def test_scenario_command_runs_and_exits_0(command, tmp_path):
    start = time.monotonic()
    done = docblocks.run_command(command.command, docblocks.isolated_env(tmp_path), timeout_s=300)
    print(f"\n`{command.command}`: exit {done.returncode} in {time.monotonic() - start:.0f} s")
    assert done.returncode == 0, (
        f"`{command.command}` exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize("target", sorted(MAKE_SHORT_FORMS))
def test_make_target_short_form_runs_and_exits_0(target, tmp_path):
    command, timeout_s = MAKE_SHORT_FORMS[target]
    start = time.monotonic()
    done = docblocks.run_command(command, docblocks.isolated_env(tmp_path), timeout_s=timeout_s)
    print(f"\n`{command}`: exit {done.returncode} in {time.monotonic() - start:.0f} s")
    assert done.returncode == 0, f"`{command}` exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
