#!/usr/bin/env bash
# Re-creates static/vendor/ from the npm registry at pinned versions: the browser never asks a CDN.
# Usage: bash scripts/vendor.sh   (needs npm; the result is committed, so nobody else needs npm)
set -euo pipefail
cd "$(dirname "$0")/.."

LEAFLET=1.9.4
MARKERCLUSTER=1.5.3
JQUERY=3.7.1
# 7.2.2 is the version Django 5.2's GIS admin widget was written against, and it ships a UMD dist/ol.js.
OL=7.2.2

dest=static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() {  # fetch <package> <version> -> unpacked into $work/<package>/package
  local dir="$work/$1"
  mkdir -p "$dir"
  (cd "$dir" && npm pack --silent "$1@$2" >/dev/null && tar xzf ./*.tgz)
}

fetch leaflet "$LEAFLET"
fetch leaflet.markercluster "$MARKERCLUSTER"
fetch jquery "$JQUERY"
fetch ol "$OL"

rm -rf "$dest"
mkdir -p "$dest/leaflet/images" "$dest/leaflet.markercluster" "$dest/jquery" "$dest/ol"

src="$work/leaflet/package/dist"
cp "$src/leaflet.js" "$src/leaflet.css" "$dest/leaflet/"
cp "$src"/images/*.png "$dest/leaflet/images/"
cp "$work/leaflet/package/LICENSE" "$dest/leaflet/LICENSE"

src="$work/leaflet.markercluster/package/dist"
cp "$src/leaflet.markercluster.js" "$src/MarkerCluster.css" "$src/MarkerCluster.Default.css" \
  "$dest/leaflet.markercluster/"
cp "$work/leaflet.markercluster/package/MIT-LICENCE.txt" "$dest/leaflet.markercluster/LICENSE"

cp "$work/jquery/package/dist/jquery.min.js" "$dest/jquery/"
cp "$work/jquery/package/LICENSE.txt" "$dest/jquery/LICENSE"

cp "$work/ol/package/dist/ol.js" "$work/ol/package/ol.css" "$dest/ol/"
cp "$work/ol/package/LICENSE.md" "$dest/ol/LICENSE"

# The bundles end with a sourceMappingURL comment; the maps are not vendored, so browsers' dev
# tools would ask for files that do not exist.
sed -i '/^\/\/# sourceMappingURL=/d' "$dest/leaflet/leaflet.js" "$dest/leaflet.markercluster/leaflet.markercluster.js" \
  "$dest/ol/ol.js"

# Some tarballs mark plain files executable; the copies are data.
find "$dest" -type f -exec chmod 644 {} +

cat > "$dest/VERSIONS" <<EOF
leaflet $LEAFLET
leaflet.markercluster $MARKERCLUSTER
jquery $JQUERY
ol $OL
EOF
du -sh "$dest"
