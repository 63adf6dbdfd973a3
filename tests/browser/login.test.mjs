// Logging in through the form, the role-aware home, and the refusal page, in Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openPage, login, screenshot, assertClean, expectStatus } from './lib.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

test('a wrong password shows the error on the form and sets no session', async () => {
  const page = await openPage(browser, server.base);
  expectStatus(page, 401);
  await page.goto(server.base + '/login');
  await screenshot(page, 'login');
  await page.fill('input[name=username]', 'operator');
  await page.fill('input[name=password]', 'wrong-password');
  await page.click('button[type=submit]');
  await page.waitForSelector('.error');
  assert.match(await page.textContent('.error'), /用户名或密码错误/);
  const cookies = await page.context().cookies();
  assert.equal(cookies.find((c) => c.name === 'cy_session'), undefined);
  assertClean(page);
});

test('the operator logs in, sees the home tiles and cannot open admin pages', async () => {
  const page = await openPage(browser, server.base);
  await login(page, 'operator');
  assert.equal(new URL(page.url()).pathname, '/');
  await page.waitForSelector('.tile .count:not(:text("…"))');
  const tiles = await page.locator('.tile').allTextContents();
  assert.ok(tiles.some((t) => t.includes('待受理')), tiles.join(' | '));
  assert.ok(!tiles.some((t) => t.includes('系统管理')));
  const cookie = (await page.context().cookies()).find((c) => c.name === 'cy_session');
  assert.ok(cookie.httpOnly && cookie.sameSite === 'Strict');
  assert.equal(await page.evaluate(() => document.cookie.includes('cy_session')), false, 'scripts cannot read the session');
  await screenshot(page, 'home-operator');
  expectStatus(page, 403);
  const refused = await page.goto(server.base + '/admin/users');
  assert.equal(refused.status(), 403);
  assert.match(await page.textContent('main'), /无权访问/);
  assertClean(page);
});

test('the inspector lands on the phone page', async () => {
  const page = await openPage(browser, server.base, { phone: true });
  await login(page, 'inspector');
  assert.equal(new URL(page.url()).pathname, '/m');
  assertClean(page);
});
