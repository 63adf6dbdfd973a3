// 系统管理: users, units, regions and grids, categories and time limits, the working calendar,
// the 责任清单. One script for the six admin pages (body data-page picks the page). Everything
// goes through the admin API, which checks the role and audits every change; the page only
// shows what the API says, including its validation messages next to the field they name.
import { api, ApiError, h, render, heading, table, toast, params, withQuery } from '../app.js';

const PAGE = document.body.dataset.page;

const SECTIONS = [
  ['admin-users', '/admin/users', '用户'],
  ['admin-units', '/admin/units', '单位'],
  ['admin-regions', '/admin/regions', '区划网格'],
  ['admin-categories', '/admin/categories', '分类与时限'],
  ['admin-calendar', '/admin/calendar', '工作日历'],
  ['admin-routing', '/admin/routing', '责任清单'],
];

const ROLES = [
  ['inspector', '监督员'], ['operator', '受理员'], ['shift_lead', '值班长'], ['dispatcher', '派遣员'],
  ['handler', '处置人员'], ['leader', '领导'], ['assessor', '考核员'], ['admin', '管理员'],
];
const UNIT_KINDS = [
  ['centre', '城运中心'], ['department', '职能部门'], ['village_committee', '村委会'],
  ['residents_committee', '居委会'], ['property_manager', '物业'], ['maintenance', '养护单位'],
];
const LEVELS = [['city', '市'], ['district', '区'], ['town', '街镇'], ['area', '社区/片区'], ['village', '村/居'], ['grid', '单元网格']];
const LEVEL_LABEL = Object.fromEntries(LEVELS);
const URGENCY = [['normal', '一般'], ['urgent', '紧急'], ['emergency', '特急']];
const STEPS = [['register', '受理'], ['verify', '核实'], ['file', '立案'], ['dispatch', '派遣'], ['request_check', '派核查'], ['check', '核查'], ['close', '结案']];
const label = (pairs, key) => pairs.find(([k]) => k === key)?.[1] ?? key;

// ---------------------------------------------------------------------------------------
// Shared pieces: sub-navigation, form fields with the API's messages, confirmation, options

function subnav() {
  return h('nav', { class: 'subnav', 'aria-label': '系统管理' },
    SECTIONS.map(([id, href, title]) => h('a', { href, 'aria-current': id === PAGE ? 'page' : null }, title)));
}

function frame(title, tools, ...body) {
  render(null, subnav(), heading(title, ...tools), ...body);
}

let uid = 0;
/** A labelled control with a slot for the API's message about it (matched by `name`). */
function field(text, control, hint) {
  const id = control.id || (control.id = 'f' + ++uid);
  const name = control.getAttribute('name');
  return h('div', { class: 'field' },
    h('label', { for: id }, text), control,
    hint && h('small', { class: 'hint' }, hint),
    h('span', { class: 'field-error', 'data-for': name, role: 'alert' }));
}

/** A group of checkboxes sharing one name, with its message slot. */
function checks(text, name, pairs, chosen) {
  return h('fieldset', { class: 'field checks' }, h('legend', {}, text),
    pairs.map(([value, title]) => h('label', {}, h('input', { type: 'checkbox', name, value, checked: chosen.includes(value) }), title)),
    h('span', { class: 'field-error', 'data-for': name, role: 'alert' }));
}

function checkbox(text, name, checked) {
  return h('div', { class: 'field' }, h('label', { class: 'inline' }, h('input', { type: 'checkbox', name, checked }), text),
    h('span', { class: 'field-error', 'data-for': name, role: 'alert' }));
}

function select(name, pairs, value, attrs = {}) {
  return h('select', { name, ...attrs }, pairs.map(([v, t]) => h('option', { value: v, selected: v === (value ?? '') }, t)));
}

function input(name, value, attrs = {}) {
  return h('input', { name, value: value ?? '', autocomplete: 'off', ...attrs });
}

function clearErrors(form) {
  form.querySelectorAll('.field-error, .form-error').forEach((s) => { s.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
}

/**
 * Shows an API error next to the field it names (`field`, or what `mapField` makes of it);
 * errors about no field of the form go to the form's own message line and a toast.
 */
function showError(form, e, mapField = (f) => f) {
  if (!(e instanceof ApiError)) { console.error(e); toast('页面出错：' + e.message, 'error'); return; }
  const [name, message] = [].concat(mapField(e.field, e) ?? [null]);
  const slot = name && form.querySelector(`.field-error[data-for="${CSS.escape(name)}"]`);
  if (slot) {
    slot.textContent = message ?? e.message;
    const controls = form.querySelectorAll(`[name="${CSS.escape(name)}"]`);
    controls.forEach((el) => el.setAttribute('aria-invalid', 'true'));
    controls[0]?.focus();
  } else {
    const general = form.querySelector('.form-error');
    if (general) general.textContent = e.message;
    toast(e.message, 'error');
  }
}

/** Runs `action` on submit with the button disabled; API errors land next to their field. */
/** The form's chosen file, or the 422 a missing one gets (shown next to the file field). */
function chosenFile(data, kind) {
  const file = data.get('file');
  if (!(file instanceof File) || !file.size) {
    throw new ApiError(422, { error: { code: 'field_required', field: 'file', message: `请选择要上传的 ${kind} 文件` } });
  }
  return file;
}

function onSubmit(form, action, mapField) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const buttons = form.querySelectorAll('button');
    buttons.forEach((b) => { b.disabled = true; });
    try {
      await action(new FormData(form));
    } catch (e) {
      showError(form, e, mapField);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  });
  return form;
}

/** Asks before a destructive change; resolves true only on the confirming button. */
function confirmAction(title, message, ok = '确定') {
  return new Promise((resolve) => {
    const dlg = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-title' },
      h('h2', { id: 'confirm-title' }, title), h('p', {}, message),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', onclick: () => dlg.close('no') }, '取消'),
        h('button', { type: 'button', class: 'danger', onclick: () => dlg.close('yes') }, ok)));
    dlg.addEventListener('close', () => { dlg.remove(); resolve(dlg.returnValue === 'yes'); });
    document.body.append(dlg);
    dlg.showModal();
  });
}

/** Runs a load and shows its failure in place of the content. */
async function load(target, fn) {
  try {
    return await fn();
  } catch (e) {
    render(target, h('p', { class: 'error' }, '加载失败：' + e.message));
    throw e;
  }
}

/** The region hierarchy from the admin list, with names and depth-first options. */
class Regions {
  constructor(items) {
    this.items = items;
    this.byCode = new Map(items.map((r) => [r.code, r]));
    this.children = new Map();
    for (const r of items) {
      if (!r.parent || !this.byCode.has(r.parent)) continue;
      if (!this.children.has(r.parent)) this.children.set(r.parent, []);
      this.children.get(r.parent).push(r);
    }
    for (const list of this.children.values()) list.sort((a, b) => a.code.localeCompare(b.code));
    this.roots = items.filter((r) => !r.parent || !this.byCode.has(r.parent)).sort((a, b) => a.code.localeCompare(b.code));
  }
  name(code) { return code ? (this.byCode.get(code)?.name ?? code) : '—'; }
  kids(code) { return this.children.get(code) ?? []; }
  ancestors(code) {
    const out = [];
    for (let r = this.byCode.get(code); r?.parent && this.byCode.has(r.parent); r = this.byCode.get(r.parent)) out.push(r.parent);
    return out;
  }
  /** Depth-first, indented, of the given levels: [code, label] for a select. */
  options(levels) {
    const out = [];
    const walk = (r, depth) => {
      if (levels.includes(r.level)) out.push([r.code, '\u3000'.repeat(depth) + `${r.name}（${r.code}）`]);
      for (const c of this.kids(r.code)) walk(c, depth + 1);
    };
    for (const r of this.roots) walk(r, 0);
    return out;
  }
}

async function loadRegions() {
  return new Regions((await api('/api/v1/admin/regions')).items);
}

function matches(q, ...texts) {
  const needle = q.trim().toLowerCase();
  return !needle || texts.some((t) => String(t ?? '').toLowerCase().includes(needle));
}

/** app.js's table, with rows reachable by keyboard: Tab to a row, Enter opens it. */
function grid(columns, rows, opts = {}) {
  const el = table(columns, rows, opts);
  if (opts.onrow) {
    el.querySelectorAll('tbody tr').forEach((tr, i) => {
      tr.tabIndex = 0;
      tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); opts.onrow(rows[i]); } });
    });
  }
  return el;
}

/** What the edit column shows when nothing is being edited. */
function idle(text = '点击表格中的一行查看和修改，或用右上角的按钮新建。') {
  return h('div', { class: 'card idle' }, h('p', { class: 'hint' }, text));
}

function status(active) {
  return active ? h('span', { class: 'tag ok' }, '启用') : h('span', { class: 'tag off' }, '停用');
}

/** Filter controls that keep their values in the query string. */
function filterBar(controls, redraw) {
  for (const c of controls) c.addEventListener(c.tagName === 'SELECT' ? 'change' : 'input', () => {
    params.set(Object.fromEntries(controls.map((x) => [x.name, x.value])));
    redraw();
  });
  return h('div', { class: 'filters' }, controls);
}

function queryValue(name) {
  return params.get()[name] ?? '';
}

// ---------------------------------------------------------------------------------------
// 用户

async function usersPage() {
  const list = h('div', {}, h('p', { class: 'loading' }, '正在加载…'));
  let users = [];
  const side = h('div', {}, idle());
  const search = input('q', queryValue('q'), { type: 'search', placeholder: '搜索用户名或姓名', 'aria-label': '搜索用户' });
  const role = select('role', [['', '全部角色'], ...ROLES], queryValue('role'), { 'aria-label': '按角色筛选' });
  const state = select('state', [['', '全部状态'], ['active', '启用'], ['inactive', '停用']], queryValue('state'), { 'aria-label': '按状态筛选' });
  const add = h('button', { type: 'button', onclick: () => edit(null) }, '新建用户');
  frame('用户管理', [add], filterBar([search, role, state], draw), h('div', { class: 'cols' }, h('div', {}, list), side));

  const [regions, unitList] = await load(list, () => Promise.all([loadRegions(), api('/api/v1/admin/units')]));
  const units = unitList.items;
  const unitName = (code) => (code ? units.find((u) => u.code === code)?.name ?? code : '—');

  async function refresh() {
    users = (await load(list, () => api('/api/v1/admin/users'))).items;
    draw();
  }

  function draw() {
    const rows = users.filter((u) => matches(search.value, u.username, u.display_name)
      && (!role.value || u.roles.includes(role.value))
      && (!state.value || u.active === (state.value === 'active')));
    render(list,
      h('p', { class: 'count-line' }, `共 ${rows.length} 个用户`),
      grid([
        { label: '用户名', cell: (u) => u.username },
        { label: '姓名', cell: (u) => u.display_name },
        { label: '角色', cell: (u) => u.role_labels.map((l) => h('span', { class: 'tag' }, l)) },
        { label: '所属单位', cell: (u) => unitName(u.unit) },
        { label: '数据范围', cell: (u) => (u.region ? regions.name(u.region) : u.unit ? '本单位' : '全部') },
        { label: '状态', cell: (u) => status(u.active) },
      ], rows, { empty: '没有符合条件的用户', onrow: edit }));
  }

  function edit(user) {
    if (user?.roles.includes('channel')) {
      render(side, h('div', { class: 'card' }, h('h2', {}, user.display_name), h('p', {}, '接入渠道账号随 API 密钥创建和停用，不能在此修改。')));
      return;
    }
    const creating = !user;
    const unitOptions = [['', '（无）'], ...units.filter((u) => u.active || u.code === user?.unit).map((u) => [u.code, `${u.name}（${u.code}）`])];
    // Grids run to thousands: scopes are chosen down to 村/居 (a grid scope already set stays listed).
    const regionOptions = [['', '（全部区划）'], ...regions.options(['city', 'district', 'town', 'area', 'village'])];
    if (user?.region && !regionOptions.some(([c]) => c === user.region)) regionOptions.push([user.region, `${regions.name(user.region)}（${user.region}）`]);
    const form = h('form', { class: 'card edit', novalidate: true, 'aria-label': creating ? '新建用户' : '编辑用户' },
      h('h2', {}, creating ? '新建用户' : `编辑用户：${user.username}`),
      field('用户名', input('username', user?.username, { readonly: !creating }), creating ? '2至40位字母、数字、- _ .，创建后不能修改' : null),
      field('姓名', input('display_name', user?.display_name)),
      field(creating ? '初始密码' : '重置密码', input('password', '', { type: 'password', autocomplete: 'new-password', placeholder: creating ? '' : '留空则不修改' }), '至少8位'),
      checks('角色', 'roles', ROLES, user?.roles ?? []),
      field('所属单位', select('unit', unitOptions, user?.unit), '处置人员必须指定单位'),
      field('数据范围（区划）', select('region', regionOptions, user?.region), '留空表示可见全部区划'),
      creating ? null : checkbox('启用（取消勾选即停用，停用后不能登录）', 'active', user.active),
      h('p', { class: 'form-error', role: 'alert' }),
      h('div', { class: 'actions' },
        h('button', { type: 'submit' }, creating ? '创建用户' : '保存修改'),
        h('button', { type: 'button', class: 'secondary', onclick: () => render(side, idle()) }, '取消')));
    onSubmit(form, async (data) => {
      const body = { display_name: data.get('display_name').trim(), roles: data.getAll('roles'),
        unit: data.get('unit') || null, region: data.get('region') || null };
      const password = data.get('password');
      if (creating) {
        const created = await api('/api/v1/admin/users', { method: 'POST',
          body: { ...body, username: data.get('username').trim(), password, unit: body.unit ?? undefined, region: body.region ?? undefined } });
        toast(`已创建用户“${created.username}”`);
        await refresh();
        edit(created);
        return;
      }
      body.active = data.get('active') === 'on';
      if (password) body.password = password;
      if (user.active && !body.active
        && !await confirmAction('停用账号', `停用后“${user.display_name}（${user.username}）”将不能登录，已登录的会话也会失效。确定停用吗？`, '停用')) return;
      const updated = await api(`/api/v1/admin/users/${user.id}`, { method: 'PATCH', body });
      toast(password ? `已保存“${updated.username}”，密码已重置` : `已保存“${updated.username}”`);
      await refresh();
      edit(updated);
    });
    render(side, form);
    form.querySelector('input:not([readonly])')?.focus();
  }

  await refresh();
  const wanted = users.find((u) => u.username === params.get().user);
  if (wanted) edit(wanted);
}

// ---------------------------------------------------------------------------------------
// 单位

async function unitsPage() {
  const list = h('div', {}, h('p', { class: 'loading' }, '正在加载…'));
  let units = [];
  const side = h('div', {}, idle());
  const search = input('q', queryValue('q'), { type: 'search', placeholder: '搜索编码或名称', 'aria-label': '搜索单位' });
  const kind = select('kind', [['', '全部类型'], ...UNIT_KINDS], queryValue('kind'), { 'aria-label': '按类型筛选' });
  const town = select('town', [['', '全部街镇']], '', { 'aria-label': '按街镇筛选' });
  const state = select('state', [['', '全部状态'], ['active', '启用'], ['inactive', '停用']], queryValue('state'), { 'aria-label': '按状态筛选' });
  frame('单位管理', [h('button', { type: 'button', onclick: () => edit(null) }, '新建单位')],
    filterBar([search, kind, town, state], draw), h('div', { class: 'cols' }, h('div', {}, list), side));

  const [regions, userList] = await load(list, () => Promise.all([loadRegions(), api('/api/v1/admin/users')]));
  for (const [code, text] of regions.options(['town'])) town.append(h('option', { value: code, selected: code === queryValue('town') }, text.trim()));

  async function refresh() {
    units = (await load(list, () => api('/api/v1/admin/units'))).items;
    draw();
  }

  function draw() {
    const staff = (code) => userList.items.filter((u) => u.unit === code).length;
    const rows = units.filter((u) => matches(search.value, u.code, u.name)
      && (!kind.value || u.kind === kind.value)
      && (!town.value || u.region_code.startsWith(town.value))
      && (!state.value || u.active === (state.value === 'active')));
    render(list,
      h('p', { class: 'count-line' }, `共 ${rows.length} 个单位`),
      grid([
        { label: '编码', cell: (u) => h('code', {}, u.code) },
        { label: '名称', cell: (u) => u.name },
        { label: '类型', cell: (u) => label(UNIT_KINDS, u.kind) },
        { label: '服务区划', cell: (u) => regions.name(u.region_code) },
        { label: '账号', class: 'num', cell: (u) => staff(u.code) },
        { label: '状态', cell: (u) => status(u.active) },
      ], rows, { empty: '没有符合条件的单位', onrow: edit }));
  }

  function edit(unit) {
    const creating = !unit;
    const form = h('form', { class: 'card edit', novalidate: true, 'aria-label': creating ? '新建单位' : '编辑单位' },
      h('h2', {}, creating ? '新建单位' : `编辑单位：${unit.name}`),
      field('单位编码', input('code', unit?.code, { readonly: !creating }), creating ? '2至40位字母、数字、- 或 _，如 310115137-cgzd；创建后不能修改' : null),
      field('单位名称', input('name', unit?.name)),
      field('类型', select('kind', UNIT_KINDS, unit?.kind ?? 'department')),
      field('服务区划', select('region_code', [['', '（请选择）'], ...regions.options(['district', 'town', 'area', 'village'])], unit?.region_code)),
      checkbox('启用（停用后不能再派遣到该单位）', 'active', unit?.active ?? true),
      h('p', { class: 'form-error', role: 'alert' }),
      h('div', { class: 'actions' },
        h('button', { type: 'submit' }, creating ? '创建单位' : '保存修改'),
        h('button', { type: 'button', class: 'secondary', onclick: () => render(side, idle()) }, '取消')));
    onSubmit(form, async (data) => {
      const body = { code: data.get('code').trim(), name: data.get('name').trim(), kind: data.get('kind'),
        region_code: data.get('region_code'), active: data.get('active') === 'on' };
      if (creating && units.some((u) => u.code === body.code)) {
        throw new ApiError(422, { error: { code: 'duplicate', field: 'code', message: `单位编码“${body.code}”已存在，请换一个编码或编辑该单位` } });
      }
      if (!creating && unit.active && !body.active
        && !await confirmAction('停用单位', `停用后“${unit.name}”不再出现在派遣和责任清单的可选单位中。确定停用吗？`, '停用')) return;
      const saved = await api('/api/v1/admin/units', { method: 'POST', body });
      toast(creating ? `已创建单位“${saved.name}”` : `已保存单位“${saved.name}”`);
      await refresh();
      edit(saved);
    });
    render(side, form);
  }

  await refresh();
}

// ---------------------------------------------------------------------------------------
// 区划网格

async function regionsPage() {
  let regions = null;
  let units = [];
  const treeBox = h('div', { class: 'card' }, h('p', { class: 'loading' }, '正在加载…'));
  const side = h('div');
  const search = input('q', queryValue('q'), { type: 'search', placeholder: '搜索区划名称或代码', 'aria-label': '搜索区划' });
  frame('区划与网格', [h('button', { type: 'button', onclick: () => edit(null) }, '新建区划')],
    filterBar([search], draw), h('div', { class: 'cols' }, treeBox, side));

  async function refresh() {
    [regions, units] = await load(treeBox, () => Promise.all([loadRegions(), api('/api/v1/admin/units').then((r) => r.items)]));
    draw();
  }

  // Counts of the levels below each region, and units attached to it.
  function counts(code) {
    const out = { area: 0, village: 0, grid: 0, outlined: 0 };
    const walk = (c) => {
      for (const k of regions.kids(c)) {
        if (k.level in out) out[k.level]++;
        if (k.level === 'grid' && k.has_boundary) out.outlined++;
        walk(k.code);
      }
    };
    walk(code);
    return out;
  }

  function draw() {
    if (!regions) return;
    const q = search.value.trim();
    let visible = null;
    if (q) {
      visible = new Set();
      for (const r of regions.items) if (matches(q, r.name, r.code)) { visible.add(r.code); regions.ancestors(r.code).forEach((a) => visible.add(a)); }
    }
    const node = (r) => {
      const c = counts(r.code);
      const attached = units.filter((u) => u.region_code === r.code).length;
      const facts = [
        c.area && `片区 ${c.area}`, c.village && `村/居 ${c.village}`,
        c.grid && `网格 ${c.grid}${c.outlined < c.grid ? `（有边界 ${c.outlined}）` : ''}`, attached && `单位 ${attached}`,
      ].filter(Boolean).join(' · ');
      const head = h('span', { class: 'node' },
        h('span', { class: 'tag level-' + r.level }, LEVEL_LABEL[r.level] ?? r.level), ' ',
        h('strong', {}, r.name), ' ', h('code', {}, r.code),
        facts && h('span', { class: 'counts' }, facts),
        r.has_boundary === false && ['town', 'village', 'grid'].includes(r.level) ? h('span', { class: 'tag off' }, '无边界') : null,
        h('button', { type: 'button', class: 'link', 'aria-label': `编辑${r.name}`, onclick: (e) => { e.preventDefault(); edit(r); } }, '编辑'));
      const kids = regions.kids(r.code).filter((k) => !visible || visible.has(k.code));
      if (!kids.length) return h('li', { 'data-code': r.code }, head);
      const open = !!visible || ['city', 'district', 'town', 'area'].includes(r.level);
      // A town may hold thousands of grids: a branch's children are built when it is opened.
      const branch = h('ul');
      const details = h('details', { open, ontoggle: () => { if (details.open && !branch.hasChildNodes()) branch.append(...kids.map(node)); } },
        h('summary', {}, head), branch);
      if (open) branch.append(...kids.map(node));
      return h('li', { 'data-code': r.code }, details);
    };
    const roots = regions.roots.filter((r) => !visible || visible.has(r.code));
    render(treeBox, h('h2', {}, '区划树（街镇 → 片区 → 村/居 → 单元网格）'),
      roots.length ? h('ul', { class: 'tree' }, roots.map(node)) : h('p', { class: 'empty' }, '没有符合条件的区划'));
  }

  function edit(region) {
    const creating = !region;
    const form = h('form', { class: 'card edit', novalidate: true, 'aria-label': creating ? '新建区划' : '编辑区划' },
      h('h2', {}, creating ? '新建区划' : `编辑区划：${region.name}`),
      field('区划代码', input('code', region?.code, { readonly: !creating }), '街镇9位，村/居12位，网格15位，片区为街镇代码加 P 和2位数字'),
      field('名称', input('name', region?.name)),
      field('层级', select('level', LEVELS, region?.level ?? 'grid')),
      field('上级区划', select('parent', [['', '（无）'], ...regions.options(['city', 'district', 'town', 'area', 'village'])], region?.parent)),
      h('p', { class: 'form-error', role: 'alert' }),
      h('div', { class: 'actions' },
        h('button', { type: 'submit' }, creating ? '创建区划' : '保存修改'),
        h('button', { type: 'button', class: 'secondary', onclick: () => render(side, importForm()) }, '取消')));
    onSubmit(form, async (data) => {
      const body = { code: data.get('code').trim(), name: data.get('name').trim(), level: data.get('level'), parent: data.get('parent') || null };
      if (creating && regions.byCode.has(body.code)) {
        throw new ApiError(422, { error: { code: 'duplicate', field: 'code', message: `区划代码“${body.code}”已存在` } });
      }
      const saved = await api('/api/v1/admin/regions', { method: 'POST', body });
      toast(creating ? `已创建区划“${saved.name}”` : `已保存区划“${saved.name}”`);
      await refresh();
      edit(saved);
    });
    render(side, form, importForm());
  }

  function importForm() {
    const report = h('div', { class: 'report' });
    const form = h('form', { class: 'card edit', novalidate: true, 'aria-label': '导入边界' },
      h('h2', {}, '导入边界（GeoJSON）'),
      h('p', { class: 'hint' }, '上传 RFC 7946 FeatureCollection。全部要素通过检查才会导入，否则一个也不导入，并列出每个有问题的要素。'),
      field('边界文件', h('input', { type: 'file', name: 'file', accept: '.geojson,.json,application/geo+json,application/json' })),
      field('层级', select('level', LEVELS.filter(([l]) => l !== 'city'), 'grid')),
      field('代码属性名', input('code_property', 'code'), '要素 properties 中存放区划代码的属性'),
      field('名称属性名', input('name_property', 'name')),
      field('上级区划（可选）', select('parent', [['', '（按代码推断）'], ...regions.options(['district', 'town', 'area', 'village'])], '')),
      field('坐标系', select('crs', [['wgs84', 'WGS-84'], ['cgcs2000', 'CGCS2000'], ['gcj02', 'GCJ-02（高德、腾讯）'], ['bd09', 'BD-09（百度）']], 'wgs84')),
      h('p', { class: 'form-error', role: 'alert' }),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, '上传并导入')),
      report);
    onSubmit(form, async (data) => {
      render(report);
      const file = chosenFile(data, 'GeoJSON');
      const query = { level: data.get('level'), code_property: data.get('code_property').trim(), name_property: data.get('name_property').trim(),
        parent: data.get('parent'), crs: data.get('crs') };
      try {
        const done = await api(withQuery('/api/v1/admin/regions/import', query), { method: 'POST', body: file });
        toast(`已导入 ${done.imported} 个区划的边界`);
        render(report, h('p', { class: 'ok' }, `已导入 ${done.imported} 个区划：`, done.regions.slice(0, 20).map((r) => r.name).join('、'), done.regions.length > 20 ? ' …' : ''));
        await refresh();
      } catch (e) {
        if (e instanceof ApiError && Array.isArray(e.details)) {
          render(report, h('p', { class: 'error' }, e.message),
            table([{ label: '要素', class: 'num', cell: (d) => (Number.isInteger(d.feature) ? `第${d.feature + 1}个` : '—') }, { label: '问题', cell: (d) => d.message }],
              e.details));
          toast(e.message, 'error');
          return;
        }
        throw e;
      }
    }, (f) => (f === 'features' ? 'file' : f));
    return form;
  }

  render(side, h('p', { class: 'loading' }, '正在加载…'));
  await refresh();
  render(side, importForm());
}

// ---------------------------------------------------------------------------------------
// 分类与时限

async function categoriesPage() {
  let tables = [];
  const list = h('div', {}, h('p', { class: 'loading' }, '正在加载…'));
  const side = h('div', {}, idle('点击表格中的一行修改该类别的处置时限、紧急程度和立结案条件。'));
  const scheme = select('scheme', [], '', { 'aria-label': '代码表' });
  const search = input('q', queryValue('q'), { type: 'search', placeholder: '搜索代码或名称', 'aria-label': '搜索类别' });
  const kind = select('kind', [['', '部件与事件'], ['component', '部件'], ['event', '事件']], queryValue('kind'), { 'aria-label': '按部件/事件筛选' });
  const state = select('state', [['', '全部状态'], ['active', '启用'], ['inactive', '停用']], queryValue('state'), { 'aria-label': '按状态筛选' });
  const steps = h('div');
  frame('分类与时限', [], filterBar([scheme, search, kind, state], draw), h('div', { class: 'cols' }, h('div', {}, list), h('div', {}, side, steps)));

  async function refresh() {
    tables = (await load(list, () => api('/api/v1/admin/categories'))).items;
    const chosen = scheme.value || queryValue('scheme') || tables[0]?.scheme;
    render(scheme, tables.map((t) => h('option', { value: t.scheme, selected: t.scheme === chosen }, `${t.scheme}（${t.categories.length} 类，${t.version}）`)));
    draw();
  }
  const current = () => tables.find((t) => t.scheme === scheme.value) ?? tables[0];

  function draw() {
    const t = current();
    if (!t) { render(list, h('p', { class: 'empty' }, '尚无类别代码表')); return; }
    const rows = t.categories.filter((c) => matches(search.value, c.code, c.name, c.major_name)
      && (!kind.value || c.kind === kind.value) && (!state.value || c.active === (state.value === 'active')));
    render(list,
      h('p', { class: 'count-line' }, `${t.title ?? t.scheme}：共 ${rows.length} 类`),
      grid([
        { label: '代码', cell: (c) => h('code', {}, c.code) },
        { label: '名称', cell: (c) => c.name },
        { label: '类', cell: (c) => (c.kind === 'component' ? '部件' : '事件') },
        { label: '大类', cell: (c) => c.major_name },
        { label: '处置时限', cell: (c) => c.limit },
        { label: '紧急程度', cell: (c) => label(URGENCY, c.urgency) },
        { label: '状态', cell: (c) => status(c.active) },
      ], rows, { empty: '没有符合条件的类别', onrow: (c) => edit(t, c.code) }));
  }

  function edit(t, code) {
    const index = t.categories.findIndex((c) => c.code === code);
    const c = t.categories[index];
    const form = h('form', { class: 'card edit', novalidate: true, 'aria-label': '编辑类别' },
      h('h2', {}, `${c.code} ${c.name}`),
      h('p', { class: 'hint' }, `${c.kind === 'component' ? '部件' : '事件'} · ${c.major_name}`),
      field('处置时限', input('limit', c.limit), '如“4工作时”“2工作日”“30工作分钟”“24自然时”'),
      field('紧急程度', select('urgency', URGENCY, c.urgency)),
      field('立案条件', h('textarea', { name: 'filing_condition' }, c.filing_condition)),
      field('结案条件', h('textarea', { name: 'closing_condition' }, c.closing_condition)),
      checkbox('启用（停用后新案件不能再选此类别，已有案件不受影响）', 'active', c.active),
      h('p', { class: 'form-error', role: 'alert' }),
      h('div', { class: 'actions' },
        h('button', { type: 'submit' }, '保存修改'),
        h('button', { type: 'button', class: 'secondary', onclick: () => render(side, idle()) }, '取消')));
    onSubmit(form, async (data) => {
      const changed = { ...c, limit: data.get('limit').trim(), urgency: data.get('urgency'),
        filing_condition: data.get('filing_condition').trim(), closing_condition: data.get('closing_condition').trim(), active: data.get('active') === 'on' };
      if (c.active && !changed.active
        && !await confirmAction('停用类别', `停用“${c.code} ${c.name}”后，新上报的案件不能再选择此类别。确定停用吗？`, '停用')) return;
      const body = { ...t, categories: t.categories.map((x, i) => (i === index ? changed : x)) };
      await api('/api/v1/admin/categories', { method: 'POST', body });
      toast(`已保存“${c.code} ${c.name}”`);
      await refresh();
      edit(current(), code);
    }, (f, e) => {
      // The table is checked as a whole: "categories[3].limit: …" names the category and field.
      const m = e.message.match(/^categories\[(\d+)\]\.(\w+):\s*(.*)$/);
      return m && Number(m[1]) === index ? [m[2], m[3]] : f;
    });
    render(side, form);
  }

  async function stepLimits() {
    const cal = await api('/api/v1/admin/calendar');
    const form = h('form', { class: 'card edit', novalidate: true, 'aria-label': '中心环节时限' },
      h('h2', {}, '城运中心各环节时限'),
      h('p', { class: 'hint' }, '处置时限随类别；受理、核实、立案、派遣、核查、结案的时限在此设置。'),
      h('div', { class: 'pairs' }, STEPS.map(([k, t]) => field(t, input('step_limits.' + k, cal.step_limits[k])))),
      h('p', { class: 'form-error', role: 'alert' }),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, '保存环节时限')));
    onSubmit(form, async (data) => {
      const limits = Object.fromEntries(STEPS.map(([k]) => [k, data.get('step_limits.' + k).trim()]));
      await api('/api/v1/admin/calendar', { method: 'PUT', body: { step_limits: limits } });
      toast('已保存环节时限');
    });
    render(steps, form);
  }

  await refresh();
  await stepLimits();
}

// ---------------------------------------------------------------------------------------
// 工作日历

const pad = (n) => String(n).padStart(2, '0');
const iso = (y, m, d) => `${y}-${pad(m)}-${pad(d)}`;
const weekday = (date) => new Date(date + 'T00:00:00Z').getUTCDay();
const isWeekend = (date) => [0, 6].includes(weekday(date));
const shiftDay = (date, n) => new Date(Date.parse(date + 'T00:00:00Z') + n * 86400000).toISOString().slice(0, 10);
const WEEK = ['一', '二', '三', '四', '五', '六', '日'];

async function calendarPage() {
  let holidays = null;
  let changes = 0;
  const now = new Date();
  const initial = params.get().month?.match(/^(\d{4})-(\d{2})$/);
  let year = initial ? Number(initial[1]) : now.getFullYear();
  let month = initial ? Number(initial[2]) : now.getMonth() + 1;
  const today = iso(now.getFullYear(), now.getMonth() + 1, now.getDate());
  const monthBox = h('div', { class: 'card' }, h('p', { class: 'loading' }, '正在加载…'));
  const scheduleBox = h('div');
  const pending = h('span', { class: 'pending' });
  const save = h('button', { type: 'button', disabled: true, onclick: saveHolidays }, '保存日历');
  const name = input('adjustment', '临时调整', { 'aria-label': '新增放假的名称', class: 'short' });
  frame('工作日历', [pending, save],
    h('p', { class: 'hint' }, '点击日期切换：工作日 ⇄ 放假；周末 ⇄ 调休上班。修改后点“保存日历”生效，超时计算随即采用新日历。'),
    h('div', { class: 'cols' }, monthBox, h('div', {}, h('div', { class: 'card' }, h('h2', {}, '图例'), legend(),
      h('div', { class: 'field' }, h('label', { for: name.id = 'adjustment' }, '新增放假的名称'), name)), scheduleBox)));


  async function refresh() {
    const cal = await load(monthBox, () => api('/api/v1/admin/calendar'));
    holidays = cal.holidays;
    changes = 0;
    markDirty(0);
    drawMonth();
    drawSchedule(cal.schedule);
  }

  window.addEventListener('beforeunload', (e) => { if (changes) e.preventDefault(); });

  function markDirty(n) {
    changes += n;
    save.disabled = changes === 0;
    pending.textContent = changes ? `有 ${changes} 处未保存的修改` : '';
  }

  /** What the table says of each date: {kind: 'off'|'work', year, index, name}. */
  function index() {
    const out = new Map();
    for (const [y, entry] of Object.entries(holidays.years)) {
      entry.holidays.forEach((hol, i) => {
        for (const d of hol.off) out.set(d, { kind: 'off', year: y, index: i, name: hol.name });
        for (const d of hol.workdays ?? []) out.set(d, { kind: 'work', year: y, index: i, name: hol.name });
      });
    }
    return out;
  }

  function yearEntry(y) {
    holidays.years[y] ??= { status: 'provisional', notices: [], note: '管理员在工作日历页面添加', holidays: [] };
    return holidays.years[y];
  }

  function toggle(date) {
    const info = index().get(date);
    if (info?.kind === 'off') {
      const list = holidays.years[info.year].holidays;
      const hol = list[info.index];
      const at = hol.off.indexOf(date);
      const before = hol.off.slice(0, at), after = hol.off.slice(at + 1);
      if (!before.length && !after.length) {
        if (hol.workdays?.length) {
          toast(`“${hol.name}”还有调休上班日（${hol.workdays.join('、')}），请先取消这些调休上班日`, 'error');
          return;
        }
        list.splice(info.index, 1);
      } else if (before.length && after.length) {
        // Days off of one break must be consecutive: the break splits in two.
        hol.off = before;
        list.splice(info.index + 1, 0, { name: hol.name, off: after, workdays: [] });
      } else {
        hol.off = before.length ? before : after;
      }
    } else if (info?.kind === 'work') {
      const hol = holidays.years[info.year].holidays[info.index];
      hol.workdays = hol.workdays.filter((d) => d !== date);
    } else if (isWeekend(date)) {
      // A 调休 working day belongs to a break: the nearest one of the year.
      const y = date.slice(0, 4);
      const list = holidays.years[y]?.holidays ?? [];
      const distance = (hol) => Math.min(...hol.off.map((d) => Math.abs(Date.parse(d) - Date.parse(date))));
      const nearest = [...list].sort((a, b) => distance(a) - distance(b))[0];
      if (!nearest) { toast(`${y}年尚无放假安排，调休上班日须属于某个假期`, 'error'); return; }
      nearest.workdays = [...(nearest.workdays ?? []), date].sort();
    } else {
      const title = name.value.trim() || '临时调整';
      const list = yearEntry(date.slice(0, 4)).holidays;
      const prev = list.find((hol) => hol.name === title && hol.off.at(-1) === shiftDay(date, -1));
      const next = list.find((hol) => hol.name === title && hol.off[0] === shiftDay(date, 1));
      if (prev) prev.off.push(date);
      else if (next) next.off.unshift(date);
      else list.push({ name: title, off: [date], workdays: [] });
    }
    markDirty(1);
    drawMonth();
    monthBox.querySelector(`[data-date="${date}"]`)?.focus();
  }

  function drawMonth() {
    const days = index();
    const first = iso(year, month, 1);
    const count = new Date(Date.UTC(year, month, 0)).getUTCDate();
    const lead = (weekday(first) + 6) % 7;
    const cells = Array.from({ length: lead }, () => h('div', { class: 'day blank', 'aria-hidden': 'true' }));
    for (let d = 1; d <= count; d++) {
      const date = iso(year, month, d);
      const info = days.get(date);
      const weekend = isWeekend(date);
      const kind = info?.kind === 'off' ? 'holiday' : info?.kind === 'work' ? 'makeup' : weekend ? 'rest' : 'work';
      const text = { holiday: `放假（${info?.name}）`, makeup: `调休上班（${info?.name}）`, rest: '休息日', work: '工作日' }[kind];
      const next = { holiday: weekend ? '休息日' : '工作日', makeup: '休息日', rest: '调休上班', work: '放假' }[kind];
      cells.push(h('button', { type: 'button', class: `day ${kind}${date === today ? ' today' : ''}`, 'data-date': date, 'data-kind': kind,
        'aria-label': `${month}月${d}日 星期${WEEK[(weekday(date) + 6) % 7]}：${text}。点击改为${next}`, title: `${text}，点击改为${next}`,
        onclick: () => toggle(date) },
      h('span', { class: 'num' }, d),
      h('span', { class: 'what' }, { holiday: info?.name ?? '休', makeup: `班 · ${info?.name}`, rest: '休', work: '' }[kind])));
    }
    const status = holidays.years[String(year)];
    render(monthBox,
      h('div', { class: 'month-nav' },
        h('button', { type: 'button', class: 'secondary', 'aria-label': '上个月', onclick: () => go(-1) }, '‹ 上月'),
        h('h2', { 'aria-live': 'polite' }, `${year}年${month}月`),
        h('button', { type: 'button', class: 'secondary', 'aria-label': '下个月', onclick: () => go(1) }, '下月 ›')),
      status?.status === 'provisional' ? h('p', { class: 'warn' }, `${year}年的安排尚未经国务院通知核实（推算），请在通知发布后核对。`) : null,
      h('div', { class: 'month', role: 'group', 'aria-label': `${year}年${month}月` },
        WEEK.map((w) => h('div', { class: 'dow' }, '周' + w)), cells));
  }

  function go(step) {
    month += step;
    if (month < 1) { month = 12; year--; }
    if (month > 12) { month = 1; year++; }
    params.set({ month: `${year}-${pad(month)}` });
    drawMonth();
  }

  async function saveHolidays() {
    save.disabled = true;
    try {
      const cal = await api('/api/v1/admin/calendar', { method: 'PUT', body: { holidays } });
      holidays = cal.holidays;
      changes = 0;
      markDirty(0);
      drawMonth();
      toast('工作日历已保存');
    } catch (e) {
      toast(e.message, 'error');
      markDirty(0);
    }
  }

  function drawSchedule(schedule) {
    const rows = h('div', { class: 'periods' });
    const addRow = (p) => {
      const row = h('div', { class: 'period' },
        h('input', { type: 'time', name: 'start', value: p.start, 'aria-label': '开始时间' }), ' 至 ',
        h('input', { type: 'time', name: 'end', value: p.end, 'aria-label': '结束时间' }),
        h('button', { type: 'button', class: 'secondary', 'aria-label': '删除此时段', onclick: () => row.remove() }, '删除'));
      rows.append(row);
    };
    schedule.periods.forEach(addRow);
    const form = h('form', { class: 'card edit', novalidate: true, 'aria-label': '作息时间' },
      h('h2', {}, '工作日作息时间'),
      h('p', { class: 'hint' }, '工作时限（如“4工作时”）只在这些时段内计时。'),
      rows,
      h('span', { class: 'field-error', 'data-for': 'schedule', role: 'alert' }),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', onclick: () => addRow({ start: '', end: '' }) }, '添加时段'),
        h('button', { type: 'submit' }, '保存作息时间')));
    onSubmit(form, async () => {
      const periods = [...rows.querySelectorAll('.period')].map((r) => ({ start: r.querySelector('[name=start]').value, end: r.querySelector('[name=end]').value }));
      const cal = await api('/api/v1/admin/calendar', { method: 'PUT', body: { schedule: { periods } } });
      toast('作息时间已保存');
      drawSchedule(cal.schedule);
    }, (f) => (f?.startsWith('schedule') ? 'schedule' : f));
    render(scheduleBox, form);
  }

  await refresh();
}

function legend() {
  return h('ul', { class: 'legend' },
    [['work', '工作日'], ['rest', '休息日（周末）'], ['holiday', '放假'], ['makeup', '调休上班']].map(([k, t]) => h('li', {}, h('span', { class: 'swatch day ' + k }), t)));
}

// ---------------------------------------------------------------------------------------
// 责任清单

const PAGE_SIZE = 50;

async function routingPage() {
  let rules = [];
  let page = 0;
  let loaded = null;
  let units = [];
  const list = h('div', {}, h('p', { class: 'loading' }, '正在加载…'));
  const side = h('div');
  const region = select('region', [['', '全部区划']], '', { 'aria-label': '按区划筛选' });
  const category = input('category', queryValue('category'), { type: 'search', placeholder: '类别代码或名称', 'aria-label': '按类别筛选' });
  const lead = input('lead', queryValue('lead'), { type: 'search', placeholder: '主办单位', 'aria-label': '按主办单位筛选' });
  const exportLink = h('a', { class: 'btn secondary', download: 'routing-rules.csv' }, '导出 CSV');
  frame('责任清单', [exportLink, h('button', { type: 'button', onclick: () => edit(null) }, '新增规则')],
    filterBar([region, category, lead], () => { page = 0; refresh(); }), h('div', { class: 'cols' }, h('div', {}, list), side));

  const [regions, unitList] = await load(list, () => Promise.all([loadRegions(), api('/api/v1/admin/units')]));
  for (const [code, text] of regions.options(['district', 'town', 'area', 'village'])) region.append(h('option', { value: code, selected: code === queryValue('region') }, text));
  units = unitList.items;
  // Units of the rule's town (first 9 digits) come first; a rule may still name any active unit.
  const unitOptions = (keep = [], ruleRegion = '') => {
    const town = (ruleRegion ?? '').slice(0, 9);
    const here = (u) => (town && u.region_code.startsWith(town) ? 0 : 1);
    return units.filter((u) => u.active || keep.includes(u.code))
      .sort((a, b) => here(a) - here(b) || a.code.localeCompare(b.code))
      .map((u) => [u.code, `${u.name}（${u.code}）`]);
  };
  async function refresh() {
    exportLink.href = withQuery('/api/v1/admin/routing-rules.csv', { region: region.value });
    if (loaded !== region.value) {
      rules = (await load(list, () => api(withQuery('/api/v1/admin/routing-rules', { region: region.value })))).items;
      loaded = region.value;
    }
    draw();
  }

  function draw() {
    const rows = rules.filter((r) => matches(category.value, r.category, r.category_name) && matches(lead.value, r.lead, r.lead_name));
    const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
    page = Math.min(page, pages - 1);
    const shown = rows.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
    render(list,
      h('p', { class: 'count-line' }, `共 ${rows.length} 条规则`),
      grid([
        { label: '类别', cell: (r) => [h('code', {}, r.category), ' ', r.category_name ?? ''] },
        { label: '区划', cell: (r) => r.region_name ?? r.region },
        { label: '主办单位', cell: (r) => r.lead_name ?? r.lead },
        { label: '协办单位', cell: (r) => (r.assist_names?.length ? r.assist_names.join('、') : '—') },
        { label: '自动派遣', cell: (r) => (r.auto_dispatch ? '是' : '否') },
        { label: '备注', cell: (r) => r.note ?? '' },
      ], shown, { empty: '没有符合条件的规则', onrow: edit }),
      pages > 1 ? h('div', { class: 'pager' },
        h('button', { type: 'button', class: 'secondary', disabled: page === 0, onclick: () => { page--; draw(); } }, '上一页'),
        h('span', {}, `第 ${page + 1} / ${pages} 页`),
        h('button', { type: 'button', class: 'secondary', disabled: page >= pages - 1, onclick: () => { page++; draw(); } }, '下一页')) : null);
  }

  function edit(rule) {
    const creating = !rule;
    const form = h('form', { class: 'card edit', novalidate: true, 'aria-label': creating ? '新增规则' : '编辑规则' },
      h('h2', {}, creating ? '新增规则' : `编辑规则：${rule.category} ${rule.category_name ?? ''}`),
      field('类别代码', input('category', rule?.category, { readonly: !creating }), '类别代码、大类代码（如 SJ-01）或 * 表示全部类别'),
      field('区划', select('region', creating ? [['', '（请选择）'], ...regions.options(['district', 'town', 'area', 'village'])]
        : [[rule.region, `${rule.region_name ?? regions.name(rule.region)}（${rule.region}）`]], rule?.region ?? region.value, { disabled: !creating })),
      field('主办单位', select('lead', [['', '（请选择）'], ...unitOptions([rule?.lead], rule?.region)], rule?.lead)),
      field('协办单位', select('assists', unitOptions(rule?.assists ?? [], rule?.region), null, { multiple: true, size: 6 }), '按住 Ctrl 可多选'),
      checkbox('立案后自动派遣（无需派遣员）', 'auto_dispatch', rule?.auto_dispatch ?? false),
      field('备注', input('note', rule?.note)),
      h('p', { class: 'form-error', role: 'alert' }),
      h('div', { class: 'actions' },
        h('button', { type: 'submit' }, creating ? '添加规则' : '保存修改'),
        creating ? null : h('button', { type: 'button', class: 'danger', onclick: () => remove(rule) }, '删除规则'),
        h('button', { type: 'button', class: 'secondary', onclick: () => render(side, importForm()) }, '取消')));
    for (const o of form.querySelector('[name=assists]').options) o.selected = (rule?.assists ?? []).includes(o.value);
    onSubmit(form, async (data) => {
      const body = { category: (creating ? data.get('category') : rule.category).trim(), region: creating ? data.get('region') : rule.region,
        lead: data.get('lead'), assists: data.getAll('assists'), auto_dispatch: data.get('auto_dispatch') === 'on', note: data.get('note').trim() || null };
      if (creating && rules.some((r) => r.category === body.category && r.region === body.region)
        && !await confirmAction('覆盖规则', '该类别在该区划已有规则，保存将替换原规则。确定吗？', '替换')) return;
      const saved = await api('/api/v1/admin/routing-rules', { method: 'PUT', body });
      toast(`已保存规则：${saved.category_name ?? saved.category} → ${saved.lead_name ?? saved.lead}`);
      loaded = null;
      await refresh();
      edit(saved);
    });
    render(side, form, importForm());
  }

  async function remove(rule) {
    if (!await confirmAction('删除规则', `删除“${rule.region_name ?? rule.region}”的“${rule.category} ${rule.category_name ?? ''}”规则后，这类案件将按上级区划或大类的规则派遣，或需人工派遣。确定删除吗？`, '删除')) return;
    try {
      await api(withQuery('/api/v1/admin/routing-rules', { category: rule.category, region: rule.region }), { method: 'DELETE' });
      toast('已删除规则');
      loaded = null;
      await refresh();
      render(side, importForm());
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  function importForm() {
    const report = h('div', { class: 'report' });
    const form = h('form', { class: 'card edit', novalidate: true, 'aria-label': '导入责任清单' },
      h('h2', {}, '导入责任清单（CSV）'),
      h('p', { class: 'hint' }, '先导出 CSV，用 Excel 修改后导入。导入将替换所选区划（左上角筛选）内的全部规则；有任何一行出错则不导入，并列出出错的行。'),
      field('CSV 文件', h('input', { type: 'file', name: 'file', accept: '.csv,text/csv' })),
      h('p', { class: 'form-error', role: 'alert' }),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, '上传并导入')),
      report);
    onSubmit(form, async (data) => {
      render(report);
      const file = chosenFile(data, 'CSV');
      const scope = region.value ? `“${regions.name(region.value)}”内` : '全部区划';
      if (!await confirmAction('导入责任清单', `导入将替换${scope}的全部责任规则（共 ${rules.length} 条）。确定导入吗？`, '导入')) return;
      try {
        const done = await api(withQuery('/api/v1/admin/routing-rules.csv', { region: region.value }), { method: 'POST', body: file });
        toast(`已导入 ${done.imported} 条规则（替换原有 ${done.removed} 条）`);
        render(report, h('p', { class: 'ok' }, `已导入 ${done.imported} 条规则，替换原有 ${done.removed} 条。`));
        loaded = null;
        await refresh();
      } catch (e) {
        if (e instanceof ApiError && Array.isArray(e.details)) {
          render(report, h('p', { class: 'error' }, e.message),
            table([{ label: '行', class: 'num', cell: (d) => (d.line ? d.line : '—') }, { label: '列', cell: (d) => d.field }, { label: '问题', cell: (d) => d.message }], e.details));
          toast(e.message, 'error');
          return;
        }
        throw e;
      }
    });
    return form;
  }

  await refresh();
  render(side, importForm());
}

// ---------------------------------------------------------------------------------------

const PAGES = {
  'admin-users': usersPage,
  'admin-units': unitsPage,
  'admin-regions': regionsPage,
  'admin-categories': categoriesPage,
  'admin-calendar': calendarPage,
  'admin-routing': routingPage,
};

PAGES[PAGE]?.().catch((e) => { console.warn(e); });
