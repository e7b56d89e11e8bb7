/* The progress board's stacked bars (ECharts), redrawn whenever htmx swaps in fresh numbers. */
(function () {
  "use strict";
  var colours = { safe: "#1e7e34", needs_help: "#c0392b", unreachable: "#d68910", open: "#aab4be" };
  var chart = null;
  function draw() {
    var el = document.getElementById("board-chart");
    var source = document.getElementById("board-data");
    if (!el || !source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    if (chart && chart.getDom() !== el) { chart.dispose(); chart = null; }
    chart = chart || echarts.init(el);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 8, right: 8, bottom: 8, top: 32, containLabel: true },
      xAxis: { type: "category", data: data.grids },
      yAxis: { type: "value", minInterval: 1 },
      series: data.series.map(function (s) {
        return { name: s.name, type: "bar", stack: "all", data: s.data, itemStyle: { color: colours[s.key] } };
      })
    }, true);
    el.setAttribute("data-ready", "1");
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.body.addEventListener("htmx:afterSwap", draw);
  window.addEventListener("resize", function () { if (chart) { chart.resize(); } });
})();
