// 案件详情 (/cases/{id}): facts, deadlines and lamps, timeline, photos, map, routing proposal,
// classifier suggestion, duplicates, unit tasks — and the actions the API allows this user now.
import { api, h, render, heading, toast, attempt, fmtTime, fmtLeft, lamp, me, cached } from '../app.js';
import { lampCell, ACTION_LABELS } from './caselist.js';

const id = Number(location.pathname.split('/').pop());
const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';

const LABELS = ACTION_LABELS;
const TASK_STATUS = { pending: '待接单', accepted: '已接单', done: '已反馈', returned: '已退单', cancelled: '已取消', released: '已释放' };
const TASK_ROLE = { lead: '主办', assist: '协办' };
const SATISFACTION = [['satisfied', '满意'], ['basically_satisfied', '基本满意'], ['dissatisfied', '不满意']];
/** Actions that change the state and are the case's next step: shown first, as primary buttons. */
const MAIN = ['register', 'file', 'dispatch', 'accept_task', 'feedback', 'request_check', 'check', 'close', 'verify', 'request_verification', 'approve_extension', 'approve_hold', 'resume'];

let current = null;

async function load() {
  const c = await attempt(() => api('/api/v1/cases/' + id));
  if (!c) { render(null, h('p', { class: 'empty' }, '案件不存在或不在您的数据范围内。'), h('p', {}, h('a', { href: '/cases' }, '返回案件查询'))); return; }
  current = c;
  document.title = `${c.number} — 案件详情 — 城运中心`;
  const extras = await Promise.all([
    c.allowed_actions.includes('dispatch') || c.routing ? api(`/api/v1/cases/${id}/routing`).catch(() => null) : null,
    me.has('operator') || me.has('shift_lead') || me.has('dispatcher') ? api(`/api/v1/cases/${id}/similar`).catch(() => null) : null,
  ]);
  const [routing, similar] = extras;
  render(null,
    heading(h('span', {}, '案件 ', c.number), h('span', { class: 'tag status' }, c.status_label), lampCell(c.lamp),
      h('a', { class: 'btn secondary', href: '/cases' }, '案件查询')),
    h('div', { class: 'cols casepage' },
      h('div', {},
        factsCard(c),
        photosCard(c),
        tasksCard(c),
        timelineCard(c)),
      h('div', {},
        actionsCard(c, routing),
        routing ? routingCard(routing) : null,
        clocksCard(c),
        mapCard(c),
        c.classification ? classificationCard(c) : null,
        duplicatesCard(c, similar))));
}

function card(title, ...body) {
  return h('section', { class: 'card' }, h('h2', {}, title), body);
}

function reporterText(r) {
  if (!r) return '—';
  const parts = [r.name, r.phone].filter(Boolean);
  return parts.length ? parts.join(' ') + (r.wants_reply ? '（需回复）' : '') : '未留联系方式';
}

function regionChain(c) {
  const chain = c.placement?.chain;
  if (chain?.length) return chain.map((r) => r.name).join(' › ');
  return c.region_name ?? c.region_code;
}

function factsCard(c) {
  return card('案件信息',
    h('dl', { class: 'facts' },
      h('dt', {}, '案件编号'), h('dd', {}, c.number),
      h('dt', {}, '状态'), h('dd', {}, c.status_label),
      h('dt', {}, '类别'), h('dd', {}, `${c.category_name ?? ''}（${c.category}）`, c.disposal_limit ? h('span', { class: 'muted' }, ` 处置时限 ${c.disposal_limit}`) : null),
      h('dt', {}, '来源'), h('dd', {}, c.source_label),
      h('dt', {}, '问题描述'), h('dd', { class: 'description' }, c.description),
      h('dt', {}, '地址'), h('dd', {}, c.address ?? '—'),
      h('dt', {}, '所属区域'), h('dd', {}, regionChain(c)),
      c.place_flag ? [h('dt', {}, '点位'), h('dd', { class: 'late' }, c.placement?.message ?? '坐标不在任何单元网格内')] : null,
      h('dt', {}, '反映人'), h('dd', {}, reporterText(c.reporter)),
      h('dt', {}, '上报'), h('dd', {}, fmtTime(c.created_at), c.created_by ? `（${c.created_by}）` : ''),
      c.filed_at ? [h('dt', {}, '立案'), h('dd', {}, fmtTime(c.filed_at))] : null,
      c.closed_at ? [h('dt', {}, '结案'), h('dd', {}, fmtTime(c.closed_at))] : null,
      c.merged_into ? [h('dt', {}, '已合并到'), h('dd', {}, h('a', { href: '/cases/' + c.merged_into }, '案件 #' + c.merged_into))] : null,
      c.verification ? [h('dt', {}, '核实'), h('dd', {}, c.verification.confirmed ? '属实' : '不属实', `（${c.verification.by}，${fmtTime(c.verification.at)}）`)] : null,
      c.hold_request ? [h('dt', {}, '挂账申请'), h('dd', {}, c.hold_request.reason, `（${c.hold_request.by}）`)] : null,
      countsText(c) ? [h('dt', {}, '记录'), h('dd', {}, countsText(c))] : null));
}

function countsText(c) {
  const n = c.counts ?? {};
  return [['urges', '督办'], ['returns', '退单'], ['reworks', '返工'], ['reopens', '重办'], ['holds', '挂账']]
    .filter(([k]) => n[k]).map(([k, l]) => `${l} ${n[k]} 次`).join('，');
}

function photo(id) {
  return h('a', { href: '/api/v1/attachments/' + encodeURIComponent(id), target: '_blank', rel: 'noopener' },
    h('img', { src: '/api/v1/attachments/' + encodeURIComponent(id), alt: '现场照片', loading: 'lazy' }));
}

function photosCard(c) {
  const feedbackPhotos = c.tasks.flatMap((t) => t.feedback?.photos ?? []);
  return card('现场照片',
    c.photos.length ? h('div', { class: 'photos' }, c.photos.map(photo)) : h('p', { class: 'empty' }, '上报时未附照片'),
    feedbackPhotos.length ? [h('h3', {}, '处置照片'), h('div', { class: 'photos' }, feedbackPhotos.map(photo))] : null);
}

function clockRow(k) {
  const left = k.stopped_at ? '已完成' : k.paused ? '已暂停' : fmtLeft(k.due_at);
  return h('tr', {},
    h('td', { title: '时限 ' + k.limit }, k.step_label, h('div', { class: 'muted small' }, k.step === 'overall' ? '全流程合计' : k.limit)),
    h('td', {}, lampCell(k.lamp)),
    h('td', {}, fmtTime(k.due_at)),
    h('td', { class: 'num' }, h('meter', { min: 0, max: 100, low: 80, high: 99, optimum: 0, value: Math.min(k.used_percent, 100), title: k.used_percent + '%' }), ` ${k.used_percent}%`),
    h('td', { class: k.overdue && !k.stopped_at ? 'late' : null, title: k.stopped_at ? '完成于 ' + fmtTime(k.stopped_at) : null }, left));
}

function clocksCard(c) {
  return card('时限与亮灯',
    c.current_step ? h('p', {}, '当前环节：', h('strong', {}, c.current_step.step_label), ' ', lampCell(c.current_step.lamp), ' ',
      h('span', { class: c.current_step.overdue ? 'late' : null }, fmtLeft(c.current_step.due_at)), `，到期 ${fmtTime(c.current_step.due_at)}`) : null,
    h('table', { class: 'grid clocks' },
      h('thead', {}, h('tr', {}, ['环节', '亮灯', '到期', '已用', '剩余'].map((l) => h('th', {}, l)))),
      h('tbody', {}, clockRow(c.overall), c.steps.slice().reverse().map(clockRow))));
}

function mapCard(c) {
  const p = c.placement;
  const grid = p?.chain?.find((r) => r.level === 'grid')?.code ?? (p?.region?.level === 'grid' ? p.region.code : null);
  const point = p?.point;
  if (!point && !c.location) return card('位置', h('p', { class: 'empty' }, '无点位'));
  if (!point || !grid) return card('位置', h('p', { class: 'empty' }, '无点位'), p?.message ? h('p', { class: 'muted' }, p.message) : null);
  const src = `/api/v1/map.svg?region=${encodeURIComponent(grid)}&level=grid&point=${point.lon},${point.lat}&highlight=${encodeURIComponent(grid)}`;
  return card('位置',
    h('img', { class: 'map', src, alt: `地图：${p.region?.name ?? grid}，标注案件点位` }),
    h('p', { class: 'muted' }, `${p.region?.name ?? ''}（WGS-84 ${point.lon.toFixed(6)}, ${point.lat.toFixed(6)}）`));
}

function routingCard(r) {
  return card('派遣建议（责任清单）',
    r.lead ? h('p', {}, '主办：', h('strong', {}, r.lead.name ?? r.lead.code),
      r.assists?.length ? ['；协办：', r.assists.map((a) => a.name ?? a.code).join('、')] : null,
      r.auto_dispatch ? h('span', { class: 'tag' }, '自动派遣') : null) : h('p', { class: 'warn' }, '无建议'),
    h('p', { class: 'muted' }, r.explanation));
}

function classificationCard(c) {
  const k = c.classification;
  const mayDecide = me.has('operator') || me.has('shift_lead');
  const decide = async (category, accepted) => {
    const ok = await attempt(() => api(`/api/v1/cases/${id}/classification`, { method: 'POST', body: { category, accepted } }));
    if (ok) { toast(accepted ? '已采纳分类建议' : ok.case_category_changed ? '已更正并改类' : '已记录更正的分类'); load(); }
  };
  const correct = h('select', { name: 'category', 'aria-label': '更正为' }, h('option', { value: '' }, '更正为…'));
  if (mayDecide) cached('/api/v1/categories').then(({ items }) => items.forEach((x) => correct.append(h('option', { value: x.code }, `${x.code} ${x.name}`)))).catch(() => {});
  return card('智能分拨建议',
    k.suggestions.length
      ? h('ol', { class: 'suggestions' }, k.suggestions.map((s, i) => h('li', {}, `${s.name}（${s.category}）`, h('span', { class: 'muted' }, ` ${Math.round(s.probability * 100)}%`),
        i === 0 && mayDecide ? [' ', h('button', { type: 'button', class: 'secondary small', onclick: () => decide(s.category, true) }, '采纳')] : null)))
      : h('p', { class: 'muted' }, '模型把握不足，未给出建议（请人工判断类别）'),
    k.decision ? h('p', { class: 'muted' }, `已记录：${k.decision.accepted ? '采纳' : '更正为'} ${k.decision.category ?? ''}`) : null,
    mayDecide ? h('form', { class: 'inline', onsubmit: (e) => { e.preventDefault(); if (correct.value) decide(correct.value, false); } },
      correct, h('button', { type: 'submit', class: 'secondary' }, '记录更正')) : null,
    h('p', { class: 'muted' }, `模型版本 ${k.model_version}，阈值 ${Math.round(k.threshold * 100)}%`));
}

function duplicatesCard(c, similar) {
  const suspects = c.suspected_duplicates ?? [];
  const items = similar?.items ?? [];
  if (!suspects.length && !items.length && !c.duplicates?.length && !similar) return null;
  return card('疑似重复与相似案件',
    suspects.length ? [h('h3', {}, '疑似重复件'), h('ul', {}, suspects.map((d) => h('li', {}, h('a', { href: '/cases/' + d.id }, d.number),
      ` ${d.status_label}，相距 ${d.distance_m} 米，${d.age_label}`)))] : null,
    c.duplicates?.length ? [h('h3', {}, '已合并的重复件'), h('ul', {}, c.duplicates.map((d) => h('li', {}, h('a', { href: '/cases/' + d.id }, d.number), ` ${fmtTime(d.created_at)}`)))] : null,
    h('h3', {}, '相似案件'),
    items.length ? h('ul', {}, items.map((s) => h('li', {}, h('a', { href: '/cases/' + s.id }, s.number), ' ', lamp(s.lamp), ` ${s.status_label}，${s.description}`,
      h('span', { class: 'muted' }, `（相似度 ${Math.round(s.similarity.score * 100)}%${s.similarity.distance_m != null ? `，${s.similarity.distance_m} 米` : ''}）`))))
      : h('p', { class: 'empty' }, '未发现相似案件'));
}

function tasksCard(c) {
  if (!c.tasks.length) return null;
  return card('处置任务',
    h('table', { class: 'grid tasks' },
      h('thead', {}, h('tr', {}, ['单位', '角色', '状态', '亮灯', '到期', '反馈'].map((l) => h('th', {}, l)))),
      h('tbody', {}, c.tasks.map((t) => h('tr', {},
        h('td', {}, t.unit_name ?? t.unit, t.round ? h('span', { class: 'muted' }, ` 第${t.round + 1}轮`) : null),
        h('td', {}, TASK_ROLE[t.role] ?? t.role),
        h('td', {}, TASK_STATUS[t.status] ?? t.status, t.accepted_at ? h('div', { class: 'muted' }, '接单 ' + fmtTime(t.accepted_at)) : null),
        h('td', {}, lampCell(t.clock.stopped_at ? null : t.clock.lamp)),
        h('td', {}, fmtTime(t.clock.due_at), t.clock.stopped_at ? null : h('div', { class: t.clock.overdue ? 'late' : 'muted' }, fmtLeft(t.clock.due_at))),
        h('td', {},
          t.feedback ? [t.feedback.text, h('div', { class: 'muted' }, `${t.feedback.by ?? ''} ${fmtTime(t.feedback.at)}`),
            t.feedback.photos?.length ? h('div', { class: 'photos small' }, t.feedback.photos.map(photo)) : null] : '—',
          t.return_reason ? h('div', { class: 'late' }, '退单理由：' + t.return_reason) : null,
          t.extension_request ? h('div', { class: 'warn' }, `延期申请 ${t.extension_request.extra}：${t.extension_request.reason}`) : null,
          t.reworks ? h('div', { class: 'muted' }, `返工 ${t.reworks} 次`) : null))))));
}

function timelineCard(c) {
  const events = c.timeline ?? [];
  return card('流转记录',
    events.length ? h('ol', { class: 'timeline' }, events.map((e) => h('li', {},
      h('strong', {}, e.action_label), ' ', h('span', { class: 'muted' }, `${fmtTime(e.at)} · ${e.actor.name}（${e.actor.role_label}）`),
      e.reason ? h('div', {}, e.reason) : null))) : h('p', { class: 'empty' }, '暂无记录'));
}

// ---- actions ----------------------------------------------------------------------------

/** Uploads image files one by one; returns their attachment ids. */
async function upload(files) {
  const ids = [];
  for (const f of files) {
    const res = await fetch('/api/v1/attachments', { method: 'POST', headers: { 'Content-Type': f.type, 'X-CSRF-Token': csrf, Accept: 'application/json' }, body: f, credentials: 'same-origin' });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw Object.assign(new Error(body?.error?.message ?? `照片上传失败（HTTP ${res.status}）`), { field: 'photos' });
    ids.push(body.id);
  }
  return ids;
}

const note = (label = '备注（可选）') => h('label', {}, label, h('textarea', { name: 'note', rows: 2, maxlength: 2000 }));
const reason = (label = '理由（必填）') => h('label', {}, label, h('textarea', { name: 'reason', rows: 2, maxlength: 2000, required: true }));
const photos = () => h('label', {}, '照片（可选，最多 9 张）', h('input', { type: 'file', name: 'photos', accept: 'image/jpeg,image/png,image/webp,image/gif', multiple: true }));
const yesNo = (name, yes, no) => h('fieldset', { class: 'choice' }, h('legend', {}, '结果'),
  h('label', {}, h('input', { type: 'radio', name, value: 'true', checked: true }), ' ' + yes),
  h('label', {}, h('input', { type: 'radio', name, value: 'false' }), ' ' + no));

/** The inputs each action needs (see crates/domain/src/case/command.rs). */
function fields(action, c, routing) {
  switch (action) {
    case 'void': case 'return_task': case 'request_hold': case 'reopen': return [reason()];
    case 'verify': return [yesNo('confirmed', '属实', '不属实'), note(), photos()];
    case 'check': return [yesNo('passed', '通过', '未通过（返工）'), note(), photos()];
    case 'feedback': return [h('label', {}, '处置情况（必填）', h('textarea', { name: 'text', rows: 3, maxlength: 2000, required: true })), photos()];
    case 'comment': return [h('label', {}, '留言内容', h('textarea', { name: 'text', rows: 2, maxlength: 2000, required: true }))];
    case 'dispatch': return [unitsPicker(c, routing), note()];
    case 'release_task': {
      const open = c.tasks.filter((t) => t.role === 'assist' && ['pending', 'accepted'].includes(t.status));
      return [h('label', {}, '协办任务', h('select', { name: 'task', required: true }, open.map((t) => h('option', { value: t.id }, t.unit_name ?? t.unit)))), reason()];
    }
    case 'request_extension': return [h('label', {}, '延期时长', h('select', { name: 'extra' },
      ['4工作时', '1工作日', '2工作日', '3工作日', '5工作日'].map((v) => h('option', { value: v }, v)))), reason()];
    case 'approve_extension': {
      const pending = c.tasks.filter((t) => t.extension_request);
      return [pending.length > 1 ? h('label', {}, '任务', h('select', { name: 'task' }, pending.map((t) => h('option', { value: t.id }, `${t.unit_name ?? t.unit}：${t.extension_request.extra}`)))) : null,
        pending.length === 1 ? h('p', {}, `${pending[0].unit_name ?? pending[0].unit} 申请延期 ${pending[0].extension_request.extra}：${pending[0].extension_request.reason}`) : null,
        yesNo('approved', '同意', '不同意'), note()];
    }
    case 'approve_hold': return [c.hold_request ? h('p', {}, `挂账理由：${c.hold_request.reason}`) : null, yesNo('approved', '同意', '不同意'), note()];
    case 'merge': {
      const options = (c.suspected_duplicates ?? []).filter((d) => d.relation === 'earlier');
      return [h('label', {}, '合并到案件（id）', h('input', { type: 'number', name: 'into', min: 1, required: true, value: options[0]?.id ?? '' })),
        options.length ? h('p', { class: 'muted' }, '疑似重复：', options.map((d) => `#${d.id} ${d.number}`).join('、')) : null, note()];
    }
    case 'recategorise': {
      const pick = h('select', { name: 'category', required: true }, h('option', { value: '' }, '选择正确的类别'));
      cached('/api/v1/categories').then(({ items }) => items.filter((x) => x.code !== c.category)
        .forEach((x) => pick.append(h('option', { value: x.code }, `${x.code} ${x.name}（${x.limit}）`)))).catch((e) => toast(e.message, 'error'));
      return [h('label', {}, '改为类别（新类别的处置时限自下次派遣起适用）', pick), reason()];
    }
    case 'revisit': return [h('label', {}, '满意度', h('select', { name: 'satisfaction' }, SATISFACTION.map(([v, l]) => h('option', { value: v }, l)))), note()];
    default: return [note()];
  }
}

/** 主办 + 协办 units of the case's town, defaulting to the routing proposal. */
function unitsPicker(c, routing) {
  const town = c.region_code.slice(0, 9);
  const lead = h('select', { name: 'lead', required: true, 'aria-label': '主办单位' }, h('option', { value: '' }, '选择主办单位'));
  const assists = h('div', { class: 'assists', role: 'group', 'aria-label': '协办单位' });
  const proposedLead = routing?.lead?.code ?? '';
  const proposedAssists = new Set((routing?.assists ?? []).map((a) => a.code));
  const box = h('fieldset', { class: 'units' }, h('legend', {}, '处置单位'),
    routing?.lead ? h('p', { class: 'muted' }, '已按责任清单建议预选：', routing.explanation) : h('p', { class: 'warn' }, '责任清单无建议，请选择单位'),
    h('label', {}, '主办 ', lead), h('div', {}, '协办（可多选）：', assists));
  cached('/api/v1/units').then(({ items }) => {
    const units = items.filter((u) => u.region_code?.startsWith(town) && u.kind !== 'centre');
    // 职能部门 first and in view; the many 村/居委 and others folded by kind.
    const kinds = [...new Set(units.map((u) => u.kind))].sort((a, b) => (a === 'department' ? -1 : b === 'department' ? 1 : 0));
    for (const kind of kinds) {
      const group = units.filter((u) => u.kind === kind);
      const label = group[0].kind_label ?? kind;
      lead.append(h('optgroup', { label }, group.map((u) => h('option', { value: u.code, selected: u.code === proposedLead }, u.name))));
      const boxes = group.map((u) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'assist', value: u.code, checked: proposedAssists.has(u.code) }), ' ' + u.name));
      assists.append(kind === 'department'
        ? h('div', { class: 'assist-group' }, boxes)
        : h('details', { class: 'assist-group', open: group.some((u) => proposedAssists.has(u.code)) }, h('summary', {}, `${label}（${group.length}）`), boxes));
    }
  }).catch((e) => toast(e.message, 'error'));
  return box;
}

async function submit(action, form, c) {
  const data = new FormData(form);
  const body = { action, expected_version: c.version };
  const text = (k) => (data.get(k) ?? '').toString().trim();
  if (text('note')) body.note = text('note');
  if (form.elements.reason) body.reason = text('reason');
  if (form.elements.text) body.text = text('text');
  for (const k of ['confirmed', 'passed', 'approved']) if (form.elements[k]) body[k] = data.get(k) === 'true';
  if (form.elements.extra) body.extra = text('extra');
  if (form.elements.category) body.category = text('category');
  if (form.elements.satisfaction) body.satisfaction = text('satisfaction');
  if (form.elements.into) body.into = Number(text('into'));
  if (form.elements.task) body.task = Number(text('task'));
  if (action === 'dispatch') {
    const lead = text('lead');
    const assists = data.getAll('assist').map(String).filter((u) => u !== lead);
    body.units = lead ? [lead, ...assists] : [];
  }
  const fileInput = form.elements.photos;
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    if (fileInput?.files?.length) body.photos = await upload([...fileInput.files]);
    const done = await api(`/api/v1/cases/${c.id}/actions`, { method: 'POST', body });
    toast(`${LABELS[action]}成功：${done.number} 现为“${done.status_label}”`);
    await load();
  } catch (e) {
    toast(e.message, 'error');
    if (e.field) form.querySelector(`[name="${CSS.escape(e.field)}"]`)?.setAttribute('aria-invalid', 'true');
    // Someone else changed the case meanwhile: show it as it is now.
    if (e.status === 409) await load();
  } finally {
    button.disabled = false;
  }
}

function actionsCard(c, routing) {
  const acts = [...c.allowed_actions].sort((a, b) => rank(a) - rank(b));
  if (!acts.length) return card('操作', h('p', { class: 'empty' }, '当前没有您可执行的操作'));
  const formBox = h('div', { class: 'actionform' });
  const open = (action) => {
    const form = h('form', { class: 'action', dataset: { action }, onsubmit: (e) => { e.preventDefault(); submit(action, form, c); } },
      h('h3', {}, LABELS[action] ?? action),
      fields(action, c, routing),
      h('div', { class: 'buttons' },
        h('button', { type: 'submit' }, '确认' + (LABELS[action] ?? action)),
        h('button', { type: 'button', class: 'secondary', onclick: () => render(formBox) }, '取消')));
    render(formBox, form);
    form.querySelector('textarea, select, input')?.focus();
  };
  return card('操作',
    h('div', { class: 'actions' }, acts.map((a) => h('button', {
      type: 'button', class: MAIN.includes(a) ? null : 'secondary', dataset: { action: a }, onclick: () => open(a),
    }, LABELS[a] ?? a))),
    formBox);
}

const rank = (a) => (MAIN.includes(a) ? MAIN.indexOf(a) : 100 + Object.keys(LABELS).indexOf(a));

load();
