// Charts drawn as inline SVG by hand: no library, no network. Every chart has a text summary
// (aria-label) and its numbers in a table under "Show the numbers" for screen readers and keyboards.

import { h } from './ui.js';

const NS = 'http://www.w3.org/2000/svg';

export const PALETTE = {
  sms: '#1d4ed8',
  voice: '#7c3aed',
  whatsapp: '#15803d',
  messenger: '#0e7490',
  instagram: '#be185d',
  x: '#374151',
  email: '#b45309',
  support: '#15803d',
  oppose: '#b91c1c',
  undecided: '#6b7280',
  mixed: '#b45309',
  1: '#166534',
  2: '#4ade80',
  3: '#9ca3af',
  4: '#f87171',
  5: '#991b1b',
  not_voting: '#475569',
  refused: '#1e293b',
  none: '#94a3b8',
};
const FALLBACK = ['#1d4ed8', '#15803d', '#b45309', '#7c3aed', '#be185d', '#0e7490', '#374151'];

export function colorFor(key, index = 0) {
  return PALETTE[key] || FALLBACK[index % FALLBACK.length];
}

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const child of children) {
    if (child === null || child === undefined) continue;
    el.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return el;
}

function frame(width, height, label) {
  return svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    width: '100%',
    role: 'img',
    'aria-label': label,
    class: 'chart',
    preserveAspectRatio: 'xMidYMid meet',
  });
}

// The smallest "round" maximum at or above `value` that splits into `ticks` whole steps.
export function niceMax(value, ticks = 4) {
  if (!(value > 0)) return ticks;
  const raw = value / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  let step = 10 * magnitude;
  for (const m of [1, 2, 5, 10]) {
    if (m * magnitude >= raw) {
      step = m * magnitude;
      break;
    }
  }
  return Math.max(1, step) * ticks;
}

export function legend(items) {
  return h(
    'ul',
    { class: 'legend', 'aria-hidden': 'true' },
    items.map((item, i) => {
      const swatch = h('span', { class: 'swatch' });
      swatch.style.background = colorFor(item.key, i); // CSSOM: allowed by the page's CSP, unlike style=""
      return h('li', {}, swatch, item.label);
    }),
  );
}

export function numbersTable(caption, headers, rows) {
  return h(
    'details',
    { class: 'numbers' },
    h('summary', {}, 'Show the numbers'),
    h(
      'table',
      {},
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows.map((row) => h('tr', {}, row.map((cell, i) => (i === 0 ? h('th', { scope: 'row' }, cell) : h('td', {}, cell)))))),
    ),
  );
}

/** Vertical stacked bars: one bar per label (e.g. day), one stack per series (e.g. channel). */
export function stackedColumns({ labels, series, label }) {
  const width = 640;
  const height = 240;
  const pad = { left: 40, right: 10, top: 12, bottom: 34 };
  const totals = labels.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] || 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const chart = frame(width, height, label);
  const plotH = height - pad.top - pad.bottom;
  const plotW = width - pad.left - pad.right;
  for (let t = 0; t <= 4; t++) {
    const y = pad.top + plotH - (plotH * t) / 4;
    chart.append(svg('line', { x1: pad.left, x2: width - pad.right, y1: y, y2: y, class: 'grid' }));
    chart.append(svg('text', { x: pad.left - 6, y: y + 4, class: 'tick', 'text-anchor': 'end' }, String(Math.round((max * t) / 4))));
  }
  const slot = plotW / Math.max(1, labels.length);
  const barW = Math.min(48, slot * 0.7);
  labels.forEach((name, i) => {
    let y = pad.top + plotH;
    const x = pad.left + slot * i + (slot - barW) / 2;
    series.forEach((s, k) => {
      const value = s.values[i] || 0;
      if (!value) return;
      const barH = (plotH * value) / max;
      y -= barH;
      chart.append(svg('rect', { x, y, width: barW, height: barH, fill: colorFor(s.key, k) }, svg('title', {}, `${name}: ${s.label} ${value}`)));
    });
    const every = Math.ceil(labels.length / 10);
    if (i % every === 0) {
      chart.append(svg('text', { x: x + barW / 2, y: height - pad.bottom + 16, class: 'tick', 'text-anchor': 'middle' }, name));
    }
  });
  return chart;
}

/** Horizontal bars, one per item: {key, label, value, display}. */
export function bars({ items, label, max: fixedMax, labelWidth = 170 }) {
  const rowH = 30;
  const width = 640;
  const labelW = labelWidth;
  const valueW = 80;
  const height = Math.max(rowH, items.length * rowH) + 8;
  const max = fixedMax || niceMax(Math.max(0, ...items.map((i) => i.value || 0)));
  const chart = frame(width, height, label);
  const plotW = width - labelW - valueW;
  items.forEach((item, i) => {
    const y = 4 + i * rowH;
    const w = max ? (plotW * (item.value || 0)) / max : 0;
    chart.append(svg('text', { x: labelW - 8, y: y + rowH / 2 + 4, class: 'label', 'text-anchor': 'end' }, item.label));
    chart.append(svg('rect', { x: labelW, y: y + 5, width: plotW, height: rowH - 10, class: 'track' }));
    if (w > 0) chart.append(svg('rect', { x: labelW, y: y + 5, width: w, height: rowH - 10, fill: colorFor(item.key, i) }));
    chart.append(svg('text', { x: labelW + plotW + 8, y: y + rowH / 2 + 4, class: 'value' }, item.display ?? String(item.value ?? 0)));
  });
  return chart;
}

/** Horizontal 100% stacked bars: rows of {label, parts: [{key, label, value}]}. */
export function stackedRows({ rows, label }) {
  const rowH = 30;
  const width = 640;
  const labelW = 150;
  const valueW = 50;
  const height = Math.max(rowH, rows.length * rowH) + 8;
  const chart = frame(width, height, label);
  const plotW = width - labelW - valueW;
  rows.forEach((row, i) => {
    const y = 4 + i * rowH;
    const total = row.parts.reduce((sum, p) => sum + (p.value || 0), 0);
    chart.append(svg('text', { x: labelW - 8, y: y + rowH / 2 + 4, class: 'label', 'text-anchor': 'end' }, row.label));
    chart.append(svg('rect', { x: labelW, y: y + 5, width: plotW, height: rowH - 10, class: 'track' }));
    let x = labelW;
    row.parts.forEach((part, k) => {
      if (!total || !part.value) return;
      const w = (plotW * part.value) / total;
      chart.append(svg('rect', { x, y: y + 5, width: w, height: rowH - 10, fill: colorFor(part.key, k) }, svg('title', {}, `${row.label}: ${part.label} ${part.value}`)));
      x += w;
    });
    chart.append(svg('text', { x: labelW + plotW + 8, y: y + rowH / 2 + 4, class: 'value' }, String(total)));
  });
  return chart;
}
