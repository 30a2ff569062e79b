/**
 * Every chart is uPlot: a sparkline per device on the fleet page, and one chart per metric on
 * the device page with alert episodes as shaded bands under the line and rule thresholds as
 * dashed lines over it (drawn in uPlot's own hooks, so they pan and resize with the plot).
 */
import uPlot from 'uplot';
import type { Series } from './api.ts';
import type { ThresholdLine } from './thresholds.ts';

export interface Episode {
  readonly startMs: number;
  /** Null: still open, drawn to the right edge. */
  readonly endMs: number | null;
  readonly severity: string;
}

const SEVERITY_FILL: Record<string, string> = {
  critical: 'rgba(200, 30, 30, 0.18)',
  warning: 'rgba(230, 140, 0, 0.20)',
  info: 'rgba(40, 110, 220, 0.14)',
};
const SEVERITY_LINE: Record<string, string> = {
  critical: '#b3261e',
  warning: '#b86e00',
  info: '#2b64c4',
};
const LINE = '#1f5fa8';

/** uPlot wants seconds on the x axis and mutable arrays. */
function toData(series: Series): uPlot.AlignedData {
  return [series.points.t.map((t) => t / 1000), series.points.v.slice() as (number | null)[]];
}

export function sparkline(target: HTMLElement, t: readonly number[], v: readonly (number | null)[]): uPlot {
  return new uPlot(
    {
      width: 120,
      height: 28,
      pxAlign: false,
      cursor: { show: false },
      legend: { show: false },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      axes: [{ show: false }, { show: false }],
      scales: { x: { time: true } },
      series: [{}, { stroke: LINE, width: 1.5, points: { show: false } }],
    },
    [t.map((x) => x / 1000), v.slice() as (number | null)[]],
    target,
  );
}

export interface MetricChartInput {
  readonly title: string;
  readonly series: Series;
  readonly rangeMs: { readonly start: number; readonly end: number };
  readonly episodes: readonly Episode[];
  readonly thresholds: readonly ThresholdLine[];
  readonly width: number;
}

export function metricChart(target: HTMLElement, input: MetricChartInput): uPlot {
  const unit = input.series.unit ?? '';
  const values = input.series.points.v.filter((x): x is number => x !== null);
  // The y range always shows the thresholds, or a line far above the data would be off-chart.
  const ys = [...values, ...input.thresholds.map((th) => th.threshold)];
  const lo = ys.length ? Math.min(...ys) : 0;
  const hi = ys.length ? Math.max(...ys) : 1;
  const pad = (hi - lo || Math.abs(hi) || 1) * 0.08;
  return new uPlot(
    {
      title: input.title,
      width: input.width,
      height: 220,
      scales: {
        x: { time: true, range: [input.rangeMs.start / 1000, input.rangeMs.end / 1000] },
        y: { range: [lo - pad, hi + pad] },
      },
      axes: [{}, { label: unit, size: 60 }],
      series: [
        {},
        {
          label: unit ? `${input.title} (${unit})` : input.title,
          stroke: LINE,
          width: 1.5,
          spanGaps: false,
          points: { show: input.series.points.t.length < 120 },
          value: (_u, v) => (v === null || v === undefined ? '—' : `${+v.toFixed(2)} ${unit}`),
        },
      ],
      hooks: {
        drawClear: [(u) => drawEpisodes(u, input.episodes)],
        draw: [(u) => drawThresholds(u, input.thresholds)],
      },
    },
    toData(input.series),
    target,
  );
}

function drawEpisodes(u: uPlot, episodes: readonly Episode[]): void {
  const { ctx, bbox } = u;
  ctx.save();
  for (const e of episodes) {
    const x0 = Math.max(bbox.left, u.valToPos(e.startMs / 1000, 'x', true));
    const x1 = e.endMs === null ? bbox.left + bbox.width : u.valToPos(e.endMs / 1000, 'x', true);
    const right = Math.min(bbox.left + bbox.width, x1);
    if (right <= x0) continue;
    ctx.fillStyle = SEVERITY_FILL[e.severity] ?? SEVERITY_FILL.warning!;
    ctx.fillRect(x0, bbox.top, right - x0, bbox.height);
  }
  ctx.restore();
}

/** One threshold line as drawn: `y` in canvas pixels (what a test samples the canvas at). */
export interface DrawnThreshold {
  readonly ruleId: string;
  readonly threshold: number;
  readonly y: number;
}

function drawThresholds(u: uPlot, thresholds: readonly ThresholdLine[]): void {
  const { ctx, bbox } = u;
  const drawn: DrawnThreshold[] = [];
  ctx.save();
  ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
  ctx.lineWidth = 1.5 * devicePixelRatio;
  ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'bottom';
  for (const th of thresholds) {
    const y = Math.round(u.valToPos(th.threshold, 'y', true));
    if (y < bbox.top || y > bbox.top + bbox.height) continue;
    const colour = SEVERITY_LINE[th.severity] ?? SEVERITY_LINE.warning!;
    ctx.strokeStyle = colour;
    ctx.beginPath();
    ctx.moveTo(bbox.left, y);
    ctx.lineTo(bbox.left + bbox.width, y);
    ctx.stroke();
    ctx.fillStyle = colour;
    ctx.fillText(`${th.ruleId} ${th.threshold}`, bbox.left + 4 * devicePixelRatio, y - 4 * devicePixelRatio);
    drawn.push({ ruleId: th.ruleId, threshold: th.threshold, y });
  }
  ctx.restore();
  // The lines of the last draw, for the browser tests (a canvas has no DOM to query).
  u.root.dataset.thresholdsDrawn = JSON.stringify(drawn);
}
