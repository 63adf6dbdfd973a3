// 案件查询 (/cases): full-text search with every list filter, kept in the URL so a query can be
// bookmarked or sent to a colleague; results link to the case page.
import { h, render, heading, params, attempt, fmtTime, shortcut, me } from '../app.js';
import { SOURCES, LAMPS, STATUSES, lampCell, leftCell, caseLink, select, categoryChoices, regionChoices, pager, listCases } from './caselist.js';

const KEYS = ['q', 'status', 'category', 'region', 'source', 'lamp', 'created_from', 'created_to', 'reporter', 'sort', 'page'];
const PAGE_SIZE = 20;
const SORTS = [['urgency', '按紧急程度'], ['oldest', '最早上报在前']];
const mayReporter = me.has('operator') || me.has('shift_lead');

let choices = { categories: [], regions: [] };
const results = h('div', { class: 'results', 'aria-live': 'polite' }, h('p', { class: 'loading' }, '正在查询…'));

function current() {
  const p = params.get();
  return Object.fromEntries(KEYS.map((k) => [k, p[k] ?? '']));
}

function form() {
  const f = current();
  const el = h('form', { class: 'filters', role: 'search', onsubmit: (e) => { e.preventDefault(); apply(el); } },
    h('input', { type: 'search', name: 'q', value: f.q, placeholder: '全文检索：描述、地址、备注、反馈（按 / 聚焦）', 'aria-label': '全文检索', class: 'wide' }),
    select('status', '全部状态', STATUSES, f.status, () => apply(el)),
    select('category', '全部类别', choices.categories, f.category, () => apply(el)),
    select('region', '全部区域', choices.regions, f.region, () => apply(el)),
    select('source', '全部来源', SOURCES, f.source, () => apply(el)),
    select('lamp', '全部亮灯', LAMPS, f.lamp, () => apply(el)),
    h('label', { class: 'inline' }, '上报自 ', h('input', { type: 'date', name: 'created_from', value: f.created_from, onchange: () => apply(el) })),
    h('label', { class: 'inline' }, '至 ', h('input', { type: 'date', name: 'created_to', value: f.created_to, onchange: () => apply(el) })),
    mayReporter ? h('input', { type: 'search', name: 'reporter', value: f.reporter, placeholder: '反映人电话或姓名', 'aria-label': '反映人' }) : null,
    select('sort', '最新上报在前', SORTS, f.sort, () => apply(el)),
    h('button', { type: 'submit' }, '查询'),
    h('button', { type: 'button', class: 'secondary', onclick: () => { params.set(Object.fromEntries(KEYS.map((k) => [k, '']))); page(); } }, '清空条件'));
  return el;
}

function apply(el) {
  const data = new FormData(el);
  const values = Object.fromEntries(KEYS.map((k) => [k, (data.get(k) ?? '').toString().trim()]));
  values.page = '';
  params.set(values);
  search();
}

function page() {
  render(null, heading('案件查询'), form(), results);
  search();
}

let seq = 0;
async function search() {
  const f = current();
  const token = ++seq;
  const query = { ...f, page: f.page || 1, page_size: PAGE_SIZE };
  // Dates are whole days: "to" includes its day.
  if (f.created_to) query.created_to = nextDay(f.created_to);
  render(results, h('p', { class: 'loading' }, '正在查询…'));
  const r = await attempt(() => listCases(query));
  if (token !== seq) return;
  if (!r) { render(results, h('p', { class: 'empty' }, '查询失败，请检查条件后重试。')); return; }
  const columns = [
    { label: '亮灯', cell: (x) => lampCell(x.lamp) },
    { label: '剩余时间', class: 'nw', cell: leftCell },
    { label: '案件编号', cell: caseLink },
    { label: '状态', cell: (x) => h('span', { class: 'tag' }, x.status_label) },
    { label: '类别', class: 'cat', cell: (x) => x.category_name ?? x.category },
    { label: '区域', class: 'region', cell: (x) => x.region_name ?? x.region_code },
    { label: '来源', class: 'nw', cell: (x) => x.source_label },
    { label: '主办单位', class: 'unit', cell: (x) => x.lead_unit_name ?? x.lead_unit ?? '—' },
    { label: '描述', class: 'desc', cell: (x) => x.description },
    { label: '上报时间', class: 'nw', cell: (x) => fmtTime(x.created_at) },
  ];
  const rows = r.items;
  render(results,
    rows.length ? h('table', { class: 'grid results-table' },
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.class }, c.label)))),
      h('tbody', {}, rows.map((x) => h('tr', { class: 'clickable', onclick: (e) => { if (!e.target.closest('a')) location.assign('/cases/' + x.id); } },
        columns.map((c) => h('td', { class: c.class }, c.cell(x)))))))
      : h('p', { class: 'empty' }, '没有符合条件的案件。'),
    pager(r.total, r.page, r.page_size, (p) => { params.set({ page: p > 1 ? p : '' }); search(); }, r.total_exact !== false));
}

function nextDay(date) {
  const d = new Date(date + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

shortcut('/', () => document.querySelector('input[name=q]')?.focus());

page();
Promise.all([categoryChoices().catch(() => []), regionChoices().catch(() => [])]).then(([categories, regions]) => {
  choices = { categories, regions };
  // Rebuild the filter bar only, keeping what the user typed.
  const old = document.querySelector('form.filters');
  const typed = old ? new FormData(old) : null;
  const fresh = form();
  if (typed) for (const k of ['q', 'reporter']) if (fresh.elements[k]) fresh.elements[k].value = typed.get(k) ?? '';
  old?.replaceWith(fresh);
});
