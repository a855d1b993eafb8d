// uPlot time charts with deploy markers: every apply, rollback, canary step and bundle change
// is a vertical line labelled "r12 admin", painted by a draw hook. The chart's container
// carries data-markers = how many markers the last draw painted.
import { html, useEffect, useRef } from './lib.js';
import uPlot from '../vendor/uplot-1.6.32/dist/uPlot.esm.js';

export const PALETTE = ['#4f46e5', '#0891b2', '#d97706', '#059669', '#db2777', '#7c3aed', '#dc2626', '#65a30d'];

const MARKER_COLORS = {
  apply: '#4f46e5', rollback: '#dc2626', bundle: '#64748b',
  'canary-start': '#d97706', 'canary-promote': '#059669', 'canary-abort': '#dc2626', 'canary-rollback': '#dc2626',
};

export function markerLabel(m) {
  return (m.revision ? 'r' + m.revision : m.kind) + (m.user ? ' ' + m.user : '');
}

function markersPlugin(markersRef, countRef) {
  return {
    hooks: {
      draw: [(u) => {
        const { ctx } = u;
        const { left, top, width, height } = u.bbox;
        const min = u.scales.x.min;
        const max = u.scales.x.max;
        const dpr = uPlot.pxRatio || 1;
        let drawn = 0;
        let lastLabelX = -Infinity;
        ctx.save();
        ctx.beginPath();
        ctx.rect(left, top, width, height);
        ctx.clip();
        for (const m of markersRef.current || []) {
          if (m.t < min || m.t > max) {
            continue;
          }
          const x = Math.round(u.valToPos(m.t, 'x', true)) + 0.5;
          const color = MARKER_COLORS[m.kind] || '#64748b';
          ctx.strokeStyle = color;
          ctx.lineWidth = 1.5 * dpr;
          ctx.setLineDash([4 * dpr, 3 * dpr]);
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, top + height);
          ctx.stroke();
          ctx.setLineDash([]);
          const label = markerLabel(m);
          ctx.font = (11 * dpr) + 'px system-ui, sans-serif';
          ctx.textAlign = 'left';
          ctx.textBaseline = 'alphabetic';
          const w = ctx.measureText(label).width + 8 * dpr;
          const lx = x + w + 2 * dpr > left + width ? x - w - 2 * dpr : x + 2 * dpr;
          const row = Math.abs(lx - lastLabelX) < w ? 1 : 0; // stagger labels that would overlap
          const ly = top + 2 * dpr + row * 16 * dpr;
          ctx.fillStyle = color;
          ctx.fillRect(lx, ly, w, 15 * dpr);
          ctx.fillStyle = '#fff';
          ctx.fillText(label, lx + 4 * dpr, ly + 11 * dpr);
          lastLabelX = lx;
          drawn++;
        }
        ctx.restore();
        countRef.current = drawn;
        const root = u.root.parentElement;
        if (root) {
          root.setAttribute('data-markers', String(drawn));
        }
      }],
    },
  };
}

/**
 * One chart: data is uPlot's [xs, ...ys]; series [{label, color, dash, width}]; markers from
 * the series endpoint. The plot is rebuilt only when the set of series changes.
 */
export function TimeChart({ data, series, markers = [], testid, height = 220, unit = '', yMin = 0, yMax }) {
  const box = useRef(null);
  const plot = useRef(null);
  const markersRef = useRef(markers);
  const countRef = useRef(0);
  markersRef.current = markers;
  const shape = series.map((s) => s.label + '|' + s.color + '|' + (s.dash ? 1 : 0)).join(',');

  useEffect(() => {
    const el = box.current;
    el.setAttribute('data-markers', '0');
    const fmtVal = (v) => (v === null || v === undefined ? '—' : (Math.abs(v) >= 100 ? Math.round(v) : +v.toFixed(2)) + unit);
    const opts = {
      width: Math.max(300, el.clientWidth),
      height,
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      scales: { x: { time: true }, y: { range: (u, lo, hi) => [yMin === null ? lo : Math.min(yMin, lo), yMax !== undefined ? yMax : Math.max((hi || 0) * 1.1, 1)] } },
      axes: [
        { stroke: '#64748b', grid: { stroke: '#eef0f4' }, ticks: { stroke: '#e2e8f0' } },
        { stroke: '#64748b', grid: { stroke: '#eef0f4' }, ticks: { stroke: '#e2e8f0' }, size: 72, values: (u, vals) => vals.map(fmtVal) },
      ],
      series: [{ label: 'time' }, ...series.map((s) => ({
        label: s.label, stroke: s.color, width: s.width || 1.6, dash: s.dash, spanGaps: false,
        points: { show: false }, value: (u, v) => fmtVal(v),
      }))],
      plugins: [markersPlugin(markersRef, countRef)],
    };
    const u = new uPlot(opts, data, el);
    plot.current = u;
    const ro = new ResizeObserver(() => {
      const w = Math.max(300, el.clientWidth);
      if (Math.abs(w - u.width) > 2) {
        u.setSize({ width: w, height });
      }
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [shape, height]);

  useEffect(() => {
    if (plot.current) {
      plot.current.setData(data);
    }
  }, [data, markers.length]);

  return html`<div class="chart" ref=${box} data-testid=${testid}></div>`;
}

/** A chart's frame: title, legend hint and the "no data yet" state. */
export function ChartCard({ title, hint, empty, children }) {
  return html`<div class="chart-card">
    <div class="chart-title"><h3>${title}</h3>${hint ? html`<span class="muted">${hint}</span>` : null}</div>
    ${children}
    ${empty ? html`<div class="chart-empty">${empty}</div>` : null}
  </div>`;
}
