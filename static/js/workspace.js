/* Mitmachkarte planners' workspace: proposals from the workspace API on the map (as vector tiles
 * when there are more than the threshold), and drawing a polygon for the spatial filter.
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

  // Counts in the page's language, like the tables' numbers.
  var NUMBERS = new Intl.NumberFormat(document.documentElement.lang || undefined);

  var sameOrigin = window.MmkCommon.sameOrigin;
  var element = window.MmkCommon.element;

  function popup(props, labels) {
    return window.MmkCommon.popup("ws-popup", props.title, props.review_url, [
      element("p", null, (labels.statuses && labels.statuses[props.status]) || props.status),
      element("p", null, labels.votes + ": " + NUMBERS.format(props.vote_count || 0))
    ]);
  }

  function toWkt(latlngs) {
    var ring = latlngs.map(function (p) { return p.lng.toFixed(7) + " " + p.lat.toFixed(7); });
    ring.push(ring[0]);
    return "POLYGON((" + ring.join(", ") + "))";
  }

  /* Leaflet.draw's texts in the page's language: `strings` mirrors L.drawLocal's tree. */
  function localise(target, strings) {
    Object.keys(strings || {}).forEach(function (key) {
      var value = strings[key];
      if (value && typeof value === "object") {
        if (!target[key] || typeof target[key] !== "object") target[key] = {};
        localise(target[key], value);
      } else if (typeof value === "string") {
        target[key] = value;
      }
    });
  }

  /* The filter applies as soon as a polygon is drawn or deleted: no "Filter" press needed. */
  function apply(field) {
    var form = field.form;
    if (!form) return;
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  }

  function enableDrawing(map, options) {
    var field = options.polygonField && document.getElementById(options.polygonField);
    if (!field || !L.Control || !L.Control.Draw) return;
    if (L.drawLocal && options.labels && options.labels.draw) localise(L.drawLocal, options.labels.draw);
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
      apply(field);
    });
    map.on(L.Draw.Event.DELETED, function () {
      if (!field.value) return;
      field.value = "";
      apply(field);
    });
  }

  /* The proposals as vector tiles with the GeoJSON request's filter, status-coloured. */
  function addTiles(map, tiles, pageUrl, labels) {
    return window.MmkCommon.proposalTiles(map, window.MmkCommon.tileUrl(tiles.url, pageUrl), {
      maxZoom: tiles.maxZoom,
      radius: 7,
      link: tiles.reviewUrl,
      colour: function (props) {
        return STATUS_COLOURS[props.status] || "#455a64";
      },
      popup: function (props, href) {
        var shown = { title: props.title, status: props.status, vote_count: props.vote_count };
        shown.review_url = href;
        return popup(shown, labels);
      }
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
        var matched = collection.numberMatched;
        if (options.tiles && window.MmkCommon.TileGrid() && typeof matched === "number" && matched > options.tiles.threshold) {
          // More than the map carries as markers: the same filter as vector tiles.
          addTiles(map, options.tiles, target, labels);
          container.setAttribute("data-mode", "tiles");
          container.setAttribute("data-loaded", String(matched));
          if (status) status.textContent = labels.loaded.replace("%(count)s", NUMBERS.format(matched));
          return;
        }
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
        if (status) status.textContent = labels.loaded.replace("%(count)s", NUMBERS.format(layer.getLayers().length));
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
