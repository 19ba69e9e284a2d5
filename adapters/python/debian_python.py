"""Runs an adapter under Debian's Python when the interpreter it was started with cannot see the
libraries: a pyenv, conda or venv `python3` first in PATH does not see Debian's python3-numpy,
python3-scipy, python3-sklearn or python3-torch, which live in /usr/bin/python3's dist-packages.
"""

import importlib.util
import os
import sys

DEBIAN_PYTHON = "/usr/bin/python3"


def require(*modules):
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if not missing:
        return
    here = os.path.realpath(sys.executable or "")
    if os.access(DEBIAN_PYTHON, os.X_OK) and here != os.path.realpath(DEBIAN_PYTHON):
        os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON] + sys.argv)
    packages = " ".join("python3-" + m for m in missing)
    sys.exit(f"{os.path.basename(sys.argv[0])}: Python module(s) {', '.join(missing)} not found "
             f"(apt-get install {packages})")
