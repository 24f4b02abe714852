// Trend line of 1–5 scores across quarters, with actions and co-produced changes marked.
// Drawn with uPlot; the same data is always given as a table beside it.
import uPlot from "../vendor/uPlot.esm.js";

const css = (name, fallback) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;

export function trendChart(target, points, markers, { onPick, label } = {}) {
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
  const plot = new uPlot(opts, [xs, ys], target);
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
