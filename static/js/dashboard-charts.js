// Charts of the supervisor dashboards. Each reads its numbers from a json_script block the
// server rendered; the same numbers are in a table beside the chart for screen readers.
(function () {
  "use strict";
  var COLOURS = {
    kept: "#1d7a46", partially_kept: "#d08a1a", broken: "#b3261e", pending: "#8a94a6", made: "#0b5cad"
  };

  // Numbers are written as the page writes them (its language's separators, which the server
  // puts on <body>), not in the browser's locale: a Spanish page in an English browser wrote
  // "40,000" in its charts beside "40 000" in its tables.
  var body = document.body.dataset;
  var DECIMAL = body.decimalSeparator || ".";
  var GROUP = body.thousandSeparator === undefined ? "," : body.thousandSeparator;

  function formatNumber(value, decimals) {
    if (typeof value !== "number" || !isFinite(value)) return String(value);
    if (decimals === undefined) decimals = Number.isInteger(value) ? 0 : 2;
    var parts = Math.abs(value).toFixed(decimals).split(".");
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, GROUP);
    return (value < 0 ? "-" : "") + whole + (parts[1] ? DECIMAL + parts[1] : "");
  }

  function countLabel(context) {
    return (context.dataset.label ? context.dataset.label + ": " : "") + formatNumber(context.parsed.y, 0);
  }

  function moneyLabel(currency) {
    return function (context) { return formatNumber(context.parsed.y, 2) + "\u00a0" + currency; };
  }

  function numberAxis(options) {
    return Object.assign({ beginAtZero: true, ticks: { callback: function (value) { return formatNumber(value); } } }, options || {});
  }

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
        responsive: true, maintainAspectRatio: false, animation: false, locale: document.documentElement.lang,
        plugins: { tooltip: { callbacks: { label: countLabel } } },
        scales: {
          x: { stacked: true },
          y: numberAxis({ stacked: true, ticks: { precision: 0, callback: function (value) { return formatNumber(value, 0); } } })
        }
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
        options: {
          responsive: true, maintainAspectRatio: false, animation: false, locale: document.documentElement.lang,
          plugins: { legend: { display: false }, tooltip: { callbacks: { label: moneyLabel(row.currency) } } },
          scales: { y: numberAxis() }
        }
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
