"""Install the project's start-up hook into the running virtual environment.

Writes ``<site-packages>/datashare-toolkit.pth`` with two lines: the project root (so that
``import offchain`` works from any folder) and a call to :func:`offchain.toolchain.activate`,
which points py-solc-x at the project's solc-js and puts ``node_modules/.bin`` on ``PATH``.
Run by ``make setup``; safe to run again (the file is rewritten atomically).
"""

from __future__ import annotations

import os
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PTH_NAME = "datashare-toolkit.pth"


def main() -> int:
    if sys.prefix == sys.base_prefix:
        print("error: run this with the project's virtual environment's python (.venv/bin/python)", file=sys.stderr)
        return 1
    site_packages = Path(sysconfig.get_paths()["purelib"])
    content = f"{ROOT}\nimport offchain.toolchain; offchain.toolchain.activate()\n"
    target = site_packages / PTH_NAME
    fd, tmp = tempfile.mkstemp(dir=site_packages, prefix=f".{PTH_NAME}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
    os.replace(tmp, target)
    print(f"installed {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
