#!/usr/bin/env bash
# ansible-test sanity on a copy of the collection at .../ansible_collections/boutique/ops
# (ansible-test needs that path and resolves symlinks, so the repo-root link will not do).
set -euo pipefail
cd "$(dirname "$0")/.."
python_version=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')

# Offline: ansible-test cannot download get-pip; give it the cached stand-in unless a real
# copy is already there. The file name follows the pip version ansible-test pins.
pip_version=$(python -c 'from ansible_test._internal.python_requirements import get_venv_packages as g
from ansible_test._internal.host_configs import NativePythonConfig as N
print(g(N(version="'"$python_version"'"))["pip"].replace(".", "_"))' 2>/dev/null || echo 24_2)
cache_dir="$HOME/.ansible/test/cache"
mkdir -p "$cache_dir"
[ -e "$cache_dir/get_pip_${pip_version}.py" ] || cp scripts/get_pip_offline.py "$cache_dir/get_pip_${pip_version}.py"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/boutique/ops"
mkdir -p "$dest"
git ls-files -z --cached --others --exclude-standard | grep -zv '^collections/' \
  | tar --null -T - -cf - | tar -xf - -C "$dest"
cd "$dest"
git init -q . && git add -A >/dev/null   # ansible-test limits sanity to files git knows
ansible-test sanity --python "$python_version" --color no "$@"
