#!/usr/bin/env bash
# Step 1 of the riskdiff action (action.yml): puts a release binary of
# riskdiff in $INSTALL_ROOT/bin when the action is used at a release tag
# (`@v0`, `@v0.2.1`) and the release has one for this runner, verified
# against the release's SHA256SUMS; otherwise says so, and writes the cache
# key for a build from the action's own sources.
#
# Inputs come from the environment only (never expanded into the script):
# ACTION_PATH, ACTION_REPOSITORY, ACTION_REF, RUNNER_OS_NAME,
# RUNNER_ARCH_NAME, INSTALL_ROOT, GITHUB_OUTPUT.
set -euo pipefail

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}

version=$(sed -n 's/^version = "\([^"]*\)"$/\1/p' "$ACTION_PATH/Cargo.toml" | head -n 1)
case "$RUNNER_OS_NAME/$RUNNER_ARCH_NAME" in
  Linux/X64) target=x86_64-unknown-linux-gnu ;;
  Linux/ARM64) target=aarch64-unknown-linux-gnu ;;
  macOS/X64) target=x86_64-apple-darwin ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  *) target="" ;;
esac

# A build from source is cached under the hash of what it is built from.
source_key=$(cd "$ACTION_PATH" && find Cargo.toml Cargo.lock src rules -type f | LC_ALL=C sort \
  | while IFS= read -r f; do sha256 "$f"; done | sha256 | cut -c1-24)
prefix="riskdiff-build-$RUNNER_OS_NAME-$RUNNER_ARCH_NAME-"
{
  echo "source-key=$source_key"
  echo "cache-key=$prefix$source_key"
  echo "cache-prefix=$prefix"
} >>"$GITHUB_OUTPUT"

found=false
case "${ACTION_REF:-}" in
  v[0-9]*) at_release=true ;;
  *) at_release=false ;;
esac
if [ "$at_release" = true ] && [ -n "${ACTION_REPOSITORY:-}" ] && [ -n "$target" ] && [ -n "$version" ]; then
  url="https://github.com/$ACTION_REPOSITORY/releases/download/v$version"
  asset="riskdiff-$target.tar.gz"
  tmp=$(mktemp -d)
  if curl -fsSL --retry 2 -o "$tmp/$asset" "$url/$asset" \
    && curl -fsSL --retry 2 -o "$tmp/SHA256SUMS" "$url/SHA256SUMS"; then
    expected=$(awk -v a="$asset" '$2 == a || $2 == "*" a { print $1 }' "$tmp/SHA256SUMS")
    actual=$(sha256 "$tmp/$asset" | cut -d' ' -f1)
    if [ -n "$expected" ] && [ "$expected" = "$actual" ]; then
      tar -xzf "$tmp/$asset" -C "$tmp"
      mkdir -p "$INSTALL_ROOT/bin"
      mv "$tmp/riskdiff-$target/riskdiff" "$INSTALL_ROOT/bin/riskdiff"
      chmod +x "$INSTALL_ROOT/bin/riskdiff"
      found=true
      echo "riskdiff: using the release binary v$version for $target"
    else
      echo "::warning title=riskdiff::the release binary $asset of v$version does not match its SHA256SUMS; building from source instead"
    fi
  else
    echo "riskdiff: no release binary v$version for $target; building from source"
  fi
  rm -rf "$tmp"
else
  echo "riskdiff: the action is not used at a release tag (or the runner is not Linux/macOS); building from source"
fi
echo "found=$found" >>"$GITHUB_OUTPUT"
