#!/usr/bin/env bash
# Builds the real Gitea the forge tests run against, from the Go module proxy:
#   test/forge/bin/gitea            code.gitea.io/gitea at $gitea_version (pure-Go SQLite, no cgo)
#   test/forge/bin/static/          its templates/ and options/ (Gitea's STATIC_ROOT_PATH: it refuses
#                                   to start without them; the compiled web assets are not needed)
#
# Gitea's go.mod has replace directives, so `go install ...@version` is refused: the module source is
# downloaded (`go mod download`), copied once into a fixed build folder outside the repository
# (FORGE_BUILD_DIR, default ~/.cache/cfs-gitops/gitea-<version>: its TypeScript and tests must not
# meet tsc, eslint or vitest; a rebuild there with warm Go caches takes seconds) and built there. Rebuilt only when the binary is missing
# or this script changed (the stamp bin/.gitea.stamp holds its sha256, and the script pins the
# version). Builds run under `nice -n 19`, one package at a time (the machine is shared); override
# with FORGE_BUILD_JOBS=N. Set FORGE_BUILD_FORCE=1 to rebuild regardless of the stamp.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$here/bin"
jobs="${FORGE_BUILD_JOBS:-1}"
gitea_version="v1.27.3"
go_needed="1.26.4" # the go line of Gitea's go.mod at $gitea_version (./setup --test reads it)
module="code.gitea.io/gitea"
src="${FORGE_BUILD_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cfs-gitops/gitea-$gitea_version}"

fail() {
  echo "test/forge/build.sh: ERROR: $*" >&2
  exit 1
}
trap 'fail "command failed (exit $?) at line $LINENO: $BASH_COMMAND"' ERR

find_go() {
  if command -v go >/dev/null 2>&1; then
    command -v go
  elif [ -x /usr/local/go/bin/go ]; then
    echo /usr/local/go/bin/go
  else
    fail "no Go toolchain: put go (>= 1.26.4) on PATH or install it at /usr/local/go"
  fi
}

stamp_hash() {
  sha256sum <"$here/build.sh" | cut -d' ' -f1
}

up_to_date() {
  [ "${FORGE_BUILD_FORCE:-0}" = 1 ] && return 1
  [ -f "$bin/.gitea.stamp" ] && [ "$(cat "$bin/.gitea.stamp")" = "$1" ] || return 1
  [ -x "$bin/gitea" ] && [ -d "$bin/static/templates" ] && [ -d "$bin/static/options" ]
}

# fetch_source: the module source of $gitea_version in $src (a writable copy of the module cache's).
fetch_source() {
  local dir
  if [ -f "$src/.version" ] && [ "$(cat "$src/.version")" = "$gitea_version" ]; then
    return
  fi
  echo "==> downloading $module@$gitea_version from the Go module proxy"
  dir="$(GOTOOLCHAIN=local GOFLAGS=-mod=mod "$GO" mod download -json "$module@$gitea_version" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -n "$dir" ] && [ -d "$dir" ] || fail "go mod download printed no source folder for $module@$gitea_version"
  rm -rf "$src"
  mkdir -p "$(dirname "$src")"
  cp -r "$dir" "$src"
  chmod -R u+w "$src"
  echo "$gitea_version" >"$src/.version"
}

build_gitea() {
  echo "==> building gitea $gitea_version in $src, -p=$jobs under nice -n 19"
  local start=$SECONDS
  (cd "$src" && GOTOOLCHAIN=local GOFLAGS="-p=$jobs -trimpath" CGO_ENABLED=0 \
    nice -n 19 "$GO" build -tags 'sqlite sqlite_unlock_notify' \
    -ldflags "-s -w -X main.Version=${gitea_version#v}" -o "$bin/gitea.tmp" .) ||
    fail "go build of gitea failed (see the compiler output above)"
  mv -f "$bin/gitea.tmp" "$bin/gitea"
  rm -rf "$bin/static"
  mkdir -p "$bin/static"
  cp -r "$src/templates" "$src/options" "$bin/static/"
  echo "    built $bin/gitea in $((SECONDS - start))s ($(du -h "$bin/gitea" | cut -f1))"
}

GO="$(find_go)"
echo "==> using $(GOTOOLCHAIN=local "$GO" version) ($GO)"
have="$(GOTOOLCHAIN=local "$GO" version | sed -n 's/^go version go\([0-9][0-9.]*\).*/\1/p')"
[ "$(printf '%s\n%s\n' "$go_needed" "$have" | sort -V | head -n 1)" = "$go_needed" ] ||
  fail "gitea $gitea_version needs Go >= $go_needed; $GO is $have (./setup --test says how to get one)"
mkdir -p "$bin"
hash="$(stamp_hash)"
if up_to_date "$hash"; then
  echo "==> gitea is up to date ($bin/gitea)"
  exit 0
fi
fetch_source
build_gitea
echo "$hash" >"$bin/.gitea.stamp"
echo "==> done: $bin/gitea ($("$bin/gitea" --version 2>/dev/null | head -n 1))"
