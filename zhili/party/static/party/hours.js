/* Volunteer hours by grid: one bar per grid (ECharts). */
(function () {
  "use strict";
  function draw() {
    var el = document.getElementById("hours-chart");
    var source = document.getElementById("hours-data");
    if (!el || !source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var chart = echarts.init(el);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 8, bottom: 8, top: 16, containLabel: true },
      xAxis: { type: "category", data: data.names, axisLabel: { interval: 0, rotate: data.names.length > 6 ? 40 : 0 } },
      yAxis: { type: "value" },
      series: [{ name: data.label, type: "bar", data: data.hours, itemStyle: { color: "#c0392b" } }]
    });
    el.setAttribute("data-ready", "1");
    window.addEventListener("resize", function () { chart.resize(); });
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
