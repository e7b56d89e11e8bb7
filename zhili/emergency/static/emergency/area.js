/* The alert's area on a plain Leaflet map (no tile server): grids from the page, and a polygon drawn
   by clicking its corners (the form keeps it as GeoJSON in the hidden "polygon" field). */
(function () {
  "use strict";
  var el = document.getElementById("area-map");
  if (!el || !window.L) { return; }
  var map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
  map.setView([39.9, 116.4], 12);
  var grids = JSON.parse(document.getElementById("grid-features").textContent || "null");
  var bounds = null;
  if (grids && grids.features && grids.features.length) {
    var layer = L.geoJSON(grids, {
      style: function () { return { color: "#1d6fb8", weight: 1.5, fillOpacity: 0.08 }; },
      onEachFeature: function (feature, item) { item.bindTooltip(feature.properties.name, { direction: "center" }); }
    }).addTo(map);
    bounds = layer.getBounds();
  }
  var drawn = null;
  function show(latlngs) {
    if (drawn) { map.removeLayer(drawn); drawn = null; }
    if (latlngs.length >= 2) {
      drawn = L.polygon(latlngs, { color: "#c0392b", weight: 2, fillOpacity: 0.2 }).addTo(map);
    }
  }
  var stored = document.getElementById("alert-polygon");
  if (stored) {
    var geo = JSON.parse(stored.textContent || "null");
    if (geo && geo.coordinates) {
      show(geo.coordinates[0].map(function (p) { return [p[1], p[0]]; }));
      if (drawn) { bounds = drawn.getBounds(); }
    }
  }
  if (bounds) { map.fitBounds(bounds, { padding: [12, 12], animate: false }); }
  el.setAttribute("data-ready", "1");
  if (!el.dataset.edit) { return; }

  var field = document.querySelector("input[name=polygon]");
  var counter = document.getElementById("vertex-count");
  var points = [];
  if (field && field.value) {
    try {
      var value = JSON.parse(field.value);
      points = value.coordinates[0].slice(0, -1).map(function (p) { return [p[1], p[0]]; });
    } catch (e) { points = []; }
  }
  function sync() {
    show(points);
    if (counter) { counter.textContent = points.length ? points.length + " ·" : ""; }
    if (!field) { return; }
    if (points.length < 3) { field.value = ""; return; }
    var ring = points.map(function (p) { return [p[1], p[0]]; });
    ring.push(ring[0]);
    field.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
  }
  map.on("click", function (event) {
    points.push([event.latlng.lat, event.latlng.lng]);
    sync();
  });
  var clear = document.getElementById("clear-polygon");
  if (clear) { clear.addEventListener("click", function () { points = []; sync(); }); }
  sync();
})();
