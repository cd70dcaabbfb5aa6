/* Mitmachkarte surveys: map questions drawn by click or tap, kept in the question's text box.
 *
 * The text box is the answer (one place per line: "longitude, latitude" or a place's name; a
 * blank line starts the next line or area), so the keyboard, the list of places and the map
 * all edit the same thing; the map only shows it. Also: conditional questions, result maps.
 */
(function () {
  "use strict";
  var configNode = document.getElementById("survey-map-config");
  if (!configNode || !window.L) return;
  var config = JSON.parse(configNode.textContent);

  function baseMap(node) {
    node.hidden = false;
    var map = L.map(node, { scrollWheelZoom: false });
    L.tileLayer(config.tiles, { attribution: config.attribution, maxZoom: config.maxZoom }).addTo(map);
    L.geoJSON(config.perimeter, { style: { color: "#1f6f8b", weight: 2, fill: false } }).addTo(map);
    map.fitBounds([[config.bounds[0][1], config.bounds[0][0]], [config.bounds[1][1], config.bounds[1][0]]]);
    node.mmkMap = map; // for tests that click a place on it
    node.dataset.ready = "true";
    return map;
  }

  function placesOf(key) {
    var byName = {};
    var select = document.getElementById(key + "-place");
    if (!select) return byName;
    Array.prototype.forEach.call(select.options, function (o) {
      if (o.value) byName[o.value.toLowerCase()] = [parseFloat(o.dataset.lon), parseFloat(o.dataset.lat)];
    });
    return byName;
  }

  function parse(text, places) {
    var groups = [[]];
    text.split("\n").forEach(function (raw) {
      var entry = raw.split("|")[0].trim();
      if (!entry) {
        if (groups[groups.length - 1].length) groups.push([]);
        return;
      }
      var m = entry.match(/^(-?\d+(?:[.,]\d+)?)\s*[,; ]\s*(-?\d+(?:[.,]\d+)?)$/);
      var pos = m ? [parseFloat(m[1].replace(",", ".")), parseFloat(m[2].replace(",", "."))] : places[entry.toLowerCase()];
      if (pos) groups[groups.length - 1].push(pos);
    });
    return groups.filter(function (g) { return g.length; });
  }

  function mapQuestion(node) {
    var key = node.dataset.for;
    var kind = node.dataset.kind;
    var box = document.getElementById(key);
    var status = document.getElementById(key + "-status");
    var tools = document.querySelector('.survey-map__tools[data-for="' + key + '"]');
    var addButton = document.querySelector('[data-action="add-place"][data-for="' + key + '"]');
    var select = document.getElementById(key + "-place");
    var places = placesOf(key);
    var map = baseMap(node);
    var drawn = L.layerGroup().addTo(map);
    tools.hidden = false;
    addButton.hidden = false;

    function redraw() {
      drawn.clearLayers();
      var groups = parse(box.value, places);
      groups.forEach(function (g) {
        var latlngs = g.map(function (p) { return [p[1], p[0]]; });
        if (kind === "point") {
          latlngs.forEach(function (ll) { L.circleMarker(ll, { radius: 7, color: "#b5179e" }).addTo(drawn); });
        } else if (kind === "line") {
          L.polyline(latlngs, { color: "#b5179e", weight: 4 }).addTo(drawn);
        } else {
          L.polygon(latlngs, { color: "#b5179e" }).addTo(drawn);
        }
      });
      var count = kind === "point" ? groups.reduce(function (n, g) { return n + g.length; }, 0) : groups.length;
      status.textContent = count + " \u00d7";
    }

    function append(line) {
      var text = box.value.replace(/\s+$/, "");
      var endsGroup = /\n\s*\n\s*$/.test(box.value);
      box.value = text ? text + (endsGroup ? "\n\n" : "\n") + line : line;
      redraw();
    }

    map.on("click", function (e) {
      append(e.latlng.lng.toFixed(6) + ", " + e.latlng.lat.toFixed(6));
    });
    tools.addEventListener("click", function (e) {
      var action = e.target.dataset.action;
      if (action === "finish") {
        if (box.value.trim()) box.value = box.value.replace(/\s+$/, "") + "\n\n";
      } else if (action === "undo") {
        var lines = box.value.replace(/\s+$/, "").split("\n");
        lines.pop();
        box.value = lines.join("\n").replace(/\s+$/, "");
      } else if (action === "clear") {
        box.value = "";
      }
      redraw();
    });
    addButton.addEventListener("click", function () {
      if (select.value) append(select.value);
    });
    box.addEventListener("input", redraw);
    redraw();
  }

  function conditions() {
    document.querySelectorAll("[data-show-if]").forEach(function (group) {
      var name = group.dataset.showIf;
      function update() {
        var shown = Array.prototype.some.call(
          document.querySelectorAll('input[name="' + name + '"]:checked'),
          function (i) { return i.value === group.dataset.showValue; }
        );
        group.hidden = !shown;
      }
      document.querySelectorAll('input[name="' + name + '"]').forEach(function (i) {
        i.addEventListener("change", update);
      });
      update();
    });
  }

  function cellMap(node) {
    var data = JSON.parse(document.getElementById(node.dataset.cells).textContent);
    var map = baseMap(node);
    var max = data.reduce(function (m, c) { return Math.max(m, c.count); }, 1);
    data.forEach(function (c) {
      L.geoJSON(c.geometry, {
        style: { color: "#7a0177", weight: 1, fillOpacity: 0.15 + 0.6 * (c.count / max) }
      }).bindTooltip(String(c.count)).addTo(map);
    });
  }

  function featureMap(node) {
    var map = baseMap(node);
    var url = window.MmkCommon ? window.MmkCommon.sameOrigin(node.dataset.features) : node.dataset.features;
    if (!url) return;
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (doc) {
      L.geoJSON(doc, {
        pointToLayer: function (f, ll) { return L.circleMarker(ll, { radius: 4, color: "#b5179e" }); },
        style: { color: "#b5179e", weight: 2 }
      }).addTo(map);
    });
  }

  document.querySelectorAll(".survey-map[data-for]").forEach(mapQuestion);
  document.querySelectorAll(".survey-map[data-cells]").forEach(cellMap);
  document.querySelectorAll(".survey-map[data-features]").forEach(featureMap);
  conditions();
})();
