// Shared by the case pages: the list filters, the lamp cell and the case columns (workbenches,
// 案件查询), the actions' names, and the countdowns (inbox, phone pages).
import { api, h, lamp, fmtLeft, fmtTime, cached } from '../app.js';

export const SOURCES = [
  ['patrol', '网格巡查'], ['hotline', '12345热线'], ['iot', '物联感知'], ['video', '视频智能发现'],
  ['public', '市民上报'], ['leader', '领导交办'], ['inspection', '督查检查'],
];
export const LAMPS = [['red', '红灯（超时）'], ['yellow', '黄灯（临期）'], ['green', '绿灯']];
export const STATUSES = [
  ['reported', '待受理'], ['registered', '待立案'], ['verifying', '核实中'], ['filed', '待派遣'],
  ['dispatched', '处置中'], ['returned', '退单待派'], ['processed', '待核查'], ['checking', '核查中'],
  ['checked', '待结案'], ['on_hold', '挂账'], ['closed', '已结案'], ['voided', '已作废'], ['merged', '已合并'],
];
const LAMP_TEXT = { green: '绿灯', yellow: '黄灯', red: '红灯' };

/** A lamp with its text next to it (colour is never the only sign). */
export function lampCell(color) {
  return h('span', { class: 'lampcell' }, lamp(color), ' ', color ? LAMP_TEXT[color] : '不计时');
}

/** Time left until the case's running due time, red once it has passed. */
export function leftCell(row) {
  if (!row.due_at) return h('span', { class: 'muted' }, '—');
  const text = fmtLeft(row.due_at);
  return h('span', { class: text.startsWith('超时') ? 'late' : null, title: '到期 ' + fmtTime(row.due_at) }, text);
}

export function caseLink(row) {
  return h('a', { href: '/cases/' + row.id, class: 'caseno' }, row.number);
}

/** `<select>` of [value, label] pairs with a first empty choice. */
export function select(name, label, choices, value, onchange) {
  return h('select', { name, 'aria-label': label, onchange },
    h('option', { value: '' }, label),
    choices.map(([v, l]) => h('option', { value: v, selected: v === value }, l)));
}

/** Category choices grouped by 大类, from the category table. */
export async function categoryChoices() {
  const { items } = await cached('/api/v1/categories');
  return items.map((c) => [c.code, `${c.code} ${c.name}`]);
}

/** Region choices within the user's own region: its areas and their 村/居 (two levels). */
export async function regionChoices() {
  const user = await cached('/api/v1/auth/me');
  if (!user.region) return [];
  const root = await cached('/api/v1/regions/' + encodeURIComponent(user.region));
  const out = [[root.code, root.name]];
  const subs = await Promise.all(root.children.map((c) => cached('/api/v1/regions/' + encodeURIComponent(c.code)).catch(() => null)));
  root.children.forEach((c, i) => {
    out.push([c.code, '　' + c.name]);
    for (const v of subs[i]?.children ?? []) if (v.level !== 'grid') out.push([v.code, '　　' + v.name]);
  });
  return out;
}

/** Numbered pages: 上一页 / 第 N 页，共 M 页 / 下一页. */
/** Paging under a list; `exact` false when a search's total is only a lower bound ("200+"). */
export function pager(total, page, size, go, exact = true) {
  const pages = Math.max(1, Math.ceil(total / size));
  const more = exact ? '' : '+';
  return h('nav', { class: 'pager', 'aria-label': '分页' },
    h('button', { type: 'button', class: 'secondary', disabled: page <= 1, onclick: () => go(page - 1) }, '上一页'),
    h('span', {}, `第 ${page} / ${pages}${more} 页，共 ${total}${more} 件`),
    h('button', { type: 'button', class: 'secondary', disabled: exact && page >= pages, onclick: () => go(page + 1) }, '下一页'));
}

/** Loads a page of the case list. */
export function listCases(query) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== '' && v != null) q.set(k, v);
  return api('/api/v1/cases?' + q);
}

/** What each case action is called (the API's action ids). */
export const ACTION_LABELS = {
  register: '受理', request_verification: '派核实', verify: '核实', file: '立案', void: '作废', dispatch: '派遣',
  accept_task: '接单', return_task: '退单', feedback: '处置反馈', release_task: '释放协办', request_check: '派核查',
  check: '核查', close: '结案', request_extension: '延期申请', approve_extension: '延期审批', request_hold: '挂账申请',
  approve_hold: '挂账审批', resume: '恢复办理', urge: '督办', merge: '合并', revisit: '回访', reopen: '重办', comment: '留言',
  recategorise: '改类',
};

/** Time left until `due`, kept current by [`tickCountdowns`]; red ("late") once past. */
export function countdown(due) {
  if (!due) return null;
  const el = h('span', { class: 'left', dataset: { due } });
  tickCountdown(el);
  return el;
}

function tickCountdown(el) {
  const text = fmtLeft(el.dataset.due);
  el.textContent = text;
  el.classList.toggle('late', text.startsWith('超时'));
}

/** Brings every countdown on the page up to date (pages call it on their own rhythm). */
export function tickCountdowns() {
  document.querySelectorAll('span.left[data-due]').forEach(tickCountdown);
}
