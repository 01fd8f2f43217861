// Every request carries the bearer token in a header; the token never goes into a URL.

const KEY = 'hearback.token';

export function getToken() {
  return sessionStorage.getItem(KEY);
}

export function setToken(token) {
  if (token) sessionStorage.setItem(KEY, token);
  else sessionStorage.removeItem(KEY);
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

let onUnauthorized = () => {};
export function whenUnauthorized(callback) {
  onUnauthorized = callback;
}

export async function request(path, { method = 'GET', body, raw = false } = {}) {
  const headers = { Authorization: `Bearer ${getToken() || ''}`, Accept: 'application/json' };
  const init = { method, headers, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'The server cannot be reached. Check your connection.');
  }
  if (!response.ok) {
    let message = response.statusText || `HTTP ${response.status}`;
    try {
      const payload = await response.json();
      message = payload.Message || payload.message || message;
    } catch {
      // not JSON: keep the status text
    }
    // A gateway's answer for a route it does not know echoes request headers: never show those.
    if (/authorization/i.test(message)) message = `this server does not offer ${path.split('?')[0]} (HTTP ${response.status})`;
    if (response.status === 401) onUnauthorized();
    throw new ApiError(response.status, message);
  }
  if (raw) return response;
  if (response.status === 204) return null;
  const type = response.headers.get('content-type') || '';
  return type.includes('json') ? response.json() : response.text();
}

export const api = {
  config: () => request('api/config'),
  tasks: (status, next) => {
    const query = new URLSearchParams({ status });
    if (next) query.set('next', next);
    return request(`api/tasks?${query}`);
  },
  claim: (id) => request(`api/tasks/${encodeURIComponent(id)}/claim`, { method: 'POST' }),
  release: (id) => request(`api/tasks/${encodeURIComponent(id)}/release`, { method: 'POST' }),
  reply: (id, text) => request(`api/tasks/${encodeURIComponent(id)}/reply`, { method: 'POST', body: { text } }),
  done: (id, outcome) =>
    request(`api/tasks/${encodeURIComponent(id)}/done`, { method: 'POST', body: outcome ? { outcome } : {} }),
  person: (id) => request(`api/people/${encodeURIComponent(id)}`),
  stance: (id, body) => request(`api/people/${encodeURIComponent(id)}/stance`, { method: 'POST', body }),
  // POST, not GET ?q=: a phone number or email must not land in a URL (access logs).
  searchPeople: (q) => request('api/people/search', { method: 'POST', body: { q } }),
  createUser: (body) => request('api/users', { method: 'POST', body }),
  shifts: () => request('api/shifts'),
  shift: (on) => request('api/me/shift', { method: 'POST', body: { on } }),
  savedReplies: () => request('api/saved-replies'),
  saveReply: (title, text) => request('api/saved-replies', { method: 'POST', body: { title, text } }),
  deleteReply: (id) => request(`api/saved-replies/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  stats: () => request('api/stats'),
  exportCsv: (query) => request(`api/exports/people.csv?${query}`, { raw: true }),
};
