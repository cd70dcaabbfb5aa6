// The map preview of OGC API pages: the page's features (CRS84) on the configured base map.
// Self-hosted Leaflet; the features and the base map's settings come from JSON in the page.
(function () {
  "use strict";
  var element = document.getElementById("ogc-map");
  var data = document.getElementById("ogc-map-data");
  if (!element || !data || typeof L === "undefined") {
    return;
  }
  var settings = JSON.parse(data.textContent);
  var map = L.map(element, { maxZoom: settings.maxZoom });
  L.tileLayer(settings.tileUrl, {
    attribution: settings.attribution,
    maxZoom: settings.maxZoom,
  }).addTo(map);
  var layer = L.geoJSON(settings.features, {
    pointToLayer: function (feature, latlng) {
      return L.circleMarker(latlng, { radius: 6, weight: 2, color: "#0b5e78", fillOpacity: 0.6 });
    },
    style: function () {
      return { color: "#0b5e78", weight: 2, fillOpacity: 0.15 };
    },
    onEachFeature: function (feature, shape) {
      var label = feature.properties && (feature.properties.title || feature.properties.name);
      shape.bindTooltip(String(label || feature.id));
      if (feature.links === undefined && settings.itemUrl) {
        shape.on("click", function () {
          window.location.href = settings.itemUrl.replace("{id}", encodeURIComponent(feature.id));
        });
      }
    },
  }).addTo(map);
  var bounds = layer.getBounds();
  if (bounds.isValid()) {
    map.fitBounds(bounds, { padding: [20, 20], maxZoom: 17 });
  } else {
    map.setView([0, 0], 1);
  }
  element.setAttribute("data-ready", String(layer.getLayers().length));
})();
