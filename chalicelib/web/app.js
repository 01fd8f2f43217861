// Hearback's inbox page: sign-in, navigation and the ~10 s refresh. Plain ES modules, no build step.

import { api, getToken, setToken, whenUnauthorized } from './api.js';
import { initExports, initPeople, initSavedReplies, initTeam, renderDashboard } from './organizer.js';
import { clear, h, setChannels, toast } from './ui.js';
import { createInbox } from './volunteer.js';

const POLL_MS = 10000;
const VIEWS = ['inbox', 'dashboard', 'people', 'team', 'replies', 'exports'];

const $ = (id) => document.getElementById(id);

let session = null; // {config, inbox, savedReplies, timer, view}
let organizerScreens = null;

function showSignIn(message = '') {
  if (session?.timer) clearInterval(session.timer);
  session?.inbox.close();
  session = null;
  // Nothing personal stays in the page after signing out.
  for (const id of ['mine-list', 'open-list', 'convo-pane', 'dashboard', 'people-results', 'person-detail', 'user-created',
    'shifts-list']) {
    clear($(id));
  }
  $('convo-pane').hidden = true;
  $('user-created').hidden = true;
  $('view-inbox').classList.remove('showing-convo');
  $('topbar').hidden = true;
  for (const v of VIEWS) $(`view-${v}`).hidden = true;
  $('view-signin').hidden = false;
  $('signin-error').textContent = message;
  $('token').value = '';
  $('token').focus();
}

function show(view) {
  if (!session) return;
  if (!VIEWS.includes(view) || (view !== 'inbox' && session.config.user.role !== 'organizer')) view = 'inbox';
  for (const v of VIEWS) $(`view-${v}`).hidden = v !== view;
  for (const b of document.querySelectorAll('#mainnav button')) {
    if (b.dataset.view === view) b.setAttribute('aria-current', 'page');
    else b.removeAttribute('aria-current');
  }
  session.view = view;
  // The fragment names a screen only: never an id, a token or anything personal.
  if (location.hash !== `#${view}`) history.replaceState(null, '', `#${view}`);
  if (view === 'inbox') session.inbox.refresh();
  if (view === 'dashboard') loadDashboard();
  if (view === 'replies') session.savedReplies?.load();
  if (view === 'team') session.team?.load();
  $('main').focus({ preventScroll: true });
}

// The button names its action; the state shows next to it (and in the button's colour).
function showShift(on) {
  const button = $('shift-toggle');
  button.dataset.on = String(on);
  button.textContent = on ? 'On shift · go off' : 'Go on shift';
  button.title = on ? 'You get new tasks by text.' : 'Get new tasks by text on your phone.';
}

async function loadDashboard() {
  const root = $('dashboard');
  if (!root.firstChild) root.append(h('p', { class: 'loading' }, 'Loading…'));
  try {
    renderDashboard(root, session.config, await api.stats());
  } catch (err) {
    clear(root).append(h('p', { class: 'error', role: 'alert' }, `The numbers could not be loaded: ${err.message}`));
  }
}

async function start() {
  let config;
  try {
    config = await api.config();
  } catch (err) {
    setToken(null);
    showSignIn(err.status === 401 ? 'That token is not valid. Ask an organizer for a new one.' : err.message);
    return;
  }
  $('view-signin').hidden = true;
  $('topbar').hidden = false;
  setChannels(config.channels);
  $('campaign-name').textContent = config.campaign_name;
  $('user-name').textContent = `${config.user.name} (${config.user.role})`;
  document.title = `Hearback · ${config.campaign_name}`;
  const organizer = config.user.role === 'organizer';
  for (const b of document.querySelectorAll('#mainnav [data-role=organizer]')) b.hidden = !organizer;
  $('shift-toggle').hidden = !config.user.phone;
  showShift(Boolean(config.user.on_shift));

  session = { config, inbox: createInbox({ config, user: config.user }), view: 'inbox' };
  if (organizer && !organizerScreens) {
    // Wired once per page load: their listeners must not double up after a second sign-in.
    organizerScreens = { savedReplies: initSavedReplies(), team: initTeam() };
    initPeople(config);
    initExports(config);
  }
  session.savedReplies = organizerScreens?.savedReplies;
  session.team = organizerScreens?.team;
  session.timer = setInterval(() => {
    if (document.hidden || !session) return;
    if (session.view === 'inbox') session.inbox.refresh();
    if (session.view === 'dashboard') loadDashboard();
  }, POLL_MS);
  show(location.hash.slice(1) || 'inbox');
}

function wire() {
  whenUnauthorized(() => {
    setToken(null);
    showSignIn('Your session ended. Sign in again.');
  });
  $('signin-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = $('token').value.trim();
    if (!token) {
      $('signin-error').textContent = 'Paste your access token.';
      return;
    }
    setToken(token);
    $('token').value = '';
    start();
  });
  $('sign-out').addEventListener('click', () => {
    setToken(null);
    showSignIn('Signed out.');
  });
  $('mainnav').addEventListener('click', (event) => {
    const button = event.target.closest('button[data-view]');
    if (button) show(button.dataset.view);
  });
  $('queue-refresh').addEventListener('click', () => session?.inbox.refresh());
  $('dash-refresh').addEventListener('click', loadDashboard);
  $('shift-toggle').addEventListener('click', async () => {
    const button = $('shift-toggle');
    const want = button.dataset.on !== 'true';
    try {
      const answer = await api.shift(want);
      const on = answer && typeof answer.on === 'boolean' ? answer.on : want;
      showShift(on);
      toast(on ? 'You are on shift: new tasks come to your phone.' : 'You are off shift.', 'ok');
    } catch (err) {
      toast(`Shift not changed: ${err.message}`, 'error');
    }
  });
}

wire();
if (getToken()) start();
else showSignIn();
