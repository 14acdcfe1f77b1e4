# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Offline stand-in for ansible-test's cached get-pip bootstrap script.

ansible-test bootstraps pip in every sanity virtualenv by running get-pip.py, which it downloads
from a CI file server this network cannot reach. It first looks for a cached copy
(~/.ansible/test/cache/get_pip_<version>.py); scripts/sanity.sh installs this file there, only
when no real copy is present. It installs pip with ensurepip, then the packages it was asked
for from the package index, and honours --no-setuptools by removing setuptools again.
"""

from __future__ import annotations

import subprocess
import sys

DROPPED_OPTIONS = ("--no-setuptools", "--no-wheel")


def main():
    """Install pip and the requested packages into the running interpreter's environment."""
    args = sys.argv[1:]
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
    packages = [arg for arg in args if arg not in DROPPED_OPTIONS]
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet"] + packages)
    if "--no-setuptools" in args:
        subprocess.call([sys.executable, "-m", "pip", "uninstall", "--yes", "--quiet", "setuptools"])


if __name__ == "__main__":
    main()
