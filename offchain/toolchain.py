"""Where the project's pinned tools live, and how Brownie is pointed at them.

The project never downloads a compiler or a binary at run time. ``make setup`` installs
the npm packages pinned in ``package-lock.json`` into ``node_modules/`` and links
``tools/solc-standard-json.js`` (solc-js behind the native ``solc`` command line that
py-solc-x drives) as ``.toolchain/solc/solc-v<version>``. It then writes a ``.pth`` file
into the virtual environment that calls :func:`activate` at interpreter start, so that
``brownie compile``, ``brownie test`` and ``brownie console`` find the compiler
(``SOLCX_BINARY_PATH``) and the local chains (``ganache-cli``, ``anvil`` on ``PATH``)
without any state in the user's home folder.

This module must stay cheap to import: it runs in every interpreter of the venv.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

__all__ = [
    "PROJECT_ROOT",
    "activate",
    "node_bin_dir",
    "solc_dir",
]

#: The project's root folder (the one holding ``brownie-config.yaml``).
PROJECT_ROOT: Path = Path(__file__).resolve().parent.parent


def node_bin_dir(root: Path = PROJECT_ROOT) -> Path:
    """Folder of the npm tools' executables (``ganache-cli``, ``anvil``, ``snarkjs``)."""
    return root / "node_modules" / ".bin"


def solc_dir(root: Path = PROJECT_ROOT) -> Path:
    """Folder py-solc-x searches for ``solc-v<version>`` executables."""
    return root / ".toolchain" / "solc"


def activate(root: Path = PROJECT_ROOT) -> None:
    """Point py-solc-x at the project's solc-js and put the npm tools on ``PATH``.

    Idempotent. An explicit ``SOLCX_BINARY_PATH`` set by the user wins. In a
    ``brownie console`` process it also adds the ``session`` helper (see
    :mod:`offchain.console`) to the console's namespace.

    Args:
        root: The project's root folder.
    """
    os.environ.setdefault("SOLCX_BINARY_PATH", str(solc_dir(root)))
    bin_dir = str(node_bin_dir(root))
    path = os.environ.get("PATH", "")
    if bin_dir not in path.split(os.pathsep):
        os.environ["PATH"] = bin_dir + (os.pathsep + path if path else "")
    # Brownie 1.22 calls its own deprecated rpc.snapshot/revert/sleep (from chain.* and its
    # background threads); the warnings are about Brownie's code, not the user's, and only add noise.
    warnings.filterwarnings("ignore", message=r"rpc\.\w+ should not be called directly")
    if _is_brownie_console(sys.argv):
        from offchain.console import install_console_helpers

        install_console_helpers()


def _is_brownie_console(argv: list[str]) -> bool:
    return len(argv) >= 2 and Path(argv[0]).name == "brownie" and argv[1] == "console"
