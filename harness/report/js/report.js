/* soak's report charts: each element with data-chart becomes a uPlot chart of the page's JSON
 * document (script#soak-data). Our own code; uPlot, inlined before it, comes from the pinned npm
 * package. Charts in a closed <details> are drawn when it opens, so a page of a hundred charts
 * shows its first screen at once. Every chart of one x axis shares the cursor and the zoom
 * (drag to zoom, double-click to see the whole run). */
(function () {
  "use strict";

  var doc = JSON.parse(document.getElementById("soak-data").textContent);
  window.soakCharts = {};
  var KIB = 1024;
  // [unit, its size in bytes or seconds, where the next unit takes over]
  var SIZES = [["B", 1, KIB], ["KiB", KIB, KIB], ["MiB", KIB * KIB, KIB], ["GiB", KIB * KIB * KIB, KIB],
    ["TiB", KIB * KIB * KIB * KIB, Infinity]];
  var DURATIONS = [["ms", 0.001, 1000], ["s", 1, 120], ["min", 60, 120], ["h", 3600, Infinity]];
  var PALETTE = ["#1f4e9c", "#e8710a", "#188038", "#a142f4", "#d01884", "#12b5cb", "#795548", "#5f6368"];
  var TIME_INCRS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 14400, 21600,
    43200, 86400, 172800, 604800];
  var BYTE_INCRS = [];
  for (var k = 0; k <= 4; k++) {
    [1, 2, 4, 8, 16, 32, 64, 128, 256, 512].forEach(function (m) { BYTE_INCRS.push(m * Math.pow(KIB, k)); });
  }
  var DECIMAL_INCRS = [];
  for (var e = -6; e <= 12; e++) {
    [1, 2, 5].forEach(function (m) { DECIMAL_INCRS.push(Number((m * Math.pow(10, e)).toPrecision(1))); });
  }
  var WHOLE_INCRS = DECIMAL_INCRS.filter(function (v) { return v >= 1; });
  // The narrowest y range for a flat or nearly flat curve: a share of its level, and a floor per unit.
  var MIN_SPAN_SHARE = 0.1;
  var MIN_SPAN = {count: 4, bytes: 64 * KIB, seconds: 0.002, ratio: 0.01, percent: 2, per_s: 2};

  function num(v) {
    var a = Math.abs(v);
    if (Number.isInteger(v) && a < 1e7) return String(v);
    if (a >= 100) return v.toFixed(0);
    if (a >= 10) return v.toFixed(1);
    if (a >= 1) return v.toFixed(2);
    if (a === 0) return "0";
    return String(Number(v.toPrecision(3)));
  }
  function scaled(v, steps) {
    // the unit is chosen after rounding, as shared/human.py does: 1023.9 KiB reads 1.00 MiB
    for (var i = 0; i < steps.length - 1; i++) {
      var text = num(v / steps[i][1]);
      if (Math.abs(Number(text)) < steps[i][2]) return text + " " + steps[i][0];
    }
    return num(v / steps[i][1]) + " " + steps[i][0];
  }
  function bytes(v) { return scaled(v, SIZES); }
  function duration(s) { return s === 0 ? "0 s" : scaled(s, DURATIONS); }
  function clock(s) {
    // x ticks fall on whole increments: "45 s", "12 min", "3 h 30 min"
    var a = Math.abs(s);
    if (a < 120) return num(s) + " s";
    if (a < 7200) return num(s / 60) + " min";
    var h = Math.floor(s / 3600), m = Math.round((s - h * 3600) / 60);
    return h + " h" + (m ? " " + m + " min" : "");
  }
  function shortCount(v) {
    var a = Math.abs(v);
    if (a >= 1e6) return num(v / 1e6) + "M";
    if (a >= 1e4) return num(v / 1e3) + "k";
    return num(v);
  }
  function formatter(unit) {
    switch (unit) {
      case "bytes": return bytes;
      case "seconds": return duration;
      case "ratio": return function (v) { return num(v * 100) + " %"; };
      case "percent": return function (v) { return num(v) + " %"; };
      case "per_s": return function (v) { return num(v) + "/s"; };
      case "bool": return function (v) { return v ? "yes" : "no"; };
      case "count": case "": return num;
      default: return function (v) { return num(v) + " " + unit; };
    }
  }
  // Axis ticks are formatted again at every redraw (and while uPlot sizes the axes): once per value.
  var tickTexts = {};
  function tickFormatter(unit) {
    var seen = tickTexts[unit];
    if (!seen) {
      var format = tickFormat(unit);
      seen = tickTexts[unit] = {map: new Map(), format: function (v) {
        var text = seen.map.get(v);
        if (text === undefined) seen.map.set(v, text = format(v));
        return text;
      }};
    }
    return seen.format;
  }
  function tickFormat(unit) {
    if (unit === "count") return shortCount;
    // ticks of one axis read alike ("0.5 ms", "1 ms", "1.5 ms", not "1.50 ms"), and a unit of
    // several words ("calls/update") is in the chart's title, not squeezed beside every tick
    var format = ["bytes", "seconds", "ratio", "percent", "per_s", "bool", ""].indexOf(unit) < 0 ? num : formatter(unit);
    return function (v) { return format(v).replace(/(\.\d*?)0+(?=\D|$)/, "$1").replace(/\.(?=\D|$)/, ""); };
  }
  function incrsOf(unit) {
    if (unit === "bytes") return BYTE_INCRS;
    if (unit === "count" || unit === "bool") return WHOLE_INCRS;
    return DECIMAL_INCRS;
  }

  function yRange(unit) {
    return function (u, min, max) {
      if (min == null || max == null || !isFinite(min) || !isFinite(max)) return [0, 1];
      var level = Math.max(Math.abs(min), Math.abs(max));
      var least = Math.max(level * MIN_SPAN_SHARE, MIN_SPAN[unit] || (level === 0 ? 1 : 0));
      var lo = min, hi = max;
      if (hi - lo < least) {
        var mid = (lo + hi) / 2;
        lo = mid - least / 2;
        hi = mid + least / 2;
      }
      var pad = (hi - lo) * 0.05;
      lo -= pad;
      hi += pad;
      if (min >= 0 && lo < 0) {
        hi -= lo;
        lo = 0;
      }
      return [lo, hi];
    };
  }

  // One zoom state per x axis ("time", "updates"); every chart of that axis follows it.
  var groups = {};
  function group(name) {
    if (!groups[name]) groups[name] = {plots: [], zoom: null, full: doc.x_range[name] || [0, 1], sync: uPlot.sync(doc.sync + "-" + name)};
    return groups[name];
  }
  function zoomAll(g, range) {
    g.zoom = range;
    var shown = range || g.full;
    g.plots.forEach(function (p) { p.setScale("x", {min: shown[0], max: shown[1]}); });
  }

  // Phases and fault windows as elements under the plot's canvas, placed again when the x scale
  // or the size changes: painting them into the canvas on every redraw cost more than the curves.
  var LABEL_PX_PER_CHAR = 6, LABEL_GAP_PX = 8;  // 10 px sans-serif
  function bandsPlugin() {
    var boxes = [];
    // A label spills past its band (a short fault window still names itself), but not over the
    // label before it: dozens of pauses in a row wrote over each other. Its width is estimated from
    // its length, as measuring hundreds of labels on every zoom would cost a layout each.
    function place(u) {
      var width = u.bbox.width / uPlot.pxRatio, labelFreeFrom = -Infinity;
      boxes.forEach(function (box) {
        var x0 = Math.max(0, u.valToPos(box.band.start, "x")), x1 = Math.min(width, u.valToPos(box.band.end, "x"));
        box.el.style.display = x1 > x0 ? "" : "none";
        box.el.style.left = x0 + "px";
        box.el.style.width = Math.max(0, x1 - x0) + "px";
        if (box.band.fault && x1 > x0) {
          var roomy = x0 >= labelFreeFrom;
          box.el.classList.toggle("unlabelled", !roomy);
          if (roomy) labelFreeFrom = x0 + box.band.label.length * LABEL_PX_PER_CHAR + LABEL_GAP_PX;
        }
      });
    }
    return {
      hooks: {
        init: [function (u) {
          doc.bands.forEach(function (band) {
            var el = document.createElement("div");
            el.className = "band" + (band.fault ? " fault" : "");
            el.style.background = band.colour + (band.fault ? "38" : "24");
            if (band.fault) {
              el.style.color = band.colour;
              el.textContent = band.label;
            }
            u.under.appendChild(el);
            boxes.push({el: el, band: band});
          });
          boxes.sort(function (a, b) { return a.band.start - b.band.start; });
        }],
        ready: [place],
        setSize: [place],
        setScale: [function (u, key) { if (key === "x") place(u); }],
      },
    };
  }

  // The values judged as dots where they stand apart (a few hours, or zoomed in); a day of minute
  // windows is a line: 1,400 dots on 1,200 pixels hid each other and cost most of a chart's drawing.
  var POINT_SPACING_PX = 8;
  var CURVE_PX = 1;
  function roomFor(u, si) {
    var values = u.data[si], shown = u.series[0].idxs, count = 0;
    for (var i = shown[0]; i <= shown[1]; i++) if (values[i] != null) count++;
    return count * POINT_SPACING_PX <= u.bbox.width / uPlot.pxRatio;
  }

  function seriesOptions(spec, index, unit) {
    var value = formatter(unit);
    var base = {label: spec.label, value: function (u, v) { return v == null ? "–" : value(v); }, spanGaps: true};
    switch (spec.role) {
      case "limit":
        return Object.assign(base, {stroke: "#c5221f", width: 2, dash: [8, 5], points: {show: false}});
      case "fit":
        return Object.assign(base, {stroke: "#202124", width: 2, dash: [4, 4], points: {show: false}});
      case "judged":
        return Object.assign(base, {stroke: "#5f6368", width: 1, points: {show: roomFor, size: 5, fill: "#5f6368"}});
      // Curves 1 px wide: a 1.5-px line of a day's 2,400 points cost Chromium twice the CPU to draw
      // (benchmarks/README.md), for a line a reader does not see better.
      case "other":
        return Object.assign(base, {stroke: "#e8710a", width: CURVE_PX, points: {show: false}});
      default:
        return Object.assign(base, {stroke: PALETTE[index % PALETTE.length], width: CURVE_PX, points: {show: false}});
    }
  }

  // A long curve comes as its values on its axis's shared grid (two places per pixel column); the
  // grid's x values are made once, so uPlot.join sees one x array and merges nothing.
  var gridX = {};
  function gridOf(axis) {
    if (!gridX[axis]) {
      var g = doc.grids[axis], width = g.span / g.columns, n = g.slots.length, x = new Array(n * g.columns);
      for (var c = 0; c < g.columns; c++) {
        for (var k = 0; k < n; k++) x[n * c + k] = g.start + (c + g.slots[k]) * width;
      }
      gridX[axis] = x;
    }
    return gridX[axis];
  }
  function tables(chart) {
    return chart.series.map(function (s) {
      var found = doc.series[s.key];
      if (!found) return [[], []];
      return found.grid ? [gridOf(found.grid), found.y] : found;
    });
  }

  function build(el, width) {
    var chart = doc.charts[el.dataset.chart];
    if (!chart || el.dataset.drawn) return null;
    el.dataset.drawn = "1";
    var g = group(chart.x);
    var data = uPlot.join(tables(chart));
    var lines = 0;
    var series = [{label: chart.x === "updates" ? "updates" : "time", value: function (u, v) {
      return v == null ? "–" : (chart.x === "updates" ? num(v) + " updates" : clock(Math.round(v)));
    }}];
    chart.series.forEach(function (s) { series.push(seriesOptions(s, s.role === "line" ? lines++ : 0, chart.unit)); });
    var opts = {
      width: Math.max(320, width || 900),
      height: Number(el.dataset.height || 220),
      series: series,
      scales: {x: {time: false, range: function () { return g.zoom || g.full; }}, y: {range: yRange(chart.unit)}},
      axes: [
        {values: function (u, splits) { return splits.map(chart.x === "updates" ? shortCount : clock); },
         incrs: chart.x === "updates" ? WHOLE_INCRS : TIME_INCRS, space: 60},
        {values: function (u, splits) { return splits.map(tickFormatter(chart.unit)); },
         incrs: incrsOf(chart.unit), size: 78, space: 22},
      ],
      cursor: {sync: {key: g.sync.key, setSeries: false}, drag: {x: true, y: false}},
      legend: {live: true},
      plugins: chart.x === "time" ? [bandsPlugin()] : [],
      hooks: {
        // Values in the legend only while the cursor is on a chart: a row of dashes told nothing.
        setLegend: [function (u) { u.root.classList.toggle("idle", u.cursor.idx == null); }],
        setSelect: [function (u) {
          if (u.select.width < 2) return;
          var lo = u.posToVal(u.select.left, "x"), hi = u.posToVal(u.select.left + u.select.width, "x");
          u.setSelect({left: 0, top: 0, width: 0, height: 0}, false);
          zoomAll(g, [lo, hi]);
        }],
      },
    };
    opts.cursor.drag.setScale = false;
    var plot = new uPlot(opts, data, el);
    plot.root.classList.toggle("idle", plot.cursor.idx == null);
    plot.over.addEventListener("dblclick", function () { zoomAll(g, null); }, {capture: true});
    g.plots.push(plot);
    window.soakCharts[el.dataset.chart] = plot;  // for a reader's console and the browser tests
    return plot;
  }

  // Widths are read for a whole batch before any chart is added: reading one after adding another
  // would make the browser lay the page out again for every chart.
  function draw(elements) {
    var widths = elements.map(function (el) { return el.clientWidth; });
    var drawn = 0;
    elements.forEach(function (el, i) { if (build(el, widths[i])) drawn++; });
    return drawn;
  }
  function pending(root) {
    return Array.prototype.filter.call(root.querySelectorAll("[data-chart]"), function (el) {
      return !el.dataset.drawn && !el.closest("details:not([open])");
    });
  }

  // After the next paint: what a mark of "drawn" must wait for, since uPlot paints asynchronously.
  function afterPaint(then) {
    requestAnimationFrame(function () { setTimeout(then, 0); });
  }
  function mark(name) {
    document.documentElement.dataset[name] = String(Math.round(performance.now()));
  }

  // The first screen at once, the other charts once it is painted, so the reader sees the verdict
  // and its charts before the rest is drawn.
  var todo = pending(document);
  var first = todo.filter(function (el) { return el.getBoundingClientRect().top < window.innerHeight; });
  var count = draw(first);
  document.documentElement.dataset.chartsDrawn = String(count);
  afterPaint(function () {
    mark("renderedMs");
    count += draw(todo.filter(function (el) { return first.indexOf(el) < 0; }));
    document.documentElement.dataset.chartsDrawn = String(count);
    afterPaint(function () { mark("allDrawnMs"); });
  });
  // Parts opened together (a reader's "open all", a link into a collapsed section) are drawn in one
  // batch before the next frame: a layout of the page for the batch, not one per part.
  var batched = false;
  function drawOpened() {
    batched = false;
    count += draw(pending(document));
    document.documentElement.dataset.chartsDrawn = String(count);
  }
  document.querySelectorAll("details").forEach(function (d) {
    d.addEventListener("toggle", function () {
      if (!d.open || batched) return;
      batched = true;
      requestAnimationFrame(drawOpened);
    });
  });
  window.addEventListener("resize", function () {
    Object.keys(groups).forEach(function (name) {
      groups[name].plots.forEach(function (p) {
        var width = p.root.parentElement.clientWidth;
        if (width && Math.abs(width - p.width) > 8) p.setSize({width: width, height: p.height});
      });
    });
  });
})();
