"""The README's examples are tests: every ```python block of the user-facing docs runs.

How (see tests/docs/docblocks.py for the markers):

* Console-style blocks (``>>>`` lines) run in ONE real ``brownie console --network ganache-cli``
  for the module, in a pseudo-terminal (pexpect), statement by statement as a user types them;
  a statement fails when the console prints an exception.
* Script-style blocks run in the Brownie session of the tests (Ganache), each in a namespace of
  its own, after the preamble the block's marker names
  (``<!-- example: preamble tests/docs/preambles/<name>.py -->``): the preamble sets up the few
  names the block assumes (``file_id``, ``hospital``, ``contract``...).
* A block marked ``<!-- example: illustrative (reason) -->`` is skipped explicitly; the count
  of such blocks and their reasons are printed (``-s`` shows them).
* A copy of the README with an example broken on purpose must fail the same runners.

The console runs on a chain of its own: its ``HOME`` holds a ``.brownie`` whose network list
puts Ganache on a free port (unless the project's brownie-config.yaml pins one).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.docs import docblocks
from tests.docs.docblocks import Block, BrownieConsole, ExampleFailed

BLOCKS = docblocks.all_blocks()
CONSOLE_BLOCKS = [b for b in BLOCKS if b.console and b.illustrative is None]
SCRIPT_BLOCKS = [b for b in BLOCKS if not b.console and b.illustrative is None]
ILLUSTRATIVE = [b for b in BLOCKS if b.illustrative is not None]


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    """One real ``brownie console`` for every console block of the module."""
    session = BrownieConsole(docblocks.isolated_env(tmp_path_factory.mktemp("console-home")))
    yield session
    session.close()


@pytest.fixture
def restore_cwd():
    """Preambles may work in a folder of their own; the tests go on where they were."""
    before = os.getcwd()
    yield
    os.chdir(before)


def test_the_readme_has_python_examples_and_each_is_run_or_marked_illustrative():
    print(
        f"\nREADME examples: {len(BLOCKS)} python blocks; {len(CONSOLE_BLOCKS)} run in brownie console, "
        f"{len(SCRIPT_BLOCKS)} as scripts, {len(ILLUSTRATIVE)} skipped as illustrative"
    )
    for block in ILLUSTRATIVE:
        print(f"  skipped {block.id}: {block.illustrative}")
    assert CONSOLE_BLOCKS and SCRIPT_BLOCKS
    assert len(CONSOLE_BLOCKS) + len(SCRIPT_BLOCKS) + len(ILLUSTRATIVE) == len(BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.id)
def test_every_preamble_named_exists(block: Block):
    assert block.preamble is None or block.preamble.is_file(), f"{block.id}: no preamble {block.preamble}"


@pytest.mark.parametrize("block", CONSOLE_BLOCKS, ids=lambda b: b.id)
def test_console_block_runs_in_brownie_console(console, block: Block):
    outputs = docblocks.run_console_block(console, block)
    assert len(outputs) == len(block.console_lines())


def test_files_of_takes_a_brownie_account_in_the_console(console):
    """The issue's own example: ``session.registry.files_of(accounts[1])`` as written."""
    preamble = docblocks.ROOT / "tests" / "docs" / "preambles" / "console_session.py"
    console.run_checked(f"exec(open({str(preamble)!r}).read())", "setup")
    output = console.run_checked("session.registry.files_of(accounts[1])", "the issue's example")
    assert "FileRegistration(file_id=" in output


@pytest.mark.parametrize("block", SCRIPT_BLOCKS, ids=lambda b: b.id)
def test_script_block_runs_in_a_brownie_session(block: Block, restore_cwd):
    namespace: dict[str, object] = {}
    docblocks.run_script_block(block, namespace)


# --- a broken example fails -------------------------------------------------------------------

BROKEN_README = """# A copy of the README with its examples broken on purpose

<!-- example: preamble tests/docs/preambles/console_session.py -->
```python
>>> session.registry.files_of(accounts[1])
>>> session.registry.get_file(file_id[:31])   # broken: a 31-byte id
```

<!-- example: preamble tests/docs/preambles/consortium_trace.py -->
```python
consortium = session.consortium
consortium.vote(sender=university, ballot_id=12345)   # broken: no such ballot
```

<!-- example: preamble tests/docs/preambles/merkle_anchor.py -->
```python
tree = MerkleTree.from_file("scan.dcm")
verify_inclusion(tree.root, tree.digest(3), tree.proof(4))     # True   (broken: another leaf's proof)
```

<!-- example: illustrative (shown, never run) -->
```python
this is not python
```
"""


@pytest.fixture
def broken_readme(tmp_path) -> Path:
    path = tmp_path / "README.md"
    path.write_text(BROKEN_README, encoding="utf-8")
    return path


def test_a_broken_console_example_fails_the_console_runner(console, broken_readme):
    block = next(b for b in docblocks.python_blocks(broken_readme) if b.console)
    with pytest.raises(ExampleFailed, match=r"README.md:4: `session.registry.get_file\(file_id\[:31\]\).*` failed"):
        docblocks.run_console_block(console, block)


def test_a_broken_script_example_fails_the_script_runner(broken_readme, restore_cwd):
    block = next(b for b in docblocks.python_blocks(broken_readme) if not b.console and not b.illustrative)
    with pytest.raises(ExampleFailed, match=r"README\.md:10 raised UnknownBallotError"):
        docblocks.run_script_block(block, {})


def test_a_broken_claim_of_a_script_example_fails_the_script_runner(broken_readme, restore_cwd):
    block = [b for b in docblocks.python_blocks(broken_readme) if not b.console and not b.illustrative][1]
    with pytest.raises(ExampleFailed, match=r"README\.md:16 raised AssertionError: verify_inclusion"):
        docblocks.run_script_block(block, {})


def test_an_illustrative_block_is_recognised_with_its_reason(broken_readme):
    illustrative = [b for b in docblocks.python_blocks(broken_readme) if b.illustrative]
    assert [b.illustrative for b in illustrative] == ["shown, never run"]
