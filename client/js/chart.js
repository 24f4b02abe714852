// Trend line of 1–5 scores across quarters, with actions and co-produced changes marked.
// Drawn with uPlot; the same data is always given as a table beside it.
import uPlot from "../vendor/uPlot.min.js";

const css = (name, fallback) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;

// Time axes read the UK way: "9 Jun", "Jun" or "2026", with the year under the first tick of each
// year (uPlot's own labels are American: "6/9").
const DAY = 86400;
const dayMonth = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short" });
const monthOnly = new Intl.DateTimeFormat("en-GB", { month: "short" });

export function ukDateTicks(_u, splits, _axisIdx, _space, incr) {
  let year = null;
  return splits.map((v) => {
    if (v == null) return null;
    const d = new Date(v * 1000);
    const y = d.getFullYear();
    if (incr >= 365 * DAY) return String(y);
    const label = incr >= 28 * DAY ? monthOnly.format(d) : dayMonth.format(d);
    const out = y !== year ? `${label}\n${y}` : label;
    year = y;
    return out;
  });
}

// Draw a uPlot chart into `target`, replacing any chart already there: a view rendered again on
// the same element (a changed filter, the app's re-render after a sync) must not add a second one.
// A time x axis gets UK dates.
const plots = new WeakMap();

export function plotInto(target, opts, data) {
  plots.get(target)?.destroy();
  target.replaceChildren();
  const axes = opts.axes ? opts.axes.slice() : [{}, {}];
  if (opts.scales?.x?.time !== false && !axes[0]?.values) axes[0] = { ...(axes[0] || {}), values: ukDateTicks };
  const plot = new uPlot({ ...opts, axes }, data, target);
  plots.set(target, plot);
  return plot;
}

export function trendChart(target, points, markers, { onPick, label } = {}) {
  plots.get(target)?.destroy();
  plots.delete(target);
  target.replaceChildren();
  if (!points.length) return null;
  const xs = points.map((p) => Date.parse(p.happened_at) / 1000);
  const ys = points.map((p) => p.score);
  const width = Math.max(280, Math.min(target.clientWidth || 320, 720));
  const ink = css("--ink", "#1a1a1a");
  const accent = css("--accent", "#0b5d57");
  const markerLines = (u) => {
    const ctx = u.ctx;
    ctx.save();
    for (const m of markers) {
      const x = u.valToPos(Date.parse(`${m.date}T12:00:00Z`) / 1000, "x", true);
      if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
      ctx.strokeStyle = m.kind === "change" ? "#8a3b00" : "#4b4b9b";
      ctx.lineWidth = 2 * devicePixelRatio;
      ctx.setLineDash(m.kind === "change" ? [] : [6 * devicePixelRatio, 4 * devicePixelRatio]);
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.fillStyle = ctx.strokeStyle;
      ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
      ctx.fillText(m.kind === "change" ? "C" : "A", x + 3 * devicePixelRatio, u.bbox.top + 12 * devicePixelRatio);
    }
    ctx.restore();
  };
  const opts = {
    width,
    height: 220,
    title: "",
    legend: { show: false },
    cursor: { drag: { x: false, y: false }, points: { size: 12 } },
    scales: { x: { time: true }, y: { range: [0.5, 5.5] } },
    axes: [
      { stroke: ink, grid: { stroke: "#ddd" } },
      { stroke: ink, grid: { stroke: "#ddd" }, splits: () => [1, 2, 3, 4, 5], values: (u, v) => v.map(String), size: 30 },
    ],
    series: [{}, { label: "Score", stroke: accent, width: 3, points: { size: 10, fill: accent, stroke: accent } }],
    hooks: { draw: [markerLines] },
  };
  const plot = plotInto(target, opts, [xs, ys]);
  const canvas = target.querySelector("canvas");
  if (canvas) {
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", label || "Trend of scores over time; the table below gives the same figures.");
  }
  plot.over.addEventListener("click", () => {
    const idx = plot.cursor.idx;
    if (idx != null && onPick) onPick(points[idx]);
  });
  return plot;
}
