// chengyun console core: API calls, DOM building, formatting. Every page script imports this.
// Pages build their DOM with h() (text is always set as text, never parsed as HTML).

const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';

/** An error answer of the API: HTTP status, stable code, Chinese message, the field at fault. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? body?.message ?? `请求失败（HTTP ${status}）`);
    this.status = status;
    this.code = body?.error?.code ?? body?.code ?? 'http_' + status;
    this.field = body?.error?.field ?? body?.field ?? null;
    this.details = body?.error?.details ?? null;
  }
}

/**
 * Calls the API with the session cookie. `body` is sent as JSON, a FormData as multipart, a
 * Blob (a File) as its raw bytes with its own type.
 * Returns the parsed JSON (null for 204). A lost session sends the user to the login page.
 */
export async function api(path, { method = 'GET', body, signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrf;
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body instanceof Blob) { headers['Content-Type'] = body.type || 'application/octet-stream'; payload = body; }
  else if (body !== undefined) { headers['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
  const res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin', signal });
  if (res.status === 401) {
    location.assign('/login?next=' + encodeURIComponent(location.pathname + location.search));
    throw new ApiError(401, { error: { code: 'unauthorized', message: '登录已失效，请重新登录' } });
  }
  if (res.status === 204) return null;
  const type = res.headers.get('Content-Type') ?? '';
  const data = type.includes('json') ? await res.json() : await res.text();
  if (!res.ok) throw new ApiError(res.status, typeof data === 'object' ? data : { message: data });
  return data;
}

/** Builds an element: h('a', {href: '/x', class: 'btn', onclick: fn}, '文本', child, [more]). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of an element (default: the page's <main>). */
export function render(target, ...children) {
  const el = target ?? document.getElementById('app');
  el.replaceChildren();
  append(el, children);
  return el;
}

/** The page's <main>. */
export const app = () => document.getElementById('app');

/** The current user, from the page shell. */
export const me = {
  username: document.body.dataset.user,
  roles: (document.body.dataset.roles ?? '').split(' ').filter(Boolean),
  has(role) { return this.roles.includes(role); },
};

const LAMP_LABEL = { green: '绿灯', yellow: '黄灯', red: '红灯' };

/** A lamp (green/yellow/red) with its Chinese label for screen readers and print. */
export function lamp(color, title) {
  if (!color) return h('span', { class: 'lamp none', title: '不计时' }, '—');
  return h('span', { class: 'lamp ' + color, title: title ?? LAMP_LABEL[color], 'aria-label': LAMP_LABEL[color] });
}

/** '2026-12-03T09:05:00+08:00' → '12-03 09:05' (this year) or '2025-12-03 09:05'. */
export function fmtTime(iso) {
  if (!iso) return '—';
  const [date, rest] = iso.split('T');
  const hm = rest?.slice(0, 5) ?? '';
  const thisYear = String(new Date().getFullYear());
  return (date.startsWith(thisYear) ? date.slice(5) : date) + ' ' + hm;
}

/** Time until `iso` in words: '剩 2小时15分' / '超时 1天3小时'. Wall-clock; the lamp says working time. */
export function fmtLeft(iso, now = Date.now()) {
  if (!iso) return '';
  let ms = Date.parse(iso) - now;
  const late = ms < 0;
  ms = Math.abs(ms);
  const m = Math.floor(ms / 60000), d = Math.floor(m / 1440), hr = Math.floor((m % 1440) / 60), mi = m % 60;
  const text = d ? `${d}天${hr}小时` : hr ? `${hr}小时${mi}分` : `${mi}分`;
  return (late ? '超时 ' : '剩 ') + text;
}

/** A short notice at the top of the screen; kind 'error' stays until clicked. */
export function toast(message, kind = 'ok') {
  let box = document.getElementById('toasts');
  if (!box) { box = h('div', { id: 'toasts', role: 'status', 'aria-live': 'polite' }); document.body.append(box); }
  const item = h('div', { class: 'toast ' + kind, onclick: () => item.remove() }, message);
  box.append(item);
  if (kind !== 'error') setTimeout(() => item.remove(), 4000);
  return item;
}

/** Runs an async action, showing an API error as a toast (and marking the field at fault). */
export async function attempt(action, form) {
  try {
    return await action();
  } catch (e) {
    toast(e.message, 'error');
    if (form && e.field) form.querySelector(`[name="${CSS.escape(e.field)}"]`)?.setAttribute('aria-invalid', 'true');
    return undefined;
  }
}

/** Query-string parameters of the page as an object, and a way to update them without reload. */
export const params = {
  get() { return Object.fromEntries(new URLSearchParams(location.search)); },
  set(values) {
    const q = new URLSearchParams(location.search);
    for (const [k, v] of Object.entries(values)) (v === '' || v == null) ? q.delete(k) : q.set(k, v);
    history.replaceState(null, '', location.pathname + (q.size ? '?' + q : ''));
  },
};

/** Builds `path?k=v&…`, leaving out empty values. */
export function withQuery(path, values) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== '' && v != null) q.set(k, v);
  return q.size ? path + '?' + q : path;
}

/** Keyboard shortcuts: shortcut('a', fn) fires unless the user is typing in a field. */
export function shortcut(key, handler) {
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement || t?.isContentEditable) return;
    if (e.key === key) { e.preventDefault(); handler(e); }
  });
}

/** Loads reference lists once per page: categories, units. */
const cache = new Map();
export function cached(path) {
  if (!cache.has(path)) cache.set(path, api(path));
  return cache.get(path);
}

/** Page title + optional tools on the right. */
export function heading(title, ...tools) {
  return h('div', { class: 'heading' }, h('h1', {}, title), h('div', { class: 'tools' }, tools));
}

/** A table from rows: columns = [{label, cell: row => node|text, class}] */
export function table(columns, rows, { empty = '暂无数据', onrow } = {}) {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  return h('table', { class: 'grid' },
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.class }, c.label)))),
    h('tbody', {}, rows.map((r) => h('tr', { onclick: onrow && (() => onrow(r)), class: onrow ? 'clickable' : null },
      columns.map((c) => h('td', { class: c.class }, c.cell(r)))))));
}

/** Uploads one photo (its raw bytes, as /api/v1/attachments wants); resolves to {id, …}. */
export function uploadPhoto(file) {
  return api('/api/v1/attachments', { method: 'POST', body: file });
}
