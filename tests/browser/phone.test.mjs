// The 监督员's phone pages at 360 px: a report in three taps (category, photo, GPS place), 我的上报,
// and the 核实 / 核查 tasks set up through the API by the centre's staff.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openPage, login, screenshot as save, assertClean, expectStatus, DEMO_POINT } from './lib.mjs';
import { png, apiAs, newCase } from './fixtures.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

/** A full-page screenshot from the top (the phone's header is sticky and would float mid-page). */
async function screenshot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await save(page, name);
}

test('the inspector reports in three taps and finds the case under 我的上报', async () => {
  const page = await openPage(browser, server.base, { phone: true });
  await login(page, 'inspector');
  await page.goto(server.base + '/m/report');
  // The place is taken from the phone's GPS as the page opens.
  await page.waitForSelector('.where .grid-name');
  assert.equal(await page.textContent('.where .grid-name'), '鹤鸣村83号网格');
  assert.equal(await page.isDisabled('form.report button[type=submit]'), true, 'no category yet');
  // Tap 1: the category, found by search.
  await page.fill('input[name=category-search]', '垃圾');
  await page.locator('button.choice', { hasText: 'SJ-0102' }).click();
  assert.match(await page.textContent('.chosen'), /暴露垃圾\s*SJ-0102/);
  // Tap 2: the photo (the camera's file input).
  assert.equal(await page.getAttribute('input[name=photos]', 'capture'), 'environment');
  await page.setInputFiles('input[name=photos]', { name: 'scene.png', mimeType: 'image/png', buffer: png() });
  await page.waitForSelector('figure.photo img');
  await page.waitForFunction(() => document.querySelector('figure.photo img')?.naturalWidth === 24, null, { timeout: 10_000 });
  assert.match(await page.textContent('.photo-status'), /已上传 1 张/);
  await page.fill('textarea[name=description]', '鹤鸣村路口垃圾成堆');
  assert.equal(await page.isDisabled('form.report button[type=submit]'), false);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `the page fits 360 px (scrollWidth ${width})`);
  await screenshot(page, 'phone-report');
  // Tap 3: 上报.
  await page.click('form.report button[type=submit]');
  await page.waitForSelector('.case-number');
  const number = await page.textContent('.case-number');
  assert.match(number, /^310115137-\d{8}-\d{4}$/);
  assert.match(await page.textContent('.reported'), /暴露垃圾 · 鹤鸣村83号网格 · 待受理/);
  // The stored case is what the page said.
  const id = (await page.getAttribute('a[href^="/m/cases/"]', 'href')).split('/').pop();
  const stored = await page.evaluate(async (id) => (await fetch('/api/v1/cases/' + id)).json(), id);
  assert.equal(stored.source, 'patrol');
  assert.equal(stored.region_code, '310115137202083');
  assert.equal(stored.description, '鹤鸣村路口垃圾成堆');
  assert.equal(stored.photos.length, 1);
  // 我的上报 lists it with its status.
  await page.click('a[href="/m?tab=mine"]');
  await page.waitForSelector('ul.items');
  const mine = await page.textContent('ul.items');
  assert.ok(mine.includes(number) && mine.includes('待受理'), mine);
  assert.match(await page.textContent('[role=tab][aria-selected=true]'), /我的上报（1）/);
  // The category is remembered on top of the next report.
  await page.goto(server.base + '/m/report');
  await page.waitForSelector('.recent button.choice');
  assert.match(await page.textContent('.recent button.choice'), /暴露垃圾/);
  assertClean(page);
});

test('a report cannot be sent without a category, and the map choice fails clearly when the map is missing', async () => {
  const page = await openPage(browser, server.base, { phone: true });
  await login(page, 'inspector');
  await page.goto(server.base + '/m/report');
  await page.waitForSelector('.where .grid-name');
  assert.match(await page.textContent('.missing'), /还需：类别/);
  assert.equal(await page.isDisabled('form.report button[type=submit]'), true);
  // The town map comes from the dashboard's map endpoint; either it draws or the page says why.
  expectStatus(page, 404);
  await page.click('button:has-text("在地图上选点")');
  await page.waitForSelector('.pick-map svg.map, .pick-map .warn');
  if (await page.$('.pick-map svg.map')) {
    // Playwright scrolls the map into view and taps its centre.
    await page.locator('.pick-map svg.map').click();
    await page.waitForSelector('.where .how:has-text("地图选点")');
  } else {
    assert.match(await page.textContent('.pick-map .warn'), /地图暂不可用.*重新定位/);
    assert.equal(await page.textContent('.where .grid-name'), '鹤鸣村83号网格', 'the GPS place stays');
  }
  assertClean(page);
});

test('a tap on the town map becomes the report\'s place (a map drawn to the map contract)', async () => {
  const page = await openPage(browser, server.base, { phone: true });
  // A stand-in for /api/v1/map.svg as console.md specifies it: data-bbox and a linear projection,
  // centred on the demo point, so a tap in the middle must land in 鹤鸣村83号网格.
  const { longitude: lon, latitude: lat } = DEMO_POINT;
  const bbox = [lon - 0.01, lat - 0.0075, lon + 0.01, lat + 0.0075];
  let asked = '';
  await page.route('**/api/v1/map.svg?*', (route) => {
    asked = new URL(route.request().url()).search;
    route.fulfill({ status: 200, contentType: 'image/svg+xml', body:
      `<svg xmlns="http://www.w3.org/2000/svg" class="map" viewBox="0 0 400 300" data-bbox="${bbox.join(',')}">` +
      '<path data-code="310115137202083" data-name="鹤鸣村83号网格" d="M0 0H400V300H0Z" fill="#eef2f7"><title>鹤鸣村83号网格</title></path></svg>' });
  });
  await page.context().clearPermissions();
  await login(page, 'inspector');
  await page.goto(server.base + '/m/report');
  await page.waitForFunction(() => /未获得定位权限|定位失败/.test(document.querySelector('.where')?.textContent ?? ''));
  await page.click('button:has-text("在地图上选点")');
  await page.waitForSelector('.pick-map svg.map');
  assert.equal(asked, '?region=310115137&level=grid', 'the map of the inspector\'s own area, with its grids');
  const box = await page.locator('.pick-map svg.map').boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForSelector('.where .grid-name');
  assert.equal(await page.textContent('.where .grid-name'), '鹤鸣村83号网格');
  const [tapLon, tapLat] = (await page.textContent('.where .how')).match(/[\d.]+/g).map(Number);
  assert.ok(Math.abs(tapLon - lon) < 0.0002 && Math.abs(tapLat - lat) < 0.0002, `tap at ${tapLon},${tapLat}`);
  assert.equal(await page.locator('.pick-map circle.tap-mark').count(), 1, 'the tap is marked');
  assertClean(page);
});

test('without GPS the inspector reports with a written address', async () => {
  const page = await openPage(browser, server.base, { phone: true });
  await page.context().clearPermissions();
  await login(page, 'inspector');
  await page.goto(server.base + '/m/report');
  await page.waitForFunction(() => /未获得定位权限|定位失败/.test(document.querySelector('.where')?.textContent ?? ''));
  await page.fill('input[name=category-search]', 'SJ-0102');
  await page.locator('button.choice', { hasText: 'SJ-0102' }).click();
  assert.match(await page.textContent('.missing'), /还需：位置/);
  assert.equal(await page.isDisabled('form.report button[type=submit]'), true);
  await page.fill('input[name=address]', '鹤沙路188号门口');
  assert.equal(await page.isDisabled('form.report button[type=submit]'), false);
  await page.click('form.report button[type=submit]');
  await page.waitForSelector('.case-number');
  const id = (await page.getAttribute('a[href^="/m/cases/"]', 'href')).split('/').pop();
  const stored = await page.evaluate(async (id) => (await fetch('/api/v1/cases/' + id)).json(), id);
  assert.equal(stored.address, '鹤沙路188号门口');
  assert.equal(stored.location, null);
  assert.equal(stored.description, '暴露垃圾，位于鹤沙路188号门口');
  assertClean(page);
});

test('the inspector verifies a report on site and checks a handled case (返工)', async () => {
  const base = server.base;
  const [operator, shiftlead, dispatcher, handler] = await Promise.all(['operator', 'shiftlead', 'dispatcher', 'handler'].map((u) => apiAs(base, u)));
  // 核实: a resident's report the operator sends for verification.
  let toVerify = await newCase(base, 'public', '居民反映鹤鸣村村口垃圾无人清理');
  toVerify = await operator.act(toVerify, { action: 'register' });
  toVerify = await operator.act(toVerify, { action: 'request_verification' });
  // 核查: a hotline case handled by 城管中队 and sent for checking.
  let toCheck = await newCase(base, 'hotline', '12345 来电：鹤鸣村垃圾堆放');
  toCheck = await operator.act(toCheck, { action: 'register' });
  toCheck = await shiftlead.act(toCheck, { action: 'file' });
  toCheck = await dispatcher.act(toCheck, { action: 'dispatch', units: ['310115137-cgzd'] });
  toCheck = await handler.act(toCheck, { action: 'accept_task' });
  toCheck = await handler.act(toCheck, { action: 'feedback', text: '已清运完毕' });
  toCheck = await operator.act(toCheck, { action: 'request_check' });

  const page = await openPage(browser, base, { phone: true });
  expectStatus(page, 404); // the place map, until the map endpoint is there
  await login(page, 'inspector');
  await page.waitForSelector('ul.items');
  const items = await page.locator('ul.items a.item').allTextContents();
  assert.ok(items.some((t) => t.includes('核实') && t.includes('居民反映鹤鸣村村口垃圾无人清理') && t.includes('鹤鸣村83号网格')), items.join(' | '));
  assert.ok(items.some((t) => t.includes('核查') && t.includes('12345 来电')), items.join(' | '));
  assert.match(await page.textContent('[role=tab][aria-selected=true]'), /我的任务（2）/);
  await screenshot(page, 'phone-tasks');

  // 核实: 属实, with a note and a photo.
  await page.locator('a.item', { hasText: '居民反映' }).click();
  await page.waitForSelector('form.act');
  assert.match(await page.textContent('form.act h2'), /核实/);
  assert.match(await page.textContent('main'), /居民反映鹤鸣村村口垃圾无人清理/);
  assert.equal(await page.isDisabled('form.act button[type=submit]'), true, 'a verdict first');
  await page.click('button.verdict:has-text("属实")');
  await page.fill('textarea[name=note]', '现场确有垃圾约一立方');
  await page.setInputFiles('input[name=photos]', { name: 'verify.png', mimeType: 'image/png', buffer: png() });
  await page.waitForSelector('figure.photo img');
  await screenshot(page, 'phone-case');
  await page.click('form.act button[type=submit]');
  await page.waitForSelector('.done-note');
  assert.match(await page.textContent('main'), /待立案/);
  assert.match(await page.textContent('ol.timeline'), /核实.*现场确有垃圾约一立方/s);
  const verified = await operator.get('/api/v1/cases/' + toVerify.id);
  assert.equal(verified.verification.confirmed, true);
  assert.equal(verified.status, 'registered');

  // 核查: not fixed → back to the unit (返工); the handler's feedback was shown first.
  await page.goto(base + '/m/cases/' + toCheck.id);
  await page.waitForSelector('form.act');
  assert.match(await page.textContent('main'), /处置反馈[\s\S]*航头镇城管中队[\s\S]*已清运完毕/);
  await page.click('button.verdict:has-text("返工")');
  await page.fill('textarea[name=note]', '仍有垃圾残留');
  await page.click('form.act button[type=submit]');
  await page.waitForSelector('.done-note');
  assert.match(await page.textContent('main'), /处置中/);
  const checked = await operator.get('/api/v1/cases/' + toCheck.id);
  assert.equal(checked.status, 'dispatched');
  assert.equal(checked.counts.reworks, 1);
  // Both tasks are done: the list is empty again.
  await page.goto(base + '/m');
  await page.waitForSelector('[role=tabpanel] .empty');
  assert.match(await page.textContent('[role=tabpanel]'), /暂无待核实或待核查的案件/);
  assertClean(page);
});
