/*
 * The run's picture (issue 17, target 8), an SVG written by hand beside the results JSON: the three limits of part 2
 * as bars (embedded TinkerGraph, Gremlin Server's own loop, Kafka → Node-RED → graph) and, for part 4's backlog
 * drains, events/s and RSS over the share of the backlog written. Parts that did not run leave their panel out.
 */
import type { PipelineResult } from './pipeline';

const W = 900;
const PANEL_H = 260;
const PAD = { left: 70, right: 20, top: 34, bottom: 40 };
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (n: number) => Math.round(n).toLocaleString('en-US');

/** A "nice" axis maximum: 1, 2 or 5 times a power of ten at or above `v`. */
function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return ([1, 2, 5, 10].find((m) => m * p >= v) ?? 10) * p;
}

function frame(y0: number, title: string, yMax: number, yUnit: string, xLabel: string | null): string[] {
  const h = PANEL_H - PAD.top - PAD.bottom;
  const out = [
    `<text x="${PAD.left}" y="${y0 + 20}" font-size="14" font-weight="bold">${esc(title)}</text>`,
    `<line x1="${PAD.left}" y1="${y0 + PAD.top + h}" x2="${W - PAD.right}" y2="${y0 + PAD.top + h}" stroke="#333"/>`,
    `<line x1="${PAD.left}" y1="${y0 + PAD.top}" x2="${PAD.left}" y2="${y0 + PAD.top + h}" stroke="#333"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const y = y0 + PAD.top + h - (h * i) / 4;
    out.push(
      `<line x1="${PAD.left}" y1="${y}" x2="${W - PAD.right}" y2="${y}" stroke="#ddd"/>`,
      `<text x="${PAD.left - 6}" y="${y + 4}" font-size="11" text-anchor="end">${num((yMax * i) / 4)}</text>`,
    );
  }
  out.push(
    `<text x="14" y="${y0 + PAD.top + h / 2}" font-size="11" transform="rotate(-90 14 ${y0 + PAD.top + h / 2})" text-anchor="middle">${esc(yUnit)}</text>`,
  );
  if (xLabel)
    out.push(
      `<text x="${(PAD.left + W - PAD.right) / 2}" y="${y0 + PANEL_H - 6}" font-size="11" text-anchor="middle">${esc(xLabel)}</text>`,
    );
  return out;
}

function bars(y0: number, title: string, items: Array<{ label: string; value: number }>): string[] {
  const h = PANEL_H - PAD.top - PAD.bottom;
  const max = niceMax(Math.max(...items.map((i) => i.value)));
  const out = frame(y0, title, max, 'events/s', null);
  const slot = (W - PAD.left - PAD.right) / items.length;
  items.forEach((it, i) => {
    const bh = (h * it.value) / max;
    const x = PAD.left + slot * i + slot * 0.2;
    const y = y0 + PAD.top + h - bh;
    out.push(
      `<rect x="${x}" y="${y}" width="${slot * 0.6}" height="${bh}" fill="${COLOURS[i % COLOURS.length]}"/>`,
      `<text x="${x + slot * 0.3}" y="${y - 4}" font-size="12" text-anchor="middle">${num(it.value)}</text>`,
      `<text x="${x + slot * 0.3}" y="${y0 + PAD.top + h + 16}" font-size="12" text-anchor="middle">${esc(it.label)}</text>`,
    );
  });
  return out;
}

interface Line {
  label: string;
  points: Array<[number, number]>;
}

function lines(y0: number, title: string, yUnit: string, data: Line[], limit?: { y: number; label: string }): string[] {
  const h = PANEL_H - PAD.top - PAD.bottom;
  const w = W - PAD.left - PAD.right;
  const max = niceMax(Math.max(limit?.y ?? 0, ...data.flatMap((d) => d.points.map((p) => p[1]))));
  const out = frame(y0, title, max, yUnit, 'share of the backlog written (%)');
  for (let i = 0; i <= 10; i += 2)
    out.push(
      `<text x="${PAD.left + (w * i) / 10}" y="${y0 + PAD.top + h + 14}" font-size="11" text-anchor="middle">${i * 10}</text>`,
    );
  const px = (x: number) => (PAD.left + (w * x) / 100).toFixed(1);
  const py = (y: number) => (y0 + PAD.top + h - (h * y) / max).toFixed(1);
  if (limit)
    out.push(
      `<line x1="${PAD.left}" y1="${py(limit.y)}" x2="${W - PAD.right}" y2="${py(limit.y)}" stroke="#888" stroke-dasharray="6 4"/>`,
      `<text x="${W - PAD.right - 4}" y="${Number(py(limit.y)) - 4}" font-size="11" text-anchor="end" fill="#555">${esc(limit.label)}</text>`,
    );
  data.forEach((d, i) => {
    const c = COLOURS[i % COLOURS.length];
    if (d.points.length)
      out.push(
        `<polyline fill="none" stroke="${c}" stroke-width="2" points="${d.points.map(([x, y]) => `${px(x)},${py(y)}`).join(' ')}"/>`,
      );
    out.push(
      `<rect x="${W / 2 + i * 220}" y="${y0 + PAD.top - 12}" width="10" height="10" fill="${c}"/>`,
      `<text x="${W / 2 + 14 + i * 220}" y="${y0 + PAD.top - 3}" font-size="11">${esc(d.label)}</text>`,
    );
  });
  return out;
}

/** Events/s between samples up to 5 s apart (each sample ≈ 1 s), against the share of the backlog written. */
function rateOverDrain(r: PipelineResult): Array<[number, number]> {
  const perEvent = r.events / Math.max(1, r.expected);
  const s = r.series;
  const out: Array<[number, number]> = [];
  const step = Math.max(1, Math.min(5, Math.floor(s.length / 10)));
  for (let i = step; i < s.length; i += step) {
    const a = s[i - step];
    const b = s[i];
    if (b.t > a.t) out.push([(100 * b.n) / r.expected, ((b.n - a.n) * perEvent) / (b.t - a.t)]);
  }
  return out;
}

export function chartSvg(figures: Record<string, any>, caption: string): string | null {
  const panels: Array<(y0: number) => string[]> = [];
  const p2 = figures.part2;
  if (p2) {
    const items = [
      ...(p2.embeddedEventsPerSec
        ? [{ label: 'embedded TinkerGraph (no server)', value: p2.embeddedEventsPerSec }]
        : []),
      { label: 'Gremlin Server loop (server limit)', value: p2.limitEventsPerSec },
      { label: 'Kafka → Node-RED → graph', value: p2.endToEnd.eventsPerSec },
    ];
    panels.push((y0) =>
      bars(y0, `The limits: ${num(p2.events)} demo events, linked merges, events/s (wall time, this run)`, items),
    );
  }
  const p4 = figures.part4;
  if (p4) {
    const runs = [p4.small, p4.large] as PipelineResult[];
    panels.push((y0) =>
      lines(
        y0,
        'Backlog drain: throughput',
        'events/s',
        runs.map((r) => ({ label: `${num(r.events)} events`, points: rateOverDrain(r) })),
      ),
    );
    panels.push((y0) =>
      lines(
        y0,
        'Backlog drain: resident memory of Node-RED',
        'RSS (MB)',
        runs.map((r) => ({
          label: `${num(r.events)} events (peak ${num(r.hwmMB)} MB)`,
          points: r.series.map((s) => [(100 * s.n) / r.expected, s.rssMB] as [number, number]),
        })),
        { y: 400, label: '400 MB target' },
      ),
    );
  }
  if (!panels.length) return null;
  const height = panels.length * PANEL_H + 30;
  const body = panels.flatMap((p, i) => p(i * PANEL_H));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif">`,
    `<rect width="${W}" height="${height}" fill="#fff"/>`,
    ...body,
    `<text x="${PAD.left}" y="${height - 10}" font-size="11" fill="#555">${esc(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
