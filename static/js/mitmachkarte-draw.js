/* Mitmachkarte: draw the area of an alert on the map.
 *
 * Progressive enhancement of the area form: each click on the map adds a corner, and from three
 * corners on the polygon is written into the form's text field as GeoJSON (the same field where
 * keyboard users paste GeoJSON or WKT). "Undo" and "Start again" are ordinary buttons; a status
 * line says what is drawn. The server validates the polygon and has the last word.
 */
(function () {
  "use strict";

  function round(value) {
    return Math.round(value * 1e6) / 1e6;
  }

  function attach(map, options) {
    var field = document.getElementById(options.field);
    var status = document.getElementById(options.status);
    var undo = document.getElementById(options.undo);
    var restart = document.getElementById(options.restart);
    var kind = document.querySelector(options.kind);
    if (!field || !status) return;
    var corners = [];
    var outline = L.polygon([], { color: "#1f6f8b", weight: 3, fillOpacity: 0.1 }).addTo(map);
    var dots = L.layerGroup().addTo(map);

    function update() {
      outline.setLatLngs(corners);
      dots.clearLayers();
      corners.forEach(function (c) {
        L.circleMarker(c, { radius: 4, color: "#1f6f8b", interactive: false }).addTo(dots);
      });
      if (corners.length >= 3) {
        var ring = corners.map(function (c) {
          return [round(c.lng), round(c.lat)];
        });
        ring.push(ring[0]);
        field.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
        if (kind) kind.checked = true;
        status.textContent = options.labels.ready.replace("%(count)s", corners.length);
      } else {
        if (corners.length) field.value = "";
        status.textContent = corners.length
          ? options.labels.more.replace("%(count)s", 3 - corners.length)
          : options.labels.start;
      }
      if (undo) undo.disabled = !corners.length;
      if (restart) restart.disabled = !corners.length;
    }

    map.on("click", function (event) {
      corners.push(event.latlng);
      update();
    });
    if (undo) {
      undo.hidden = false;
      undo.addEventListener("click", function () {
        corners.pop();
        update();
      });
    }
    if (restart) {
      restart.hidden = false;
      restart.addEventListener("click", function () {
        corners = [];
        field.value = "";
        update();
      });
    }
    update();
  }

  window.MitmachkarteDraw = { attach: attach };
})();
