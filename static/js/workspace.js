/* Mitmachkarte planners' workspace: proposals from the workspace API on the map, and drawing a
 * polygon for the spatial filter.
 *
 * Titles are user data: they reach the page only through textContent and DOM attributes.
 */
(function () {
  "use strict";

  // Status colours: distinct in hue and lightness, so they also differ for colour-blind eyes.
  var STATUS_COLOURS = {
    submitted: "#607d8b",
    under_review: "#f9a825",
    accepted: "#2e7d32",
    rejected: "#b71c1c",
    implemented: "#1565c0"
  };

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

  function popup(props, labels) {
    var root = element("div", "ws-popup");
    var title = element("p", "ws-popup__title");
    var href = sameOrigin(props.review_url || "");
    if (href) {
      var link = element("a", null, props.title);
      link.href = href;
      title.appendChild(link);
    } else {
      title.textContent = props.title;
    }
    root.appendChild(title);
    root.appendChild(element("p", null, (labels.statuses && labels.statuses[props.status]) || props.status));
    root.appendChild(element("p", null, labels.votes + ": " + (props.vote_count || 0)));
    return root;
  }

  function toWkt(latlngs) {
    var ring = latlngs.map(function (p) { return p.lng.toFixed(7) + " " + p.lat.toFixed(7); });
    ring.push(ring[0]);
    return "POLYGON((" + ring.join(", ") + "))";
  }

  function enableDrawing(map, options) {
    var field = options.polygonField && document.getElementById(options.polygonField);
    if (!field || !L.Control || !L.Control.Draw) return;
    var drawn = new L.FeatureGroup().addTo(map);
    map.addControl(new L.Control.Draw({
      edit: { featureGroup: drawn, edit: false, remove: true },
      draw: { polygon: { allowIntersection: false, showArea: false }, rectangle: true,
              polyline: false, circle: false, marker: false, circlemarker: false }
    }));
    map.on(L.Draw.Event.CREATED, function (event) {
      drawn.clearLayers();
      drawn.addLayer(event.layer);
      var latlngs = event.layer.getLatLngs()[0];
      field.value = toWkt(latlngs);
      field.dispatchEvent(new Event("change"));
      if (options.statusElement) options.statusElement.textContent = options.labels.drawn;
    });
  }

  function loadProposals(map, url, options) {
    var labels = options.labels || {};
    var status = options.statusElement;
    var container = map.getContainer();
    enableDrawing(map, options);
    var target = sameOrigin(url);
    if (!target) return;
    if (status) status.textContent = labels.loading;
    fetch(target, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (collection) {
        var layer = L.featureGroup();
        (collection.features || []).forEach(function (feature) {
          var g = feature.geometry;
          if (!g || g.type !== "Point") return;
          var props = feature.properties || {};
          var colour = STATUS_COLOURS[props.status] || "#455a64";
          var marker = L.circleMarker([g.coordinates[1], g.coordinates[0]], {
            radius: 8, weight: 2, color: "#ffffff", fillColor: colour, fillOpacity: 0.95,
            className: "ws-marker ws-marker--" + String(props.status || "").replace(/[^a-z_]/g, "")
          });
          var tip = element("span", null, props.title);
          marker.bindTooltip(tip);
          marker.bindPopup(function () { return popup(props, labels); });
          layer.addLayer(marker);
        });
        layer.addTo(map);
        container.setAttribute("data-loaded", String(layer.getLayers().length));
        if (status) status.textContent = labels.loaded.replace("%(count)s", layer.getLayers().length);
      })
      .catch(function () {
        container.setAttribute("data-loaded", "error");
        if (status) {
          status.textContent = labels.failed;
          status.classList.add("map-status--error");
        }
      });
  }

  window.MmkWorkspace = { loadProposals: loadProposals, toWkt: toWkt };
})();
