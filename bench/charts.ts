import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

const WIDTH = 860;
const HEIGHT = 500;
const PLOT = { left: 78, right: WIDTH - 24, top: 56, bottom: HEIGHT - 64 };
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
/** Percentile curves end at p99.9: x = -log10(1 - p) puts p0, p90, p99, p99.9 at 0, 1, 2, 3. */
const MAX_NINES = 3;
const PERCENTILE_TICKS = [0, 50, 90, 99, 99.9];

const escapeXml = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/** 2 significant digits below 100 (0.25, 7.6, 20), whole numbers from there. */
const fmt = (value: number) => {
  if (Math.abs(value) >= 100 || Number.isInteger(value)) return value.toFixed(0);
  const digits = value.toPrecision(2);
  return digits.includes(".") && !digits.includes("e") ? digits.replace(/\.?0+$/, "") : digits;
};

interface Scale {
  at(value: number): number;
  ticks: number[];
}

/** A linear scale from 0 to a round number, with 1-2-5 steps. */
function linearScale(max: number, from: number, to: number): Scale {
  const rough = Math.max(max, 1e-9) / 6;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 5, 10].find((m) => m * magnitude >= rough) ?? 10) * magnitude;
  const top = Math.ceil(max / step) * step || step;
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
  return { at: (v) => from + (v / top) * (to - from), ticks };
}

/** A log10 scale over whole 1-2-5 values around [min, max]; only decades when that gives too many ticks. */
function logScale(min: number, max: number, from: number, to: number): Scale {
  const candidates: number[] = [];
  for (let exp = Math.floor(Math.log10(min)); exp <= Math.ceil(Math.log10(max)); exp++) {
    for (const m of [1, 2, 5]) candidates.push(m * 10 ** exp);
  }
  const lo = candidates.filter((c) => c <= min).at(-1) ?? min;
  const hi = candidates.find((c) => c >= max) ?? max;
  let ticks = candidates.filter((c) => c >= lo && c <= hi);
  if (ticks.length > 12) ticks = ticks.filter((c) => Number.isInteger(Math.log10(c)) || c === lo || c === hi);
  const span = Math.log10(hi) - Math.log10(lo) || 1;
  return { at: (v) => from + ((Math.log10(v) - Math.log10(lo)) / span) * (to - from), ticks };
}

function frame(title: string, xLabel: string, yLabel: string, body: string[]): string {
  const midX = (PLOT.left + PLOT.right) / 2;
  const midY = (PLOT.top + PLOT.bottom) / 2;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="28" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    ...body,
    `<rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.right - PLOT.left}" height="${PLOT.bottom - PLOT.top}" fill="none" stroke="#333"/>`,
    `<text x="${midX}" y="${HEIGHT - 18}" text-anchor="middle" font-size="13">${escapeXml(xLabel)}</text>`,
    `<text x="20" y="${midY}" text-anchor="middle" font-size="13" transform="rotate(-90 20 ${midY})">${escapeXml(yLabel)}</text>`,
    "</svg>",
  ].join("\n");
}

function xTick(x: number, label: string): string {
  return [
    `<line x1="${x}" y1="${PLOT.top}" x2="${x}" y2="${PLOT.bottom}" stroke="#e4e4e4"/>`,
    `<line x1="${x}" y1="${PLOT.bottom}" x2="${x}" y2="${PLOT.bottom + 5}" stroke="#333"/>`,
    `<text x="${x}" y="${PLOT.bottom + 19}" text-anchor="middle">${escapeXml(label)}</text>`,
  ].join("");
}

function yTick(y: number, label: string): string {
  return [
    `<line x1="${PLOT.left}" y1="${y}" x2="${PLOT.right}" y2="${y}" stroke="#e4e4e4"/>`,
    `<line x1="${PLOT.left - 5}" y1="${y}" x2="${PLOT.left}" y2="${y}" stroke="#333"/>`,
    `<text x="${PLOT.left - 8}" y="${y + 4}" text-anchor="end">${escapeXml(label)}</text>`,
  ].join("");
}

function legend(entries: { label: string; color: string; dashed?: boolean }[]): string {
  const width = Math.max(...entries.map((e) => e.label.length)) * 7 + 44;
  const x = PLOT.left + 12;
  const y = PLOT.top + 12;
  return [
    `<rect x="${x}" y="${y}" width="${width}" height="${entries.length * 18 + 10}" fill="white" fill-opacity="0.9" stroke="#999"/>`,
    ...entries.map((e, i) => {
      const cy = y + 14 + i * 18;
      const dash = e.dashed ? ` stroke-dasharray="5 4"` : "";
      return `<line x1="${x + 8}" y1="${cy}" x2="${x + 32}" y2="${cy}" stroke="${e.color}" stroke-width="2.5"${dash}/><text x="${x + 38}" y="${cy + 4}">${escapeXml(e.label)}</text>`;
    }),
  ].join("\n");
}

function percentileOf(sorted: number[], p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? 0;
}

/**
 * Latency percentile curves, one per series: x runs p0 to p99.9 on a "nines" scale (p90, p99 and
 * p99.9 equally spaced), y is milliseconds on a log scale.
 */
export function latencyHistogramSvg(series: { label: string; valuesMs: number[] }[], title: string): string {
  const sorted = series.map((s) => ({ label: s.label, values: [...s.valuesMs].sort((a, b) => a - b) }));
  // Each series is sorted: its extremes are at its ends (a spread of every value overflows the stack).
  const ends = sorted
    .flatMap((s) => [s.values.find((v) => v > 0), s.values.at(-1)])
    .filter((v): v is number => v !== undefined && v > 0);
  const min = ends.length ? Math.min(...ends) : 1;
  const max = ends.length ? Math.max(...ends) : 10;
  const y = logScale(min, Math.max(max, min * 1.01), PLOT.bottom, PLOT.top);
  const x = (nines: number) => PLOT.left + (nines / MAX_NINES) * (PLOT.right - PLOT.left);
  const nines = (p: number) => -Math.log10(1 - p / 100);
  const floor = y.ticks[0] ?? min;
  const body = [
    ...PERCENTILE_TICKS.map((p) => xTick(x(nines(p)), `p${p}`)),
    ...y.ticks.map((t) => yTick(y.at(t), fmt(t))),
  ];
  sorted.forEach((s, i) => {
    if (s.values.length === 0) return;
    const points: string[] = [];
    for (let step = 0; step <= 150; step++) {
      const n = (step / 150) * MAX_NINES;
      const value = Math.max(percentileOf(s.values, 100 * (1 - 10 ** -n)), floor);
      points.push(`${x(n).toFixed(1)},${y.at(value).toFixed(1)}`);
    }
    body.push(
      `<polyline points="${points.join(" ")}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2.5"/>`,
    );
  });
  body.push(
    legend(
      sorted.map((s, i) => ({
        label: s.values.length
          ? `${s.label}: p50 ${fmt(percentileOf(s.values, 50))} ms, p99 ${fmt(percentileOf(s.values, 99))} ms (n=${s.values.length})`
          : `${s.label}: no data`,
        color: COLORS[i % COLORS.length] ?? "#000",
      })),
    ),
  );
  return frame(title, "percentile", "latency (ms, log scale)", body);
}

/** Achieved against offered bookings/s: accepted (HTTP 202) and completed (final state) lines, and y = x. */
export function throughputCurveSvg(
  points: { offered: number; accepted: number; completed: number }[],
  title: string,
): string {
  const sorted = [...points].sort((a, b) => a.offered - b.offered);
  const max = Math.max(1, ...sorted.flatMap((p) => [p.offered, p.accepted, p.completed]));
  const x = linearScale(max, PLOT.left, PLOT.right);
  const y = linearScale(max, PLOT.bottom, PLOT.top);
  const top = x.ticks.at(-1) ?? max;
  const lines = [
    { key: "accepted", label: "accepted (HTTP 202)", color: COLORS[0] ?? "#000" },
    { key: "completed", label: "completed (final state)", color: COLORS[1] ?? "#000" },
  ] as const;
  const body = [
    ...x.ticks.map((t) => xTick(x.at(t), fmt(t))),
    ...y.ticks.map((t) => yTick(y.at(t), fmt(t))),
    `<line x1="${x.at(0)}" y1="${y.at(0)}" x2="${x.at(top)}" y2="${y.at(top)}" stroke="#888" stroke-width="1.5" stroke-dasharray="5 4"/>`,
  ];
  for (const line of lines) {
    const coords = sorted.map((p) => `${x.at(p.offered).toFixed(1)},${y.at(p[line.key]).toFixed(1)}`);
    body.push(`<polyline points="${coords.join(" ")}" fill="none" stroke="${line.color}" stroke-width="2.5"/>`);
    for (const c of coords) {
      const [cx, cy] = c.split(",");
      body.push(`<circle cx="${cx}" cy="${cy}" r="3.5" fill="${line.color}"/>`);
    }
  }
  body.push(legend([...lines, { label: "achieved = offered", color: "#888", dashed: true }]));
  return frame(title, "offered load (bookings/s)", "achieved (bookings/s)", body);
}

/** Renders the SVG next to it as PNG with rsvg-convert (Debian: librsvg2-bin); null when that tool is absent. */
export async function svgToPngIfPossible(svgPath: string): Promise<string | null> {
  const onPath = (process.env.PATH ?? "")
    .split(path.delimiter)
    .some((dir) => existsSync(path.join(dir, "rsvg-convert")));
  if (!onPath) return null;
  const pngPath = `${svgPath.replace(/\.svg$/i, "")}.png`;
  await run("rsvg-convert", ["--format", "png", "--output", pngPath, svgPath], { timeout: 30_000 });
  return pngPath;
}
