#!/usr/bin/env bash
# Scaffolding for tests/test_container.py: make sure a Docker daemon answers and a base
# image is at hand, then print that image's name. Idempotent; a second run takes a second.
#
# The base is, in order: the local image built here before (cached); python:3.12-slim, the
# Dockerfile's own base, where a registry is reachable; else a Debian bookworm built with
# debootstrap, for machines with no registry (see ENVIRONMENT.md, "Containers"). None of
# this belongs in the Dockerfile.
#
# Exits non-zero, with the reason on stderr, when Docker cannot be set up here.
set -euo pipefail

LOCAL_BASE=localhost/debian-py:bookworm
SLIM_BASE=python:3.12-slim

fail() { echo "$*" >&2; exit 1; }
as_root() { [ "$(id -u)" = 0 ] || fail "$1 needs root"; }
apt_install() {
    as_root "installing $1"
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$1"; } >&2 \
        || fail "apt-get could not install $1"
}

ensure_daemon() {
    docker info >/dev/null 2>&1 && return
    command -v dockerd >/dev/null || apt_install docker.io
    as_root "starting dockerd"
    # No bridge or iptables: containers run with --network host. Detached from our pipes,
    # so the caller is not left waiting for the daemon's output.
    setsid dockerd --bridge=none --iptables=false \
        </dev/null >"${TMPDIR:-/tmp}/tradestats-dockerd.log" 2>&1 &
    for _ in $(seq 50); do
        docker info >/dev/null 2>&1 && return
        sleep 0.2
    done
    fail "dockerd did not start; see ${TMPDIR:-/tmp}/tradestats-dockerd.log"
}

build_local_base() {
    as_root "debootstrap"
    command -v debootstrap >/dev/null || apt_install debootstrap
    ROOTFS=$(mktemp -d)
    trap 'rm -rf "$ROOTFS"' EXIT
    debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
        bookworm "$ROOTFS" >&2 || fail "debootstrap failed"
    # pip in the build reaches PyPI through this machine's proxy, which has its own CA.
    cp /usr/local/share/ca-certificates/*.crt "$ROOTFS/usr/local/share/ca-certificates/" \
        2>/dev/null || true
    chroot "$ROOTFS" update-ca-certificates >&2
    tar -C "$ROOTFS" -c . | docker import - "$LOCAL_BASE" >&2
}

ensure_daemon
if docker image inspect "$LOCAL_BASE" >/dev/null 2>&1; then
    echo "$LOCAL_BASE"
elif docker image inspect "$SLIM_BASE" >/dev/null 2>&1 \
    || timeout 60 docker pull -q "$SLIM_BASE" >&2 2>/dev/null; then
    echo "$SLIM_BASE"
else
    build_local_base
    echo "$LOCAL_BASE"
fi
