// Charts of the supervisor dashboards. Each reads its numbers from a json_script block the
// server rendered; the same numbers are in a table beside the chart for screen readers.
(function () {
  "use strict";
  var COLOURS = {
    kept: "#1d7a46", partially_kept: "#d08a1a", broken: "#b3261e", pending: "#8a94a6", made: "#0b5cad"
  };

  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function trendChart() {
    var trend = data("trend-data");
    var canvas = document.getElementById("trend-chart");
    if (!trend || !canvas) return;
    var datasets = trend.series.map(function (series) {
      return { type: "bar", label: series.label, data: series.data, backgroundColor: COLOURS[series.key], stack: "due" };
    });
    datasets.push({
      type: "line", label: trend.made.label, data: trend.made.data, borderColor: COLOURS.made,
      backgroundColor: COLOURS.made, tension: 0.2
    });
    new window.Chart(canvas, {
      data: { labels: trend.labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
  }

  function agingCharts() {
    var aging = data("aging-data");
    if (!aging) return;
    aging.forEach(function (row) {
      var canvas = document.getElementById("aging-chart-" + row.currency);
      if (!canvas) return;
      new window.Chart(canvas, {
        type: "bar",
        data: { labels: row.labels, datasets: [{ label: row.currency, data: row.data, backgroundColor: "#0b5cad" }] },
        options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } },
          scales: { y: { beginAtZero: true } } }
      });
    });
  }

  function start() {
    if (!window.Chart) return;  // the tables still carry every number
    trendChart();
    agingCharts();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
