/* The outreach overview's stacked bars per service (ECharts). */
(function () {
  "use strict";
  var colours = { reached: "#1e7e34", open: "#2e86c1", overdue: "#c0392b" };
  function draw() {
    var el = document.getElementById("overview-chart");
    var source = document.getElementById("overview-data");
    if (!el || !source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var chart = echarts.init(el);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 8, right: 8, bottom: 8, top: 32, containLabel: true },
      xAxis: { type: "category", data: data.services, axisLabel: { interval: 0, overflow: "truncate", width: 90 } },
      yAxis: { type: "value", minInterval: 1 },
      series: data.series.map(function (s) {
        return { name: s.name, type: "bar", stack: "all", data: s.data, itemStyle: { color: colours[s.key] } };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.setAttribute("data-ready", "1");
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
