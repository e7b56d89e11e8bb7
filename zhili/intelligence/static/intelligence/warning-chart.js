// The warning's daily requests against the expected count (ECharts); the table beside it holds the same numbers.
(function () {
  var el = document.getElementById("warning-chart");
  var data = document.getElementById("warning-series");
  if (!el || !data || typeof echarts === "undefined") return;
  var me = document.currentScript;
  var rows = JSON.parse(data.textContent);
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { data: [me.dataset.requests, me.dataset.expected] },
    grid: { left: 40, right: 16, top: 32, bottom: 40 },
    xAxis: { type: "category", data: rows.map(function (r) { return r.day.slice(5); }) },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: me.dataset.requests, type: "line", data: rows.map(function (r) { return r.count; }),
        markPoint: { data: [{ coord: [rows.length - 1, rows[rows.length - 1].count] }] } },
      { name: me.dataset.expected, type: "line", lineStyle: { type: "dashed" }, symbol: "none",
        data: rows.map(function (r) { return r.expected; }) }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
