#!/bin/sh
# Copies the pinned front-end libraries' built files from node_modules into a vendor folder:
# the Makefile (static/vendor) and the Dockerfile (its front-end stage) both run this, so the
# image ships exactly what development serves.
#
# A minified file that names its source map (`//# sourceMappingURL=…`) is copied with the map:
# collectstatic's manifest storage rewrites that reference to the map's hashed name and stops
# with MissingFileError when the map is absent, and browsers' developer tools read it.
set -eu
src="${1:-node_modules}"
dest="${2:-static/vendor}"
mkdir -p "$dest"
for file in htmx.org/dist/htmx.min.js chart.js/dist/chart.umd.min.js; do
  cp "$src/$file" "$dest/"
  map=$(sed -n 's|^//# sourceMappingURL=\([^ ]*\)$|\1|p' "$src/$file" | tail -n 1)
  if [ -n "$map" ]; then
    cp "$(dirname "$src/$file")/$map" "$dest/"
  fi
done
