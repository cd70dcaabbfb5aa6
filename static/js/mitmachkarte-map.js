/* Mitmachkarte: loads proposal pins from the API into a marker cluster layer.
 *
 * Titles and other properties are user data: they reach the page only through textContent
 * and DOM attributes, never as HTML.
 */
(function () {
  "use strict";

  var COLOR = /^#[0-9a-fA-F]{6}$/;

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

  function popupContent(props, labels) {
    var root = element("div", "pin-popup");
    var href = sameOrigin(props.url || "");
    var heading = element("p", "pin-popup__title");
    if (href) {
      var link = element("a", null, props.title);
      link.href = href;
      heading.appendChild(link);
    } else {
      heading.textContent = props.title;
    }
    root.appendChild(heading);
    if (props.category) root.appendChild(element("p", "pin-popup__category", props.category));
    var counts = element("p", "pin-popup__counts");
    // The API sends no vote count (null) while a project's results are not public.
    if (typeof props.vote_count === "number") {
      counts.appendChild(element("span", null, labels.votes + ": " + props.vote_count));
      counts.appendChild(document.createTextNode(" · "));
    }
    counts.appendChild(element("span", null, labels.comments + ": " + (props.comment_count || 0)));
    root.appendChild(counts);
    if (href) {
      var more = element("a", "pin-popup__more", labels.open);
      more.href = href;
      root.appendChild(more);
    }
    return root;
  }

  function pinIcon(props) {
    var dot = element("span", "pin-icon__dot");
    if (COLOR.test(props.category_color || "")) dot.style.backgroundColor = props.category_color;
    if (props.is_option) dot.classList.add("pin-icon__dot--option");
    return L.divIcon({ className: "pin-icon", html: dot, iconSize: [22, 22], iconAnchor: [11, 11] });
  }

  function toMarker(feature, labels) {
    var geometry = feature.geometry;
    if (!geometry || geometry.type !== "Point") return null;
    var props = feature.properties || {};
    var c = geometry.coordinates;
    var marker = L.marker([c[1], c[0]], { icon: pinIcon(props), title: String(props.title || "") });
    marker.bindPopup(function () {
      return popupContent(props, labels);
    });
    return marker;
  }

  function setStatus(node, text) {
    if (node) node.textContent = text;
  }

  /* Adds a cluster layer to `map` and fills it page by page from `url` (rel=next links). */
  function loadPins(map, url, options) {
    var labels = options.labels || {};
    var status = options.statusElement;
    var group = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false });
    map.addLayer(group);
    var count = 0;
    setStatus(status, labels.loading);

    function fail() {
      setStatus(status, labels.failed);
      if (status) status.classList.add("map-status--error");
    }

    function fetchPage(pageUrl) {
      var target = sameOrigin(pageUrl);
      if (!target) {
        fail();
        return;
      }
      fetch(target, { headers: { Accept: "application/geo+json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (data) {
          var markers = [];
          (data.features || []).forEach(function (feature) {
            var marker = toMarker(feature, labels);
            if (marker) markers.push(marker);
          });
          group.addLayers(markers);
          count += markers.length;
          var next = (data.links || []).filter(function (link) {
            return link.rel === "next";
          })[0];
          if (next) {
            fetchPage(next.href);
          } else {
            var done = count === 0 ? labels.loaded_none : count === 1 ? labels.loaded_one : labels.loaded;
            setStatus(status, String(done).replace("%(count)s", String(count)));
            map.getContainer().setAttribute("data-pins-loaded", String(count));
          }
        })
        .catch(fail);
    }

    fetchPage(url);
    return group;
  }

  window.MitmachkarteMap = { loadPins: loadPins };
})();
