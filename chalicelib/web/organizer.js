// The organizer's screens: dashboard, people, team, saved replies, exports.

import { api } from './api.js';
import { bars, legend, numbersTable, stackedColumns, stackedRows } from './charts.js';
import { smsInfo } from './sms.js';
import { stanceEditor, stanceText, thread } from './volunteer.js';
import { CHANNELS, clear, h, personName, seconds, toast, when, parseTime } from './ui.js';

// ---- dashboard -------------------------------------------------------------------------------------------------

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function pick(obj, ...keys) {
  for (const key of keys) {
    if (obj && obj[key] !== undefined && obj[key] !== null) return obj[key];
  }
  return undefined;
}

/** {day: {channel: count}} from the shapes a stats API may use. */
function volumeOf(raw) {
  const volume = pick(raw, 'inbound_by_channel_day', 'inbound_by_day', 'inbound', 'volume', 'volumes');
  const byDay = {};
  const add = (day, channel, count) => {
    byDay[day] = byDay[day] || {};
    byDay[day][channel] = (byDay[day][channel] || 0) + (Number(count) || 0);
  };
  if (Array.isArray(volume)) {
    for (const row of volume) {
      const day = pick(row, 'day', 'date');
      if (row.channel !== undefined) add(day, row.channel, pick(row, 'count', 'inbound', 'total'));
      else for (const [ch, n] of Object.entries(pick(row, 'channels', 'by_channel') || {})) add(day, ch, n);
    }
  } else if (volume && typeof volume === 'object') {
    const days = pick(volume, 'by_day', 'days') || volume;
    for (const [key, value] of Object.entries(days)) {
      if (value && typeof value === 'object') {
        const first = Object.keys(value)[0] || '';
        if (/^\d{4}-\d{2}-\d{2}/.test(key)) for (const [ch, n] of Object.entries(value)) add(key, ch, n);
        else if (/^\d{4}-\d{2}-\d{2}/.test(first)) for (const [day, n] of Object.entries(value)) add(day, key, n);
      }
    }
  }
  return byDay;
}

function timing(raw, ...keys) {
  const value = pick(raw, ...keys);
  if (value === undefined) return null;
  if (typeof value === 'number') return { median: value };
  return {
    median: num(pick(value, 'median_seconds', 'median', 'p50_seconds', 'p50')),
    p90: num(pick(value, 'p90_seconds', 'p90')),
    count: num(pick(value, 'count', 'n', 'samples')),
  };
}

export function normalizeStats(raw) {
  const tasks = pick(raw, 'tasks') || {};
  const stance = pick(raw, 'stance', 'stance_distribution') || {};
  const levelsRaw = pick(stance, 'levels', 'by_level', 'support_levels', 'support_level') || {};
  const levels = {};
  if (Array.isArray(levelsRaw)) for (const row of levelsRaw) levels[String(pick(row, 'level', 'support_level', 'key', 'response'))] = Number(row.count) || 0;
  else for (const [k, v] of Object.entries(levelsRaw)) levels[k] = Number(v) || 0;
  for (const r of ['not_voting', 'refused']) {
    const responses = pick(stance, 'responses', 'by_response') || {};
    if (responses[r] !== undefined) levels[r] = Number(responses[r]) || 0;
  }
  const issues = pick(stance, 'issues', 'by_issue') || {};
  return {
    volume: volumeOf(raw),
    ack: timing(raw, 'acknowledgement_seconds', 'acknowledgement', 'ack_seconds', 'ack_time', 'acknowledgement_time'),
    firstReply: timing(raw, 'first_human_reply_seconds', 'first_human_reply', 'first_reply_seconds', 'first_reply',
      'time_to_first_human_reply'),
    open: num(pick(tasks, 'open')) ?? num(pick(raw, 'open_tasks')),
    claimed: num(pick(tasks, 'claimed')) ?? num(pick(raw, 'claimed_tasks')),
    overdue: num(pick(tasks, 'overdue')) ?? num(pick(raw, 'overdue_tasks')),
    levels,
    issues,
  };
}

function panel(title, ...body) {
  const id = `panel-${title.toLowerCase().replace(/[^a-z]+/g, '-')}`;
  return h('section', { class: 'panel card', 'aria-labelledby': id }, h('h2', { id }, title), ...body);
}

function tile(label, value, kind = '') {
  return h('div', { class: `tile ${kind}` }, h('span', { class: 'tile-value' }, value === null ? '–' : String(value)), h('span', { class: 'tile-label' }, label));
}

// Every day from the first with messages to today (at most 31), so quiet days show as gaps.
function dayRange(days) {
  if (!days.length) return [];
  const out = [];
  const today = new Date().toISOString().slice(0, 10);
  const last = days[days.length - 1] > today ? days[days.length - 1] : today;
  const cursor = new Date(`${days[0]}T00:00:00Z`);
  while (out.length < 31) {
    const day = cursor.toISOString().slice(0, 10);
    out.push(day);
    if (day >= last) break;
    cursor.setUTCDate(cursor.getUTCDate() + 1);
  }
  return out.slice(-31);
}

export function renderDashboard(root, config, raw) {
  const s = normalizeStats(raw);
  const days = dayRange(Object.keys(s.volume).sort());
  const channels = [...new Set(days.flatMap((d) => Object.keys(s.volume[d])))].sort();
  const series = channels.map((ch) => ({ key: ch, label: CHANNELS[ch] || ch, values: days.map((d) => s.volume[d]?.[ch] || 0) }));
  const totalInbound = series.reduce((sum, x) => sum + x.values.reduce((a, b) => a + b, 0), 0);

  const volumePanel = panel('Inbound messages by channel',
    days.length
      ? [stackedColumns({ labels: days.map((d) => d.slice(5, 10)), series, label: `Inbound messages per day by channel: ${totalInbound} in ${days.length} days` }),
        legend(series), numbersTable('Inbound messages per day', ['Day', ...series.map((x) => x.label)], days.map((d, i) => [d, ...series.map((x) => x.values[i])]))]
      : h('p', { class: 'empty' }, 'No inbound messages yet.'));

  const timingItems = [];
  for (const [name, t] of [['Acknowledgement', s.ack], ['First human reply', s.firstReply]]) {
    if (!t) continue;
    timingItems.push({ key: name === 'Acknowledgement' ? 'whatsapp' : 'sms', label: `${name}, median`, value: t.median || 0, display: seconds(t.median) });
    if (t.p90 !== null && t.p90 !== undefined) timingItems.push({ key: name === 'Acknowledgement' ? 'messenger' : 'voice', label: `${name}, 90th pct`, value: t.p90 || 0, display: seconds(t.p90) });
  }
  const timingPanel = panel('Response times',
    timingItems.length
      ? [bars({
        items: timingItems,
        labelWidth: 230,
        max: Math.max(60, ...timingItems.map((i) => i.value)) > 60 ? undefined : 60,
        label: timingItems.map((i) => `${i.label}: ${i.display}`).join('; '),
      }),
        numbersTable('Response times', ['Measure', 'Time'], timingItems.map((i) => [i.label, i.display]))]
      : h('p', { class: 'empty' }, 'No replies measured yet.'));

  const tasksPanel = panel('Follow-up tasks',
    h('div', { class: 'tiles' },
      tile('open', s.open),
      tile('being answered', s.claimed),
      tile('overdue', s.overdue, s.overdue ? 'tile-alert' : 'tile-ok')),
    bars({
      items: [
        { key: 'sms', label: 'Open', value: s.open || 0 },
        { key: 'whatsapp', label: 'Being answered', value: s.claimed || 0 },
        { key: 'oppose', label: 'Overdue', value: s.overdue || 0 },
      ],
      label: `Tasks: ${s.open ?? 0} open, ${s.claimed ?? 0} being answered, ${s.overdue ?? 0} overdue`,
    }));

  const levelItems = [
    ...(config.support_levels || []).map((l) => ({ key: String(l.level), label: `${l.level} ${l.label}`, value: s.levels[String(l.level)] || s.levels[l.key] || 0 })),
    ...(config.responses || []).map((r) => ({ key: r.key, label: r.label, value: s.levels[r.key] || 0 })),
    { key: 'none', label: 'No stance yet', value: s.levels.none || 0 },
  ];
  const issueSlugs = [...new Set([...(config.issues || []), ...Object.keys(s.issues)])].filter((slug) => s.issues[slug]);
  const positions = config.issue_positions || ['support', 'oppose', 'undecided', 'mixed'];
  const issueRows = issueSlugs.map((slug) => ({
    label: slug.replaceAll('_', ' '),
    parts: positions.map((p) => ({ key: p, label: p, value: Number(s.issues[slug][p]) || 0 })),
  }));
  const stancePanel = panel('Stance',
    h('h3', {}, 'Current support level'),
    bars({ items: levelItems, label: levelItems.map((i) => `${i.label}: ${i.value}`).join('; ') }),
    numbersTable('Current support level', ['Level', 'People'], levelItems.map((i) => [i.label, i.value])),
    h('h3', {}, 'Issue positions'),
    issueRows.length
      ? [stackedRows({ rows: issueRows, label: issueRows.map((r) => `${r.label}: ${r.parts.map((p) => `${p.value} ${p.label}`).join(', ')}`).join('; ') }),
        legend(positions.map((p) => ({ key: p, label: p }))),
        numbersTable('Issue positions', ['Issue', ...positions], issueRows.map((r) => [r.label, ...r.parts.map((p) => p.value)]))]
      : h('p', { class: 'empty' }, 'No issue positions recorded yet.'));

  // The 10 s refresh redraws everything: keep the number tables someone opened open.
  const opened = [...root.querySelectorAll('details')].map((d) => d.open);
  clear(root).append(tasksPanel, timingPanel, volumePanel, stancePanel);
  root.querySelectorAll('details').forEach((d, i) => {
    d.open = Boolean(opened[i]);
  });
}

// ---- people ----------------------------------------------------------------------------------------------------

export function initPeople(config) {
  const form = document.getElementById('people-form');
  const results = document.getElementById('people-results');
  const detail = document.getElementById('person-detail');

  async function show(id) {
    clear(detail).append(h('p', { class: 'loading' }, 'Loading…'));
    try {
      const person = await api.person(id);
      const idents = (person.identities || []).map((i) => (typeof i === 'string' ? i : [i.kind || i.channel, i.address || i.masked].filter(Boolean).join(': ')));
      clear(detail).append(
        h('section', { class: 'card person', 'aria-labelledby': 'person-name' },
          h('h2', { id: 'person-name', tabindex: '-1' }, personName(person)),
          h('p', { class: 'idents' }, idents.join(' · ')),
          h('p', {}, `Stance: ${stanceText(config, person.stance)}`)),
        h('div', { class: 'thread-box' }, thread(person.messages || [])),
        stanceEditor(config, person, () => show(id)),
      );
      detail.querySelector('h2').focus();
    } catch (err) {
      clear(detail).append(h('p', { class: 'error', role: 'alert' }, `Could not load this person: ${err.message}`));
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const q = form.elements.q.value.trim();
    if (!q) return;
    clear(detail);
    try {
      const { people } = await api.searchPeople(q);
      clear(results);
      if (!people.length) {
        results.append(h('p', { class: 'empty', role: 'status' }, 'Nobody found with that phone, email or id.'));
        return;
      }
      results.append(h('ul', { class: 'people' }, people.map((p) => h('li', {},
        h('button', { type: 'button', class: 'link', onclick: () => show(p.id) }, personName(p)),
        ` · last contact ${p.last_contact_at ? when(parseTime(p.last_contact_at)) : 'never'}`,
        p.last_contact_channel ? ` by ${CHANNELS[p.last_contact_channel] || p.last_contact_channel}` : ''))));
      if (people.length === 1) await show(people[0].id);
    } catch (err) {
      toast(`Search failed: ${err.message}`, 'error');
    }
  });
}

// ---- team ------------------------------------------------------------------------------------------------------

export function initTeam() {
  const shifts = document.getElementById('shifts-list');
  async function loadShifts() {
    try {
      const { staff } = await api.shifts();
      clear(shifts);
      if (!staff.length) shifts.append(h('li', { class: 'empty' }, 'Nobody has a phone for shifts yet.'));
      for (const s of staff) {
        shifts.append(h('li', {},
          h('strong', {}, s.name), ` · ${s.role} · ${s.phone} · `,
          h('span', { class: s.on_shift ? 'badge badge-on' : 'badge badge-off' }, s.on_shift ? 'On shift' : 'Off shift'),
          s.holding_task ? ' · answering a task by text' : ''));
      }
    } catch (err) {
      clear(shifts).append(h('li', { class: 'error' }, `Shifts not loaded: ${err.message}`));
    }
  }
  document.getElementById('shifts-refresh').addEventListener('click', loadShifts);
  const form = document.getElementById('user-form');
  const created = document.getElementById('user-created');
  const list = document.getElementById('team-list');
  const added = [];
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { name: form.elements.name.value.trim(), role: form.elements.role.value };
    const phone = form.elements.phone.value.trim();
    if (phone) body.phone = phone;
    if (!body.name) {
      toast('A name is needed.', 'error');
      form.elements.name.focus();
      return;
    }
    try {
      const user = await api.createUser(body);
      const tokenBox = h('input', { id: 'new-token', readonly: true, value: user.token, class: 'token', 'aria-describedby': 'new-token-hint' });
      const copy = h('button', { type: 'button', class: 'ghost', onclick: async () => {
        try {
          await navigator.clipboard.writeText(user.token);
          toast('Token copied.', 'ok');
        } catch {
          tokenBox.select();
          toast('Select the token and copy it by hand.', 'info');
        }
      } }, 'Copy');
      clear(created).append(
        h('h2', {}, `${user.name} can sign in now`),
        h('label', { for: 'new-token' }, `Access token for ${user.name} (${user.role})`),
        h('div', { class: 'inline-form' }, tokenBox, copy),
        h('p', { id: 'new-token-hint', class: 'notice notice-warn' }, 'Shown this once: only a hash is stored. Hand it over privately (not by email to a group).'),
      );
      created.hidden = false;
      created.focus();
      form.reset();
      added.push(user);
      clear(list).append(h('h2', {}, 'Added in this session'),
        h('ul', {}, added.map((u) => h('li', {}, `${u.name} · ${u.role}${u.phone ? ' · phone for shifts' : ''}`))));
      list.hidden = false;
      await loadShifts();
    } catch (err) {
      toast(`Not created: ${err.message}`, 'error');
    }
  });
  return { load: loadShifts };
}

// ---- saved replies ---------------------------------------------------------------------------------------------

export function initSavedReplies() {
  const form = document.getElementById('reply-template-form');
  const list = document.getElementById('template-list');
  const text = document.getElementById('template-text');
  const count = document.getElementById('template-count');
  const update = () => {
    const info = smsInfo(text.value);
    count.textContent = `${info.units} characters · ${info.segments} SMS segment${info.segments === 1 ? '' : 's'} · ${info.encoding}`;
  };
  text.addEventListener('input', update);
  update();

  async function load() {
    try {
      const { saved_replies: replies } = await api.savedReplies();
      clear(list);
      if (!replies.length) list.append(h('li', { class: 'empty' }, 'No saved replies yet.'));
      for (const r of replies) {
        list.append(h('li', { class: 'card template' },
          h('h3', {}, r.title), h('p', {}, r.text),
          h('button', { type: 'button', class: 'ghost danger', 'aria-label': `Delete saved reply ${r.title}`, onclick: async () => {
            try {
              await api.deleteReply(r.id);
              toast(`Deleted “${r.title}”.`, 'ok');
              await load();
            } catch (err) {
              toast(`Not deleted: ${err.message}`, 'error');
            }
          } }, 'Delete')));
      }
    } catch (err) {
      toast(`Saved replies not loaded: ${err.message}`, 'error');
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const saved = await api.saveReply(form.elements.title.value, form.elements.text.value);
      toast(`Saved “${saved.title}”.`, 'ok');
      form.reset();
      update();
      await load();
    } catch (err) {
      toast(`Not saved: ${err.message}`, 'error');
    }
  });
  return { load };
}

// ---- exports ---------------------------------------------------------------------------------------------------

const PRESETS = [
  { key: '', label: 'Everyone', support: [] },
  { key: 'chase', label: 'Chase list (supporters 1-2, not opted out)', support: [1, 2] },
  { key: 'persuasion', label: 'Persuasion (2-4)', support: [2, 3, 4] },
];

export function exportQuery(form) {
  const query = new URLSearchParams({ format: form.elements.format.value });
  const preset = form.querySelector('[name=preset][aria-pressed=true]')?.value || '';
  if (preset) query.set('preset', preset);
  const support = [...form.querySelectorAll('[name=support]:checked')].map((c) => c.value);
  if (support.length && !preset) query.set('support', support.join(','));
  if (form.elements.issue.value) query.set('issue', form.elements.issue.value);
  if (form.elements.channel.value) query.set('channel', form.elements.channel.value);
  if (form.elements.since.value) query.set('since', `${form.elements.since.value}T00:00:00Z`);
  return query;
}

export function initExports(config) {
  const form = document.getElementById('export-form');
  const presets = document.getElementById('export-presets');
  const support = document.getElementById('export-support');
  const status = document.getElementById('export-status');
  const issue = document.getElementById('export-issue');
  const channel = document.getElementById('export-channel');
  for (const slug of config.issues || []) {
    for (const p of config.issue_positions || []) issue.append(h('option', { value: `${slug}:${p}` }, `${slug.replaceAll('_', ' ')}: ${p}`));
  }
  for (const [key, label] of Object.entries(CHANNELS)) channel.append(h('option', { value: key }, label));
  for (const level of config.support_levels || []) {
    const id = `support-${level.level}`;
    support.append(h('span', { class: 'check' }, h('input', { type: 'checkbox', id, name: 'support', value: String(level.level) }),
      h('label', { for: id }, `${level.level} ${level.label}`)));
  }
  const presetButtons = PRESETS.map((p) => h('button', {
    type: 'button', class: 'chip', name: 'preset', value: p.key, 'aria-pressed': String(p.key === ''),
    onclick: () => {
      for (const b of presetButtons) b.setAttribute('aria-pressed', String(b === presetButtons[PRESETS.indexOf(p)]));
      for (const box of support.querySelectorAll('input')) {
        box.checked = p.support.includes(Number(box.value));
        box.disabled = Boolean(p.key);
      }
    },
  }, p.label));
  presets.append(...presetButtons);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const query = exportQuery(form);
    status.textContent = 'Preparing the file…';
    try {
      // fetch + Blob: the token stays in a header, never in a download URL.
      const response = await api.exportCsv(query.toString());
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const stamp = new Date().toISOString().slice(0, 10);
      const name = `hearback-${query.get('preset') || 'people'}-${query.get('format')}-${stamp}.csv`;
      const link = h('a', { href: url, download: name, class: 'visually-hidden' }, name);
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      status.textContent = `Downloaded ${name} (${Math.max(1, Math.round(blob.size / 1024))} KB).`;
    } catch (err) {
      status.textContent = `Export failed: ${err.message}`;
      toast(`Export failed: ${err.message}`, 'error');
    }
  });
}
