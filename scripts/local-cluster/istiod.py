# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""A stand-in for istiod's admission webhooks on the local cluster.

istiod 1.30 cannot be built here (its module versions are not served), and KWOK runs no pod, yet
the API server calls istiod's webhooks for every pod created in an injected namespace and for every
Istio resource: with nobody answering, `failurePolicy: Fail` refuses the pods, which is not what
a cluster with a working istiod does. So this answers them, as istiod does:

- it serves HTTPS where the API server calls the webhook: the istiod Service's cluster address
  (on the local cluster a loopback address) and port 443, with a certificate for
  istiod.istio-system.svc from a CA of its own, and patches that CA into the webhook
  configurations' caBundle, as istiod patches its own;
- /inject: the injection istiod's default templates make, in their shape: for the sidecar
  template the istio-init init container, the istio-proxy container with Istio's default
  requests (100m CPU, 128Mi), the sidecar.istio.io/status annotation and the tlsMode and
  canonical-name labels; for the gateway template (inject.istio.io/templates: gateway) the
  proxy image in place of `image: auto`;
- /validate: allowed (istiod validates against the CRD schemas, which the API server already
  enforces; the offline tests validate the rendered resources with istioctl's schemas' source).

Binding port 443 needs root (or net.ipv4.ip_unprivileged_port_start=443); without it the
webhooks fail as they would with istiod down, and the log says why.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PROXY_IMAGE = "docker.io/istio/proxyv2:1.30.3"
NAMESPACE = "istio-system"
SERVICE = "istiod"
WEBHOOK_PORT = 443
# Istio's global.proxy.resources defaults (manifests/charts/istio-control/istio-discovery/values.yaml).
PROXY_RESOURCES = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "2000m", "memory": "1024Mi"}}
INIT_RESOURCES = {"requests": {"cpu": "10m", "memory": "40Mi"}, "limits": {"cpu": "2000m", "memory": "1024Mi"}}


def make_certificates(folder):
    """A CA and a serving certificate for istiod's Service names; returns (ca_pem, cert_path, key_path)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    os.makedirs(folder, mode=0o700, exist_ok=True)
    cert_path, key_path, ca_path = (os.path.join(folder, name) for name in ("tls.crt", "tls.key", "ca.crt"))
    if all(os.path.exists(path) for path in (cert_path, key_path, ca_path)):
        with open(ca_path, "rb") as handle:
            return handle.read(), cert_path, key_path
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "boutique.ops local cluster"),
                         x509.NameAttribute(NameOID.COMMON_NAME, "istiod stand-in CA")])
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    names = ["%s.%s.svc" % (SERVICE, NAMESPACE), "%s.%s.svc.cluster.local" % (SERVICE, NAMESPACE)]
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name) for name in names]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    with open(ca_path, "wb") as handle:
        handle.write(ca_pem)
    with open(cert_path, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return ca_pem, cert_path, key_path


def _escape(key):
    return key.replace("~", "~0").replace("/", "~1")


def injection_patch(pod, namespace):
    """The JSON patch istiod's injection makes for `pod` (see the module docstring), or [] when none."""
    meta = pod.get("metadata", {})
    spec = pod.get("spec", {})
    labels = meta.get("labels") or {}
    annotations = meta.get("annotations") or {}
    if annotations.get("sidecar.istio.io/status") or labels.get("sidecar.istio.io/inject") == "false":
        return []
    patch = []
    if "annotations" not in meta:
        patch.append({"op": "add", "path": "/metadata/annotations", "value": {}})
    if "labels" not in meta:
        patch.append({"op": "add", "path": "/metadata/labels", "value": {}})
    if annotations.get("inject.istio.io/templates") == "gateway":
        for index, container in enumerate(spec.get("containers", [])):
            if container.get("image") == "auto":
                patch.append({"op": "replace", "path": "/spec/containers/%d/image" % index, "value": PROXY_IMAGE})
        status = {"initContainers": None, "containers": ["istio-proxy"], "volumes": [], "imagePullSecrets": None, "revision": "default"}
    else:
        app = labels.get("app.kubernetes.io/name") or labels.get("app") or meta.get("generateName", "pod").rstrip("-")
        proxy = {
            "name": "istio-proxy", "image": PROXY_IMAGE, "args": ["proxy", "sidecar"],
            "ports": [{"containerPort": 15090, "name": "http-envoy-prom", "protocol": "TCP"}],
            "resources": PROXY_RESOURCES,
            "securityContext": {"runAsUser": 1337, "runAsGroup": 1337, "runAsNonRoot": True, "readOnlyRootFilesystem": True,
                                "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
        }
        init = {
            "name": "istio-init", "image": PROXY_IMAGE, "args": ["istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337"],
            "resources": INIT_RESOURCES,
            "securityContext": {"runAsUser": 0, "runAsNonRoot": False, "allowPrivilegeEscalation": False,
                                "capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]}},
        }
        patch.append({"op": "add", "path": "/spec/containers/-", "value": proxy})
        if "initContainers" in spec:
            patch.append({"op": "add", "path": "/spec/initContainers/0", "value": init})
        else:
            patch.append({"op": "add", "path": "/spec/initContainers", "value": [init]})
        for key, value in (("security.istio.io/tlsMode", "istio"), ("service.istio.io/canonical-name", app),
                           ("service.istio.io/canonical-revision", labels.get("version", "latest"))):
            patch.append({"op": "add", "path": "/metadata/labels/" + _escape(key), "value": value})
        status = {"initContainers": ["istio-init"], "containers": ["istio-proxy"], "volumes": [], "imagePullSecrets": None,
                  "revision": "default"}
    patch.append({"op": "add", "path": "/metadata/annotations/" + _escape("sidecar.istio.io/status"),
                  "value": json.dumps(status, sort_keys=True)})
    return patch


def review_answer(review, path):
    """The AdmissionReview answer to `review` for the webhook at `path`."""
    request = review.get("request") or {}
    response = {"uid": request.get("uid", ""), "allowed": True}
    if path.startswith("/inject") and request.get("kind", {}).get("kind") == "Pod":
        patch = injection_patch(request.get("object") or {}, request.get("namespace", ""))
        if patch:
            response["patchType"] = "JSONPatch"
            response["patch"] = base64.b64encode(json.dumps(patch).encode()).decode()
    return {"apiVersion": review.get("apiVersion", "admission.k8s.io/v1"), "kind": "AdmissionReview", "response": response}


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802  pylint: disable=invalid-name
        length = min(int(self.headers.get("Content-Length") or 0), 8 * 1024 * 1024)
        try:
            review = json.loads(self.rfile.read(length))
        except ValueError:
            self.send_error(400)
            return
        body = json.dumps(review_answer(review, self.path)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.answered += 1

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        return


def _serve(address, cert_path, key_path):
    server = ThreadingHTTPServer((address, WEBHOOK_PORT), _Handler)
    server.answered = 0
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.5}, daemon=True).start()
    return server


def _patch_ca_bundles(cluster, ca_b64):
    """Put our CA into every webhook that calls istiod, as istiod does for its own webhooks."""
    patched = 0
    for kind, lister, patcher in (
            ("mutating", cluster.admission.list_mutating_webhook_configuration, cluster.admission.patch_mutating_webhook_configuration),
            ("validating", cluster.admission.list_validating_webhook_configuration, cluster.admission.patch_validating_webhook_configuration)):
        for config in lister(_request_timeout=10).items:
            ops = []
            for index, hook in enumerate(config.webhooks or []):
                service = hook.client_config.service
                if service is None or service.namespace != NAMESPACE or not service.name.startswith(SERVICE):
                    continue
                if hook.client_config.ca_bundle != ca_b64:
                    ops.append({"op": "add", "path": "/webhooks/%d/clientConfig/caBundle" % index, "value": ca_b64})
            if ops:
                patcher(config.metadata.name, ops, _request_timeout=10)
                patched += 1
                print("istiod stand-in: caBundle patched into %s webhook configuration %s" % (kind, config.metadata.name), flush=True)
    return patched


def run(cluster, folder, stop, poll=1.0):
    """Serve istiod's webhooks at its Service's address once it exists; keep their caBundle ours."""
    ca_pem, cert_path, key_path = make_certificates(folder)
    ca_b64 = base64.b64encode(ca_pem).decode()
    server, address, warned = None, None, False
    while not stop.is_set():
        try:
            wanted = cluster.service_ip(NAMESPACE, SERVICE)
            if wanted and wanted != address:
                if server is not None:
                    server.shutdown()
                    server.server_close()
                    server = None
                try:
                    server = _serve(wanted, cert_path, key_path)
                    address = wanted
                    print("istiod stand-in: webhooks served at https://%s:%d" % (wanted, WEBHOOK_PORT), flush=True)
                except OSError as error:
                    if not warned:
                        print("istiod stand-in: cannot listen on %s:%d (%s): binding port 443 needs root or "
                              "sysctl net.ipv4.ip_unprivileged_port_start=443; Istio's webhooks will fail as with istiod down"
                              % (wanted, WEBHOOK_PORT, error), flush=True)
                        warned = True
            if address:
                _patch_ca_bundles(cluster, ca_b64)
        except Exception as error:  # pylint: disable=broad-except  # the API server restarting: try again
            print("istiod stand-in: %s" % error, flush=True)
        stop.wait(poll)
    if server is not None:
        server.shutdown()
        server.server_close()
