// 分析研判: draws the page's charts with the vendored ECharts from the figures the server put
// in #analytics-data. The tables beside the charts carry the same numbers without script.
import * as echarts from "/static/vendor/echarts-5.6.0/echarts.esm.min.mjs";

const data = JSON.parse(document.getElementById("analytics-data").textContent);

function chart(id, option) {
  const element = document.getElementById(id);
  if (!element) return;
  const instance = echarts.init(element, null, { renderer: "svg" });
  instance.setOption({ animation: false, textStyle: { fontFamily: "inherit" }, ...option });
  window.addEventListener("resize", () => instance.resize());
  element.dataset.ready = "1";
}

chart("chart-trend", {
  tooltip: { trigger: "axis" },
  legend: { data: ["上报", "结案", "按期结案率"] },
  grid: { left: 48, right: 48, top: 36, bottom: 28 },
  xAxis: { type: "category", data: data.trend.keys },
  yAxis: [
    { type: "value", name: "件" },
    { type: "value", name: "%", min: 0, max: 100 },
  ],
  series: [
    { name: "上报", type: "bar", data: data.trend.reported },
    { name: "结案", type: "bar", data: data.trend.closed },
    { name: "按期结案率", type: "line", yAxisIndex: 1, data: data.trend.onTime, connectNulls: true },
  ],
});

chart("chart-ladder", {
  tooltip: { trigger: "item" },
  series: [{ type: "pie", radius: ["40%", "70%"], data: data.ladder }],
});

for (const [id, rows] of [["chart-categories", data.categories], ["chart-sources", data.sources]]) {
  chart(id, {
    tooltip: { trigger: "item" },
    grid: { left: 96, right: 24, top: 8, bottom: 24 },
    xAxis: { type: "value" },
    yAxis: { type: "category", inverse: true, data: rows.map((r) => r.name) },
    series: [{ type: "bar", data: rows.map((r) => r.value) }],
  });
}
