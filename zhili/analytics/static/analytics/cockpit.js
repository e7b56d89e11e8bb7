/* Cockpit and big screen: draw the tiles' ECharts from the JSON the page carries, the grid map with
   Leaflet (no tile server), the table-view toggles, and the category drill-down (htmx). Runs again
   after every htmx swap (a category level, or the big screen's refresh). */
(function () {
  "use strict";
  var charts = [];
  var leaflet = null;

  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function dark() { return document.body.classList.contains("screen"); }

  // The big screen is scaled as a whole to fit the window (screen.js); when it is scaled up, a canvas
  // drawn with as many more pixels stays sharp. Elsewhere this is the device's own ratio.
  function pixelRatio() {
    var ratio = window.devicePixelRatio || 1;
    var scale = parseFloat(getComputedStyle(document.documentElement).getPropertyValue("--screen-scale"));
    return scale > 1 ? ratio * scale : ratio;
  }

  // A chart without figures says so instead of showing empty axes.
  function chart(el, option, empty, emptyText) {
    if (!el || !window.echarts) { return null; }
    if (empty && emptyText) {
      option.graphic = {
        type: "text", left: "center", top: "middle", silent: true,
        style: { text: emptyText, fontSize: 14, fill: dark() ? "#8fa8c8" : "#6b7780" }
      };
    }
    var old = echarts.getInstanceByDom(el);
    if (old) { old.dispose(); }
    var c = echarts.init(el, dark() ? "dark" : null, { renderer: "canvas", devicePixelRatio: pixelRatio() });
    option.backgroundColor = "transparent";
    c.setOption(option);
    charts.push(c);
    el.setAttribute("data-ready", "1");
    if (empty) { el.setAttribute("data-empty", "1"); } else { el.removeAttribute("data-empty"); }
    return c;
  }

  function pct(v) { return v === null || v === undefined ? null : Math.round(v * 1000) / 10; }

  function lineOption(rows, series, labels, percent) {
    return {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 16, top: 32, bottom: 28 },
      xAxis: { type: "category", data: rows.map(function (r) { return r.day.slice(5); }) },
      yAxis: percent ? { type: "value", max: 100, axisLabel: { formatter: "{value}%" } } : { type: "value", minInterval: 1 },
      series: series.map(function (key) {
        return {
          // A rate is not drawn as a curve: a smooth line across days without ratings reads as a trend.
          name: labels[key], type: "line", smooth: !percent, showSymbol: rows.length < 40, connectNulls: true,
          data: rows.map(function (r) { return percent ? pct(r[key]) : r[key]; })
        };
      })
    };
  }

  var RATE_KEYS = ["response_rate", "on_time_rate", "resolution_rate", "satisfaction_rate"];

  function noRates(rows) {
    return !rows.some(function (r) { return RATE_KEYS.some(function (key) { return r[key] !== null && r[key] !== undefined; }); });
  }

  function ratesOption(rows, labels, el) {
    var keys = RATE_KEYS;
    // Many grids: the busiest first, a few at a time, the rest behind a slider (all of them in the table).
    rows = rows.slice().sort(function (a, b) { return (b.received || 0) - (a.received || 0); });
    var shown = Math.max(4, Math.floor((el ? el.clientWidth : 600) / 60));
    var zoom = rows.length > shown;
    var option = {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v + "%"; } },
      legend: { top: 0 },
      grid: { left: 40, right: 16, top: 48, bottom: zoom ? 84 : 60 },
      xAxis: {
        type: "category", data: rows.map(function (r) { return r.name; }),
        axisLabel: { rotate: Math.min(rows.length, shown) > 4 ? 30 : 0, interval: 0, width: 120, overflow: "truncate" }
      },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: keys.map(function (key) {
        return { name: labels[key], type: "bar", data: rows.map(function (r) { return pct(r[key]); }) };
      })
    };
    if (zoom) {
      option.dataZoom = [
        { type: "slider", xAxisIndex: 0, startValue: 0, endValue: shown - 1, height: 14, bottom: 6, showDetail: false },
        { type: "inside", xAxisIndex: 0, zoomOnMouseWheel: false, moveOnMouseWheel: true }
      ];
    }
    return option;
  }

  function drawCategories(root) {
    var el = root.querySelector("[data-chart=categories]");
    var rows = data("category-data");
    var all = data("cockpit-data");
    if (!el || !rows) { return; }
    var sorted = rows.slice().reverse();
    var c = chart(el, {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 110, right: 24, top: 8, bottom: 24 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: sorted.map(function (r) { return r.name; }) },
      series: [{
        type: "bar",
        data: sorted.map(function (r) {
          return { value: r.received, itemStyle: { color: r.drill ? "#1d6fb8" : "#7f9bb6" } };
        })
      }]
    }, !rows.length, all && all.labels.no_data);
    if (c) {
      c.on("click", function (params) {
        var row = sorted[params.dataIndex];
        if (row && row.drill_url && document.getElementById("tile-categories")) {
          htmx.ajax("GET", row.drill_url, { target: "#tile-categories", swap: "outerHTML" });
        }
      });
    }
  }

  function colour(value, max) {
    if (!max || value === null || value === undefined) { return "#d9e2ec"; }
    var t = Math.min(1, value / max);
    var r = Math.round(255 - t * (255 - 192)), g = Math.round(235 - t * (235 - 57)), b = Math.round(200 - t * (200 - 43));
    return "rgb(" + r + "," + g + "," + b + ")";
  }

  function drawMap(root) {
    var el = root.querySelector("#cockpit-map");
    var geo = data("cockpit-map-data");
    if (!el || !geo || !window.L) { return; }
    if (leaflet) { leaflet.remove(); leaflet = null; }
    leaflet = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
    leaflet.setView([39.9, 116.4], 11);
    var select = document.querySelector("[data-map-metric]");
    var metric = select ? select.value : "received";
    var max = 0;
    geo.features.forEach(function (f) { max = Math.max(max, f.properties[metric] || 0); });
    var layer = L.geoJSON(geo, {
      className: "cockpit-grid",
      style: function (f) {
        return { color: "#555", weight: 1, fillColor: colour(f.properties[metric], max), fillOpacity: 0.8 };
      },
      onEachFeature: function (f, item) {
        var value = metric === "received" ? f.properties.received : (f.properties.overdue_rate === null ? "—" : pct(f.properties.overdue_rate) + "%");
        item.bindTooltip(f.properties.name + " · " + value, { sticky: true });
        item.on("click", function () { window.location.href = f.properties.url; });
      }
    }).addTo(leaflet);
    layer.eachLayer(function (item) {
      var path = item.getElement();
      path.setAttribute("data-grid-id", item.feature.properties.id);
      path.setAttribute("aria-label", item.feature.properties.name);
    });
    if (geo.features.length) {
      leaflet.fitBounds(layer.getBounds(), { padding: [12, 12], animate: false });
    } else {
      var box = document.createElement("div");
      box.className = "map-message";
      box.textContent = el.dataset.emptyText;
      el.appendChild(box);
    }
    el.setAttribute("data-ready", "1");
  }

  function init(root) {
    // Charts whose element a swap took away (a category level, the big screen's refresh).
    charts = charts.filter(function (c) {
      if (c.isDisposed()) { return false; }
      if (!document.body.contains(c.getDom())) { c.dispose(); return false; }
      return true;
    });
    var all = data("cockpit-data");
    if (all) {
      var labels = all.labels;
      var none = labels.no_data;
      var quiet = !all.trend.some(function (r) { return r.received || r.closed; });
      var el = root.querySelector("[data-chart=trend]");
      chart(el, lineOption(all.trend, ["received", "closed"], labels, false), quiet, none);
      el = root.querySelector("[data-chart=satisfaction]");
      chart(el, lineOption(all.satisfaction, ["satisfaction_rate"], labels, true), noRates(all.satisfaction), quiet ? none : labels.no_ratings);
      el = root.querySelector("[data-chart=departments]");
      chart(el, ratesOption(all.departments, labels, el), noRates(all.departments), none);
      el = root.querySelector("[data-chart=grids]");
      chart(el, ratesOption(all.grids, labels, el), noRates(all.grids), none);
      drawMap(root);
    }
    drawCategories(root);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-toggle-table]");
    if (!button) { return; }
    var tile = button.closest(".tile");
    var table = tile.querySelector(".tile-table");
    var showing = table.hidden;
    table.hidden = !showing;
    tile.querySelectorAll(".chart").forEach(function (el) { el.hidden = showing; });
    button.setAttribute("aria-pressed", showing ? "true" : "false");
    if (!showing) { charts.forEach(function (c) { if (!c.isDisposed()) { c.resize(); } }); }
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-map-metric]")) { drawMap(document); }
    if (event.target.matches("#id_period")) {
      var custom = event.target.value === "custom";
      document.querySelectorAll("#id_start, #id_end").forEach(function (el) { el.closest("p").hidden = !custom; });
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var period = document.getElementById("id_period");
    if (period && period.value !== "custom") {
      document.querySelectorAll("#id_start, #id_end").forEach(function (el) { el.closest("p").hidden = true; });
    }
    init(document);
  });
  document.body.addEventListener("htmx:afterSettle", function (event) { init(event.detail.elt.ownerDocument || document); });
  window.addEventListener("resize", function () { charts.forEach(function (c) { if (!c.isDisposed()) { c.resize(); } }); });
})();
