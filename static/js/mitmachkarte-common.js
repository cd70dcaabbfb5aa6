/* Mitmachkarte: helpers every map script shares (the citizens' map, the planners' workspace).
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

  window.MmkCommon = { sameOrigin: sameOrigin, element: element, TileGrid: TileGrid };
})();
