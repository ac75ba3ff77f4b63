// 热点与预测: draws the hotspot cells (centres sized by cases, no base map needed) and the
// forecast with its interval band, with the vendored ECharts, from #insights-data. The tables
// beside the charts carry the same numbers without script.
import * as echarts from "/static/vendor/echarts-5.6.0/echarts.esm.min.mjs";

const data = JSON.parse(document.getElementById("insights-data").textContent);

function chart(id, option) {
  const element = document.getElementById(id);
  if (!element) return;
  const instance = echarts.init(element, null, { renderer: "svg" });
  instance.setOption({ animation: false, textStyle: { fontFamily: "inherit" }, ...option });
  window.addEventListener("resize", () => instance.resize());
  element.dataset.ready = "1";
}

if (data.hotspots.length) {
  const top = Math.max(...data.hotspots.map((h) => h.count));
  chart("chart-hotspots", {
    tooltip: {
      formatter: (p) => `${p.data[3]}<br>本期 ${p.data[2]} 件，z = ${p.data[4]}`,
    },
    grid: { left: 64, right: 24, top: 16, bottom: 32 },
    xAxis: { type: "value", name: "经度", scale: true },
    yAxis: { type: "value", name: "纬度", scale: true },
    series: [
      {
        type: "scatter",
        data: data.hotspots.map((h) => [h.lon, h.lat, h.count, h.cell, h.z]),
        symbolSize: (v) => 8 + 28 * Math.sqrt(v[2] / top),
        itemStyle: { color: "#d9480f", opacity: 0.75 },
      },
    ],
  });
}

const fc = data.forecast;
const days = [...fc.history.map((p) => p[0]), ...fc.points.map((p) => p[0])];
const pad = (n) => Array(n).fill(null);
const h = fc.history.length;
chart("chart-forecast", {
  tooltip: { trigger: "axis" },
  legend: { data: ["实际", "预测", `${Math.round(fc.level * 100)}% 区间`] },
  grid: { left: 48, right: 24, top: 36, bottom: 28 },
  xAxis: { type: "category", data: days },
  yAxis: { type: "value", name: "件" },
  series: [
    { name: "实际", type: "line", showSymbol: false, data: [...fc.history.map((p) => p[1]), ...pad(fc.points.length)] },
    { name: "预测", type: "line", showSymbol: false, lineStyle: { type: "dashed" }, data: [...pad(h), ...fc.points.map((p) => p[1])] },
    // The band: the lower bound (invisible) with the width stacked on top of it.
    { name: "下限", type: "line", stack: "band", symbol: "none", lineStyle: { opacity: 0 }, data: [...pad(h), ...fc.points.map((p) => p[2])] },
    {
      name: `${Math.round(fc.level * 100)}% 区间`, type: "line", stack: "band", symbol: "none",
      lineStyle: { opacity: 0 }, areaStyle: { color: "#4c6ef5", opacity: 0.2 },
      data: [...pad(h), ...fc.points.map((p) => +(p[3] - p[2]).toFixed(2))],
    },
  ],
});
