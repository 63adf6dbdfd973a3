// 城运大屏 (/dashboard) on a 1920×1080 wall, in Chromium, over a year of demo history (20,000
// cases: enough for overdue ones in the leader's town on any day): the figures equal the API's,
// the charts and the map are drawn, the map drills down and back, the overdue list links to its
// cases, a new case shows up live (no reload), and roles not allowed get the refusal page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openPage, login, screenshot, assertClean, apiInPage, expectStatus } from './lib.mjs';

let server, browser, page, api;
before(async () => {
  server = await startServer({ history: 20000 });
  browser = await launchBrowser();
  page = await openPage(browser, server.base, { wall: true });
  await login(page, 'leader', '/dashboard');
  assert.equal(new URL(page.url()).pathname, '/dashboard');
  await page.waitForSelector('body[data-loaded]', { timeout: 30_000 });
  api = (await apiInPage(page, '/api/v1/dashboard')).body;
});
after(async () => { await browser?.close(); await server?.stop(); });

const FIGURES = ['today.reported', 'today.filed', 'today.closed', 'month.reported', 'month.filed', 'month.closed', 'open', 'overdue_open'];
const pick = (obj, key) => key.split('.').reduce((o, k) => o?.[k], obj);
const shown = (key) => page.textContent(`[data-figure="${key}"]`).then((t) => t.trim());
const asNumber = (text) => {
  assert.match(text, /^\d{1,3}(,\d{3})*$/, `a figure is a number: "${text}"`);
  return Number(text.replaceAll(',', ''));
};

/** A point of the page inside the map area `path` (that the mouse would hit), or null. */
async function pointInside(path) {
  return path.evaluate((el) => {
    const box = el.getBoundingClientRect();
    const ctm = el.getScreenCTM().inverse();
    for (let i = 1; i < 12; i++) {
      for (let j = 1; j < 12; j++) {
        const x = box.left + (box.width * i) / 12, y = box.top + (box.height * j) / 12;
        const p = new DOMPoint(x, y).matrixTransform(ctm);
        if (el.isPointInFill(p) && document.elementFromPoint(x, y) === el) return { x, y };
      }
    }
    return null;
  });
}

test("the leader's wall shows the API's figures, charts, map and overdue list", async () => {
  assert.equal(api.region.level, 'town', 'the leader sees their own town');
  assert.match(await page.textContent('h1'), new RegExp(api.region.name));
  for (const key of FIGURES) assert.equal(asNumber(await shown(key)), pick(api, key), key);
  assert.ok(api.month.reported > 0 && api.open > 0, 'demo history fills the month');

  // charts: the trend's points are the API's days, the bars its categories and units
  const trend = await page.$$eval('#dash-trend svg .series-0 circle.point', (c) => c.map((p) => Number(p.dataset.value)));
  assert.deepEqual(trend, api.trend.map((d) => d.reported));
  const cats = await page.$$eval('#dash-categories svg g.bar-row', (r) => r.map((g) => g.dataset.label));
  // Categories of the two national tables may share a name; such bars carry their code too.
  const shared = (c) => api.categories.filter((o) => o.name === c.name).length > 1;
  assert.deepEqual(cats, api.categories.map((c) => (shared(c) ? `${c.name} ${c.code}` : c.name)));
  const units = await page.$$eval('#dash-units svg g.bar-row', (r) => r.map((g) => g.dataset.label));
  assert.ok(units.length > 0);
  assert.deepEqual(units, api.units.slice(0, units.length).map((u) => u.name), 'ranked by 按期处置率');

  // the map: the town's 村/居, shaded by open cases, adding up to the open figure
  const areas = await page.$$eval('#dash-map svg.map path.area[data-code]', (ps) => ps.map((p) => ({ code: p.dataset.code, value: Number(p.dataset.value) })));
  assert.ok(areas.length >= 5, `the town's 村/居 are drawn: ${areas.length}`);
  assert.ok(areas.every((a) => a.code.length === 12 && a.code.startsWith(api.region.code)));
  assert.ok(areas.reduce((s, a) => s + a.value, 0) <= api.open);
  assert.equal(await page.textContent('.dash-crumbs [aria-current]'), api.region.name);

  // overdue: each row links to its case
  assert.ok(api.overdue.length > 0, 'the demo history has overdue cases');
  const rows = await page.$$eval('#dash-overdue tbody tr', (trs) => trs.map((tr) => {
    const a = tr.querySelector('a');
    return { id: tr.dataset.case, href: a.getAttribute('href'), number: a.textContent };
  }));
  assert.deepEqual(rows, api.overdue.map((c) => ({ id: String(c.id), href: `/cases/${c.id}`, number: c.number })));

  // fits the wall: nothing scrolls
  const size = await page.evaluate(() => ({ w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight }));
  assert.ok(size.w <= 1920 && size.h <= 1080, JSON.stringify(size));
  await screenshot(page, 'dashboard-wall');
  assertClean(page);
});

test('clicking a 村/居 on the map drills down to its grids, the breadcrumb leads back', async () => {
  const villages = page.locator('#dash-map path.area.drill');
  const count = await villages.count();
  // the 村/居 with the most open cases
  let best = 0, bestValue = -1;
  for (let i = 0; i < count; i++) {
    const v = Number(await villages.nth(i).getAttribute('data-value'));
    if (v > bestValue) { best = i; bestValue = v; }
  }
  const target = villages.nth(best);
  const code = await target.getAttribute('data-code');
  const name = await target.getAttribute('data-name');
  const at = await pointInside(target);
  assert.ok(at, `a clickable point inside ${name}`);
  await page.mouse.click(at.x, at.y);
  await page.waitForSelector(`#dash-map[data-region="${code}"] svg.map`);

  assert.deepEqual(await page.locator('.dash-crumbs button, .dash-crumbs [aria-current]').allTextContents(), [api.region.name, name]);
  const grids = await page.$$eval('#dash-map svg.map path.area[data-code]', (ps) => ps.map((p) => ({ code: p.dataset.code, value: Number(p.dataset.value) })));
  assert.ok(grids.length > 1, `the 村/居's grids are drawn: ${grids.length}`);
  assert.ok(grids.every((g) => g.code.length === 15 && g.code.startsWith(code)), 'only its own grids');
  assert.ok(grids.reduce((s, g) => s + g.value, 0) <= bestValue, "the grids' open cases are the 村/居's");
  assert.equal(await page.locator('#dash-map path.drill').count(), 0, 'grids are the bottom');
  await screenshot(page, 'dashboard-drilled');

  // the figures stay the town's; the breadcrumb goes back up
  assert.equal(asNumber(await shown('open')), api.open);
  await page.click(`.dash-crumbs button[data-code="${api.region.code}"]`);
  await page.waitForSelector(`#dash-map[data-region="${api.region.code}"] path.area.drill`);
  assert.equal(await page.textContent('.dash-crumbs [aria-current]'), api.region.name);
  assert.equal(await page.locator('#dash-map path.area[data-code]').count(), count);

  // and the keyboard drills too
  await page.focus(`#dash-map path.drill[data-code="${code}"]`);
  await page.keyboard.press('Enter');
  await page.waitForSelector(`#dash-map[data-region="${code}"] svg.map`);
  await page.click(`.dash-crumbs button[data-code="${api.region.code}"]`);
  await page.waitForSelector(`#dash-map[data-region="${api.region.code}"] path.area.drill`);
  assertClean(page);
});

test('a case reported elsewhere shows up on the open wall without a reload', async () => {
  await page.waitForSelector('.dash-live[data-state="on"]');
  await page.evaluate(() => { window.__stillHere = 'yes'; });
  const before = asNumber(await shown('today.reported'));
  const openBefore = asNumber(await shown('open'));

  const operator = await openPage(browser, server.base);
  await login(operator, 'operator');
  const created = await apiInPage(operator, '/api/v1/cases', {
    method: 'POST',
    body: {
      category: 'SJ-0102', description: '大屏实时测试：航头路与沪南公路路口暴露垃圾', source: 'hotline',
      region: `${api.region.code}001`, address: '航头路沪南公路路口',
      location: { lon: 121.5958, lat: 31.0274, coord_sys: 'gcj02' },
      reporter: { name: '张三', phone: '13812345678', wants_reply: true },
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));

  await page.waitForFunction((n) => document.querySelector('[data-figure="today.reported"]').textContent.replaceAll(',', '') === String(n),
    before + 1, { timeout: 20_000 });
  assert.equal(asNumber(await shown('open')), openBefore + 1);
  assert.equal(await page.evaluate(() => window.__stillHere), 'yes', 'the page was not reloaded');
  assert.equal(await page.evaluate(() => performance.getEntriesByType('navigation').length), 1);
  const now = (await apiInPage(page, '/api/v1/dashboard')).body;
  assert.equal(now.today.reported, before + 1);
  assert.equal(await page.getAttribute('.dash-live', 'data-state'), 'on');
  assertClean(operator);
  await operator.context().close();
  assertClean(page);
});

test('the overdue list opens the case', async () => {
  const first = api.overdue[0];
  await Promise.all([page.waitForURL(`**/cases/${first.id}`), page.click(`#dash-overdue a[href="/cases/${first.id}"]`)]);
  assert.equal(new URL(page.url()).pathname, `/cases/${first.id}`);
  assertClean(page);
});

test('the 实时 indicator goes grey while the event stream is refused and green again after', async () => {
  const other = await openPage(browser, server.base, { wall: true });
  expectStatus(other, 503);
  await login(other, 'leader');
  await other.route('**/api/v1/events', (route) => route.fulfill({ status: 503, contentType: 'text/plain', body: '维护中' }));
  await other.goto(server.base + '/dashboard');
  await other.waitForSelector('body[data-loaded]');
  await other.waitForSelector('.dash-live.off[data-state="off"]');
  assert.match(await other.getAttribute('.dash-live', 'title'), /断开/);
  await other.evaluate(() => { window.__stillHere = 'yes'; });
  await other.unroute('**/api/v1/events');
  await other.waitForSelector('.dash-live[data-state="on"]', { timeout: 30_000 });
  assert.equal(await other.evaluate(() => window.__stillHere), 'yes');
  assertClean(other);
  await other.context().close();
});

test('the page starts from the region the API answers: an admin without a region, then another town', async () => {
  const admin = await openPage(browser, server.base, { wall: true });
  await login(admin, 'admin', '/dashboard');
  await admin.waitForSelector('body[data-loaded]');
  const own = (await apiInPage(admin, '/api/v1/dashboard')).body;
  assert.match(await admin.textContent('h1'), new RegExp(own.region.name), 'the instance default region');
  await admin.goto(server.base + '/dashboard?region=310112107');
  await admin.waitForSelector('body[data-loaded]');
  const other = (await apiInPage(admin, '/api/v1/dashboard?region=310112107')).body;
  assert.equal(other.region.name, '虹桥镇');
  assert.match(await admin.textContent('h1'), /虹桥镇/);
  assert.equal(await admin.textContent('.dash-crumbs [aria-current]'), '虹桥镇');
  for (const key of FIGURES) assert.equal(asNumber(await admin.textContent(`[data-figure="${key}"]`)), pick(other, key), key);
  const codes = await admin.$$eval('#dash-map path.area[data-code]', (ps) => ps.map((p) => p.dataset.code));
  assert.ok(codes.length > 0 && codes.every((c) => c.startsWith('310112107')), codes.join(' '));
  assertClean(admin);
  await admin.context().close();
});

test('roles not allowed on the wall get the refusal page', async () => {
  for (const user of ['operator', 'handler']) {
    const other = await openPage(browser, server.base, { wall: true });
    expectStatus(other, 403);
    await login(other, user);
    const res = await other.goto(server.base + '/dashboard');
    assert.equal(res.status(), 403, user);
    assert.match(await other.textContent('main'), /无权访问/);
    assert.equal(await other.locator('.dash').count(), 0, 'no page script ran');
    assertClean(other);
    await other.context().close();
  }
});
