// The administrator's pages (系统管理) in Chromium: users, units, the working calendar, the
// 责任清单 and its CSV import; and that a dispatcher can neither open them nor write through the
// admin API from a page of theirs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openPage, login, screenshot, assertClean, expectStatus, apiInPage, PASSWORD } from './lib.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

const ADMIN_PAGES = ['users', 'units', 'regions', 'categories', 'calendar', 'routing'];

async function adminPage(path) {
  const page = await openPage(browser, server.base);
  await login(page, 'admin', path);
  return page;
}

test('every admin page loads with the sub-navigation and no errors', async () => {
  const page = await adminPage('/admin/users');
  for (const name of ADMIN_PAGES) {
    await page.goto(`${server.base}/admin/${name}`);
    await page.waitForSelector('main .heading h1');
    await page.waitForSelector('main .loading', { state: 'detached' });
    assert.equal(await page.locator('nav.subnav a').count(), 6);
    assert.equal(await page.getAttribute('nav.subnav a[aria-current="page"]', 'href'), `/admin/${name}`);
  }
  // The region tree shows the town with its counts, grids built when a village is opened.
  await page.goto(`${server.base}/admin/regions`);
  const town = page.locator('li[data-code="310115137"] > details > summary');
  await town.waitFor();
  assert.match(await town.textContent(), /航头镇.*村\/居 \d+ · 网格 \d+/);
  const village = page.locator('li[data-code="310115137001"] > details');
  await village.locator('summary').click();
  await village.locator('li[data-code^="310115137001"]').first().waitFor();
  assertClean(page);
});

test('the admin creates a user with the form, who then logs in', async () => {
  const page = await adminPage('/admin/users');
  expectStatus(page, 422);
  await page.waitForSelector('table.grid');
  await page.click('button:text("新建用户")');
  const form = page.locator('form[aria-label="新建用户"]');
  await form.locator('[name=username]').fill('zhao.operator');
  await form.locator('[name=display_name]').fill('赵新受理');
  await form.locator('[name=password]').fill('short');
  await form.locator('input[name=roles][value=operator]').check();
  await form.locator('[name=region]').selectOption('310115137');
  await form.locator('button[type=submit]').click();
  // The API's message appears next to the field it names.
  const passwordError = form.locator('.field-error[data-for="password"]');
  await passwordError.waitFor({ state: 'visible' });
  assert.match(await passwordError.textContent(), /密码.*至少8位/);
  assert.equal(await form.locator('[name=password]').getAttribute('aria-invalid'), 'true');

  await form.locator('[name=password]').fill(PASSWORD);
  await form.locator('button[type=submit]').click();
  await page.waitForSelector('.toast:has-text("已创建用户")');
  const row = page.locator('table.grid tr', { hasText: 'zhao.operator' });
  assert.match(await row.textContent(), /赵新受理.*受理员.*航头镇.*启用/);
  await screenshot(page, 'admin-users');
  assertClean(page);

  const other = await openPage(browser, server.base);
  await login(other, 'zhao.operator');
  assert.equal(new URL(other.url()).pathname, '/');
  assert.match(await other.textContent('header .who'), /赵新受理（受理员）/);

  // 停用 asks first; cancelling changes nothing, confirming ends the user's session.
  await row.click();
  const edit = page.locator('form[aria-label="编辑用户"]');
  await edit.locator('[name=active]').uncheck();
  await edit.locator('button[type=submit]').click();
  await page.locator('dialog.confirm button:text("取消")').click();
  assert.equal((await apiInPage(other, '/api/v1/auth/me')).status, 200, 'cancelled: still active');
  await edit.locator('button[type=submit]').click();
  await page.locator('dialog.confirm button:text("停用")').click();
  await page.waitForSelector('.toast:has-text("已保存“zhao.operator”")');
  assert.match(await page.locator('table.grid tr', { hasText: 'zhao.operator' }).textContent(), /停用/);
  expectStatus(other, 401);
  assert.equal((await apiInPage(other, '/api/v1/auth/me')).status, 401, 'a deactivated user is signed out');
  assertClean(page);
  assertClean(other);
});

test('the admin edits a unit and the change is stored', async () => {
  const page = await adminPage('/admin/units?q=hws');
  // Rows open from the keyboard too.
  await page.locator('table.grid tr', { hasText: '310115137-hws' }).focus();
  await page.keyboard.press('Enter');
  const form = page.locator('form[aria-label="编辑单位"]');
  assert.equal(await form.locator('[name=code]').inputValue(), '310115137-hws');
  await form.locator('[name=name]').fill('航头镇环卫所（保洁科）');
  await form.locator('button[type=submit]').click();
  await page.waitForSelector('.toast:has-text("已保存单位")');
  await page.reload();
  await page.fill('input[name=q]', '310115137-hws');
  assert.match(await page.locator('table.grid tbody tr').first().textContent(), /航头镇环卫所（保洁科）/);
  const units = await apiInPage(page, '/api/v1/units');
  assert.equal(units.body.items.find((u) => u.code === '310115137-hws').name, '航头镇环卫所（保洁科）');
  assertClean(page);
});

test('toggling days in the calendar is saved and still there after a reload', async () => {
  const page = await adminPage('/admin/calendar?month=2027-03');
  const wednesday = page.locator('button.day[data-date="2027-03-10"]');
  const saturday = page.locator('button.day[data-date="2027-03-13"]');
  assert.equal(await wednesday.getAttribute('data-kind'), 'work');
  assert.equal(await saturday.getAttribute('data-kind'), 'rest');
  assert.equal(await page.isDisabled('button:text("保存日历")'), true, 'nothing to save yet');
  await wednesday.click();
  await saturday.click();
  assert.equal(await wednesday.getAttribute('data-kind'), 'holiday');
  assert.equal(await saturday.getAttribute('data-kind'), 'makeup');
  assert.match(await page.textContent('.pending'), /2 处未保存/);
  await page.click('button:text("保存日历")');
  await page.waitForSelector('.toast:has-text("工作日历已保存")');
  await page.reload();
  await page.waitForSelector('button.day[data-date="2027-03-10"]');
  assert.equal(await page.getAttribute('button.day[data-date="2027-03-10"]', 'data-kind'), 'holiday');
  assert.equal(await page.getAttribute('button.day[data-date="2027-03-13"]', 'data-kind'), 'makeup');
  assert.match(await page.getAttribute('button.day[data-date="2027-03-10"]', 'aria-label'), /放假（临时调整）/);
  await screenshot(page, 'admin-calendar');
  // The API holds it too: 3-10 is a day off of a break named 临时调整.
  const cal = await apiInPage(page, '/api/v1/admin/calendar');
  assert.ok(cal.body.holidays.years['2027'].holidays.some((h) => h.name === '临时调整' && h.off.includes('2027-03-10')));
  // The 调休 Saturday belongs to the nearest break, the new one: undo it first, then the day off.
  await page.click('button.day[data-date="2027-03-13"]');
  await page.click('button.day[data-date="2027-03-10"]');
  await page.click('button:text("保存日历")');
  await page.waitForSelector('.toast:has-text("工作日历已保存") >> nth=0');
  await page.reload();
  await page.waitForSelector('button.day[data-date="2027-03-10"]');
  assert.equal(await page.getAttribute('button.day[data-date="2027-03-10"]', 'data-kind'), 'work');
  assert.equal(await page.getAttribute('button.day[data-date="2027-03-13"]', 'data-kind'), 'rest');
  assertClean(page);
});

test('the admin changes the lead unit of a routing rule', async () => {
  const page = await adminPage('/admin/routing?region=310115137&category=06010');
  expectStatus(page, 422);
  const row = page.locator('table.grid tbody tr', { hasText: '航头镇环卫所' }).first();
  await row.click();
  const form = page.locator('form[aria-label="编辑规则"]');
  // The lead may not also assist: the API says so next to the field.
  await form.locator('[name=lead]').selectOption('310115137-cgzd');
  await form.locator('button[type=submit]').click();
  const error = form.locator('.field-error:not(:empty)');
  await error.waitFor();
  assert.match(await error.textContent(), /主办|协办/);
  await form.locator('[name=assists]').selectOption([]);
  await form.locator('button[type=submit]').click();
  await page.waitForSelector('.toast:has-text("已保存规则")');
  const saved = page.locator('table.grid tbody tr', { hasText: '06010' }).filter({ hasText: '航头镇城管中队' });
  assert.equal(await saved.count() >= 1, true);
  await screenshot(page, 'admin-routing');
  const rules = await apiInPage(page, '/api/v1/admin/routing-rules?region=310115137&category=06010');
  const rule = rules.body.items.find((r) => r.region === '310115137');
  assert.equal(rule.lead, '310115137-cgzd');
  assert.deepEqual(rule.assists, []);
  // Deleting asks first.
  await page.locator('form[aria-label="编辑规则"] button:text("删除规则")').click();
  await page.locator('dialog.confirm button:text("删除")').click();
  await page.waitForSelector('.toast:has-text("已删除规则")');
  const left = await apiInPage(page, '/api/v1/admin/routing-rules?region=310115137&category=06010');
  assert.ok(!left.body.items.some((r) => r.region === '310115137'), 'the town rule is gone');
  assertClean(page);
});

test('a broken CSV is refused with the line at fault and changes nothing', async () => {
  const page = await adminPage('/admin/routing?region=310115137');
  expectStatus(page, 422);
  await page.waitForSelector('table.grid');
  const before = await apiInPage(page, '/api/v1/admin/routing-rules?region=310115137');
  const csv = '类别代码,区划代码,主办单位代码,自动派遣\n06010,310115137,310115137-hws,否\n06011,310115137,no-such-unit,否\n';
  const form = page.locator('form[aria-label="导入责任清单"]');
  await form.locator('input[type=file]').setInputFiles({ name: 'rules.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await form.locator('button[type=submit]').click();
  await page.locator('dialog.confirm button:text("导入")').click();
  const report = form.locator('.report');
  await report.locator('table.grid').waitFor();
  assert.match(await report.textContent(), /第3行/);
  assert.match(await report.locator('tbody tr').first().textContent(), /^3主办单位代码.*no-such-unit/);
  const after = await apiInPage(page, '/api/v1/admin/routing-rules?region=310115137');
  assert.deepEqual(after.body, before.body, 'all or nothing');
  assertClean(page);
});

test('a category time limit is edited, a wrong one refused next to its field', async () => {
  const page = await adminPage('/admin/categories?q=' + encodeURIComponent('暴露垃圾'));
  expectStatus(page, 422);
  const row = page.locator('table.grid tbody tr', { hasText: '暴露垃圾' }).first();
  await row.click();
  const form = page.locator('form[aria-label="编辑类别"]');
  await form.locator('[name=limit]').fill('三天两夜');
  await form.locator('button[type=submit]').click();
  const error = form.locator('.field-error[data-for="limit"]');
  await error.waitFor({ state: 'visible' });
  assert.match(await error.textContent(), /无法识别的时限“三天两夜”/);
  await form.locator('[name=limit]').fill('3工作时');
  await form.locator('button[type=submit]').click();
  await page.waitForSelector('.toast:has-text("已保存")');
  // Two tables name a category 暴露垃圾: the edited row shows the new limit once the table is redrawn.
  await page.locator('table.grid tbody tr', { hasText: '暴露垃圾' }).filter({ hasText: '3工作时' }).first().waitFor();
  const tables = await apiInPage(page, '/api/v1/admin/categories');
  const found = tables.body.items.flatMap((t) => t.categories).filter((c) => c.name === '暴露垃圾');
  assert.ok(found.some((c) => c.limit === '3工作时'), JSON.stringify(found));
  assertClean(page);
});

test('a broken boundary file is refused with the feature at fault', async () => {
  const page = await adminPage('/admin/regions');
  expectStatus(page, 422);
  const form = page.locator('form[aria-label="导入边界"]');
  await form.waitFor();
  const broken = { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { code: '310115137001999', name: '坏网格' },
    geometry: { type: 'Polygon', coordinates: [[[121.58, 31.04], [121.59, 31.04], [121.58, 31.04]]] } }] };
  await form.locator('input[type=file]').setInputFiles({ name: 'grids.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(JSON.stringify(broken)) });
  await form.locator('button[type=submit]').click();
  const report = form.locator('.report table.grid');
  await report.waitFor();
  assert.match(await report.textContent(), /第1个.*310115137001999/);
  const regions = await apiInPage(page, '/api/v1/admin/regions');
  assert.ok(!regions.body.items.some((r) => r.code === '310115137001999'), 'nothing imported');
  assertClean(page);
});

test('the dispatcher gets the 403 page for every admin page and the admin API refuses their writes', async () => {
  const admin = await adminPage('/admin/users');
  const snapshot = async () => ({
    users: (await apiInPage(admin, '/api/v1/admin/users')).body,
    units: (await apiInPage(admin, '/api/v1/admin/units')).body,
    rules: (await apiInPage(admin, '/api/v1/admin/routing-rules?region=310115137')).body,
    calendar: (await apiInPage(admin, '/api/v1/admin/calendar')).body,
    regions: (await apiInPage(admin, '/api/v1/admin/regions')).body,
  });
  const before = await snapshot();

  const page = await openPage(browser, server.base);
  await login(page, 'dispatcher');
  expectStatus(page, 403);
  for (const name of ADMIN_PAGES) {
    const res = await page.goto(`${server.base}/admin/${name}`);
    assert.equal(res.status(), 403, name);
    assert.match(await page.textContent('main'), /无权访问/);
    assert.equal(await page.locator('nav.subnav, form.edit').count(), 0, 'no admin page script ran');
  }
  const operator = before.users.items.find((u) => u.username === 'operator');
  const hws = before.units.items.find((u) => u.code === '310115137-hws');
  const writes = [
    ['POST', '/api/v1/admin/users', { username: 'intruder', display_name: '入侵者', password: 'long-enough-1', roles: ['admin'] }],
    ['PATCH', `/api/v1/admin/users/${operator.id}`, { active: false }],
    ['POST', '/api/v1/admin/units', { ...hws, name: '被篡改的单位' }],
    ['PUT', '/api/v1/admin/routing-rules', { category: '06010', region: '310115137', lead: '310115137-pcs', assists: [], auto_dispatch: true }],
    ['DELETE', '/api/v1/admin/routing-rules?category=06010&region=310115137'],
    ['PUT', '/api/v1/admin/calendar', { schedule: { periods: [{ start: '00:00', end: '23:00' }] } }],
    ['POST', '/api/v1/admin/regions', { code: '310115137001999', name: '假网格', level: 'grid', parent: '310115137001' }],
  ];
  for (const [method, path, body] of writes) {
    const res = await apiInPage(page, path, { method, body });
    assert.equal(res.status, 403, `${method} ${path}`);
    assert.equal(res.body.error.code, 'role_not_allowed', `${method} ${path}: refused for the role, not the CSRF token`);
  }
  assert.deepEqual(await snapshot(), before, 'nothing changed');
  assertClean(page);
  assertClean(admin);
});
