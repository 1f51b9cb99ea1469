"""Install the project's start-up hook into the running virtual environment.

Writes ``<site-packages>/datashare-toolkit.pth`` with two lines: the project root (so that
``import offchain`` works from any folder) and a line that runs :func:`offchain.toolchain.activate`,
which points py-solc-x at the project's solc-js and puts ``node_modules/.bin`` on ``PATH``.
The module is loaded from its file under a private name, so the ``offchain`` package itself is
not imported at start-up (a checkout in the current folder still wins over this one).
It also writes the package's console script, ``<venv>/bin/datashare`` (what ``pip install``
would make of ``[project.scripts]``), which runs :func:`offchain.cli.main`.
Run by ``make setup``; safe to run again (the files are rewritten atomically).
"""

from __future__ import annotations

import os
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PTH_NAME = "datashare-toolkit.pth"


def _write_atomically(target: Path, content: str, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
    os.chmod(tmp, mode)
    os.replace(tmp, target)


def main() -> int:
    if sys.prefix == sys.base_prefix:
        print("error: run this with the project's virtual environment's python (.venv/bin/python)", file=sys.stderr)
        return 1
    site_packages = Path(sysconfig.get_paths()["purelib"])
    toolchain = ROOT / "offchain" / "toolchain.py"
    loader = (
        "import importlib.util as _u; "
        f"_s = _u.spec_from_file_location('_datashare_toolchain', {str(toolchain)!r}); "
        "_m = _u.module_from_spec(_s); _s.loader.exec_module(_m); _m.activate(); del _u, _s, _m"
    )
    content = f"{ROOT}\n{loader}\n"
    target = site_packages / PTH_NAME
    _write_atomically(target, content, 0o644)
    print(f"installed {target}")
    script = Path(sysconfig.get_paths()["scripts"]) / "datashare"
    _write_atomically(
        script,
        f"#!{sys.executable}\nimport sys\n\nfrom offchain.cli import main\n\nsys.exit(main())\n",
        0o755,
    )
    print(f"installed {script}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
