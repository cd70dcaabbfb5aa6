/* Mitmachkarte: choose the place of a new proposal by clicking the map.
 *
 * Progressive enhancement of an ordinary form: the click only fills its longitude/latitude
 * fields (and clears the list of places) and sets a pin that can be dragged elsewhere. The map
 * and the pin stay in view (on a phone a jump to the form would hide where the pin landed); a
 * button on the map then leads on to the form. A click outside the project's area is explained
 * on the spot; the server checks again and has the last word.
 */
(function () {
  "use strict";

  // Ray casting on one ring of [lon, lat] positions.
  function inRing(x, y, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }

  function inPolygon(x, y, rings) {
    if (!rings.length || !inRing(x, y, rings[0])) return false;
    for (var k = 1; k < rings.length; k++) {
      if (inRing(x, y, rings[k])) return false; // a hole
    }
    return true;
  }

  function covers(geometry, x, y) {
    if (!geometry) return true; // nothing to check against: leave it to the server
    if (geometry.type === "Polygon") return inPolygon(x, y, geometry.coordinates);
    if (geometry.type === "MultiPolygon") {
      return geometry.coordinates.some(function (rings) {
        return inPolygon(x, y, rings);
      });
    }
    return true;
  }

  // Six decimals are about 10 cm: more would only pretend precision.
  function format(value) {
    return String(Math.round(value * 1e6) / 1e6);
  }

  function fill(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (_, name) {
      return values[name] === undefined ? "" : String(values[name]);
    });
  }

  function attach(map, options) {
    var form = document.getElementById(options.form);
    if (!form) return null;
    var lon = form.elements.namedItem("lon");
    var lat = form.elements.namedItem("lat");
    var place = form.elements.namedItem("place");
    var title = form.elements.namedItem("title");
    var status = document.getElementById(options.status);
    var labels = options.labels || {};
    var places = options.places || {};
    var marker = null;

    function say(text, isError) {
      if (!status) return;
      status.textContent = text;
      status.classList.toggle("map-status--error", Boolean(isError));
    }

    var chosen = null; // the last place inside the area, where a pin dragged outside returns
    var next = null; // the map's "continue to the form" control

    function show(latlng) {
      chosen = latlng;
      if (marker) {
        marker.setLatLng(latlng);
      } else {
        marker = L.marker(latlng, {
          title: labels.marker, alt: labels.marker, keyboard: false, draggable: true
        });
        marker.on("dragend", function () {
          var moved = marker.getLatLng();
          if (!covers(options.perimeter, moved.lng, moved.lat)) {
            marker.setLatLng(chosen);
            explainOutside(moved);
            return;
          }
          choose(moved);
        });
        marker.addTo(map);
      }
    }

    function goToForm() {
      if (!title) {
        form.scrollIntoView({ block: "start" });
        return;
      }
      title.scrollIntoView({ block: "center" });
      title.focus({ preventScroll: true });
    }

    /* A small panel at the foot of the map: the pin can be moved; then on to the form. */
    function offerNext() {
      if (next) return;
      next = L.control({ position: "bottomleft" });
      next.onAdd = function () {
        var box = L.DomUtil.create("div", "place-next");
        L.DomEvent.disableClickPropagation(box);
        var text = document.createElement("p");
        text.className = "place-next__text";
        text.textContent = labels.move || "";
        var button = document.createElement("button");
        button.type = "button";
        button.className = "place-next__button";
        button.textContent = labels.next || "";
        button.addEventListener("click", goToForm);
        box.appendChild(text);
        box.appendChild(button);
        return box;
      };
      next.addTo(map);
    }

    function choose(latlng) {
      var x = latlng.lng;
      var y = latlng.lat;
      lon.value = format(x);
      lat.value = format(y);
      if (place) place.value = "";
      show(latlng);
      say(fill(labels.chosen, { lat: format(y), lon: format(x) }), false);
      form.classList.add("has-place");
      offerNext();
    }

    function explainOutside(latlng) {
      var text = document.createElement("p");
      text.className = "place-popup";
      text.textContent = labels.outside;
      L.popup().setLatLng(latlng).setContent(text).openOn(map);
      say(labels.outside, true);
    }

    map.on("click", function (event) {
      var x = event.latlng.lng;
      var y = event.latlng.lat;
      if (!covers(options.perimeter, x, y)) {
        explainOutside(event.latlng);
        return;
      }
      map.closePopup();
      choose(event.latlng);
    });

    if (place) {
      place.addEventListener("change", function () {
        var point = places[place.value];
        if (!point) return;
        // The list and the numbers exclude each other; the server would refuse both at once.
        lon.value = "";
        lat.value = "";
        var latlng = L.latLng(point[1], point[0]);
        show(latlng);
        map.panTo(latlng);
        say(fill(labels.chosen_place, { name: place.options[place.selectedIndex].text }), false);
      });
    }

    function typed() {
      var x = parseFloat(lon.value);
      var y = parseFloat(lat.value);
      if (!isFinite(x) || !isFinite(y)) return;
      if (place) place.value = "";
      var latlng = L.latLng(y, x);
      if (!covers(options.perimeter, x, y)) {
        say(labels.outside, true);
        return;
      }
      show(latlng);
      say(fill(labels.chosen, { lat: format(y), lon: format(x) }), false);
    }
    lon.addEventListener("change", typed);
    lat.addEventListener("change", typed);

    // A form shown again (with errors, or to edit) keeps its place on the map.
    var x0 = parseFloat(lon.value);
    var y0 = parseFloat(lat.value);
    if (isFinite(x0) && isFinite(y0)) {
      show(L.latLng(y0, x0));
    } else if (place && places[place.value]) {
      show(L.latLng(places[place.value][1], places[place.value][0]));
    }
    return { covers: covers };
  }

  window.MitmachkartePlace = { attach: attach, covers: covers };
})();
