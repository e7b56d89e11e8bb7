/* Draws each result's chart with ECharts from the JSON the page embeds; the tables beside them
   hold the same figures. */
(function () {
  var node = document.getElementById("survey-charts");
  if (!node || typeof echarts === "undefined") return;
  var charts = JSON.parse(node.textContent);
  var drawn = [];
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var spec = charts[el.getAttribute("data-chart")];
    if (!spec || spec.type === "none") return;
    var chart = echarts.init(el);
    var option;
    if (spec.type === "pie") {
      option = {
        tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
        series: [{ type: "pie", radius: ["30%", "65%"], data: spec.labels.map(function (label, i) {
          return { name: label, value: spec.values[i] };
        }) }]
      };
    } else {
      var line = spec.type === "line";
      option = {
        tooltip: { trigger: "axis" },
        grid: { left: line ? 40 : 100, right: 20, top: 10, bottom: 30 },
        xAxis: line ? { type: "category", data: spec.labels } : { type: "value", minInterval: 1 },
        yAxis: line ? { type: "value", minInterval: 1 } : { type: "category", data: spec.labels, inverse: true },
        series: [{ type: line ? "line" : "bar", data: spec.values, smooth: line, label: { show: !line, position: "right" } }]
      };
    }
    chart.setOption(option);
    drawn.push(chart);
  });
  window.addEventListener("resize", function () { drawn.forEach(function (c) { c.resize(); }); });
})();
