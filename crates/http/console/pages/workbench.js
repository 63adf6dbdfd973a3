// 受理 / 立案 / 派遣 / 结案 workbenches: the queue of one step, most urgent first, with a side
// panel for the selected case and keyboard shortcuts for the step's own action.
import { api, h, render, heading, params, shortcut, toast, attempt, fmtTime, fmtLeft, me } from '../app.js';
import { SOURCES, LAMPS, lampCell, leftCell, caseLink, select, categoryChoices, regionChoices, pager, listCases, ACTION_LABELS } from './caselist.js';

/**
 * Each workbench: its queues (tabs). A queue lists some statuses and has one quick action
 * (no input needed) bound to a key; every other action is on the case page.
 */
const BENCHES = {
  'workbench-accept': {
    title: '受理工作台',
    queues: [
      { id: 'reported', label: '待受理', statuses: 'reported', action: 'register', verb: '受理', key: 'a' },
      { id: 'registered', label: '待派核实', statuses: 'registered', action: 'request_verification', verb: '派核实', key: 'v' },
    ],
  },
  'workbench-file': {
    title: '立案工作台',
    queues: [{ id: 'registered', label: '待立案', statuses: 'registered', action: 'file', verb: '立案', key: 'f' }],
  },
  'workbench-dispatch': {
    title: '派遣工作台',
    queues: [{ id: 'filed', label: '待派遣（含退单）', statuses: 'filed,returned', action: 'dispatch', verb: '按建议派遣', key: 'd' }],
  },
  'workbench-close': {
    title: '结案工作台',
    queues: [
      { id: 'checked', label: '待结案', statuses: 'checked', action: 'close', verb: '结案', key: 'c', roles: ['shift_lead'] },
      { id: 'processed', label: '待派核查', statuses: 'processed', action: 'request_check', verb: '派核查', key: 'p' },
    ],
  },
};

const PAGE_SIZE = 20;
const REFRESH_MS = 30_000;

const bench = BENCHES[document.body.dataset.page];
const queues = bench.queues.filter((q) => !q.roles || q.roles.some((r) => me.has(r)));
const state = {
  filters: { category: '', region: '', source: '', lamp: '', q: '', ...pick(params.get(), ['category', 'region', 'source', 'lamp', 'q']) },
  queue: queues.find((q) => q.id === params.get().queue) ?? queues[0],
  page: Number(params.get().page) || 1,
  rows: [],
  total: 0,
  selected: 0,
  detail: null,
  loadedAt: null,
};
let choices = { categories: [], regions: [] };

function pick(obj, keys) {
  return Object.fromEntries(keys.filter((k) => obj[k]).map((k) => [k, obj[k]]));
}

const tableBox = h('div', { class: 'queue', 'aria-live': 'polite' }, h('p', { class: 'loading' }, '正在加载队列…'));
const panel = h('aside', { class: 'card sidepanel', 'aria-label': '所选案件' }, h('p', { class: 'empty' }, '选择一件案件查看详情'));
const status = h('span', { class: 'muted refreshed' });
const search = h('input', { type: 'search', name: 'q', placeholder: '全文检索（按 / 聚焦）', value: state.filters.q, 'aria-label': '全文检索',
  onkeydown: (e) => { if (e.key === 'Enter') { setFilter('q', search.value.trim()); } if (e.key === 'Escape') search.blur(); } });

function keysHelp() {
  const q = state.queue;
  return [['j / k', '下一件 / 上一件'], ['Enter', '打开案件页'], [q.key, q.verb + '所选案件'], ['/', '聚焦搜索框'], ['r', '立即刷新'], ['?', '显示快捷键']]
    .filter(([k], i, all) => all.findIndex(([x]) => x === k) === i);
}

function shortcutBar() {
  return h('p', { class: 'shortcuts muted' }, '快捷键：',
    keysHelp().map(([k, what]) => h('span', {}, h('kbd', {}, k), ' ', what, '　')));
}

function page() {
  render(null,
    heading(bench.title, status,
      h('button', { type: 'button', class: 'secondary', onclick: () => refresh() }, '刷新'),
      h('button', { type: 'button', class: 'secondary', onclick: showHelp, 'aria-keyshortcuts': '?' }, '快捷键 ?')),
    queues.length > 1 ? h('div', { class: 'tabs', role: 'tablist' }, queues.map((q) =>
      h('button', { type: 'button', role: 'tab', class: q === state.queue ? 'tab current' : 'tab', 'aria-selected': String(q === state.queue),
        onclick: () => { state.queue = q; state.page = 1; state.selected = 0; params.set({ queue: q.id, page: '' }); page(); refresh(); } }, q.label))) : null,
    h('div', { class: 'filters' },
      search,
      select('category', '全部类别', choices.categories, state.filters.category, (e) => setFilter('category', e.target.value)),
      select('region', '全部区域', choices.regions, state.filters.region, (e) => setFilter('region', e.target.value)),
      select('source', '全部来源', SOURCES, state.filters.source, (e) => setFilter('source', e.target.value)),
      select('lamp', '全部亮灯', LAMPS, state.filters.lamp, (e) => setFilter('lamp', e.target.value)),
      h('span', { class: 'muted' }, '按紧急程度排序')),
    shortcutBar(),
    h('div', { class: 'cols workbench' }, tableBox, panel));
}

function setFilter(key, value) {
  state.filters[key] = value;
  state.page = 1;
  state.selected = 0;
  params.set({ [key]: value, page: '' });
  refresh();
}

async function refresh({ keep = false } = {}) {
  const keepId = keep ? state.rows[state.selected]?.id : null;
  const result = await attempt(() => listCases({ ...state.filters, status: state.queue.statuses, sort: 'urgency', page: state.page, page_size: PAGE_SIZE }));
  if (!result) return;
  state.rows = result.items;
  state.total = result.total;
  if (keepId) state.selected = Math.max(0, state.rows.findIndex((r) => r.id === keepId));
  state.selected = Math.min(state.selected, Math.max(0, state.rows.length - 1));
  state.loadedAt = new Date();
  status.textContent = `共 ${state.total} 件 · ${hhmm(state.loadedAt)} 更新 · 每 30 秒自动刷新`;
  drawTable();
  await showSelected();
}

function hhmm(d) {
  return d.toTimeString().slice(0, 8);
}

function drawTable() {
  const rows = state.rows;
  if (!rows.length) {
    render(tableBox, h('p', { class: 'empty' }, `${state.queue.label}队列中没有案件。`));
    return;
  }
  const columns = [
    { label: '亮灯', cell: (r) => lampCell(r.lamp) },
    { label: '剩余时间', class: 'nw', cell: leftCell },
    { label: '案件编号', cell: caseLink },
    { label: '类别', class: 'cat', cell: (r) => r.category_name ?? r.category },
    { label: '区域', class: 'region', cell: (r) => r.region_name ?? r.region_code },
    { label: '来源', class: 'nw', cell: (r) => r.source_label },
    { label: '描述', class: 'desc', cell: (r) => r.description },
    { label: '状态', cell: (r) => h('span', { class: 'tag' }, r.status_label) },
    { label: '上报时间', class: 'nw', cell: (r) => fmtTime(r.created_at) },
  ];
  const table = h('table', { class: 'grid queue-table' },
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.class }, c.label)))),
    h('tbody', {}, rows.map((r, i) => h('tr', {
      class: 'clickable' + (i === state.selected ? ' selected' : ''), dataset: { id: r.id }, 'aria-selected': String(i === state.selected),
      onclick: (e) => { if (e.target.closest('a')) return; select_(i); },
      ondblclick: () => open(),
    }, columns.map((c) => h('td', { class: c.class }, c.cell(r)))))));
  render(tableBox, table, pager(state.total, state.page, PAGE_SIZE, (p) => { state.page = p; state.selected = 0; params.set({ page: p > 1 ? p : '' }); refresh(); }));
}

function select_(i) {
  if (!state.rows.length) return;
  state.selected = Math.max(0, Math.min(i, state.rows.length - 1));
  tableBox.querySelectorAll('tbody tr').forEach((tr, j) => {
    tr.classList.toggle('selected', j === state.selected);
    tr.setAttribute('aria-selected', String(j === state.selected));
    if (j === state.selected) tr.scrollIntoView({ block: 'nearest' });
  });
  showSelected();
}

let detailToken = 0;
async function showSelected() {
  const row = state.rows[state.selected];
  if (!row) { state.detail = null; render(panel, h('p', { class: 'empty' }, '选择一件案件查看详情')); return; }
  const token = ++detailToken;
  const [detail, routing] = await Promise.all([
    attempt(() => api('/api/v1/cases/' + row.id)),
    state.queue.action === 'dispatch' ? api(`/api/v1/cases/${row.id}/routing`).catch(() => null) : null,
  ]);
  if (token !== detailToken || !detail) return;
  state.detail = detail;
  const q = state.queue;
  const can = detail.allowed_actions.includes(q.action);
  const step = detail.current_step;
  render(panel,
    h('h2', {}, caseLink(detail), ' ', h('span', { class: 'tag' }, detail.status_label)),
    h('dl', { class: 'facts' },
      h('dt', {}, '类别'), h('dd', {}, `${detail.category_name ?? ''}（${detail.category}）`),
      h('dt', {}, '来源'), h('dd', {}, detail.source_label),
      h('dt', {}, '区域'), h('dd', {}, detail.region_name ?? detail.region_code),
      h('dt', {}, '地址'), h('dd', {}, detail.address ?? '—'),
      h('dt', {}, '描述'), h('dd', {}, detail.description),
      h('dt', {}, '当前环节'), h('dd', {}, step ? [step.step_label, ' ', lampCell(step.lamp), ' ', fmtLeft(step.due_at), `（已用 ${step.used_percent}%）`] : '—'),
      h('dt', {}, '总时限'), h('dd', {}, lampCell(detail.overall.lamp), ' 到期 ', fmtTime(detail.overall.due_at))),
    detail.classification?.suggestions?.length ? h('p', { class: 'muted' }, '智能分拨建议：',
      detail.classification.suggestions.map((s) => `${s.name} ${s.category}（${Math.round(s.probability * 100)}%）`).join('、')) : null,
    detail.suspected_duplicates?.length ? h('p', { class: 'warn' }, '疑似重复：',
      detail.suspected_duplicates.map((d) => [h('a', { href: '/cases/' + d.id }, d.number), `（${d.distance_m} 米，${d.age_label}） `])) : null,
    routing ? h('div', { class: 'proposal' }, h('strong', {}, '派遣建议：'),
      routing.lead ? [`主办 ${routing.lead.name ?? routing.lead.code}`, routing.assists.length ? `；协办 ${routing.assists.map((a) => a.name ?? a.code).join('、')}` : ''] : '无',
      h('div', { class: 'muted' }, routing.explanation)) : null,
    h('div', { class: 'actions' },
      can && !(q.action === 'dispatch' && !routing?.lead)
        ? h('button', { type: 'button', class: 'primary-action', 'aria-keyshortcuts': q.key, onclick: () => quickAction() }, `${q.verb}（${q.key}）`)
        : null,
      h('a', { class: 'btn secondary', href: '/cases/' + detail.id }, '打开案件页（Enter）')),
    h('p', { class: 'muted' }, '可执行：', detail.allowed_actions.length ? detail.allowed_actions.map(actionLabel).join('、') : '无'));
}

const actionLabel = (a) => ACTION_LABELS[a] ?? a;

let busy = false;
async function quickAction() {
  const row = state.rows[state.selected];
  const detail = state.detail;
  const q = state.queue;
  if (!row || busy) return;
  if (!detail || detail.id !== row.id) { toast('正在加载所选案件，请稍候', 'error'); return; }
  if (!detail.allowed_actions.includes(q.action)) { toast(`当前不能对 ${detail.number} 执行“${q.verb}”`, 'error'); return; }
  busy = true;
  try {
    const done = await attempt(() => api(`/api/v1/cases/${detail.id}/actions`, { method: 'POST', body: { action: q.action, expected_version: detail.version } }));
    if (done) {
      toast(`${detail.number} 已${actionLabel(q.action)}（现为：${done.status_label}）`);
      await refresh();
    } else {
      await refresh({ keep: true });
    }
  } finally {
    busy = false;
  }
}

function open() {
  const row = state.rows[state.selected];
  if (row) location.assign('/cases/' + row.id);
}

function showHelp() {
  const existing = document.getElementById('shortcut-help');
  if (existing) { existing.close(); existing.remove(); return; }
  const dialog = h('dialog', { id: 'shortcut-help', class: 'card', 'aria-label': '快捷键' },
    h('h2', {}, '快捷键'),
    h('table', { class: 'grid' }, h('tbody', {}, keysHelp().map(([k, what]) => h('tr', {}, h('td', {}, h('kbd', {}, k)), h('td', {}, what))))),
    h('form', { method: 'dialog' }, h('button', { type: 'submit' }, '关闭（Esc）')));
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

shortcut('j', () => select_(state.selected + 1));
shortcut('k', () => select_(state.selected - 1));
shortcut('ArrowDown', () => select_(state.selected + 1));
shortcut('ArrowUp', () => select_(state.selected - 1));
// Enter opens the selected case unless a button, link or field has the focus (it is theirs then).
document.addEventListener('keydown', (e) => {
  if (e.key !== 'Enter' || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.target !== document.body && !e.target.closest?.('tr')) return;
  if (document.getElementById('shortcut-help')) return;
  e.preventDefault();
  open();
});
shortcut('/', () => search.focus());
shortcut('?', showHelp);
for (const q of queues) shortcut(q.key, () => { if (q === state.queue) quickAction(); });
shortcut('r', () => refresh({ keep: true }));

setInterval(() => { if (!document.hidden && !busy) refresh({ keep: true }); }, REFRESH_MS);

page();
refresh();
Promise.all([categoryChoices().catch(() => []), regionChoices().catch(() => [])]).then(([categories, regions]) => {
  choices = { categories, regions };
  page();
});
