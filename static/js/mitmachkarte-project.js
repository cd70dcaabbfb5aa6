/* Mitmachkarte: the project page's map/list switch for narrow screens.
 *
 * Without this script the map and the list stand one below the other. With it, a narrow screen
 * shows one at a time (the map first) and two buttons switch; wide screens show both side by
 * side and hide the buttons (CSS). Leaflet is told when the map becomes visible again.
 */
(function () {
  "use strict";

  var stage = document.querySelector("[data-stage]");
  if (!stage) return;
  var switcher = stage.querySelector(".stage-switch");
  if (!switcher) return;
  var buttons = switcher.querySelectorAll("[data-view]");

  function show(view) {
    stage.classList.toggle("is-map", view === "map");
    stage.classList.toggle("is-list", view === "list");
    Array.prototype.forEach.call(buttons, function (button) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-view") === view));
    });
    // A map that was hidden has no size: Leaflet measures again on a resize event.
    if (view === "map") window.dispatchEvent(new Event("resize"));
  }

  Array.prototype.forEach.call(buttons, function (button) {
    button.addEventListener("click", function () {
      show(button.getAttribute("data-view"));
    });
  });
  document.addEventListener("mmk:show-map", function () {
    show("map");
  });
  // A link to one entry of the list (#vorschlag-12) opens the list.
  var wanted = window.location.hash && document.getElementById(window.location.hash.slice(1));
  stage.classList.add("has-switch");
  switcher.hidden = false;
  show(wanted && stage.querySelector(".project-stage__list").contains(wanted) ? "list" : "map");
})();
