// 监督员 on the phone. /m (data-page=phone): 我的任务 — the 核实 and 核查 waiting in the
// inspector's area, most urgent first — and 我的上报. /m/cases/{id} (data-page=phone-case): one
// case with its photos and place, and the 核实 / 核查 form when the inspector may act.
import { api, h, render, lamp, fmtTime, toast, attempt, params } from '../app.js';
import { photoField, photoList, placeMap } from '../photos.js';
import { countdown, tickCountdowns } from './caselist.js';

const TASK = { verifying: { label: '核实', action: 'verify' }, checking: { label: '核查', action: 'check' } };

setInterval(tickCountdowns, 30_000);

function caseItem(c, { task } = {}) {
  const place = [c.region_name, c.address].filter(Boolean).join(' · ');
  return h('li', {}, h('a', { class: 'item', href: '/m/cases/' + c.id },
    h('div', { class: 'line' },
      lamp(c.lamp),
      task ? h('span', { class: 'tag task' }, TASK[c.status]?.label ?? c.status_label) : h('span', { class: 'tag' }, c.status_label),
      h('strong', {}, c.category_name ?? c.category),
      task ? countdown(c.due_at) : h('span', { class: 'when' }, fmtTime(c.created_at))),
    h('div', { class: 'desc' }, c.description),
    h('div', { class: 'place' }, place || '—', ' · ', h('span', { class: 'number' }, c.number))));
}

async function listPage() {
  const tab = params.get().tab === 'mine' ? 'mine' : 'tasks';
  const tasksBtn = h('button', { type: 'button', role: 'tab', 'aria-selected': String(tab === 'tasks'), onclick: () => show('tasks') }, '我的任务');
  const mineBtn = h('button', { type: 'button', role: 'tab', 'aria-selected': String(tab === 'mine'), onclick: () => show('mine') }, '我的上报');
  const body = h('div', { role: 'tabpanel' }, h('p', { class: 'loading' }, '正在加载…'));
  render(null,
    h('a', { class: 'btn big report-link', href: '/m/report' }, '上报问题'),
    h('div', { class: 'tabs', role: 'tablist' }, tasksBtn, mineBtn),
    body);

  async function show(which, quiet = false) {
    params.set({ tab: which === 'mine' ? 'mine' : '' });
    tasksBtn.setAttribute('aria-selected', String(which === 'tasks'));
    mineBtn.setAttribute('aria-selected', String(which === 'mine'));
    if (!quiet) render(body, h('p', { class: 'loading' }, '正在加载…'));
    await attempt(async () => {
      if (which === 'tasks') {
        // 核实 and 核查 wait for any 监督员 of the area: the API keeps the list to the inspector's scope.
        const page = await api('/api/v1/cases?status=verifying,checking&page_size=100');
        const items = page.items.sort((a, b) => (a.due_at ?? '9').localeCompare(b.due_at ?? '9'));
        tasksBtn.textContent = `我的任务（${page.total}）`;
        render(body, items.length
          ? h('ul', { class: 'items' }, items.map((c) => caseItem(c, { task: true })))
          : h('p', { class: 'empty' }, '暂无待核实或待核查的案件。'));
      } else {
        const page = await api('/api/v1/cases?reported_by=me&page_size=50');
        mineBtn.textContent = `我的上报（${page.total}）`;
        render(body, page.items.length
          ? [h('ul', { class: 'items' }, page.items.map((c) => caseItem(c))), page.total > page.items.length ? h('p', { class: 'hint' }, `仅显示最近 ${page.items.length} 件`) : null]
          : h('p', { class: 'empty' }, '您还没有上报过案件。'));
      }
    });
  }
  await show(tab);
  // New 核实/核查 arrive while the inspector is out: the open tab refreshes itself.
  setInterval(() => { if (!document.hidden) show(tasksBtn.getAttribute('aria-selected') === 'true' ? 'tasks' : 'mine', true); }, 60_000);
}

/** The 核实 or 核查 form: the verdict as two big buttons, a note, photos. */
function actionForm(c, action, onDone) {
  const verify = action === 'verify';
  const field = verify ? 'confirmed' : 'passed';
  const choices = verify ? [[true, '属实'], [false, '不属实']] : [[true, '已整改，通过'], [false, '未整改，返工']];
  let verdict = null;
  const buttons = choices.map(([value, label]) => h('button', {
    type: 'button', class: 'secondary verdict', 'aria-pressed': 'false', dataset: { value: String(value) },
    onclick: () => {
      verdict = value;
      buttons.forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.value === String(value))));
      send.disabled = false;
    },
  }, label));
  const note = h('textarea', { name: 'note', rows: 3, maxlength: 2000, placeholder: verify ? '核实情况（选填）' : '核查情况（选填）' });
  const photos = photoField({ label: '拍照', camera: true });
  const send = h('button', { type: 'submit', class: 'big', disabled: true }, verify ? '提交核实' : '提交核查');
  const form = h('form', { class: 'card act', onsubmit: async (e) => {
    e.preventDefault();
    if (verdict === null) return;
    if (photos.busy()) { toast('照片仍在上传，请稍候', 'error'); return; }
    send.disabled = true;
    const next = await attempt(() => api(`/api/v1/cases/${c.id}/actions`, {
      method: 'POST',
      body: { action, expected_version: c.version, [field]: verdict, note: note.value.trim() || null, photos: photos.ids() },
    }), form);
    if (!next) { send.disabled = false; return; }
    toast(verify ? '核实结果已提交' : '核查结果已提交');
    onDone();
  } },
  h('h2', {}, verify ? '核实：问题是否属实？' : '核查：问题是否已整改？'),
  h('div', { class: 'row verdicts', role: 'group', 'aria-label': verify ? '核实结果' : '核查结果' }, buttons),
  h('label', {}, '说明', note), photos.el, send);
  return form;
}

async function casePage() {
  const id = location.pathname.split('/').pop();
  const c = await api('/api/v1/cases/' + encodeURIComponent(id));
  const step = c.current_step;
  const feedback = (c.tasks ?? []).filter((t) => t.feedback);
  const action = ['verify', 'check'].find((a) => c.allowed_actions.includes(a));
  render(null,
    h('p', {}, h('a', { href: '/m' }, '‹ 我的任务')),
    h('section', { class: 'card' },
      h('div', { class: 'line' }, lamp(c.lamp), h('span', { class: 'tag' }, c.status_label), h('strong', { class: 'number' }, c.number)),
      h('h1', {}, c.category_name ?? c.category),
      h('p', { class: 'desc' }, c.description),
      h('dl', { class: 'facts' },
        h('dt', {}, '地点'), h('dd', {}, [c.placement?.region?.name ?? c.region_name, c.address].filter(Boolean).join(' · ') || '—'),
        h('dt', {}, '来源'), h('dd', {}, c.source_label),
        h('dt', {}, '上报时间'), h('dd', {}, fmtTime(c.created_at)),
        step ? [h('dt', {}, step.step_label + '时限'), h('dd', {}, fmtTime(step.due_at), ' ', countdown(step.due_at))] : null)),
    h('section', { class: 'card' }, h('h2', {}, '现场照片'), photoList(c.photos)),
    feedback.length ? h('section', { class: 'card' }, h('h2', {}, '处置反馈'),
      feedback.map((t) => h('div', { class: 'feedback' },
        h('p', {}, h('strong', {}, t.unit_name ?? t.unit), ' ', fmtTime(t.feedback.at)),
        h('p', {}, t.feedback.text), photoList(t.feedback.photos, '')))) : null,
    h('section', { class: 'card' }, h('h2', {}, '位置'), placeMap(c.placement)),
    action ? actionForm(c, action, () => casePage())
      : h('p', { class: 'empty done-note' }, c.status === 'verifying' || c.status === 'checking' ? '此案件当前不能由您处理。' : '此案件当前无需您处理。'),
    h('section', { class: 'card' }, h('h2', {}, '办理经过'),
      h('ol', { class: 'timeline' }, (c.timeline ?? []).map((e) => h('li', {},
        h('strong', {}, e.action_label), ' ', fmtTime(e.at), ' ', e.actor.name,
        e.reason ? h('div', { class: 'reason' }, e.reason) : null)))));
}

const page = document.body.dataset.page === 'phone-case' ? casePage : listPage;
page().catch((e) => render(null, h('p', { class: 'error' }, (e.status === 404 ? '案件不存在或不在您的范围内' : '页面加载失败：' + e.message))));
