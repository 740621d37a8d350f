#!/usr/bin/env bash
# Refresh the front-end packages shipped in src/interdict/web/static/vendor from the npm registry
# (versions in src/interdict/web/package.json). Run by a developer, never at run time.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
version() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["dependencies"][sys.argv[2]])' "$root/src/interdict/web/package.json" "$1"; }
fetch() { (cd "$work" && rm -rf package && npm pack --silent "$1@$2" >/dev/null && tar xzf "$1-$2.tgz"); }

leaflet="$(version leaflet)"
fetch leaflet "$leaflet"
target="$root/src/interdict/web/static/vendor/leaflet"
mkdir -p "$target/images"
cp "$work/package/dist/leaflet.js" "$work/package/dist/leaflet.css" "$target/"
cp "$work/package/dist/images/"* "$target/images/"
cp "$work/package/LICENSE" "$target/LICENSE"
echo "leaflet $leaflet -> $target"

cytoscape="$(version cytoscape)"
fetch cytoscape "$cytoscape"
target="$root/src/interdict/web/static/vendor/cytoscape"
mkdir -p "$target"
cp "$work/package/dist/cytoscape.min.js" "$target/"
cp "$work/package/LICENSE" "$target/LICENSE"
echo "cytoscape $cytoscape -> $target"

swagger="$(version swagger-ui-dist)"
fetch swagger-ui-dist "$swagger"
target="$root/src/interdict/web/static/vendor/swagger-ui"
mkdir -p "$target"
cp "$work/package/swagger-ui-bundle.js" "$work/package/swagger-ui-bundle.js.LICENSE.txt" "$work/package/swagger-ui.css" \
   "$work/package/favicon-32x32.png" "$work/package/LICENSE" "$work/package/NOTICE" "$target/"
echo "swagger-ui-dist $swagger -> $target"
