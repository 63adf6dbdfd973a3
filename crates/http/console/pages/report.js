// 上报 (/m/report): a 监督员 reports on the phone in three taps — category, photo, place — then
// 上报. The place comes from the phone's GPS as the page opens, or from a tap on the town map.
import { api, h, render, me, toast, cached, attempt } from '../app.js';
import { photoField } from '../photos.js';

const RECENT_KEY = 'cy.recent-categories.' + me.username;
const RECENT_MAX = 6;
const RESULTS_MAX = 30;

function recentCodes() {
  try {
    const v = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]');
    return Array.isArray(v) ? v.filter((c) => typeof c === 'string') : [];
  } catch {
    return [];
  }
}

function remember(code) {
  const codes = [code, ...recentCodes().filter((c) => c !== code)].slice(0, RECENT_MAX);
  try { localStorage.setItem(RECENT_KEY, JSON.stringify(codes)); } catch { /* private mode: no memory */ }
}

/** The table's edition, to tell apart a name both standards use: 'GB/T 30428.2-2013' → '2013版'. */
const edition = (c) => { const y = /-(\d{4})$/.exec(c.scheme ?? '')?.[1]; return y ? y + '版' : ''; };

/** Categories matching the words typed, best first: code, then name prefix, then anywhere. */
function search(categories, text) {
  const q = text.trim().toLowerCase();
  if (!q) return [];
  const rank = (c) => {
    const code = c.code.toLowerCase();
    if (code === q) return 0;
    if (code.startsWith(q)) return 1;
    if (c.name.startsWith(q)) return 2;
    if (c.name.includes(q)) return 3;
    if ((c.major_name ?? '').includes(q)) return 4;
    return 9;
  };
  return categories.map((c) => [rank(c), c]).filter(([r]) => r < 9)
    .sort((a, b) => a[0] - b[0] || a[1].code.localeCompare(b[1].code)).map(([, c]) => c);
}

/** The place of the report: {lon, lat, how, accuracy, located} (WGS-84), filled by GPS or the map. */
let place = null;
let category = null;

async function main() {
  const categories = (await cached('/api/v1/categories')).items;
  const byCode = new Map(categories.map((c) => [c.code, c]));
  const photos = photoField({ label: '拍照', camera: true });

  // 1. Category
  const chosen = h('div', { class: 'chosen', hidden: true });
  const results = h('div', { class: 'choices', role: 'list' });
  const recent = h('div', { class: 'choices recent', role: 'list' });
  const box = h('input', { type: 'search', name: 'category-search', placeholder: '搜索类别名称或编码，如“垃圾”', 'aria-label': '搜索问题类别', autocomplete: 'off' });
  const picker = h('div', { class: 'picker' }, box, recent, results);
  const choice = (c) => h('button', { type: 'button', class: 'choice', role: 'listitem', onclick: () => pick(c) },
    h('span', { class: 'name' }, c.name), h('span', { class: 'code' }, [c.code, c.major_name ?? c.kind_label, edition(c)].filter(Boolean).join(' · ')));

  function showRecent() {
    const list = recentCodes().map((code) => byCode.get(code)).filter(Boolean);
    render(recent, list.length ? [h('p', { class: 'hint' }, '最近使用'), list.map(choice)] : h('p', { class: 'hint' }, '输入关键字查找类别，如“垃圾”“占道”“井盖”。'));
  }
  function showResults() {
    const found = search(categories, box.value);
    recent.hidden = box.value.trim() !== '';
    if (!box.value.trim()) { results.replaceChildren(); return; }
    render(results, found.length
      ? [found.slice(0, RESULTS_MAX).map(choice), found.length > RESULTS_MAX ? h('p', { class: 'hint' }, `另有 ${found.length - RESULTS_MAX} 项，请输入更多字缩小范围`) : null]
      : h('p', { class: 'empty' }, '没有匹配的类别'));
  }
  function pick(c) {
    category = c;
    render(chosen, h('span', {}, h('strong', {}, c.name), ' ', h('span', { class: 'code' }, c.code)),
      h('button', { type: 'button', class: 'secondary', onclick: unpick }, '更换'));
    chosen.hidden = false;
    picker.hidden = true;
    step1.classList.add('done');
    refresh();
  }
  function unpick() {
    category = null;
    chosen.hidden = true;
    picker.hidden = false;
    step1.classList.remove('done');
    box.value = '';
    showRecent();
    showResults();
    box.focus();
    refresh();
  }
  box.addEventListener('input', showResults);
  showRecent();
  const step1 = h('section', { class: 'card step', 'aria-labelledby': 'step-category' },
    h('h2', { id: 'step-category' }, h('span', { class: 'no' }, '1'), '问题类别'), chosen, picker);

  // 2. Photo
  const step2 = h('section', { class: 'card step', 'aria-labelledby': 'step-photo' },
    h('h2', { id: 'step-photo' }, h('span', { class: 'no' }, '2'), '现场照片'), photos.el);
  photos.el.addEventListener('change', () => setTimeout(refresh, 0));
  const photoWatch = new MutationObserver(() => { step2.classList.toggle('done', photos.ids().length > 0); refresh(); });
  photoWatch.observe(photos.el, { subtree: true, childList: true, characterData: true });

  // 3. Place
  const where = h('p', { class: 'where', 'aria-live': 'polite' }, '正在获取位置…');
  const mapBox = h('div', { class: 'pick-map', hidden: true });
  const address = h('input', { type: 'text', name: 'address', maxlength: 200, placeholder: '如：鹤沙路188号门口', oninput: () => refresh() });
  const step3 = h('section', { class: 'card step', 'aria-labelledby': 'step-place' },
    h('h2', { id: 'step-place' }, h('span', { class: 'no' }, '3'), '位置'), where,
    h('div', { class: 'row' },
      h('button', { type: 'button', class: 'secondary', onclick: locateByGps }, '重新定位'),
      h('button', { type: 'button', class: 'secondary', onclick: () => showMap(mapBox) }, '在地图上选点')),
    mapBox,
    h('label', { class: 'address' }, '地址或位置说明（无法定位时必填）', address));

  async function setPlace(lon, lat, how, accuracy) {
    place = { lon, lat, how, accuracy, located: null };
    where.textContent = '正在确定所在网格…';
    refresh();
    try {
      const located = await api(`/api/v1/locate?lon=${lon}&lat=${lat}&coord_sys=wgs84`);
      if (place?.lon !== lon || place?.lat !== lat) return;
      place.located = located;
      const names = (located.chain ?? []).filter((r) => ['grid', 'village', 'town'].includes(r.level)).map((r) => r.name).reverse();
      const by = how === 'gps' ? `GPS${accuracy ? ' ±' + Math.round(accuracy) + ' 米' : ''}` : '地图选点';
      render(where,
        h('strong', { class: 'grid-name' }, located.region?.name ?? '未落入网格'),
        names.length > 1 ? h('span', { class: 'chain' }, names.slice(1).join(' · ')) : null,
        h('span', { class: 'how' }, `${by}（${lon.toFixed(5)}, ${lat.toFixed(5)}）`),
        located.flag ? h('span', { class: 'warn' }, located.message) : null);
      step3.classList.add('done');
    } catch (e) {
      where.textContent = '无法确定网格：' + e.message;
    }
    refresh();
  }

  function locateByGps() {
    if (!navigator.geolocation) { where.textContent = '此设备不支持定位，请在地图上选点'; return; }
    where.textContent = '正在获取位置…';
    navigator.geolocation.getCurrentPosition(
      (p) => setPlace(p.coords.longitude, p.coords.latitude, 'gps', p.coords.accuracy),
      (e) => { where.textContent = (e.code === 1 ? '未获得定位权限' : '定位失败') + '，请在地图上选点'; },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  }

  async function showMap(target) {
    target.hidden = false;
    if (target.dataset.loaded) return;
    target.dataset.loaded = '1';
    render(target, h('p', { class: 'loading' }, '正在加载地图…'));
    try {
      const who = await cached('/api/v1/auth/me');
      const text = await api(`/api/v1/map.svg?region=${encodeURIComponent(who.region ?? '')}&level=grid`);
      const doc = new DOMParser().parseFromString(String(text), 'image/svg+xml');
      const root = doc.documentElement;
      if (root.nodeName !== 'svg' || !root.getAttribute('data-bbox')) throw new Error('地图数据无效');
      const svg = document.importNode(root, true);
      svg.addEventListener('click', (e) => tapMap(svg, e));
      render(target, h('p', { class: 'hint' }, '点击地图上问题所在位置'), svg);
    } catch (e) {
      delete target.dataset.loaded;
      render(target, h('p', { class: 'warn' }, `地图暂不可用（${e.message}），请使用“重新定位”获取 GPS 位置。`));
    }
  }

  function tapMap(svg, e) {
    const [minLon, minLat, maxLon, maxLat] = svg.getAttribute('data-bbox').split(',').map(Number);
    const vb = svg.viewBox.baseVal;
    const pt = svg.createSVGPoint();
    pt.x = e.clientX; pt.y = e.clientY;
    const p = pt.matrixTransform(svg.getScreenCTM().inverse());
    const lon = minLon + (p.x - vb.x) / vb.width * (maxLon - minLon);
    const lat = maxLat - (p.y - vb.y) / vb.height * (maxLat - minLat);
    svg.querySelector('.tap-mark')?.remove();
    const mark = document.createElementNS('http://www.w3.org/2000/svg', 'circle');
    mark.setAttribute('class', 'tap-mark');
    mark.setAttribute('cx', p.x); mark.setAttribute('cy', p.y); mark.setAttribute('r', Math.max(vb.width, vb.height) / 80);
    svg.append(mark);
    setPlace(Number(lon.toFixed(6)), Number(lat.toFixed(6)), 'map');
  }

  // Description and send
  const note = h('textarea', { name: 'description', rows: 3, maxlength: 2000, placeholder: '补充说明（选填），如具体位置、规模' });
  const send = h('button', { type: 'submit', class: 'big', disabled: true }, '上报');
  const missing = h('p', { class: 'hint missing', 'aria-live': 'polite' });
  const form = h('form', { class: 'report', onsubmit: (e) => { e.preventDefault(); submit(); } },
    step1, step2, step3,
    h('section', { class: 'card step' }, h('label', {}, '问题描述', note)),
    missing, send);

  function refresh() {
    const lacks = [];
    if (!category) lacks.push('类别');
    if (!place?.located && !address.value.trim()) lacks.push('位置（定位、地图选点或填写地址）');
    if (photos.busy()) lacks.push('照片上传完成');
    missing.textContent = lacks.length ? '还需：' + lacks.join('、') : photos.ids().length ? '' : '建议拍照后上报';
    send.disabled = lacks.length > 0;
  }

  async function submit() {
    if (send.disabled) return;
    send.disabled = true;
    send.textContent = '正在上报…';
    const located = place?.located ? place : null;
    const where = located?.located.region?.name ?? address.value.trim();
    const description = note.value.trim() || `${category.name}${where ? '，位于' + where : ''}`;
    const created = await attempt(() => api('/api/v1/cases', {
      method: 'POST',
      body: { category: category.code, description, source: 'patrol', photos: photos.ids(),
        address: address.value.trim() || null,
        // Without a located point the case falls to the inspector's own area; the desk checks it.
        location: located ? { lon: located.lon, lat: located.lat, coord_sys: 'wgs84' } : null },
    }), form);
    send.textContent = '上报';
    if (!created) { refresh(); return; }
    remember(category.code);
    toast('已上报：' + created.number);
    done(created);
  }

  function done(c) {
    const dups = c.suspected_duplicates ?? [];
    render(null, h('section', { class: 'card reported', role: 'status' },
      h('h1', {}, '上报成功'),
      h('p', {}, '案件编号 ', h('strong', { class: 'case-number' }, c.number)),
      h('p', {}, `${c.category_name ?? c.category} · ${c.region_name ?? c.region_code} · ${c.status_label}`),
      dups.length ? h('p', { class: 'warn' }, `附近已有 ${dups.length} 件同类案件（${dups.map((d) => d.number + ' ' + d.status_label).join('；')}），受理员将核对是否重复。`) : null,
      h('div', { class: 'row' },
        h('a', { class: 'btn secondary', href: '/m/cases/' + c.id }, '查看案件'),
        h('a', { class: 'btn', href: '/m/report' }, '继续上报'),
        h('a', { class: 'btn secondary', href: '/m?tab=mine' }, '我的上报'))));
  }

  render(null, form);
  refresh();
  locateByGps();
}

main().catch((e) => render(null, h('p', { class: 'error' }, '页面加载失败：' + e.message)));
