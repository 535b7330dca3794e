// Charts of the analytics pages (party composition, order statistics): draws an ECharts chart over each [data-chart] element of the page
// (the table below it carries the same numbers for readers without script). Loaded after
// vendor/echarts.min.js; does nothing without it.
(function () {
  "use strict";
  function draw() {
    if (!window.echarts) return;
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var spec;
      try { spec = JSON.parse(el.getAttribute("data-chart")); } catch (e) { return; }
      // A pie of nothing (no course assigned yet) would draw equal slices: the table says it.
      if (spec.type === "pie" && !spec.data.some(function (d) { return d.value > 0; })) return;
      // Shown before it is drawn: ECharts measures the box, and a hidden one (display: none
      // until drawn) measured 100 px wide, the bars squeezed against the axis; the labels'
      // width below is the box's too.
      el.classList.add("drawn");
      var option;
      // "stack": categories, and series of {name, data, color} stacked per category; "series":
      // the same side by side, a series with line set drawn as a line (null: no point), the
      // axis named unit and ending at max when given (an index of 0–100).
      if (spec.type === "stack" || spec.type === "series") {
        var stacked = spec.type === "stack";
        option = { tooltip: { trigger: "axis" }, legend: { bottom: 0, type: "scroll" },
          grid: { left: 40, right: 12, top: spec.unit ? 28 : 12, bottom: 56 },
          xAxis: { type: "category", data: spec.categories, axisLabel: { interval: stacked ? 0 : "auto" } },
          yAxis: { type: "value", minInterval: spec.unit ? 0 : 1, name: spec.unit || "", max: spec.max },
          series: spec.series.map(function (s) {
            return { type: s.line ? "line" : "bar", stack: stacked ? "all" : undefined, connectNulls: true, name: s.name, data: s.data, itemStyle: { color: s.color }, lineStyle: s.line ? { color: s.color } : undefined };
          }) };
      }
      var names = (spec.data || []).map(function (d) { return d.name; });
      option = option || (spec.type === "pie"
        ? { tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
            legend: { bottom: 0, type: "scroll" },
            series: [{ type: "pie", radius: ["35%", "65%"], center: ["50%", "45%"], data: spec.data, label: { show: false } }] }
        : { tooltip: { trigger: "axis" },
            grid: { left: 40, right: 12, top: 12, bottom: 56 },
            // A long option's name breaks into lines within its bar's width (on a phone two
            // names side by side ran into each other); more than five names are turned instead.
            xAxis: { type: "category", data: names, axisLabel: names.length > 5 ? { interval: 0, rotate: 30 }
              : { interval: 0, width: Math.max(40, (el.clientWidth - 52) / Math.max(names.length, 1) - 8), overflow: "break" } },
            yAxis: { type: "value", minInterval: 1 },
            series: [{ type: "bar", data: spec.data.map(function (d) { return d.value; }), itemStyle: { color: "#c8161d" } }] });
      var c = window.echarts.init(el, null, { renderer: "svg" });
      c.setOption(option);
      charts.push(c);
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
