/* Grid map: draw the visible grids from the API on a plain background (no tile server) and load a
   grid's card into the side panel with htmx when it is clicked. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) { return; }
  var map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
  map.setView([39.9, 116.4], 11);
  var selected = null;

  function say(text) {
    var box = document.createElement("div");
    box.className = "map-message";
    box.textContent = text;
    el.appendChild(box);
  }

  function showCard(id, layer) {
    if (selected) { selected.getElement().classList.remove("selected"); }
    selected = layer;
    layer.getElement().classList.add("selected");
    var url = el.dataset.cardUrl.replace(/\/0\/card\/$/, "/" + encodeURIComponent(id) + "/card/");
    htmx.ajax("GET", url, { target: "#grid-card", swap: "innerHTML" });
  }

  fetch(el.dataset.geojsonUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    })
    .then(function (data) {
      var layer = L.geoJSON(data, {
        className: "zhili-grid",
        style: function () {
          return { color: "#c0392b", weight: 2, fillColor: "#1d6fb8", fillOpacity: 0.15 };
        },
        onEachFeature: function (feature, item) {
          item.bindTooltip(feature.properties.name, {
            permanent: true, direction: "center", className: "zhili-grid-label"
          });
          item.on("click", function () { showCard(feature.properties.id, item); });
        }
      }).addTo(map);
      layer.eachLayer(function (item) {
        var path = item.getElement();
        path.setAttribute("data-grid-id", item.feature.properties.id);
        path.setAttribute("aria-label", item.feature.properties.name);
      });
      if (data.features.length) {
        map.fitBounds(layer.getBounds(), { padding: [16, 16], animate: false });
      } else {
        say(el.dataset.emptyText);
      }
      el.setAttribute("data-ready", "1");
    })
    .catch(function () { say(el.dataset.errorText); });
})();
