#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds xfilter-dkms and xfilter-tools .debs from a copy of the tree (the
# files git tracks or would track), so the source tree is not touched.
# Usage: scripts/build-deb.sh OUTDIR   (.debs end up in OUTDIR)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: build-deb.sh OUTDIR}
ver=$(cat VERSION)
mkdir -p "$out"
out=$(cd "$out" && pwd)
src=$out/src/xfilter-$ver
rm -rf "$out/src" "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes
mkdir -p "$src"
git ls-files -z -c -o --exclude-standard | grep -zv '^out/' |
	while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
	rsync -a --from0 --files-from=- ./ "$src/"
(cd "$src" && dpkg-buildpackage -us -uc -b)
mv "$out"/src/*.deb "$out"/src/*.buildinfo "$out"/src/*.changes "$out/"
ls -1 "$out"/*.deb
