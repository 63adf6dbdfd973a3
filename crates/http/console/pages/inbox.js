// 处置任务 (/inbox): the tasks of the handler's unit, most urgent first, each with a live
// countdown to its deadline; 接单, 退单, 延期申请, 挂账申请 and 处置反馈 on the selected task —
// only those the API lists in the case's allowed_actions.
import { api, h, render, lamp, fmtTime, toast, attempt, params, heading, cached, withQuery } from '../app.js';
import { photoField, photoList, placeMap } from '../photos.js';
import { countdown, tickCountdowns } from './caselist.js';

const TASK_STATUS = { pending: '待接单', accepted: '处置中', done: '已反馈', returned: '已退单', cancelled: '已撤销', released: '已释放' };
const ROLE = { lead: '主办', assist: '协办' };
const REFRESH_MS = 30_000;

let unit = null;
/** The open tasks: [{case, task}] sorted by the task's deadline. */
let rows = [];
let selected = Number(params.get().case) || null;
/** A form on the detail panel holds the user's input: a refresh must not wipe it. */
let editing = false;
/** Case details by id, reused while their version stays the same. */
const details = new Map();

const listBox = h('div', { class: 'inbox-list' }, h('p', { class: 'loading' }, '正在加载…'));
const detailBox = h('div', { class: 'inbox-detail' }, h('p', { class: 'empty' }, '请选择左侧的任务。'));
const stamp = h('span', { class: 'hint' });

/** The unit's own current task on a case: the newest one of its unit. */
function ownTask(c) {
  const mine = (c.tasks ?? []).filter((t) => !unit || t.unit === unit);
  return mine.sort((a, b) => b.round - a.round || b.id - a.id)[0];
}

/** The lamp of a clock at this moment (its yellow and due instants already count working time). */
function lampNow(clock) {
  if (!clock || clock.stopped_at || clock.paused) return clock?.lamp ?? null;
  const now = Date.now();
  return now > Date.parse(clock.due_at) ? 'red' : now >= Date.parse(clock.yellow_at) ? 'yellow' : 'green';
}


async function load() {
  // The API keeps a handler's list to the cases of their unit; the details carry the task clocks.
  const page = await api(withQuery('/api/v1/cases', { status: 'dispatched,returned', unit, page_size: 100 }));
  // A case's detail is fetched again only when its version moved; lamps follow the clock here.
  const cases = await Promise.all(page.items.map(async (s) => {
    const known = details.get(s.id);
    if (known?.version === s.version) return known;
    const c = await api('/api/v1/cases/' + s.id);
    details.set(s.id, c);
    return c;
  }));
  rows = cases.map((c) => ({ case: c, task: ownTask(c) }))
    .filter((r) => r.task && (r.task.status === 'pending' || r.task.status === 'accepted'))
    .sort((a, b) => a.task.clock.due_at.localeCompare(b.task.clock.due_at));
  stamp.textContent = '更新于 ' + new Date().toLocaleTimeString('zh-CN', { hour12: false });
  showList();
  const current = rows.find((r) => r.case.id === selected);
  const shown = Number(detailBox.dataset.version);
  if (current && !editing && shown !== current.case.version) showDetail(current.case);
  if (!current && selected && !editing && detailBox.dataset.caseId === String(selected) && !detailBox.dataset.finished) {
    // The task left the inbox (fed back, returned…): keep showing it as it now stands.
    attempt(async () => showDetail(await api('/api/v1/cases/' + selected)));
  }
}

function showList() {
  const overdue = rows.filter((r) => lampNow(r.task.clock) === 'red').length;
  render(listBox,
    h('p', { class: 'summary' }, `共 ${rows.length} 项待办`, overdue ? h('span', { class: 'late' }, `，其中 ${overdue} 项已超时`) : null, ' ', stamp),
    rows.length ? h('table', { class: 'grid tasks' },
      h('thead', {}, h('tr', {}, ['灯', '剩余时间', '任务', '类别', '地点', '问题描述', '案件编号'].map((t) => h('th', {}, t)))),
      h('tbody', {}, rows.map((r) => {
        const c = r.case;
        const tr = h('tr', {
          class: 'clickable' + (c.id === selected ? ' selected' : ''), tabindex: 0, dataset: { caseId: c.id },
          onclick: () => choose(c.id),
          onkeydown: (e) => { if (e.key === 'Enter') choose(c.id); },
        },
        h('td', {}, lamp(lampNow(r.task.clock))),
        h('td', { class: 'num' }, countdown(r.task.clock.due_at)),
        h('td', {}, h('span', { class: 'tag' }, TASK_STATUS[r.task.status]), ' ', ROLE[r.task.role] ?? ''),
        h('td', {}, c.category_name ?? c.category),
        h('td', {}, c.region_name ?? c.region_code),
        h('td', { class: 'desc' }, c.description),
        h('td', {}, c.number));
        return tr;
      })))
      : h('p', { class: 'empty' }, '本单位暂无待办任务。'));
}

function choose(id) {
  if (editing && id !== selected && !confirm('放弃正在填写的内容？')) return;
  selected = id;
  editing = false;
  params.set({ case: id });
  listBox.querySelectorAll('tr[data-case-id]').forEach((tr) => tr.classList.toggle('selected', tr.dataset.caseId === String(id)));
  const row = rows.find((r) => r.case.id === id);
  if (row) showDetail(row.case);
}

/** Sends an action; on success shows the case as it now is and reloads the list. */
async function act(c, body, done, form) {
  const next = await attempt(() => api(`/api/v1/cases/${c.id}/actions`, { method: 'POST', body: { ...body, expected_version: c.version } }), form);
  if (!next) return false;
  editing = false;
  toast(done);
  const full = await attempt(() => api('/api/v1/cases/' + c.id));
  if (full) showDetail(full);
  await attempt(load);
  return true;
}

/** A form that opens under its button: fields, then 提交 / 取消. */
function drawer(label, fields, onsubmit, { primary = false } = {}) {
  const wrap = h('div', { class: 'drawer' });
  const open = h('button', { type: 'button', class: primary ? '' : 'secondary', onclick: () => {
    editing = true;
    const send = h('button', { type: 'submit' }, '提交' + label);
    const form = h('form', { class: 'card act', onsubmit: async (e) => {
      e.preventDefault();
      send.disabled = true;
      const ok = await onsubmit(form);
      if (!ok) send.disabled = false;
    } }, h('h3', {}, label), fields(), h('div', { class: 'row' }, send,
      h('button', { type: 'button', class: 'secondary', onclick: () => { editing = false; render(wrap, open); } }, '取消')));
    render(wrap, form);
    form.querySelector('textarea, input')?.focus();
  } }, label);
  wrap.append(open);
  return wrap;
}

function actions(c, task) {
  const allowed = new Set(c.allowed_actions);
  const out = [];
  if (allowed.has('accept_task') && task?.status === 'pending') {
    out.push(h('button', { type: 'button', class: 'accept', onclick: (e) => { e.target.disabled = true; act(c, { action: 'accept_task' }, '已接单').then((ok) => { if (!ok) e.target.disabled = false; }); } }, '接单'));
  }
  if (allowed.has('feedback') && task?.status === 'accepted') {
    let text, photos;
    out.push(drawer('处置反馈', () => {
      text = h('textarea', { name: 'text', rows: 4, maxlength: 2000, required: true, placeholder: '处置情况，如“已清运完毕，现场整洁”' });
      photos = photoField({ label: '添加处置照片', camera: true, multiple: true });
      return [h('label', {}, '处置情况（必填）', text), photos.el];
    }, (form) => {
      if (photos.busy()) { toast('照片仍在上传，请稍候', 'error'); return false; }
      return act(c, { action: 'feedback', text: text.value.trim(), photos: photos.ids() }, '处置反馈已提交', form);
    }, { primary: true }));
  }
  if (allowed.has('request_extension') && !task?.extension_request) {
    let amount, unitSel, reason;
    const working = task?.clock.working !== false;
    out.push(drawer('延期申请', () => {
      amount = h('input', { type: 'number', name: 'extra', min: 1, max: 99, value: 1, required: true, class: 'short' });
      unitSel = h('select', { name: 'extra-unit', 'aria-label': '延期单位' },
        (working ? [['工作日', '工作日'], ['工作时', '工作小时']] : [['自然日', '天'], ['自然时', '小时']]).map(([v, t]) => h('option', { value: v }, t)));
      reason = h('textarea', { name: 'reason', rows: 3, maxlength: 2000, required: true, placeholder: '延期原因，如“需采购配件”' });
      return [h('label', {}, '延长时间', h('span', { class: 'row' }, amount, unitSel)), h('label', {}, '原因（必填）', reason)];
    }, (form) => act(c, { action: 'request_extension', extra: `${Number(amount.value)}${unitSel.value}`, reason: reason.value.trim() }, '延期申请已提交，待派遣员审批', form)));
  }
  if (allowed.has('return_task')) {
    let reason;
    out.push(drawer('退单', () => {
      reason = h('textarea', { name: 'reason', rows: 3, maxlength: 2000, required: true, placeholder: '退单原因，如“不属本单位职责，应由……处置”' });
      return h('label', {}, '原因（必填）', reason);
    }, (form) => act(c, { action: 'return_task', reason: reason.value.trim() }, '已退单，待派遣员重新派遣', form)));
  }
  if (allowed.has('request_hold')) {
    let reason;
    out.push(drawer('挂账申请', () => {
      reason = h('textarea', { name: 'reason', rows: 3, maxlength: 2000, required: true, placeholder: '挂账原因，如“需纳入年度计划整治”' });
      return h('label', {}, '原因（必填）', reason);
    }, (form) => act(c, { action: 'request_hold', reason: reason.value.trim() }, '挂账申请已提交', form)));
  }
  return out.length ? h('div', { class: 'actions' }, out) : h('p', { class: 'empty' }, '此任务当前无可办理的操作。');
}

function showDetail(c) {
  const task = ownTask(c);
  const clock = task?.clock;
  detailBox.dataset.caseId = c.id;
  detailBox.dataset.version = c.version;
  delete detailBox.dataset.finished;
  if (!task || !['pending', 'accepted'].includes(task.status)) detailBox.dataset.finished = '1';
  render(detailBox,
    h('div', { class: 'card' },
      h('div', { class: 'heading' }, h('h2', {}, c.number), h('span', { class: 'tools' }, lamp(clock?.lamp ?? c.lamp), h('span', { class: 'tag task-status' }, task ? TASK_STATUS[task.status] : c.status_label))),
      h('p', { class: 'desc' }, c.description),
      h('dl', { class: 'facts' },
        h('dt', {}, '类别'), h('dd', {}, `${c.category_name ?? ''}（${c.category}）`),
        h('dt', {}, '地点'), h('dd', {}, [c.placement?.region?.name ?? c.region_name, c.address].filter(Boolean).join(' · ') || '—'),
        h('dt', {}, '来源'), h('dd', {}, c.source_label),
        task ? [
          h('dt', {}, '本单位'), h('dd', {}, `${task.unit_name ?? task.unit}（${ROLE[task.role]}）`),
          h('dt', {}, '派遣时间'), h('dd', {}, fmtTime(task.dispatched_at)),
          h('dt', {}, '处置时限'), h('dd', { class: 'deadline' }, `${task.clock.limit}，至 ${fmtTime(task.clock.due_at)} `, task.status === 'pending' || task.status === 'accepted' ? countdown(task.clock.due_at) : null),
          task.extensions ? [h('dt', {}, '已延期'), h('dd', {}, `${task.extensions} 次`)] : null,
          task.extension_request ? [h('dt', {}, '延期申请'), h('dd', { class: 'pending-extension' }, `${task.extension_request.extra}，待审批（${task.extension_request.reason}）`)] : null,
          task.reworks ? [h('dt', {}, '返工'), h('dd', { class: 'late' }, `${task.reworks} 次`)] : null,
          task.feedback ? [h('dt', {}, '处置反馈'), h('dd', { class: 'feedback-text' }, task.feedback.text, ' ', fmtTime(task.feedback.at))] : null,
          task.return_reason ? [h('dt', {}, '退单原因'), h('dd', {}, task.return_reason)] : null,
        ] : null,
        h('dt', {}, '总时限'), h('dd', {}, fmtTime(c.overall?.due_at)))),
    h('div', { class: 'card' }, h('h3', {}, '办理'), actions(c, task)),
    h('div', { class: 'card' }, h('h3', {}, '现场照片'), photoList(c.photos),
      task?.feedback?.photos?.length ? [h('h3', {}, '处置照片'), photoList(task.feedback.photos)] : null),
    h('div', { class: 'card' }, h('h3', {}, '位置'), placeMap(c.placement)),
    c.timeline ? h('div', { class: 'card' }, h('h3', {}, '办理经过'),
      h('ol', { class: 'timeline' }, c.timeline.map((e) => h('li', {},
        h('strong', {}, e.action_label), ' ', fmtTime(e.at), ' ', e.actor.name,
        e.reason ? h('div', { class: 'reason' }, e.reason) : null)))) : null);
}

async function main() {
  const who = await cached('/api/v1/auth/me');
  unit = who.unit;
  render(null,
    heading('处置任务', h('button', { type: 'button', class: 'secondary', onclick: () => attempt(load) }, '刷新')),
    h('div', { class: 'cols inbox' }, listBox, detailBox));
  await load();
  if (selected && !rows.some((r) => r.case.id === selected)) {
    await attempt(async () => showDetail(await api('/api/v1/cases/' + selected)));
  }
  setInterval(() => { attempt(load); }, REFRESH_MS);
  setInterval(tickCountdowns, 1000);
}

main().catch((e) => render(null, h('p', { class: 'error' }, '页面加载失败：' + e.message)));
