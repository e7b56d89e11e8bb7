// Totals per subject over the months of an indicator set; the table below shows the same figures.
(function () {
  var el = document.getElementById("trend-chart");
  var src = document.getElementById("trend-data");
  if (!el || !src || !window.echarts) return;
  var data = JSON.parse(src.textContent);
  var chart = window.echarts.init(el);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { type: "scroll", top: 0 },
    grid: { top: 40, left: 40, right: 20, bottom: 30 },
    xAxis: { type: "category", data: data.months },
    yAxis: { type: "value", name: data.yName, min: 0, max: 100 },
    series: data.series.map(function (s) {
      return { name: s.name, type: "line", data: s.data, connectNulls: false };
    }),
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
