/* Mitmachkarte: what every map script shares (the citizens' map, the planners' workspace):
 * safe DOM helpers, the popup, and the proposals' vector tile layer.
 *
 * Loaded by every map page right after Leaflet. User data reaches the page only through these
 * helpers' textContent and checked same-origin links, never as HTML.
 */
(function () {
  "use strict";

  // Only paths of this site are linked or fetched: a tampered response cannot send people away.
  function sameOrigin(url) {
    try {
      var parsed = new URL(url, window.location.href);
      return parsed.origin === window.location.origin ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  /* A decorative icon from the page's sprite (templates/_icons.html), as the templates draw it. */
  function icon(name) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "icon");
    svg.setAttribute("aria-hidden", "true");
    var use = document.createElementNS(ns, "use");
    use.setAttribute("href", "#icon-" + name);
    svg.appendChild(use);
    return svg;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /* VectorGrid's protobuf layer, mended for Leaflet >= 1.8: a clicked circle is asked for its
   * latLng, which VectorGrid's point symbols lack; without `getLatLng` Leaflet takes the click's
   * own position. Made on first use, as the VectorGrid plugin loads after this file. */
  var tileGrid = null;
  function TileGrid() {
    if (!tileGrid && L.VectorGrid && L.VectorGrid.Protobuf) {
      tileGrid = L.VectorGrid.Protobuf.extend({
        _createLayer: function (feat, pxPerExtent) {
          var layer = L.VectorGrid.Protobuf.prototype._createLayer.call(this, feat, pxPerExtent);
          if (layer) layer.getLatLng = null;
          return layer;
        }
      });
    }
    return tileGrid;
  }

  /* A popup's content: its title (a link when `href` is a path of this site), then `lines`
   * (elements; empty ones left out). `className` names the block, `<className>__title` the title. */
  function popup(className, title, href, lines) {
    var root = element("div", className);
    var heading = element("p", className + "__title");
    var target = sameOrigin(href || "");
    if (target) {
      var link = element("a", null, title);
      link.href = target;
      heading.appendChild(link);
    } else {
      heading.textContent = title;
    }
    root.appendChild(heading);
    (lines || []).forEach(function (line) {
      if (line) root.appendChild(line);
    });
    return root;
  }

  /* Popup options for `map`: on wide screens the legend lies over the map's upper corner,
   * above Leaflet's panes (tests/proposals/test_map_browser.py), so an opening popup pans the
   * map until it sits below the legend rather than under it; it keeps clear of the zoom
   * buttons too, and is never wider than the map leaves beside them (a phone's map is
   * narrower than Leaflet's 300 pixels plus the popup's frame). */
  function popupOptions(map) {
    var container = map.getContainer();
    var stage = container.closest(".project-stage__map");
    var legend = stage && stage.querySelector(".map-legend");
    var top = 10;
    if (legend && window.getComputedStyle(legend).position === "absolute") {
      top = legend.offsetTop + legend.offsetHeight + 10;
    }
    var controls = container.querySelector(".leaflet-top.leaflet-left");
    var left = (controls ? controls.offsetWidth : 0) + 10;
    // 40: the popup's frame (padding and border) around its content.
    var room = container.clientWidth - left - 10 - 40;
    return {
      autoPanPaddingTopLeft: L.point(left, top),
      autoPanPaddingBottomRight: L.point(10, 10),
      maxWidth: Math.max(160, Math.min(300, room))
    };
  }

  /* The tiles' address for a GeoJSON request: the same filters (its query string, without
   * paging), so tiles and markers show the same proposals. */
  function tileUrl(template, pageUrl) {
    var query = new URL(pageUrl, window.location.href).searchParams;
    query.delete("limit");
    query.delete("offset");
    var rest = query.toString();
    return template.split("?")[0] + (rest ? "?" + rest : "");
  }

  /* A tile's clusters (its layer `clusters`: a point and a count per cell of its grid) as
   * markers in the site's cluster style: focusable buttons that zoom in on click, Enter or
   * Space. Markers, not SVG: they carry the count as text and take the keyboard focus. */
  function clusterMarkers(map, found, coords, tileSize, options) {
    var markers = [];
    var scale = tileSize.x / found.extent;
    var origin = coords.scaleBy(tileSize);
    found.features.forEach(function (feature) {
      var point = feature.geometry && feature.geometry[0] && feature.geometry[0][0];
      var count = parseInt(feature.properties.count, 10);
      if (!point || !(count > 0)) return;
      var latlng = map.unproject(origin.add(L.point(point.x * scale, point.y * scale)), coords.z);
      var size = count < 10 ? "small" : count < 100 ? "medium" : count < 1000 ? "large" : "huge";
      var px = { small: 34, medium: 40, large: 48, huge: 56 }[size];
      var text = options.clusterLabel ? options.clusterLabel(count) : String(count);
      var marker = L.marker(latlng, {
        icon: L.divIcon({
          html: element("span", "pin-cluster__count", options.number ? options.number(count) : count),
          className: "pin-cluster pin-cluster--" + size,
          iconSize: L.point(px, px)
        }),
        keyboard: true,
        title: text
      });
      function zoomIn() {
        // Leaflet drops a new view asked for while a zoom animates: ask once it has ended.
        if (map._animatingZoom) {
          map.once("zoomend", zoomIn);
          return;
        }
        // Two levels: a cell is a quarter of its tile, so it then spans a whole tile.
        map.setView(latlng, Math.min(Math.max(map.getZoom(), coords.z) + 2, map.getMaxZoom()));
      }
      marker.on("click", zoomIn);
      marker.on("add", function () {
        var icon = marker.getElement();
        if (!icon) return;
        icon.setAttribute("aria-label", text);
        icon.setAttribute("data-count", String(count));
        icon.addEventListener("keydown", function (event) {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            zoomIn();
          }
        });
      });
      markers.push(marker);
    });
    return markers;
  }

  /* Proposals as vector tiles (SVG: Leaflet >= 1.8 broke VectorGrid's canvas clicks), for the
   * citizens' map and the workspace alike. Where a tile holds too many, the server sends
   * clusters instead of pins (layer `clusters`), drawn by `clusterMarkers`. `options`: maxZoom,
   * radius, colour(props) → fill, link (a URL template with `{id}`), popup(props, href, popup) →
   * the popup's content (`popup`: the Leaflet popup, for content that arrives later),
   * clusterLabel(count) → a cluster's accessible name, number(count) → text. */
  function proposalTiles(map, url, options) {
    var layer = new (TileGrid())(url, {
      rendererFactory: L.svg.tile,
      interactive: true,
      maxNativeZoom: options.maxZoom,
      maxZoom: options.maxZoom,
      fetchOptions: { credentials: "same-origin" },
      vectorTileLayerStyles: {
        proposals: function (props) {
          return {
            radius: options.radius, weight: 2, color: "#ffffff", fill: true,
            fillColor: options.colour(props), fillOpacity: 0.95
          };
        }
      }
    });
    layer.on("click", function (event) {
      var props = event.layer && event.layer.properties;
      if (!props) return;
      var id = parseInt(props.id, 10);
      var href = options.link && id > 0 ? options.link.replace("{id}", String(id)) : null;
      var shown = L.popup(popupOptions(map)).setLatLng(event.latlng);
      shown.setContent(options.popup(props, href, shown)).openOn(map);
    });
    // Clusters are taken out of each tile as it arrives and drawn as markers; they go when
    // their tile goes (panned away, or replaced after a zoom).
    var clusters = L.layerGroup().addTo(map);
    var byTile = {};
    var fetchTile = layer._getVectorTilePromise;
    layer._getVectorTilePromise = function (coords) {
      return fetchTile.apply(layer, arguments).then(function (tile) {
        var found = tile.layers && tile.layers.clusters;
        if (found) {
          delete tile.layers.clusters;
          var key = layer._tileCoordsToKey(coords);
          var markers = clusterMarkers(map, found, coords, layer.getTileSize(), options);
          if (layer._map && layer._tiles[key]) {
            (byTile[key] || []).forEach(function (marker) { clusters.removeLayer(marker); });
            byTile[key] = markers;
            markers.forEach(function (marker) { clusters.addLayer(marker); });
          }
        }
        return tile;
      });
    };
    layer.on("tileunload", function (event) {
      var key = layer._tileCoordsToKey(event.coords);
      (byTile[key] || []).forEach(function (marker) { clusters.removeLayer(marker); });
      delete byTile[key];
    });
    layer.on("remove", function () { map.removeLayer(clusters); });
    layer.addTo(map);
    return layer;
  }

  window.MmkCommon = {
    sameOrigin: sameOrigin,
    element: element,
    icon: icon,
    TileGrid: TileGrid,
    popup: popup,
    popupOptions: popupOptions,
    tileUrl: tileUrl,
    proposalTiles: proposalTiles
  };
})();
