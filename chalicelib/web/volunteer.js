// The volunteer's inbox: the queue, one conversation, the reply box, stance and done.

import { api, ApiError } from './api.js';
import { smsInfo } from './sms.js';
import {
  CHANNELS, channelBadge, clear, duration, h, icon, parseTime, personName, timeEl, toast, when,
} from './ui.js';

const STOP_WORDS = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
const START_WORDS = new Set(['START', 'YES', 'UNSTOP']);
const CLOSING_SOON_MS = 3 * 3600 * 1000;
const HOUR = 3600 * 1000;

/** Channels this person must not be messaged on. Identity subscriptions win; whole-body keywords are the fallback. */
export function optedOutChannels(person, messages) {
  const out = new Set();
  let known = false;
  for (const identity of person.identities || []) {
    if (!identity || typeof identity !== 'object') continue;
    for (const [channel, status] of Object.entries(identity.subscriptions || {})) {
      known = true;
      if (status === 'opted_out') out.add(channel);
    }
    if (identity.sms_status) {
      known = true;
      if (identity.sms_status === 'opted_out') out.add('sms');
    }
  }
  if (!known) {
    for (const m of messages) {
      if (m.direction !== 'inbound' || m.channel !== 'sms') continue;
      const word = (m.text || '').trim().toUpperCase();
      if (STOP_WORDS.has(word)) out.add('sms');
      else if (START_WORDS.has(word)) out.delete('sms');
    }
  }
  if (person.do_not_contact === true) out.add('*');
  return out;
}

/** The provider's reply window on `channel`, derived from the person's last inbound message there. */
export function replyWindow(config, channel, person, now = new Date()) {
  const rules = config.channels?.[channel];
  if (!rules || !rules.reply_window_hours) return { state: 'none' };
  // The identity's last inbound time is what the server checks; the thread is the fallback.
  const stamps = (person.identities || []).map((i) => i?.last_inbound?.[channel]).filter(Boolean);
  const inbound = (person.messages || []).filter((m) => m.direction === 'inbound' && m.channel === channel);
  if (!stamps.length && inbound.length) stamps.push(inbound[inbound.length - 1].created_at);
  const last = stamps.length ? new Date(Math.max(...stamps.map((t) => parseTime(t).getTime()))) : null;
  if (!last) return { state: 'closed', last: null };
  const closes = new Date(last.getTime() + rules.reply_window_hours * HOUR);
  if (now < closes) {
    return { state: closes - now < CLOSING_SOON_MS ? 'closing' : 'open', closes, last };
  }
  if (rules.tagged_window_hours) {
    const tagged = new Date(last.getTime() + rules.tagged_window_hours * HOUR);
    if (now < tagged) return { state: 'tagged', closes: tagged, closed: closes, last };
  }
  return { state: 'closed', closed: closes, last };
}

function identityLabel(identity) {
  if (typeof identity === 'string') return identity;
  const kind = identity.kind || identity.channel || '';
  const address = identity.address || identity.masked || identity.value || '';
  return [kind, address].filter(Boolean).join(': ');
}

export function stanceText(config, stance) {
  if (!stance) return 'No stance recorded yet.';
  const level = (config.support_levels || []).find((l) => l.level === stance.support_level);
  const response = (config.responses || []).find((r) => r.key === stance.response);
  const what = level ? `${level.level} · ${level.label}` : response ? response.label : 'No level';
  const at = parseTime(stance.recorded_at || stance.created_at);
  return at ? `${what} (recorded ${when(at)})` : what;
}

export function thread(messages) {
  if (!messages.length) return h('p', { class: 'empty' }, 'No messages yet.');
  return h(
    'ol',
    { class: 'thread', 'aria-label': 'Conversation, oldest first' },
    messages.map((m) => {
      const at = parseTime(m.created_at);
      const who = m.direction === 'inbound' ? 'They wrote' : m.kind === 'acknowledgement' ? 'Automatic acknowledgement' : 'We wrote';
      return h(
        'li',
        { class: `msg msg-${m.direction} ${m.status === 'failed' || m.status === 'undelivered' ? 'msg-failed' : ''}` },
        h('span', { class: 'visually-hidden' }, `${who}: `),
        h('p', { class: 'msg-text' }, m.text || (m.channel === 'voice' ? '(voicemail, no transcription)' : '(no text)')),
        h(
          'p',
          { class: 'msg-meta' },
          channelBadge(m.channel),
          at ? timeEl(at) : null,
          m.direction === 'outbound' ? h('span', { class: `status status-${m.status}` }, m.status) : null,
          m.error_reason ? h('span', { class: 'status status-failed' }, m.error_reason) : null,
        ),
      );
    }),
  );
}

export function stanceEditor(config, person, onSaved) {
  const current = person.stance || null;
  const state = {
    support_level: current?.support_level ?? null,
    response: current?.response ?? null,
    issues: { ...(current?.issues || {}) },
  };
  const summary = h('p', { class: 'stance-current', 'aria-live': 'polite' }, `Current: ${stanceText(config, current)}`);
  const buttons = [];

  async function save(note) {
    const body = { support_level: state.support_level };
    if (state.response) body.response = state.response;
    const issues = Object.fromEntries(Object.entries(state.issues).filter(([, v]) => v));
    if (Object.keys(issues).length) body.issues = issues;
    try {
      const saved = await api.stance(person.id, body);
      summary.textContent = `Current: ${stanceText(config, saved)}`;
      toast(note, 'ok');
      onSaved?.();
    } catch (err) {
      toast(`Stance not saved: ${err.message}`, 'error');
    }
  }

  function press() {
    for (const b of buttons) {
      const pressed = b.dataset.level ? Number(b.dataset.level) === state.support_level : b.dataset.response === state.response;
      b.setAttribute('aria-pressed', String(pressed));
    }
  }

  for (const level of config.support_levels || []) {
    buttons.push(h('button', {
      type: 'button', class: `chip level-${level.level}`, dataset: { level: String(level.level) }, 'aria-pressed': 'false',
      onclick: () => {
        state.support_level = level.level;
        state.response = null;
        press();
        save(`Stance saved: ${level.label}`);
      },
    }, h('strong', {}, String(level.level)), ` ${level.label}`));
  }
  for (const response of config.responses || []) {
    buttons.push(h('button', {
      type: 'button', class: 'chip', dataset: { response: response.key }, 'aria-pressed': 'false',
      onclick: () => {
        state.support_level = null;
        state.response = response.key;
        press();
        save(`Stance saved: ${response.label}`);
      },
    }, response.label));
  }
  press();

  const issueRows = (config.issues || []).map((slug) => {
    const id = `issue-${slug}`;
    const select = h('select', {
      id, onchange: () => {
        state.issues[slug] = select.value || null;
        save(`Issue position saved: ${slug.replaceAll('_', ' ')}`);
      },
    }, h('option', { value: '' }, 'not asked'),
    (config.issue_positions || []).map((p) => h('option', { value: p, selected: state.issues[slug] === p }, p)));
    return h('div', { class: 'issue' }, h('label', { for: id }, slug.replaceAll('_', ' ')), select);
  });

  return h(
    'section',
    { class: 'stance card', 'aria-labelledby': 'stance-title' },
    h('h3', { id: 'stance-title' }, 'Where do they stand?'),
    summary,
    h('div', { class: 'chips', role: 'group', 'aria-label': 'Support level (one tap saves)' }, buttons),
    h('details', { class: 'issues' }, h('summary', {}, 'Issue positions'), h('div', { class: 'issue-grid' }, issueRows)),
  );
}

export function createInbox({ config, user }) {
  const openList = document.getElementById('open-list');
  const mineList = document.getElementById('mine-list');
  const more = document.getElementById('open-more');
  const updated = document.getElementById('queue-updated');
  const pane = document.getElementById('convo-pane');
  const inbox = document.getElementById('view-inbox');
  let pages = 1;
  let nextCursor = null;
  let open = [];
  let mine = [];
  let others = 0;
  let current = null; // the task on screen
  let person = null;
  let savedReplies = [];
  let loading = false;

  async function loadPages(count) {
    let all = [];
    let cursor = null;
    for (let i = 0; i < count; i++) {
      const page = await api.tasks('open', cursor);
      all = all.concat(page.tasks);
      cursor = page.next;
      if (!cursor) break;
    }
    return { tasks: all, next: cursor };
  }

  // Set on sign-out: an answer still in flight must not paint the queue into a signed-out page.
  let closed = false;

  function close() {
    closed = true;
  }

  async function refresh() {
    if (loading || closed) return;
    loading = true;
    try {
      const [page, claimed] = await Promise.all([loadPages(pages), api.tasks('claimed')]);
      if (closed) return;
      open = page.tasks;
      nextCursor = page.next;
      mine = claimed.tasks.filter((t) => t.claimed_by === user.id);
      others = claimed.tasks.length - mine.length;
      renderQueue();
      updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
      if (current) {
        const fresh = [...open, ...claimed.tasks].find((t) => t.id === current.id);
        if (fresh && (fresh.status !== current.status || fresh.claimed_by !== current.claimed_by)) {
          current = fresh;
          await showTask(current, { keepFocus: true });
        } else if (current && person) {
          await reloadThread();
        }
      }
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) toast(`Queue not refreshed: ${err.message}`, 'error');
    } finally {
      loading = false;
    }
  }

  function taskItem(task) {
    const now = Date.now();
    const created = parseTime(task.created_at);
    const due = parseTime(task.due_at);
    const overdue = due && due.getTime() < now && task.status !== 'done';
    const label = `${CHANNELS[task.channel] || task.channel}, waiting ${duration(now - created)}${overdue ? ', overdue' : ''}`;
    return h(
      'li',
      {},
      h(
        'button',
        {
          type: 'button',
          class: `task${overdue ? ' overdue' : ''}${current && current.id === task.id ? ' selected' : ''}`,
          'aria-current': current && current.id === task.id ? 'true' : null,
          'aria-label': `${label}: ${task.preview || ''}`,
          dataset: { taskId: task.id },
          onclick: () => showTask(task),
        },
        h(
          'span',
          { class: 'task-top' },
          channelBadge(task.channel),
          h('span', { class: 'wait' }, icon('clock'), ` ${duration(now - created)}`),
          overdue ? h('span', { class: 'badge badge-overdue' }, icon('alert'), ` Overdue ${duration(now - due)}`) : null,
        ),
        h('span', { class: 'preview' }, task.preview || '(no text)'),
      ),
    );
  }

  function renderQueue() {
    clear(mineList);
    clear(openList);
    if (mine.length) mine.forEach((t) => mineList.append(taskItem(t)));
    else mineList.append(h('li', { class: 'empty' }, 'Nothing claimed. Pick the oldest message below.'));
    if (open.length) open.forEach((t) => openList.append(taskItem(t)));
    else openList.append(h('li', { class: 'empty' }, 'Everyone has an answer. Nice work.'));
    if (others) openList.append(h('li', { class: 'empty' }, `${others} more being answered by other volunteers.`));
    more.hidden = !nextCursor;
  }

  more.onclick = async () => {
    pages += 1;
    await refresh();
  };

  function closeTask() {
    current = null;
    person = null;
    pane.hidden = true;
    clear(pane);
    inbox.classList.remove('showing-convo');
    renderQueue();
    (openList.querySelector('button') || document.getElementById('queue-refresh')).focus();
  }

  async function reloadThread() {
    try {
      person = await api.person(current.person_id);
    } catch {
      return;
    }
    if (closed) return;
    const old = pane.querySelector('.thread, .empty');
    const fresh = thread(person.messages || []);
    if (old && old.parentElement.classList.contains('thread-box')) {
      const box = old.parentElement;
      const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 8;
      old.replaceWith(fresh);
      if (atBottom) box.scrollTop = box.scrollHeight;
    }
  }

  async function showTask(task, { keepFocus = false } = {}) {
    current = task;
    renderQueue();
    pane.hidden = false;
    inbox.classList.add('showing-convo');
    const draft = pane.querySelector('#reply-text')?.value || '';
    clear(pane).append(h('p', { class: 'loading' }, 'Loading the conversation…'));
    try {
      [person, savedReplies] = await Promise.all([
        api.person(task.person_id),
        api.savedReplies().then((r) => r.saved_replies).catch(() => []),
      ]);
      if (closed) return;
    } catch (err) {
      if (closed) return;
      clear(pane).append(
        h('button', { type: 'button', class: 'ghost back', onclick: closeTask }, '← Back to the queue'),
        h('p', { class: 'error', role: 'alert' }, `The conversation could not be loaded: ${err.message}`),
      );
      return;
    }
    renderConversation(draft);
    if (!keepFocus) pane.querySelector('h2').focus();
  }

  function renderConversation(draft = '') {
    const task = current;
    const messages = person.messages || [];
    const replyChannel = config.channels?.[task.channel]?.reply_channel || task.channel;
    const mineNow = task.status === 'claimed' && task.claimed_by === user.id;
    const heldByOther = task.status === 'claimed' && task.claimed_by !== user.id;
    const isOrganizer = user.role === 'organizer';
    const blocked = optedOutChannels(person, messages);
    const optedOut = blocked.has(replyChannel) || blocked.has('*');
    const window = replyWindow(config, replyChannel, person);
    const notices = [];
    let disabledReason = null;

    if (optedOut) {
      disabledReason = `Opted out: this person asked not to be messaged by ${CHANNELS[replyChannel] || replyChannel}. Do not contact them there.`;
      notices.push(h('div', { class: 'notice notice-stop', role: 'note' }, icon('block'), h('div', {}, h('strong', {}, 'Opted out. '), `This person texted STOP. Replies by ${CHANNELS[replyChannel] || replyChannel} are turned off; record their stance if they gave one and mark the task done.`)));
    }
    if (window.state === 'closing') {
      notices.push(h('div', { class: 'notice notice-warn', role: 'note' }, icon('clock'), h('div', {}, h('strong', {}, 'Reply window closing. '), `${CHANNELS[replyChannel]} allows replies until ${when(window.closes)} (${duration(window.closes - Date.now())} left).`)));
    } else if (window.state === 'tagged') {
      notices.push(h('div', { class: 'notice notice-warn', role: 'note' }, icon('clock'), h('div', {}, h('strong', {}, '24-hour window closed. '), `It closed ${when(window.closed)}; ${CHANNELS[replyChannel]} still accepts a reply from a person (human agent) until ${when(window.closes)}.`)));
    } else if (window.state === 'closed') {
      const why = window.last ? `It closed ${when(window.closed)}, 24 hours after their last message.` : 'They have not written on this channel.';
      disabledReason = disabledReason || `Reply window closed: ${CHANNELS[replyChannel]} only allows replies within 24 hours of the person's last message.`;
      notices.push(h('div', { class: 'notice notice-stop', role: 'note' }, icon('block'), h('div', {}, h('strong', {}, 'Reply window closed. '), `${why} Wait for them to write again.`)));
    }
    if (!mineNow && !disabledReason) {
      disabledReason = heldByOther ? 'Another volunteer is answering this person.' : 'Claim this task to answer.';
    }

    const actions = [];
    if (task.status === 'open') {
      actions.push(h('button', { type: 'button', class: 'primary', id: 'claim', onclick: claim }, 'Claim and answer'));
    } else if (mineNow || (isOrganizer && task.status === 'claimed')) {
      actions.push(h('button', { type: 'button', class: 'ghost', id: 'release', onclick: release }, mineNow ? 'Release' : 'Release (organizer)'));
    }
    const statusLine = task.status === 'open'
      ? 'Waiting for a volunteer'
      : mineNow ? 'You are answering' : task.status === 'claimed' ? 'Another volunteer is answering' : 'Done';

    const head = h(
      'div',
      { class: 'convo-head' },
      h('button', { type: 'button', class: 'ghost back', onclick: closeTask }, '← Queue'),
      h('div', { class: 'who' },
        h('h2', { tabindex: '-1' }, personName(person)),
        h('p', { class: 'idents' }, (person.identities || []).map(identityLabel).join(' · ')),
        h('p', { class: 'task-status' }, channelBadge(task.channel), ` ${statusLine} · due ${when(parseTime(task.due_at))}`)),
      h('div', { class: 'actions' }, actions),
    );

    const threadBox = h('div', { class: 'thread-box', tabindex: '0', 'aria-label': 'Messages' }, thread(messages));
    const replyForm = buildReplyForm(replyChannel, disabledReason, draft);
    // On a phone the queue (and its h1) is hidden while a conversation is open.
    const title = h('h1', { class: 'visually-hidden' }, `Conversation with ${personName(person)}`);
    const parts = [title, head, ...notices, threadBox, replyForm, stanceEditor(config, person, () => reloadThread())];
    if (mineNow || (isOrganizer && task.status !== 'done')) parts.push(buildDoneForm());
    clear(pane).append(...parts);
    threadBox.scrollTop = threadBox.scrollHeight;
  }

  function buildReplyForm(replyChannel, disabledReason, draft) {
    const isSms = replyChannel === 'sms';
    const textarea = h('textarea', {
      id: 'reply-text', name: 'text', rows: '4', maxlength: '1600', required: true,
      disabled: Boolean(disabledReason), 'aria-describedby': 'reply-meter reply-reason',
    });
    textarea.value = disabledReason ? '' : draft;
    const meter = h('p', { id: 'reply-meter', class: 'meter' });
    const reason = h('p', { id: 'reply-reason', class: disabledReason ? 'reason' : 'reason visually-hidden' }, disabledReason || '');
    const error = h('p', { class: 'error', role: 'alert' });
    const send = h('button', { type: 'submit', class: 'primary', disabled: Boolean(disabledReason) }, 'Send reply');

    function update() {
      const text = textarea.value;
      if (!isSms) {
        meter.textContent = `${Array.from(text).length} characters`;
        return;
      }
      const info = smsInfo(text);
      const parts = [`${info.units} ${info.encoding === 'GSM-7' ? 'characters' : 'units'}`,
        `${info.segments} SMS segment${info.segments === 1 ? '' : 's'}`, info.encoding,
        `${info.remaining} left in this segment`];
      meter.textContent = parts.join(' · ');
      meter.dataset.encoding = info.encoding;
      meter.dataset.segments = String(info.segments);
      meter.classList.toggle('meter-ucs2', info.encoding === 'UCS-2');
      if (info.nonGsm.length) {
        meter.append(h('span', { class: 'ucs2-hint' }, ` Not in GSM-7: ${info.nonGsm.slice(0, 5).join(' ')} (each segment holds 70, not 160).`));
      }
    }
    textarea.addEventListener('input', update);
    update();

    const select = h('select', {
      id: 'saved-reply', disabled: Boolean(disabledReason) || !savedReplies.length,
      onchange: () => {
        const chosen = savedReplies.find((r) => r.id === select.value);
        if (chosen) {
          const sep = textarea.value && !textarea.value.endsWith(' ') ? ' ' : '';
          textarea.value = textarea.value ? `${textarea.value}${sep}${chosen.text}` : chosen.text;
          update();
          textarea.focus();
        }
        select.value = '';
      },
    }, h('option', { value: '' }, savedReplies.length ? 'Insert a saved reply…' : 'No saved replies yet'),
    savedReplies.map((r) => h('option', { value: r.id }, r.title)));

    const form = h(
      'form',
      { class: 'reply card', 'aria-labelledby': 'reply-title' },
      h('h3', { id: 'reply-title' }, `Reply by ${CHANNELS[replyChannel] || replyChannel}`),
      h('div', { class: 'saved' }, h('label', { for: 'saved-reply' }, 'Saved reply'), select),
      h('label', { for: 'reply-text' }, 'Your reply'),
      textarea, meter, reason, error, send,
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const text = textarea.value.trim();
      if (!text) {
        error.textContent = 'Write a reply first.';
        textarea.focus();
        return;
      }
      send.disabled = true;
      error.textContent = '';
      try {
        await api.reply(current.id, text);
        textarea.value = '';
        update();
        toast('Reply queued: it goes out in a moment.', 'ok');
        await reloadThread();
      } catch (err) {
        error.textContent = err.status === 409 ? 'You no longer hold this task (the claim expired or was released).'
          : `Not sent: ${err.message}`;
      } finally {
        send.disabled = false;
      }
    });
    return form;
  }

  function buildDoneForm() {
    const select = h('select', { id: 'outcome', name: 'outcome' },
      (config.outcomes || []).map((o) => h('option', { value: o.key }, o.label)));
    const form = h('form', { class: 'done card', 'aria-labelledby': 'done-title' },
      h('h3', { id: 'done-title' }, 'Finish'),
      h('label', { for: 'outcome' }, 'Outcome'), select,
      h('button', { type: 'submit', class: 'primary' }, 'Mark done'));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        await api.done(current.id, select.value);
        toast('Task done. Thank you!', 'ok');
        closeTask();
        await refresh();
      } catch (err) {
        toast(err.status === 409 ? 'Another volunteer holds this task.' : `Not marked done: ${err.message}`, 'error');
      }
    });
    return form;
  }

  async function claim() {
    try {
      current = await api.claim(current.id);
      toast('Claimed: it is yours to answer.', 'ok');
      await refresh();
      await showTask(current, { keepFocus: true });
      pane.querySelector('#reply-text')?.focus();
    } catch (err) {
      if (err.status === 409) {
        const note = 'Someone else just claimed this task. Pick another one: two people never answer the same message.';
        toast(note, 'error');
        const box = pane.querySelector('.actions');
        if (box) clear(box).append(h('p', { class: 'error conflict', role: 'alert' }, note));
        await refresh();
      } else {
        toast(`Not claimed: ${err.message}`, 'error');
      }
    }
  }

  async function release() {
    try {
      await api.release(current.id);
      toast('Released back to the queue.', 'ok');
      closeTask();
      await refresh();
    } catch (err) {
      toast(`Not released: ${err.message}`, 'error');
    }
  }

  return { refresh, closeTask, close };
}
