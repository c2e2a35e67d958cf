/* Dashboard and report charts (Chart.js): root-cause Pareto, weekly trend, on-time % per priority. */
(function () {
  "use strict";
  var printButton = document.getElementById("print-report");
  if (printButton) { printButton.addEventListener("click", function () { window.print(); }); }
  var dataNode = document.getElementById("chart-data");
  var labelsNode = document.getElementById("chart-labels");
  if (!dataNode || !labelsNode || !window.Chart) { return; }
  var data = JSON.parse(dataNode.textContent || "{}");
  var text = labelsNode.dataset;
  var common = { animation: false, responsive: true, maintainAspectRatio: false };

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    new window.Chart(canvas, config);
    canvas.setAttribute("data-drawn", "1");
  }

  var pareto = data.pareto || [];
  draw("chart-pareto", {
    data: {
      labels: pareto.map(function (r) { return r.label; }),
      datasets: [
        { type: "bar", label: text.count, data: pareto.map(function (r) { return r.count; }), backgroundColor: "#1d5fbf", yAxisID: "y" },
        { type: "line", label: text.cumulative, data: pareto.map(function (r) { return r.cumulative_percent; }),
          borderColor: "#b0182c", backgroundColor: "#b0182c", yAxisID: "y1" }
      ]
    },
    options: Object.assign({}, common, { scales: { y: { beginAtZero: true }, y1: { position: "right", min: 0, max: 100 } } })
  });

  var weeks = data.weeks || {};
  draw("chart-weeks", {
    type: "line",
    data: { labels: Object.keys(weeks), datasets: [{ label: text.count, data: Object.values(weeks), borderColor: "#13294b", backgroundColor: "#13294b" }] },
    options: Object.assign({}, common, { scales: { y: { beginAtZero: true } } })
  });

  var priorities = ["high", "normal", "low"];
  draw("chart-ontime", {
    type: "bar",
    data: {
      labels: priorities.map(function (p) { return text[p]; }),
      datasets: [
        { label: text.solution, data: priorities.map(function (p) { return (data.solution_in_time || {})[p]; }), backgroundColor: "#1d5fbf" },
        { label: text.ontime, data: priorities.map(function (p) { return (data.on_time || {})[p]; }), backgroundColor: "#1b7f3b" }
      ]
    },
    options: Object.assign({}, common, { scales: { y: { min: 0, max: 100 } } })
  });
})();
