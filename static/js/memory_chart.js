// The memory chart of alerts/memory.html: uPlot (static/vendor/uplot, see tools/vendor/fetch.sh) draws
// usage against the limit and the 80 % / 90 % lines, with a time axis (UTC) and MiB on the y axis.
// The data is the page's JSON block #memory-chart-data; without JavaScript the readings table is there.
(function () {
  "use strict";
  // 24-hour clock and ISO dates on the time axis: [tick step (s), label, label where the day/year
  // changes, ...] as uPlot's axis `values` table reads it.
  var TIME_TICKS = [
    [3600 * 24 * 365, "{YYYY}", null, null, null, null, null, null, 1],
    [3600 * 24 * 28, "{YYYY}-{MM}", "\n{YYYY}", null, null, null, null, null, 1],
    [3600 * 24, "{MM}-{DD}", "\n{YYYY}", null, null, null, null, null, 1],
    [3600, "{HH}:{mm}", "\n{YYYY}-{MM}-{DD}", null, "\n{YYYY}-{MM}-{DD}", null, null, null, 1],
    [60, "{HH}:{mm}", "\n{YYYY}-{MM}-{DD}", null, "\n{YYYY}-{MM}-{DD}", null, null, null, 1],
    [1, "{HH}:{mm}:{ss}", "\n{YYYY}-{MM}-{DD}", null, "\n{YYYY}-{MM}-{DD}", null, null, null, 1]
  ];
  function mib(v) { return v == null ? "—" : Math.round(v).toLocaleString("en") + " MiB"; }

  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("memory-chart");
    var source = document.getElementById("memory-chart-data");
    if (!el || !source || !window.uPlot) return;
    var s = JSON.parse(source.textContent);
    var line = function (label, stroke, width, dash) {
      var serie = { label: label, stroke: stroke, width: width, value: function (u, v) { return mib(v); }, spanGaps: false };
      if (dash) serie.dash = dash;
      return serie;
    };
    var opts = {
      width: Math.max(el.clientWidth, 280),
      height: 300,
      tzDate: function (ts) { return window.uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); },
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(max * 1.1, 1)]; } } },
      series: [
        { label: "Time (UTC)", value: "{YYYY}-{MM}-{DD} {HH}:{mm}:{ss}" },
        line("Usage", "#1a48ad", 2),
        line("Limit", "#17202c", 1.5),
        line("80 % of the limit", "#b27a00", 1, [6, 4]),
        line("90 % of the limit", "#a1150c", 1, [6, 4])
      ],
      axes: [
        { label: "Time (UTC)", stroke: "#46505e", grid: { stroke: "#e3e7ec" }, values: TIME_TICKS },
        { label: "MiB", size: 64, stroke: "#46505e", grid: { stroke: "#e3e7ec" },
          values: function (u, vals) { return vals.map(function (v) { return Math.round(v).toLocaleString("en"); }); } }
      ]
    };
    var plot = new window.uPlot(opts, [s.t, s.usage, s.limit, s.p80, s.p90], el);
    el.uplot = plot;  // for tests and the console
    var width = el.clientWidth;
    window.addEventListener("resize", function () {
      if (el.clientWidth !== width) {
        width = el.clientWidth;
        plot.setSize({ width: Math.max(width, 280), height: 300 });
      }
    });
  });
})();
