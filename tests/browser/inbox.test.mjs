// The 处置单位's inbox (/inbox): tasks dispatched to the handler's unit, most urgent first, with
// 接单, 延期申请, 处置反馈 with a photo, and 退单 — each set up through the API by the centre.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openPage, login, screenshot, assertClean, expectStatus } from './lib.mjs';
import { png, apiAs, newCase } from './fixtures.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

/** A hotline case walked to 派遣 to 航头镇城管中队 (the demo user `handler`'s unit). */
async function dispatched(description, category) {
  const [operator, shiftlead, dispatcher] = await Promise.all(['operator', 'shiftlead', 'dispatcher'].map((u) => apiAs(server.base, u)));
  let c = await newCase(server.base, 'hotline', description, category);
  c = await operator.act(c, { action: 'register' });
  c = await shiftlead.act(c, { action: 'file' });
  return dispatcher.act(c, { action: 'dispatch', units: ['310115137-cgzd'] });
}

const rowTexts = (page) => page.locator('table.tasks tbody tr').allTextContents();

test('a handler accepts a task, asks for more time and feeds back with a photo', async () => {
  const later = await dispatched('鹤鸣村河道边渣土堆积', 'SJ-0103'); // 2 working days
  const urgent = await dispatched('鹤鸣村村口暴露垃圾约两立方', 'SJ-0102'); // 4 working hours
  const page = await openPage(browser, server.base);
  expectStatus(page, 404); // the place map, until the map endpoint is there
  await login(page, 'handler', '/inbox');
  await page.waitForSelector('table.tasks');
  let rows = await rowTexts(page);
  assert.equal(rows.length, 2, rows.join(' | '));
  assert.ok(rows[0].includes(urgent.number) && rows[0].includes('待接单') && rows[0].includes('主办'), 'the most urgent first: ' + rows[0]);
  assert.ok(rows[1].includes(later.number));
  assert.match(await page.textContent('table.tasks tbody tr .left'), /^剩 \d+(小时\d+)?分$|^剩 \d+天\d+小时$/);
  assert.match(await page.textContent('.summary'), /共 2 项待办/);

  await page.click(`tr:has-text("${urgent.number}")`);
  await page.waitForSelector(`.inbox-detail h2:has-text("${urgent.number}")`);
  assert.match(await page.textContent('.inbox-detail'), /鹤鸣村村口暴露垃圾约两立方[\s\S]*鹤鸣村83号网格[\s\S]*4工作时，至/);
  const offered = await page.locator('.inbox-detail .actions > button, .inbox-detail .drawer > button').allTextContents();
  assert.deepEqual(offered, ['接单', '延期申请', '退单', '挂账申请'], 'no 处置反馈 before 接单');

  // 接单
  await page.click('.inbox-detail button.accept');
  await page.waitForSelector('.inbox-detail .task-status:has-text("处置中")');
  assert.match(await page.textContent('#toasts'), /已接单/);
  // The list reloads after the detail: wait for it rather than race it.
  await page.waitForFunction((n) => /处置中/.test(document.querySelector(`tr[data-case-id="${n}"]`)?.textContent ?? ''), urgent.id);

  // 延期申请: one more working day.
  await page.click('.inbox-detail button:has-text("延期申请")');
  await page.fill('input[name=extra]', '1');
  await page.selectOption('select[name=extra-unit]', '工作日');
  await page.fill('textarea[name=reason]', '需协调清运车辆');
  await page.click('button:has-text("提交延期申请")');
  await page.waitForSelector('.pending-extension');
  assert.equal(await page.textContent('.pending-extension'), '1工作日，待审批（需协调清运车辆）');
  assert.equal(await page.locator('.inbox-detail button:has-text("延期申请")').count(), 0, 'one request at a time');
  await screenshot(page, 'inbox');

  // 处置反馈 with a photo.
  await page.click('.inbox-detail button:has-text("处置反馈")');
  await page.fill('textarea[name=text]', '已清运完毕，现场整洁');
  await page.setInputFiles('input[name=photos]', { name: 'after.png', mimeType: 'image/png', buffer: png() });
  await page.waitForSelector('.inbox-detail figure.photo img');
  await page.click('button:has-text("提交处置反馈")');
  await page.waitForSelector('.inbox-detail .task-status:has-text("已反馈")');
  assert.match(await page.textContent('.inbox-detail'), /已清运完毕，现场整洁/);
  await page.waitForFunction((n) => !document.querySelector('table.tasks')?.textContent.includes(n), urgent.number);
  rows = await rowTexts(page);
  assert.equal(rows.length, 1);
  assert.ok(rows[0].includes(later.number));

  const operator = await apiAs(server.base, 'operator');
  const stored = await operator.get('/api/v1/cases/' + urgent.id);
  assert.equal(stored.status, 'processed');
  assert.equal(stored.tasks[0].feedback.text, '已清运完毕，现场整洁');
  assert.equal(stored.tasks[0].feedback.photos.length, 1);
  const asked = stored.timeline.find((e) => e.action === 'request_extension');
  assert.equal(asked?.reason, '需协调清运车辆', 'the 延期 request is on record');
  assertClean(page);
});

test('a handler returns a task that is not the unit\'s, with a reason', async () => {
  const c = await dispatched('鹤鸣村小区内绿化带毁损', 'SJ-0102');
  const page = await openPage(browser, server.base);
  expectStatus(page, 404);
  await login(page, 'handler', '/inbox?case=' + c.id);
  await page.waitForSelector(`.inbox-detail h2:has-text("${c.number}")`);
  await page.click('.inbox-detail button:has-text("退单")');
  await page.click('button:has-text("提交退单")');
  // The reason is required: the browser keeps the form until it is given.
  assert.equal(await page.locator('.inbox-detail .task-status:has-text("已退单")').count(), 0);
  await page.fill('textarea[name=reason]', '属小区物业管理范围，不属城管中队职责');
  await page.click('button:has-text("提交退单")');
  await page.waitForSelector('.inbox-detail .task-status:has-text("已退单")');
  await page.waitForFunction((n) => !document.querySelector('.inbox-list')?.textContent.includes(n), c.number);
  const operator = await apiAs(server.base, 'operator');
  const stored = await operator.get('/api/v1/cases/' + c.id);
  assert.equal(stored.status, 'returned');
  assert.equal(stored.tasks[0].return_reason, '属小区物业管理范围，不属城管中队职责');
  assertClean(page);
});

test('an inspector cannot open the unit inbox', async () => {
  const page = await openPage(browser, server.base);
  expectStatus(page, 403);
  await login(page, 'inspector');
  const res = await page.goto(server.base + '/inbox');
  assert.equal(res.status(), 403);
  assert.match(await page.textContent('main'), /无权访问[\s\S]*处置任务/);
  assert.equal(await page.locator('table.tasks').count(), 0);
  assertClean(page);
});
