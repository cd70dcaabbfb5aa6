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
# The planners' workspace: density (heat map) and drawing a polygon to query.
LEAFLET_HEAT=0.2.0
LEAFLET_DRAW=1.0.4
# Accessibility checks in the browser tests: injected by the tests only, no page links it.
AXE_CORE=4.14.1
# Vector tiles of proposals on the citizen map when a project has very many pins.
VECTORGRID=1.3.0

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
fetch leaflet.heat "$LEAFLET_HEAT"
fetch leaflet-draw "$LEAFLET_DRAW"
fetch axe-core "$AXE_CORE"
fetch leaflet.vectorgrid "$VECTORGRID"

rm -rf "$dest"
mkdir -p "$dest/leaflet/images" "$dest/leaflet.markercluster" "$dest/jquery" "$dest/ol" \
  "$dest/leaflet.heat" "$dest/leaflet-draw/images" "$dest/axe-core" "$dest/leaflet.vectorgrid"

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

cp "$work/leaflet.heat/package/dist/leaflet-heat.js" "$dest/leaflet.heat/"
cp "$work/leaflet.heat/package/LICENSE" "$dest/leaflet.heat/LICENSE"

src="$work/leaflet-draw/package/dist"
cp "$src/leaflet.draw.js" "$src/leaflet.draw.css" "$dest/leaflet-draw/"
cp "$src"/images/spritesheet* "$dest/leaflet-draw/images/"
# The package ships no licence file; its package.json says MIT (github.com/Leaflet/Leaflet.draw).
echo "Leaflet.draw $LEAFLET_DRAW, MIT licence, (c) 2012-2017 Jon West, Jacob Toye, and Leaflet" \
  > "$dest/leaflet-draw/LICENSE"

cp "$work/axe-core/package/axe.min.js" "$dest/axe-core/"
cp "$work/axe-core/package/LICENSE" "$dest/axe-core/LICENSE"

# The bundled build carries its protobuf and vector-tile decoders. The package has no licence
# file; its README ends with the licence (Beerware), which we keep from "## Legalese" on.
cp "$work/leaflet.vectorgrid/package/dist/Leaflet.VectorGrid.bundled.js" "$dest/leaflet.vectorgrid/"
sed -n '/^## Legalese/,$p' "$work/leaflet.vectorgrid/package/README.md" > "$dest/leaflet.vectorgrid/LICENSE"

# The bundles end with a sourceMappingURL comment; the maps are not vendored, so browsers' dev
# tools would ask for files that do not exist.
sed -i '/^\/\/# sourceMappingURL=/d' "$dest/leaflet/leaflet.js" "$dest/leaflet.markercluster/leaflet.markercluster.js" \
  "$dest/ol/ol.js" "$dest/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.js"

# Some tarballs mark plain files executable; the copies are data.
find "$dest" -type f -exec chmod 644 {} +

cat > "$dest/VERSIONS" <<EOF
leaflet $LEAFLET
leaflet.markercluster $MARKERCLUSTER
jquery $JQUERY
ol $OL
leaflet.heat $LEAFLET_HEAT
leaflet-draw $LEAFLET_DRAW
axe-core $AXE_CORE
leaflet.vectorgrid $VECTORGRID
EOF
du -sh "$dest"
