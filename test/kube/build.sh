#!/usr/bin/env bash
# Builds the real Kubernetes control plane the integration tests run against, from Go modules:
#   test/kube/bin/etcd                     go.etcd.io/etcd/server/v3/etcdmain   (module test/kube/etcd)
#   test/kube/bin/kube-apiserver           k8s.io/kubernetes/cmd/kube-apiserver (module test/kube)
#   test/kube/bin/kube-controller-manager  k8s.io/kubernetes/cmd/kube-controller-manager (module test/kube)
#
# A group is rebuilt only when a binary is missing or its inputs changed: a stamp file in bin/ holds
# the sha256 of the group's go.mod, go.sum, main.go files and this script. Builds run under
# `nice -n 19` with one package at a time (the machine is shared); override with KUBE_BUILD_JOBS=N.
# Set KUBE_BUILD_FORCE=1 to rebuild regardless of stamps.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$here/bin"
jobs="${KUBE_BUILD_JOBS:-1}"
k8s_version="v1.36.3"

fail() {
  echo "test/kube/build.sh: ERROR: $*" >&2
  exit 1
}
trap 'fail "command failed (exit $?) at line $LINENO: $BASH_COMMAND"' ERR

find_go() {
  if command -v go >/dev/null 2>&1; then
    command -v go
  elif [ -x /usr/local/go/bin/go ]; then
    echo /usr/local/go/bin/go
  else
    fail "no Go toolchain: put go (>= 1.26) on PATH or install it at /usr/local/go"
  fi
}

# stamp_of <file>...: one hash over the group's inputs and this script.
stamp_of() {
  cat "$@" "$here/build.sh" | sha256sum | cut -d' ' -f1
}

# up_to_date <stamp name> <hash> <binary>...: true when every binary exists and the stamp matches.
up_to_date() {
  local stamp="$bin/.$1.stamp" hash="$2"
  shift 2
  [ "${KUBE_BUILD_FORCE:-0}" = 1 ] && return 1
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ] || return 1
  local b
  for b in "$@"; do [ -x "$bin/$b" ] || return 1; done
}

# go_build <module dir> <package> <output> [ldflags]: a stripped, reproducible build, niced.
go_build() {
  local dir="$1" pkg="$2" out="$3" ldflags="-s -w ${4:-}"
  echo "==> building $out from $dir ($pkg), -p=$jobs under nice -n 19"
  local start=$SECONDS
  (cd "$dir" && GOFLAGS="-p=$jobs -mod=readonly -trimpath" CGO_ENABLED=0 \
    nice -n 19 "$GO" build -ldflags "$ldflags" -o "$bin/$out.tmp" "$pkg") ||
    fail "go build of $out failed (see the compiler output above)"
  mv -f "$bin/$out.tmp" "$bin/$out"
  echo "    built $bin/$out in $((SECONDS - start))s ($(du -h "$bin/$out" | cut -f1))"
}

build_etcd() {
  local hash
  hash="$(stamp_of "$here/etcd/go.mod" "$here/etcd/go.sum" "$here/etcd/main.go")"
  if up_to_date etcd "$hash" etcd; then
    echo "==> etcd is up to date ($bin/etcd)"
    return
  fi
  go_build "$here/etcd" . etcd
  echo "$hash" >"$bin/.etcd.stamp"
}

build_kubernetes() {
  local hash v="k8s.io/component-base/version"
  hash="$(stamp_of "$here/go.mod" "$here/go.sum" "$here/apiserver/main.go" "$here/controller-manager/main.go")"
  if up_to_date kubernetes "$hash" kube-apiserver kube-controller-manager; then
    echo "==> kube-apiserver and kube-controller-manager are up to date ($bin)"
    return
  fi
  local ldflags="-X $v.gitVersion=$k8s_version -X $v.gitMajor=1 -X $v.gitMinor=36 -X $v.gitTreeState=clean"
  go_build "$here" ./apiserver kube-apiserver "$ldflags"
  go_build "$here" ./controller-manager kube-controller-manager "$ldflags"
  echo "$hash" >"$bin/.kubernetes.stamp"
}

GO="$(find_go)"
echo "==> using $("$GO" version) ($GO)"
mkdir -p "$bin"
build_etcd
build_kubernetes
echo "==> done: $(cd "$bin" && ls etcd kube-apiserver kube-controller-manager | tr '\n' ' ')"
