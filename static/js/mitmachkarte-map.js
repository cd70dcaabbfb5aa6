/* Mitmachkarte: loads proposal pins from the API into a marker cluster layer, or, when a
 * project has more pins than the threshold, shows them as vector tiles with the same filters.
 *
 * Titles and other properties are user data: they reach the page only through textContent
 * and DOM attributes, never as HTML.
 */
(function () {
  "use strict";

  var COLOR = /^#[0-9a-fA-F]{6}$/;
  // Counts in the page's language ("1.234" on German pages), not the browser's.
  var NUMBERS = new Intl.NumberFormat(document.documentElement.lang || undefined);
  function number(value) {
    return NUMBERS.format(value);
  }

  var sameOrigin = window.MmkCommon.sameOrigin;
  var element = window.MmkCommon.element;

  /* A proposal's page in the page's language: the API answers in the browser's language, so
   * its `url` may point to another one; the page's own template (`{id}`) wins when it has one. */
  function pageLink(template, props) {
    var id = parseInt(props.id, 10);
    if (template && id > 0) return template.replace("{id}", String(id));
    return props.url || "";
  }

  function popupContent(props, labels) {
    var href = props.url || "";
    var lines = [];
    // The first photo's small picture (the GeoJSON's; a tile's pin gets it from the API), from
    // this site only.
    var photo = sameOrigin(props.photo || "");
    if (photo) {
      var picture = element("img", "pin-popup__photo");
      picture.src = photo;
      picture.alt = String(props.photo_alt || "");
      picture.loading = "lazy";
      lines.push(picture);
    }
    if (props.category) lines.push(element("p", "pin-popup__category", props.category));
    var counts = element("p", "pin-popup__counts");
    // The API sends no vote count (null) while a project's results are not public.
    if (typeof props.vote_count === "number") {
      counts.appendChild(element("span", null, labels.votes + ": " + number(props.vote_count)));
    }
    // A tile's pin has no comment count until its Feature arrives: no wrong zero meanwhile.
    if (typeof props.comment_count === "number") {
      if (counts.childNodes.length) counts.appendChild(document.createTextNode(" · "));
      counts.appendChild(element("span", null, labels.comments + ": " + number(props.comment_count)));
    }
    if (counts.childNodes.length) lines.push(counts);
    if (sameOrigin(href)) {
      var more = element("a", "pin-popup__more", labels.open);
      more.href = sameOrigin(href);
      lines.push(more);
    }
    return window.MmkCommon.popup("pin-popup", props.title, href, lines);
  }

  function pinIcon(props) {
    var dot = element("span", "pin-icon__dot");
    if (COLOR.test(props.category_color || "")) dot.style.backgroundColor = props.category_color;
    if (props.is_option) dot.classList.add("pin-icon__dot--option");
    return L.divIcon({ className: "pin-icon", html: dot, iconSize: [22, 22], iconAnchor: [11, 11] });
  }

  function toMarker(feature, labels, link, popupOptions) {
    var geometry = feature.geometry;
    if (!geometry || geometry.type !== "Point") return null;
    var props = feature.properties || {};
    if (props.id === undefined && feature.id !== undefined) props.id = feature.id;
    var c = geometry.coordinates;
    var marker = L.marker([c[1], c[0]], { icon: pinIcon(props), title: String(props.title || "") });
    marker.proposalId = String(parseInt(props.id, 10));
    marker.bindPopup(function () {
      var shown = {};
      Object.keys(props).forEach(function (key) { shown[key] = props[key]; });
      shown.url = pageLink(link, props);
      return popupContent(shown, labels);
    }, popupOptions);
    return marker;
  }

  /* Clusters in the site's palette: a dark brand-coloured disc with a white count, three sizes. */
  function clusterIcon(cluster) {
    var count = cluster.getChildCount();
    var size = count < 10 ? "small" : count < 100 ? "medium" : "large";
    var px = { small: 34, medium: 40, large: 48 }[size];
    var label = element("span", "pin-cluster__count", count);
    return L.divIcon({
      html: label,
      className: "pin-cluster pin-cluster--" + size,
      iconSize: L.point(px, px)
    });
  }

  /* The list beside the map and the markers point at each other: hovering or focusing an entry
   * lights up its pin (or the cluster holding it); opening a pin lights up and reveals its entry;
   * "Show on the map" zooms to the pin and opens it. */
  function linkList(map, group, markers, labels) {
    var byId = {};
    markers.forEach(function (m) { byId[m.proposalId] = m; });
    var items = document.querySelectorAll("[data-proposal]");
    var lit = null;

    function iconOf(marker) {
      var shown = group.getVisibleParent(marker);
      return shown && shown._icon ? shown._icon : null;
    }
    function light(marker, on) {
      var icon = marker && iconOf(marker);
      if (icon) icon.classList.toggle("is-highlighted", on);
    }

    Array.prototype.forEach.call(items, function (item) {
      var marker = byId[item.getAttribute("data-proposal")];
      if (!marker) return;
      item.addEventListener("mouseenter", function () { lit = marker; light(marker, true); });
      item.addEventListener("mouseleave", function () { light(marker, false); });
      item.addEventListener("focusin", function () { lit = marker; light(marker, true); });
      item.addEventListener("focusout", function () { light(marker, false); });
      if (!item.querySelector(".proposal-item__locate")) {
        var button = element("button", "proposal-item__locate", labels.show_on_map || "Map");
        button.type = "button";
        button.insertBefore(window.MmkCommon.icon("location"), button.firstChild);
        button.addEventListener("click", function () {
          document.dispatchEvent(new CustomEvent("mmk:show-map"));
          group.zoomToShowLayer(marker, function () { marker.openPopup(); });
        });
        item.appendChild(button);
      }
      marker.on("popupopen", function () {
        Array.prototype.forEach.call(items, function (other) { other.classList.remove("is-selected"); });
        item.classList.add("is-selected");
        var list = item.closest(".project-stage__list");
        // Reveal the entry inside the list's own scroll box, not by scrolling the page.
        if (list && item.offsetParent && list.scrollHeight > list.clientHeight) {
          list.scrollTop = item.offsetTop - list.offsetTop - 8;
        }
      });
      marker.on("popupclose", function () { item.classList.remove("is-selected"); });
      marker.on("mouseover", function () { item.classList.add("is-hovered"); });
      marker.on("mouseout", function () { item.classList.remove("is-hovered"); });
    });
    // Clusters are redrawn on zoom: light the pin of the hovered entry again.
    map.on("zoomend", function () { if (lit) light(lit, false); });
  }

  function setStatus(node, text) {
    if (node) node.textContent = text;
  }

  /* The proposals as vector tiles, category-coloured like the markers. */
  function addTiles(map, tiles, pageUrl, labels) {
    return window.MmkCommon.proposalTiles(map, window.MmkCommon.tileUrl(tiles.url, pageUrl), {
      maxZoom: tiles.maxZoom,
      radius: 6,
      link: tiles.proposalUrl,
      number: number,
      clusterLabel: function (count) {
        return String(count === 1 ? labels.cluster_one : labels.cluster).replace("%(count)s", number(count));
      },
      colour: function (props) {
        return COLOR.test(props.category_color || "") ? props.category_color : "#0b4f6c";
      },
      popup: function (props, href, popup) {
        fillFromDetail(popup, tiles.detailUrl, props.id, href, labels);
        return popupContent({ title: props.title, vote_count: props.vote_count, url: href }, labels);
      }
    });
  }

  /* A tile carries a few properties per point; the popup then shows what a marker's shows
   * (photo, category, comment count) once the proposal's own Feature arrives from the API.
   * Until then, and if it fails, the tile's properties stand. The link stays the page's. */
  function fillFromDetail(popup, template, id, href, labels) {
    var pk = parseInt(id, 10);
    var url = template && pk > 0 ? sameOrigin(template.replace("{id}", String(pk))) : "";
    if (!url || !popup) return;
    fetch(url, { headers: { Accept: "application/geo+json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (feature) {
        var props = feature && feature.properties;
        if (!props || !popup.isOpen()) return;
        var focused = popup.getElement().contains(document.activeElement);
        popup.setContent(popupContent(Object.assign({}, props, { url: href }), labels));
        // A keyboard user inside the popup stays inside it.
        var link = focused && popup.getElement().querySelector("a");
        if (link) link.focus();
      })
      .catch(function () { /* the tile's properties stay */ });
  }

  /* Adds a cluster layer to `map` and fills it page by page from `url` (rel=next links). */
  function loadPins(map, url, options) {
    var labels = options.labels || {};
    var status = options.statusElement;
    var tiles = options.tiles;
    var group = L.markerClusterGroup({
      chunkedLoading: true,
      showCoverageOnHover: false,
      iconCreateFunction: clusterIcon
    });
    map.addLayer(group);
    var link = tiles ? tiles.proposalUrl : null;
    var all = [];
    var count = 0;
    var first = true;
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
          var matched = data.numberMatched;
          if (first && tiles && window.MmkCommon.TileGrid() && typeof matched === "number" && matched > tiles.threshold) {
            // Too many for markers: no further pages, the tiles show them all.
            map.removeLayer(group);
            addTiles(map, tiles, target, labels);
            setStatus(status, String(labels.loaded_tiles).replace("%(count)s", number(matched)));
            map.getContainer().setAttribute("data-pins-mode", "tiles");
            map.getContainer().setAttribute("data-pins-loaded", String(matched));
            return;
          }
          first = false;
          var markers = [];
          var popupOptions = window.MmkCommon.popupOptions(map);
          (data.features || []).forEach(function (feature) {
            var marker = toMarker(feature, labels, link, popupOptions);
            if (marker) markers.push(marker);
          });
          group.addLayers(markers);
          all = all.concat(markers);
          count += markers.length;
          var next = (data.links || []).filter(function (link) {
            return link.rel === "next";
          })[0];
          if (next) {
            fetchPage(next.href);
          } else {
            var done = count === 0 ? labels.loaded_none : count === 1 ? labels.loaded_one : labels.loaded;
            setStatus(status, String(done).replace("%(count)s", number(count)));
            linkList(map, group, all, labels);
            map.getContainer().setAttribute("data-pins-mode", "markers");
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
