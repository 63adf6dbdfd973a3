// The office workbenches and the case page: one inspector's report walked through the whole
// loop in the browser, each role on its own page — 上报 on the phone, 受理 from the queue by
// keyboard, 立案, 派遣 with the routing proposal, 接单 and 处置反馈 with a photo, 派核查, 核查 on
// the phone, 结案; the refusal page; 案件查询.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openPage, login, screenshot, assertClean, expectStatus, apiInPage } from './lib.mjs';
import { png } from './fixtures.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

/** A logged-in page for each user, opened on demand and kept for the file. */
const pages = {};
async function as(user, path = '/') {
  if (!pages[user]) {
    pages[user] = await openPage(browser, server.base);
    await login(pages[user], user, path);
    await standInForMap(pages[user]);
  }
  return pages[user];
}

/**
 * The map image comes from another part of the console (`/api/v1/map.svg`). Where this build
 * lacks it, a plain placeholder answers instead, so the case page is tested on its own.
 */
async function standInForMap(page) {
  const probe = await page.request.get(server.base + '/api/v1/map.svg?region=310115137&level=child');
  if (probe.status() !== 404) return;
  await page.context().route('**/api/v1/map.svg?**', (route) => route.fulfill({
    status: 200, contentType: 'image/svg+xml', body: '<svg xmlns="http://www.w3.org/2000/svg" class="map" viewBox="0 0 10 10"/>',
  }));
}

/** Takes an action through the API as `user` (for the steps this file does not test). */
async function act(user, id, action) {
  const page = await as(user);
  const { body: c } = await apiInPage(page, `/api/v1/cases/${id}`);
  const res = await apiInPage(page, `/api/v1/cases/${id}/actions`, { method: 'POST', body: { ...action, expected_version: c.version } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

async function report(description) {
  const page = await as('inspector');
  const res = await apiInPage(page, '/api/v1/cases', { method: 'POST', body: {
    category: 'SJ-0102', description, source: 'patrol', address: '鹤沙路188号',
    location: { lon: 121.5958, lat: 31.0274, coord_sys: 'gcj02' },
  } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

/** The action buttons the case page offers, as action ids. */
async function offered(page) {
  await page.waitForSelector('section.card .actions button, section.card p.empty:text("没有您可执行的操作")');
  return page.locator('section.card .actions button[data-action]').evaluateAll((bs) => bs.map((b) => b.dataset.action));
}

async function allowed(page, id) {
  const { body } = await apiInPage(page, `/api/v1/cases/${id}`);
  return body.allowed_actions;
}

/** Waits for a toast saying `pattern` (earlier toasts may still be showing). */
async function expectToast(page, pattern) {
  await page.locator('#toasts .toast').filter({ hasText: pattern }).last().waitFor();
}

let walked;
/** A 1×1 PNG, as a unit's photo. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

/** The inspector's phone (360 px, GPS at the demo point in 鹤鸣村83号网格). */
let phone;
async function inspectorPhone() {
  if (!phone) {
    phone = await openPage(browser, server.base, { phone: true });
    await login(phone, 'inspector');
  }
  return phone;
}

test('one case walks the whole loop in the browser: 上报, 受理, 立案, 派遣, 反馈, 核查, 结案', async () => {
  const older = await report('沪南公路航头路口人行道暴露垃圾（较早）');
  // 监督员: 上报 on the phone page — category, photo, the GPS place, a description.
  const inspector = await inspectorPhone();
  await inspector.goto(server.base + '/m/report');
  await inspector.waitForSelector('.where .grid-name');
  await inspector.fill('input[name=category-search]', '垃圾');
  await inspector.locator('button.choice', { hasText: 'SJ-0102' }).click();
  await inspector.setInputFiles('input[name=photos]', { name: 'scene.png', mimeType: 'image/png', buffer: png() });
  await inspector.waitForSelector('figure.photo img');
  await inspector.fill('textarea[name=description]', '鹤鸣村路口暴露垃圾，约一立方（浏览器测试）');
  await inspector.click('form.report button[type=submit]');
  await inspector.waitForSelector('.case-number');
  const id = Number((await inspector.getAttribute('a[href^="/m/cases/"]', 'href')).split('/').pop());
  walked = { id, number: await inspector.textContent('.case-number') };
  assertClean(inspector);
  const row = (page, c) => page.locator(`tbody tr[data-id="${c.id}"]`);

  // 受理员: the queue lists both reports most urgent first, with lamps and time left.
  const operator = await as('operator', '/workbench/accept');
  // The first case read trains the demo classifier (half a minute in a debug build): do it here.
  assert.equal((await apiInPage(operator, `/api/v1/cases/${walked.id}`)).status, 200);
  await page(operator, '/workbench/accept');
  await row(operator, walked).waitFor();
  const ids = await operator.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.id)));
  assert.ok(ids.indexOf(older.id) < ids.indexOf(walked.id), 'the earlier report is due first');
  assert.match(await row(operator, walked).textContent(), /绿灯/);
  assert.match(await row(operator, walked).textContent(), /剩 \d/);
  assert.match(await operator.textContent('.shortcuts'), /a.*受理所选案件/);
  // j moves to the next row; the side panel follows and offers 受理.
  const first = await operator.locator('tbody tr.selected').getAttribute('data-id');
  assert.equal(Number(first), ids[0]);
  for (let i = 0; i < ids.indexOf(walked.id); i++) await operator.keyboard.press('j');
  await operator.waitForSelector(`tbody tr.selected[data-id="${walked.id}"]`);
  await operator.waitForSelector(`.sidepanel h2:has-text("${walked.number}")`);
  assert.match(await operator.textContent('.sidepanel .primary-action'), /受理（a）/);
  await operator.keyboard.press('?');
  assert.match(await operator.textContent('#shortcut-help'), /聚焦搜索框/);
  await operator.keyboard.press('Escape');
  await screenshot(operator, 'workbench-accept');
  await operator.keyboard.press('a');
  await expectToast(operator, new RegExp(`${walked.number} 已受理`));
  await row(operator, walked).waitFor({ state: 'detached' });
  assert.equal(await row(operator, older).count(), 1, 'the other report stays in the queue');
  assertClean(operator);

  // 值班长: the case page offers what the API allows; 立案 there.
  const lead = await as('shiftlead', '/workbench/file');
  await page(lead, '/workbench/file');
  await row(lead, walked).waitFor();
  await page(lead, `/cases/${walked.id}`);
  const leadOffers = await offered(lead);
  assert.deepEqual([...leadOffers].sort(), [...await allowed(lead, walked.id)].sort());
  assert.ok(leadOffers.includes('file') && leadOffers.includes('void') && !leadOffers.includes('dispatch'), leadOffers.join());
  assert.match(await lead.textContent('main'), /13812345678|未留联系方式/, 'the shift lead sees the reporter as stored');
  await lead.click('button[data-action="file"]');
  await lead.click('form.action button[type=submit]');
  await expectToast(lead, /立案成功/);
  await lead.waitForSelector('.heading .tag.status:text("待派遣")');
  assertClean(lead);

  // 派遣员: the queue shows the 责任清单's proposal; the case page pre-selects it.
  const dispatcher = await as('dispatcher', '/workbench/dispatch');
  await page(dispatcher, '/workbench/dispatch');
  await row(dispatcher, walked).waitFor();
  await dispatcher.locator(`tbody tr[data-id="${walked.id}"] td`).nth(3).click();
  await dispatcher.waitForSelector('.sidepanel .proposal');
  const proposal = await apiInPage(dispatcher, `/api/v1/cases/${walked.id}/routing`);
  assert.ok(proposal.body.lead, 'the demo 责任清单 covers 暴露垃圾');
  assert.match(await dispatcher.textContent('.sidepanel .proposal'), new RegExp(proposal.body.lead.name));
  await screenshot(dispatcher, 'workbench-dispatch');
  await dispatcher.keyboard.press('Enter');
  await dispatcher.waitForURL(`**/cases/${walked.id}`);
  const dispatcherOffers = await offered(dispatcher);
  assert.deepEqual([...dispatcherOffers].sort(), [...await allowed(dispatcher, walked.id)].sort());
  assert.ok(dispatcherOffers.includes('dispatch') && !dispatcherOffers.includes('file') && !dispatcherOffers.includes('close'));
  await dispatcher.click('button[data-action="dispatch"]');
  await dispatcher.waitForSelector(`select[name=lead] option[value="${proposal.body.lead.code}"]`, { state: "attached" });
  assert.equal(await dispatcher.inputValue('select[name=lead]'), proposal.body.lead.code, 'the proposal is the default');
  await screenshot(dispatcher, 'case-page-dispatch');
  await dispatcher.click('form.action button[type=submit]');
  await expectToast(dispatcher, /派遣成功/);
  await dispatcher.waitForSelector('section.card table.tasks');
  assert.match(await dispatcher.textContent('table.tasks'), new RegExp(`${proposal.body.lead.name}[\\s\\S]*主办`));
  assertClean(dispatcher);

  // The unit's work and the check, through the API.
  const { body: dispatched } = await apiInPage(dispatcher, `/api/v1/cases/${walked.id}`);
  const leadTask = dispatched.tasks.find((t) => t.role === 'lead');
  assert.equal(leadTask.unit, proposal.body.lead.code);
  assert.deepEqual(dispatched.tasks.filter((t) => t.role === 'assist').map((t) => t.unit).sort(), proposal.body.assists.map((a) => a.code).sort(),
    'the proposed 协办 units were pre-selected too');
  for (const t of dispatched.tasks.filter((t) => t.role === 'assist')) await act('dispatcher', walked.id, { action: 'release_task', task: t.id, reason: '主办单位可独立完成' });
  const handler = { '310115137-hws': 'handler2', '310115137-cgzd': 'handler' }[leadTask.unit];
  assert.ok(handler, 'the lead unit has a demo handler: ' + leadTask.unit);
  // The lead unit's handler answers on the case page: 接单, then 处置反馈 with a photo.
  const unit = await as(handler);
  await page(unit, `/cases/${walked.id}`);
  const unitOffers = await offered(unit);
  assert.deepEqual([...unitOffers].sort(), [...await allowed(unit, walked.id)].sort());
  assert.ok(unitOffers.includes('accept_task') && !unitOffers.includes('dispatch'), unitOffers.join());
  await unit.click('button[data-action="accept_task"]');
  await unit.click('form.action button[type=submit]');
  await expectToast(unit, /接单成功/);
  await unit.click('button[data-action="feedback"]');
  await unit.click('form.action button[type=submit]');
  assert.equal(await unit.locator('form.action textarea[name=text]:invalid').count(), 1, 'feedback needs a text');
  await unit.fill('form.action textarea[name=text]', '已清运完毕');
  await unit.setInputFiles('form.action input[name=photos]', { name: 'after.png', mimeType: 'image/png', buffer: PNG });
  await unit.click('form.action button[type=submit]');
  await expectToast(unit, /处置反馈成功/);
  await unit.waitForSelector('h3:text("处置照片") + .photos img');
  await unit.waitForFunction(() => [...document.querySelectorAll('.photos img')].every((i) => i.complete && i.naturalWidth > 0));
  assertClean(unit);
  // 受理员: 派核查 from the 结案 workbench's 待派核查 queue, by keyboard.
  await page(operator, '/workbench/close?queue=processed');
  await row(operator, walked).waitFor();
  await operator.locator(`tbody tr[data-id="${walked.id}"] td`).nth(3).click();
  await operator.waitForSelector(`.sidepanel h2:has-text("${walked.number}")`);
  await operator.keyboard.press('p');
  await expectToast(operator, /派核查/);
  await row(operator, walked).waitFor({ state: 'detached' });
  assertClean(operator);

  // 监督员: the 核查 task on the phone, with the unit's feedback in view; passed.
  await inspector.goto(server.base + '/m');
  await inspector.locator('a.item', { hasText: walked.number }).click();
  await inspector.waitForSelector('form.act');
  assert.match(await inspector.textContent('form.act h2'), /核查/);
  assert.match(await inspector.textContent('main'), /处置反馈[\s\S]*已清运完毕/);
  await inspector.click('button.verdict:has-text("已整改，通过")');
  await inspector.fill('textarea[name=note]', '现场已清理干净');
  await inspector.click('form.act button[type=submit]');
  await inspector.waitForSelector('.done-note');
  assertClean(inspector);

  // 值班长 closes from the 结案 queue by keyboard.
  await page(lead, '/workbench/close');
  await row(lead, walked).waitFor();
  assert.match(await lead.textContent('.tabs .tab.current'), /待结案/);
  await lead.locator(`tbody tr[data-id="${walked.id}"] td`).nth(3).click();
  await lead.waitForSelector(`.sidepanel h2:has-text("${walked.number}")`);
  await lead.keyboard.press('c');
  await expectToast(lead, /已结案/);
  await row(lead, walked).waitFor({ state: 'detached' });
  const { body: closed } = await apiInPage(lead, `/api/v1/cases/${walked.id}`);
  assert.equal(closed.status, 'closed');
  assertClean(lead);
});

test('the case page shows facts, deadlines, timeline, tasks, map and only the allowed actions', async () => {
  const operator = await as('operator');
  await page(operator, `/cases/${walked.id}`);
  await operator.waitForSelector('ol.timeline li');
  const text = await operator.textContent('main');
  for (const want of [walked.number, '已结案', '暴露垃圾', '网格巡查', '鹤鸣村83号网格', '航头镇', '现场已清理干净', '时限与亮灯', '总时限', '受理', '结案', '已清运完毕', '主办']) {
    assert.ok(text.includes(want), `case page shows ${want}`);
  }
  const events = await operator.locator('ol.timeline li strong').allTextContents();
  assert.deepEqual(events.slice(0, 4), ['上报', '受理', '立案', '派遣']);
  assert.ok(events.includes('核查'), events.join());
  assert.equal(events.at(-1), '结案');
  assert.equal(await operator.locator('h3:text("处置照片") + .photos img').count(), 1, 'the unit\'s photo is shown');
  const map = operator.locator('img.map');
  assert.match(await map.getAttribute('src'), /^\/api\/v1\/map\.svg\?region=\d{15}&level=grid&point=121\.\d+,31\.\d+&highlight=\d{15}$/);
  const offers = await offered(operator);
  assert.deepEqual([...offers].sort(), [...await allowed(operator, walked.id)].sort());
  assert.ok(offers.includes('revisit') && !offers.includes('reopen'), 'a closed case: the operator may 回访, not 重办');
  await screenshot(operator, 'case-page');
  assertClean(operator);

  // A report without a point says so instead of drawing a map.
  const res = await apiInPage(operator, '/api/v1/cases', { method: 'POST', body: {
    category: 'SJ-0102', description: '电话反映航头居委附近垃圾未清运', source: 'hotline', region: '310115137001', address: '航头居委会附近',
    reporter: { name: '李四', phone: '13900001111', wants_reply: true },
  } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  await page(operator, `/cases/${res.body.id}`);
  await operator.waitForSelector('section.card h2:text("位置")');
  assert.match(await operator.textContent('main'), /无点位/);
  assert.match(await operator.textContent('main'), /李四 13900001111/, 'the operator sees the caller');
  // A case changed by someone else meanwhile: the action is refused and the page shows it anew.
  await operator.waitForSelector('button[data-action="register"]');
  await act('shiftlead', res.body.id, { action: 'register' });
  expectStatus(operator, 409);
  await operator.click('button[data-action="register"]');
  await operator.click('form.action button[type=submit]');
  await expectToast(operator, /已被他人处理/);
  await operator.waitForSelector('.heading .tag.status:text("待立案")');
  assert.equal(await operator.locator('button[data-action="register"]').count(), 0);
  // A dispatcher sees the caller masked, as the API returns it.
  const dispatcher = await as('dispatcher');
  await page(dispatcher, `/cases/${res.body.id}`);
  await dispatcher.waitForSelector('section.card h2:text("案件信息")');
  assert.doesNotMatch(await dispatcher.textContent('main'), /13900001111/);
  assertClean(operator);
  assertClean(dispatcher);
});

test('案件查询 keeps its filters in the URL and links to the case page', async () => {
  const operator = await as('operator');
  await page(operator, '/cases?q=' + encodeURIComponent('垃圾'));
  await operator.waitForSelector('table.results-table');
  assert.ok(await operator.locator(`a[href="/cases/${walked.id}"]`).count() >= 1);
  await operator.selectOption('select[name=source]', 'patrol');
  await operator.waitForURL((u) => u.searchParams.get('source') === 'patrol' && u.searchParams.get('q') === '垃圾');
  await operator.waitForFunction(() => [...document.querySelectorAll('table.results-table tbody tr')].every((tr) => tr.textContent.includes('网格巡查')));
  assert.match(await operator.textContent('table.results-table'), /浏览器测试|较早/);
  await operator.selectOption('select[name=status]', 'closed');
  await operator.waitForURL((u) => u.searchParams.get('status') === 'closed');
  await operator.waitForFunction((id) => document.querySelectorAll('table.results-table tbody tr').length === 1
    && document.querySelector(`a[href="/cases/${id}"]`), walked.id);
  await screenshot(operator, 'cases-search');
  // Reloading the URL restores the filters.
  await operator.reload();
  assert.equal(await operator.inputValue('select[name=status]'), 'closed');
  assert.equal(await operator.inputValue('input[name=q]'), '垃圾');
  await operator.click(`a[href="/cases/${walked.id}"]`);
  await operator.waitForURL(`**/cases/${walked.id}`);
  assertClean(operator);
});

test('a handler cannot open the dispatch workbench', async () => {
  const handler = await as('handler');
  expectStatus(handler, 403);
  const res = await handler.goto(server.base + '/workbench/dispatch');
  assert.equal(res.status(), 403);
  assert.match(await handler.textContent('main'), /无权访问/);
  assert.match(await handler.textContent('main'), /派遣员/);
  assert.equal(await handler.locator('script[src*="workbench.js"]').count(), 0, 'no page script for a refused page');
  assertClean(handler);
});

async function page(p, path) {
  await p.goto(server.base + path);
}
