// 城运大屏 (/dashboard, wall layout): the town this minute. Figures come from /api/v1/dashboard,
// charts and the map are drawn by the server as SVG; the page refreshes itself (debounced) on
// every `changed` server-sent event from /api/v1/events, without reloading.
//
// The region shown is `?region=` or, without it, whatever the API answers for the user (their
// own area, else the instance's default): the page never assumes a town of its own.
import { api, h, render, toast, params, withQuery } from '../app.js';

const FIGURES = [
  ['today.reported', '今日上报'], ['today.filed', '今日立案'], ['today.closed', '今日结案'],
  ['month.reported', '本月上报'], ['month.filed', '本月立案'], ['month.closed', '本月结案'],
  ['open', '未结案件'], ['overdue_open', '超期未结'],
];

const state = { region: params.get().region ?? '', data: null, trail: [], loading: false, again: false, lastRun: 0 };

const pick = (obj, path) => path.split('.').reduce((o, k) => o?.[k], obj);
const fmt = (n) => Number(n ?? 0).toLocaleString('zh-CN');

/** The level of a region from the shape of its code (see crates/domain/src/region.rs). */
function levelOf(code) {
  if (/^\d{9}P\d{2}$/.test(code)) return 'area';
  switch (code.length) {
    case 6: return code.endsWith('0000') ? 'city' : 'district';
    case 9: return 'town';
    case 12: return 'village';
    case 15: return 'grid';
    default: return 'grid';
  }
}

/** Parses server-made SVG text into a node of this document (never innerHTML). */
function svgNode(text) {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const root = doc.documentElement;
  if (root.nodeName !== 'svg') throw new Error('图形无法显示');
  return document.importNode(root, true);
}

/** Fetches a picture and puts it in `box`, unless `current()` says a newer one was asked for. */
async function svgInto(box, path, current = () => true) {
  const text = await api(path);
  if (!current()) return null;
  const node = svgNode(text);
  node.removeAttribute('width');
  node.removeAttribute('height');
  box.replaceChildren(node);
  return node;
}

/** One error notice at a time: a wall screen must not pile them up. */
let notice = null;
function problem(e) {
  notice?.remove();
  notice = toast(e.message, 'error');
}

// ---- layout -------------------------------------------------------------------------------

const clock = h('time', { class: 'dash-clock', 'aria-live': 'off' });
const title = h('h1', {}, '城运大屏');
const updated = h('span', { class: 'dash-updated' });
const live = h('span', { class: 'dash-live off', role: 'status', dataset: { state: 'connecting' }, title: '实时更新连接中' }, '● 实时');
const figureEls = Object.fromEntries(FIGURES.map(([key]) => [key, h('strong', { class: 'dash-number', dataset: { figure: key } }, '—')]));
const numbers = h('section', { class: 'dash-numbers', 'aria-label': '今日与本月' },
  FIGURES.map(([key, label]) => h('div', { class: 'dash-figure' + (key === 'overdue_open' ? ' red' : '') }, h('span', {}, label), figureEls[key])));
const loading = (text = '加载中…') => h('p', { class: 'loading' }, text);
const trendBox = h('div', { class: 'dash-chart', id: 'dash-trend' }, loading());
const catBox = h('div', { class: 'dash-chart', id: 'dash-categories' }, loading());
const unitBox = h('div', { class: 'dash-chart', id: 'dash-units' }, loading());
const mapBox = h('div', { class: 'dash-map', id: 'dash-map' }, loading('地图加载中…'));
const crumbs = h('nav', { class: 'dash-crumbs', 'aria-label': '地图层级' });
const mapHint = h('span', { class: 'dash-hint' });
const overdueBox = h('div', { class: 'dash-overdue', id: 'dash-overdue' }, loading());
const trendTitle = h('h2', {}, '近30天案件趋势');
const catTitle = h('h2', {}, '案件类别');
const unitTitle = h('h2', {}, '各单位按期处置率');
const overdueTitle = h('h2', {}, '超期未结案件');

render(null,
  h('div', { class: 'dash' },
    h('header', { class: 'dash-head' }, title,
      h('div', { class: 'dash-status' }, live, updated, clock, h('a', { href: '/', class: 'dash-home' }, '工作台'))),
    numbers,
    h('div', { class: 'dash-body' },
      h('div', { class: 'dash-col' },
        h('section', { class: 'card dash-card' }, trendTitle, trendBox),
        h('section', { class: 'card dash-card' }, catTitle, catBox)),
      h('section', { class: 'card dash-card dash-center' },
        h('div', { class: 'dash-maphead' }, h('h2', {}, '未结案件分布'), crumbs), mapBox, mapHint),
      h('div', { class: 'dash-col' },
        h('section', { class: 'card dash-card' }, unitTitle, unitBox),
        h('section', { class: 'card dash-card' }, overdueTitle, overdueBox)))));

// The wall hangs in the town: its clock is Shanghai time, whatever the browser's zone.
const clockFormat = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai', year: 'numeric', month: 'numeric', day: 'numeric', weekday: 'long',
  hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});
function tick() {
  const p = Object.fromEntries(clockFormat.formatToParts(new Date()).map((x) => [x.type, x.value]));
  clock.textContent = `${p.year}年${p.month}月${p.day}日 ${p.weekday} ${p.hour}:${p.minute}:${p.second}`;
}
tick();
setInterval(tick, 1000);

// ---- data ---------------------------------------------------------------------------------

const chartWidth = (box) => Math.max(320, Math.round(box.clientWidth || 560));

function lateness(m) {
  if (m >= 1440) return `${Math.floor(m / 1440)}天${Math.floor((m % 1440) / 60)}小时`;
  return m >= 60 ? `${Math.floor(m / 60)}小时${m % 60}分` : `${m}分`;
}

function showOverdue(list, total) {
  overdueTitle.textContent = total > list.length ? `超期未结案件（${fmt(total)}件，最久${list.length}件）` : `超期未结案件（${fmt(total)}件）`;
  if (!list.length) { render(overdueBox, h('p', { class: 'empty' }, '当前没有超期案件')); return; }
  render(overdueBox, h('table', { class: 'grid dash-table' },
    h('thead', {}, h('tr', {}, h('th', {}, '案件编号'), h('th', {}, '类别'), h('th', {}, '地点'), h('th', {}, '承办单位'), h('th', {}, '已超时'))),
    h('tbody', {}, list.map((c) => h('tr', { dataset: { case: c.id } },
      h('td', {}, h('a', { href: '/cases/' + encodeURIComponent(c.id), title: c.description ?? '' }, c.number)),
      h('td', {}, c.category_name),
      h('td', { title: c.address ?? '' }, c.region_name ?? c.region_code),
      h('td', {}, c.lead_unit_name ?? c.lead_unit ?? '未派遣'),
      h('td', { class: 'late' }, lateness(c.overdue_minutes)))))));
}

async function refresh() {
  if (state.loading) { state.again = true; return; }
  state.loading = true;
  state.lastRun = Date.now();
  try {
    const data = await api(withQuery('/api/v1/dashboard', { region: state.region }));
    state.data = data;
    if (!state.region) state.region = data.region.code;
    if (!state.trail.length) state.trail = [{ code: data.region.code, name: data.region.name, level: data.region.level }];
    title.textContent = `${data.region.name} 城运大屏`;
    document.title = `${data.region.name} 城运大屏 — 城运中心`;
    for (const [key] of FIGURES) figureEls[key].textContent = fmt(pick(data, key));
    updated.textContent = '更新于 ' + data.generated_at.slice(11, 19);
    updated.dataset.at = data.generated_at;
    trendTitle.textContent = `近30天案件趋势（${data.trend[0]?.label ?? ''} 至 ${data.trend.at(-1)?.label ?? ''}）`;
    catTitle.textContent = `案件类别（近30天前${data.categories.length}类）`;
    unitTitle.textContent = `各单位按期处置率（近30天，${data.units.length}个单位）`;
    showOverdue(data.overdue, data.overdue_open);
    const region = state.region;
    await Promise.all([
      svgInto(trendBox, withQuery('/api/v1/dashboard/trend.svg', { region, width: chartWidth(trendBox) })),
      svgInto(catBox, withQuery('/api/v1/dashboard/categories.svg', { region, width: chartWidth(catBox) })),
      svgInto(unitBox, withQuery('/api/v1/dashboard/units.svg', { region, width: chartWidth(unitBox) })),
      showMap(),
    ]);
    document.body.dataset.loaded = String(Date.now());
    notice?.remove();
  } catch (e) {
    problem(e);
  } finally {
    state.loading = false;
    if (state.again) { state.again = false; soon(); }
  }
}

// ---- map: town → 村/居 → 单元网格 ------------------------------------------------------------

/** What the map under a region draws: a town (or 片区) its 村/居 across its 片区, others their children. */
const mapLevel = (level) => (level === 'town' || level === 'area' ? 'village' : 'child');
/** Whether the areas drawn under a region lead further down (单元网格 are the bottom). */
const drillable = (level) => level !== 'village' && level !== 'grid';

function mapPath() {
  const at = state.trail.at(-1);
  return withQuery('/api/v1/map.svg', { region: at.code, level: mapLevel(at.level), shade: 'open' });
}

// A drill-down during a refresh asks for a second map: only the newest may be shown.
let mapAsked = 0;
async function showMap() {
  const asked = ++mapAsked;
  showCrumbs();
  const at = state.trail.at(-1);
  const svg = await svgInto(mapBox, mapPath(), () => asked === mapAsked);
  if (!svg) return;
  mapBox.dataset.region = at.code;
  const down = drillable(at.level);
  const shapes = svg.querySelectorAll('path.area[data-code]');
  for (const path of shapes) {
    if (!down || path.dataset.code === at.code) continue;
    path.setAttribute('tabindex', '0');
    path.setAttribute('role', 'button');
    path.setAttribute('aria-label', `${path.dataset.name}：未结案件 ${path.dataset.value ?? 0} 件，点击查看下一级`);
    path.classList.add('drill');
  }
  mapHint.textContent = down && shapes.length ? '点击区域查看下一级；点击上方层级返回' : state.trail.length > 1 ? '点击上方层级返回' : '';
}

function showCrumbs() {
  render(crumbs, state.trail.map((r, i) => i === state.trail.length - 1
    ? h('span', { 'aria-current': 'location', dataset: { code: r.code } }, r.name)
    : [h('button', { type: 'button', class: 'link', dataset: { code: r.code }, onclick: () => back(i) }, r.name), h('span', { class: 'sep', 'aria-hidden': 'true' }, '›')]));
}

function back(i) {
  const kept = state.trail.slice(0, i + 1);
  const was = state.trail;
  state.trail = kept;
  showMap().catch((e) => { state.trail = was; showCrumbs(); problem(e); });
}

function drill(path) {
  if (!path?.classList.contains('drill')) return;
  const code = path.dataset.code;
  state.trail.push({ code, name: path.dataset.name, level: levelOf(code) });
  showMap().catch((e) => { state.trail.pop(); showCrumbs(); problem(e); });
}
mapBox.addEventListener('click', (e) => drill(e.target.closest('path[data-code]')));
mapBox.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); drill(e.target.closest('path[data-code]')); }
});

// ---- live ---------------------------------------------------------------------------------

// Debounced: a burst of changes makes one refresh, and refreshes are at least 3 s apart.
let timer = null;
function soon() {
  clearTimeout(timer);
  const wait = Math.max(800, 3000 - (Date.now() - state.lastRun));
  timer = setTimeout(refresh, wait);
}

function setLive(on, text) {
  live.classList.toggle('off', !on);
  live.dataset.state = on ? 'on' : 'off';
  live.textContent = on ? '● 实时' : '○ 实时';
  live.title = text;
}

let events = null;
let dropped = false;
function connect() {
  events = new EventSource('/api/v1/events');
  events.addEventListener('open', () => {
    setLive(true, '实时更新已连接');
    // changes made while the connection was down were missed: catch up
    if (dropped) { dropped = false; soon(); }
  });
  events.addEventListener('changed', soon);
  events.addEventListener('error', () => {
    dropped = true;
    setLive(false, '实时更新已断开，正在重连…');
    // the browser retries by itself unless the server refused the stream; then try again later
    if (events.readyState === EventSource.CLOSED) setTimeout(connect, 15_000);
  });
}
connect();
// a slow safety net in case the connection drops unnoticed; also moves "today" past midnight
setInterval(refresh, 5 * 60 * 1000);
addEventListener('pagehide', () => events?.close());

refresh();
