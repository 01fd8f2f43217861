// Small DOM helpers. Text always goes in through textContent: nothing a constituent typed is ever parsed as HTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function icon(name, label) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('class', `icon icon-${name}`);
  svg.setAttribute('width', '20');
  svg.setAttribute('height', '20');
  if (label) {
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', label);
  } else {
    svg.setAttribute('aria-hidden', 'true');
  }
  svg.setAttribute('focusable', 'false');
  const use = document.createElementNS(SVG_NS, 'use');
  use.setAttribute('href', `static/icons.svg#${name}`);
  svg.append(use);
  return svg;
}

// Channel value -> label, as the server's channel modules name them (/api/config). Filled in at
// sign-in, so a new channel needs no change here.
export const CHANNELS = {};

export function setChannels(channels) {
  for (const key of Object.keys(CHANNELS)) delete CHANNELS[key];
  for (const [key, spec] of Object.entries(channels || {})) CHANNELS[key] = spec.label || key;
}

export function channelBadge(channel) {
  return h('span', { class: `channel channel-${channel}` }, icon(channel), h('span', {}, CHANNELS[channel] || channel));
}

export function parseTime(value) {
  return value ? new Date(value) : null;
}

export function duration(ms) {
  const minutes = Math.max(0, Math.round(ms / 60000));
  if (minutes < 1) return 'under a minute';
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  return `${Math.floor(hours / 24)} days`;
}

export function seconds(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  if (value < 90) return `${Math.round(value)} s`;
  if (value < 5400) return `${Math.round(value / 60)} min`;
  return `${(value / 3600).toFixed(1)} h`;
}

const TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export function when(date) {
  return date ? TIME.format(date) : '';
}

export function timeEl(date) {
  return h('time', { datetime: date.toISOString() }, when(date));
}

export function toast(message, kind = 'info') {
  const box = document.getElementById('toasts');
  // Errors are announced once, at once, by the alert region; the visible toast is not read twice.
  const item = h('div', { class: `toast toast-${kind}`, 'aria-hidden': kind === 'error' ? 'true' : null }, message);
  box.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 9000 : 5000);
  if (kind === 'error') document.getElementById('alerts').textContent = message;
}

export function personName(person) {
  const name = [person?.first_name, person?.last_name].filter(Boolean).join(' ');
  return name || 'Unnamed person';
}
