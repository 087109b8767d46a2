/**
 * The report page's own script, run in the browser after Chart.js: it reads the report data from
 * the <script id="report-data" type="application/json"> element and draws every chart into the
 * canvases the page declares. Text reaches the page only through Chart.js (drawn on canvas) or
 * textContent, never innerHTML, so names cannot inject markup. Animations are off so the page is
 * complete (and testable) as soon as `document.body.dataset.chartsReady` is set.
 */
export const CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';
  var report = JSON.parse(document.getElementById('report-data').textContent);
  var palette = JSON.parse(document.getElementById('report-palette').textContent);
  var models = report.models;
  var colorOf = function (i) { return palette[i % palette.length]; };
  var pct = function (v) { return v === null || v === undefined ? null : 100 * v; };

  Chart.defaults.animation = false;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 13;
  Chart.defaults.color = '#27313b';
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.legend.labels.usePointStyle = true;

  function axis(title, extra) {
    var a = { title: { display: true, text: title, font: { weight: 'bold' } }, grid: { color: '#e6e9ee' } };
    for (var k in extra) a[k] = extra[k];
    return a;
  }

  function tradeOff(canvasId, xTitle, xOf, xLabel) {
    var points = models.map(function (m, i) { return { x: xOf(m), y: pct(m.metrics.accuracy.value), i: i }; });
    var datasets = points.map(function (p) {
      return {
        type: 'scatter', label: models[p.i].name, data: [{ x: p.x, y: p.y }],
        backgroundColor: colorOf(p.i), borderColor: colorOf(p.i), pointRadius: 7, pointHoverRadius: 9,
      };
    });
    var front = report.pareto[canvasId] || [];
    datasets.push({
      type: 'line', label: 'Pareto front', data: front.map(function (i) { return { x: points[i].x, y: points[i].y }; }),
      // Rings around the front's models, so a one-model front is visible too.
      borderColor: '#27313b', borderDash: [6, 4], borderWidth: 1.5, fill: false, order: 10,
      pointRadius: 11, pointHoverRadius: 11, pointBorderWidth: 1.5, pointBackgroundColor: 'rgba(0,0,0,0)',
    });
    new Chart(document.getElementById(canvasId), {
      data: { datasets: datasets },
      options: {
        scales: { x: axis(xTitle, { type: 'linear', grace: '5%' }), y: axis('accuracy (%)', { grace: '5%' }) },
        plugins: {
          legend: { position: 'bottom' },
          tooltip: { callbacks: { label: function (ctx) {
            return ctx.dataset.label + ': ' + ctx.parsed.y.toFixed(2) + '% at ' + xLabel(ctx.parsed.x);
          } } },
        },
      },
    });
  }

  tradeOff('accuracy-vs-size', 'file size (KiB, raw)', function (m) { return m.bytes.raw / 1024; },
    function (x) { return x.toFixed(1) + ' KiB'; });
  tradeOff('accuracy-vs-latency', 'p50 latency (ms)', function (m) { return m.latency.p50Ms; },
    function (x) { return x.toFixed(3) + ' ms'; });

  var classLabels = (models[0] ? models[0].metrics.perClass : []).map(function (c) { return String(c.class); });
  new Chart(document.getElementById('per-class-accuracy'), {
    type: 'bar',
    data: {
      labels: classLabels,
      datasets: models.map(function (m, i) {
        return { label: m.name, data: m.metrics.perClass.map(function (c) { return pct(c.recall); }), backgroundColor: colorOf(i) };
      }),
    },
    options: {
      scales: { x: axis('class'), y: axis('accuracy (recall, %)', { min: 0, max: 100 }) },
      plugins: { legend: { position: 'bottom' } },
    },
  });

  new Chart(document.getElementById('per-class-ece'), {
    type: 'bar',
    data: {
      labels: classLabels,
      datasets: models.map(function (m, i) {
        return { label: m.name, data: m.metrics.fairness.perClass.map(function (c) { return c.ece; }), backgroundColor: colorOf(i) };
      }),
    },
    options: {
      scales: { x: axis('class'), y: axis('ECE on the class\'s samples', { min: 0 }) },
      plugins: {
        legend: { position: 'bottom' },
        tooltip: { callbacks: { afterLabel: function (ctx) {
          return 'samples: ' + models[ctx.datasetIndex].metrics.fairness.perClass[ctx.dataIndex].samples;
        } } },
      },
    },
  });

  models.forEach(function (m, i) {
    var bins = m.metrics.reliability;
    new Chart(document.getElementById('reliability-' + i), {
      data: {
        labels: bins.map(function (b) { return ((b.lower + b.upper) / 2).toFixed(2); }),
        datasets: [
          { type: 'bar', label: 'accuracy in bin', data: bins.map(function (b) { return b.accuracy; }),
            backgroundColor: colorOf(i), barPercentage: 1, categoryPercentage: 0.95 },
          { type: 'line', label: 'perfect calibration', data: bins.map(function (b) { return (b.lower + b.upper) / 2; }),
            borderColor: '#27313b', borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0 },
        ],
      },
      options: {
        scales: { x: axis('confidence (bin centre)'), y: axis('accuracy', { min: 0, max: 1 }) },
        plugins: {
          legend: { position: 'bottom' },
          tooltip: { callbacks: { afterLabel: function (ctx) { return 'samples: ' + bins[ctx.dataIndex].count; } } },
        },
      },
    });
  });

  models.forEach(function (m, i) {
    var layers = m.perLayer;
    new Chart(document.getElementById('layers-' + i), {
      type: 'bar',
      data: {
        labels: layers.map(function (l) { return l.name; }),
        datasets: [
          { label: 'sparsity (%)', data: layers.map(function (l) { return pct(l.sparsity); }), backgroundColor: colorOf(i), yAxisID: 'y' },
          { label: 'bits per weight', data: layers.map(function (l) { return l.bits; }), backgroundColor: '#9aa5b1', yAxisID: 'bits' },
        ],
      },
      options: {
        scales: {
          x: axis('layer', { ticks: { autoSkip: false, maxRotation: 45 } }),
          y: axis('sparsity (% zero weights)', { min: 0, max: 100, position: 'left' }),
          bits: axis('bits per weight', { min: 0, max: 32, position: 'right', grid: { drawOnChartArea: false }, ticks: { stepSize: 4 } }),
        },
        plugins: { legend: { position: 'bottom' } },
      },
    });
  });

  document.body.dataset.chartsReady = 'true';
})();
`;
