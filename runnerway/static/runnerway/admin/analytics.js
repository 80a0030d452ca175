// The analytics page's charts: one Chart.js chart per <canvas data-chart>, from the "analytics-charts" JSON.
// Days on a time axis, a value label on every point, gridlines on both axes.
"use strict";
(function () {
  function drawCharts() {
    const charts = JSON.parse(document.getElementById("analytics-charts").textContent);
    Chart.register(ChartDataLabels);
    for (const chart of charts) {
      const canvas = document.querySelector(`canvas[data-chart="${chart.id}"]`);
      new Chart(canvas, {
        type: chart.kind,
        data: {datasets: [{label: chart.title, data: chart.points, backgroundColor: "#79aec8",
                           borderColor: "#417690", borderWidth: 2, pointRadius: 3}]},
        options: {
          maintainAspectRatio: false,
          animation: false,
          parsing: {xAxisKey: "x", yAxisKey: "y"},
          scales: {
            x: {type: "time", time: {unit: "day", tooltipFormat: "yyyy-MM-dd", displayFormats: {day: "MM-dd"}},
                offset: true, grid: {display: true}},
            y: {beginAtZero: true, grid: {display: true}, ticks: {precision: 0}},
          },
          plugins: {
            legend: {display: false},
            datalabels: {anchor: "end", align: "end", offset: 2, color: "#333", font: {size: 10},
                         formatter: point => point.y},
          },
          layout: {padding: {top: 18}},
        },
      });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawCharts);
  } else {
    drawCharts();
  }
})();
