/* Mitmachkarte: the results map. Each option is a circle whose area grows with its votes.
 *
 * The circles are fetched from the API (results.geojson, the leading options), not written into
 * the page, so the page stays small for any number of options. The configuration (data URL,
 * bounds, tile layer, labels) is a JSON block of the page. Labels are user data: text only.
 */
(function () {
  "use strict";

  var node = document.getElementById("results-map");
  var configNode = document.getElementById("results-map-config");
  if (!node || !configNode || !window.L) return;
  var config = JSON.parse(configNode.textContent);
  var common = window.MmkCommon;

  var map = L.map(node, { zoomSnap: 0.25 });
  var zoom = map.zoomControl && map.zoomControl.getContainer();
  [["in", config.labels.zoom_in], ["out", config.labels.zoom_out]].forEach(function (pair) {
    var button = zoom && zoom.querySelector(".leaflet-control-zoom-" + pair[0]);
    if (button) {
      button.title = pair[1];
      button.setAttribute("aria-label", pair[1]);
    }
  });
  L.tileLayer(config.tiles.url, {
    attribution: config.tiles.attribution,
    maxZoom: config.tiles.max_zoom
  }).addTo(map);
  map.fitBounds(config.bounds);

  function label(props) {
    return config.labels.option
      .replace("%(title)s", props.title)
      .replace("%(votes)s", props.total)
      .replace("%(rank)s", props.rank);
  }

  var url = common ? common.sameOrigin(config.data_url) : config.data_url;
  if (!url) return;
  fetch(url, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    })
    .then(function (collection) {
      var most = 1;
      collection.features.forEach(function (f) {
        most = Math.max(most, f.properties.total);
      });
      L.geoJSON(collection, {
        pointToLayer: function (feature, latlng) {
          var props = feature.properties;
          // Area, not radius, proportional to votes: the eye compares areas.
          return L.circleMarker(latlng, {
            radius: 6 + 24 * Math.sqrt(props.total / most),
            color: "#0b3a4f",
            weight: 2,
            fillOpacity: 0.75,
            fillColor: props.rank === 1 ? "#0b4f6c" : "#6fa8bf"
          });
        },
        onEachFeature: function (feature, layer) {
          var text = document.createElement("span");
          text.textContent = label(feature.properties);
          layer.bindTooltip(text);
        }
      }).addTo(map);
    })
    .catch(function () {
      /* The table above has every figure; the map is an extra. */
    });
})();
