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

  /* The tiles' address for a GeoJSON request: the same filters (its query string, without
   * paging), so tiles and markers show the same proposals. */
  function tileUrl(template, pageUrl) {
    var query = new URL(pageUrl, window.location.href).searchParams;
    query.delete("limit");
    query.delete("offset");
    var rest = query.toString();
    return template.split("?")[0] + (rest ? "?" + rest : "");
  }

  /* Proposals as vector tiles (SVG: Leaflet >= 1.8 broke VectorGrid's canvas clicks), for the
   * citizens' map and the workspace alike. `options`: maxZoom, radius, colour(props) → fill,
   * link (a URL template with `{id}`), popup(props, href) → the popup's content. */
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
      L.popup().setLatLng(event.latlng).setContent(options.popup(props, href)).openOn(map);
    });
    layer.addTo(map);
    return layer;
  }

  window.MmkCommon = {
    sameOrigin: sameOrigin,
    element: element,
    icon: icon,
    TileGrid: TileGrid,
    popup: popup,
    tileUrl: tileUrl,
    proposalTiles: proposalTiles
  };
})();
