import { escapeHtml } from './escape-html';
import { formatBytes } from './format-bytes';

export interface Bar {
  readonly label: string;
  readonly value: number;
}

/** Horizontal bars, labelled; negative values are drawn as zero-length bars with their value. */
export function barChartSvg(bars: readonly Bar[], title: string): string {
  const rowHeight = 26;
  const labelWidth = 320;
  const barWidth = 360;
  const height = rowHeight * bars.length + 30;
  const max = Math.max(1, ...bars.map((bar) => bar.value));
  const rows = bars.map((bar, index) => {
    const y = 24 + index * rowHeight;
    const width = Math.max(0, (bar.value / max) * barWidth);
    // About 7 px per character at 12 px: longer labels are cut to fit, with the whole label as a tooltip.
    const label = bar.label.length > 42 ? `${bar.label.slice(0, 41)}…` : bar.label;
    return (
      `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end"><title>${escapeHtml(bar.label)}</title>` +
      `${escapeHtml(label)}</text>` +
      `<rect x="${labelWidth}" y="${y + 3}" width="${width.toFixed(1)}" height="16" fill="#d9480f"/>` +
      `<text x="${labelWidth + width + 6}" y="${y + 15}">${escapeHtml(formatBytes(bar.value))}</text>`
    );
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${labelWidth + barWidth + 120}" height="${height}" ` +
    `font-family="sans-serif" font-size="12"><title>${escapeHtml(title)}</title>` +
    `<text x="0" y="14" font-weight="bold">${escapeHtml(title)}</text>${rows.join('')}</svg>`
  );
}

export interface LineSeries {
  readonly label: string;
  readonly points: ReadonlyArray<readonly [unixSeconds: number, bytes: number]>;
}

const COLOURS = ['#1c7ed6', '#d9480f', '#2f9e44', '#7048e8', '#e8590c'];

/** Bytes over time, one line per series, with min/max labels and a legend. */
export function lineChartSvg(series: readonly LineSeries[], title: string): string {
  const width = 800;
  const height = 260;
  const left = 80;
  const top = 30;
  const plotWidth = width - left - 20;
  const plotHeight = height - top - 50;
  const points = series.flatMap((line) => line.points);
  if (points.length === 0) return '';
  const minTime = points.reduce((min, [time]) => Math.min(min, time), Number.POSITIVE_INFINITY);
  const maxTime = points.reduce((max, [time]) => Math.max(max, time), minTime + 1);
  const maxBytes = points.reduce((max, [, bytes]) => Math.max(max, bytes), 1);
  const x = (time: number) => left + ((time - minTime) / (maxTime - minTime)) * plotWidth;
  const y = (bytes: number) => top + plotHeight - (bytes / maxBytes) * plotHeight;
  const lines = series.map((line, index) => {
    const colour = COLOURS[index % COLOURS.length];
    const path = line.points.map(([time, bytes]) => `${x(time).toFixed(1)},${y(bytes).toFixed(1)}`).join(' ');
    const legendY = height - 20;
    const legendX = left + index * 200;
    return (
      `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${path}"/>` +
      `<rect x="${legendX}" y="${legendY - 9}" width="10" height="10" fill="${colour}"/>` +
      `<text x="${legendX + 14}" y="${legendY}">${escapeHtml(line.label)}</text>`
    );
  });
  const start = new Date(minTime * 1000).toISOString().slice(11, 19);
  const end = new Date(maxTime * 1000).toISOString().slice(11, 19);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${width}" height="${height}" font-family="sans-serif" ` +
    `font-size="12"><title>${escapeHtml(title)}</title>` +
    `<text x="0" y="14" font-weight="bold">${escapeHtml(title)}</text>` +
    `<line x1="${left}" y1="${top + plotHeight}" x2="${left + plotWidth}" y2="${top + plotHeight}" stroke="#868e96"/>` +
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotHeight}" stroke="#868e96"/>` +
    `<text x="${left - 6}" y="${top + 4}" text-anchor="end">${escapeHtml(formatBytes(maxBytes))}</text>` +
    `<text x="${left - 6}" y="${top + plotHeight}" text-anchor="end">0</text>` +
    `<text x="${left}" y="${top + plotHeight + 16}">${start} UTC</text>` +
    `<text x="${left + plotWidth}" y="${top + plotHeight + 16}" text-anchor="end">${end} UTC</text>` +
    `${lines.join('')}</svg>`
  );
}
