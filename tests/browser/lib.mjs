// Shared by the browser tests: a chengyun server on a fresh SQLite demo database, headless
// Debian Chromium driven by playwright-core, and checks every page must pass: no console
// errors, no request leaving the server, a screenshot for the record.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const SCREENSHOTS = path.join(ROOT, 'target/screenshots');
export const PASSWORD = 'chengyun-demo';
/** A point inside 鹤鸣村83号网格 of the demo town 航头镇 (WGS-84). */
export const DEMO_POINT = { longitude: 121.58675, latitude: 31.04835 };

/**
 * Starts `chengyun serve --demo` on a free port; resolves to { base, stop }. `history`: first
 * generate that many demo cases over the past year (`chengyun demo --history N`).
 */
export async function startServer({ history = 0 } = {}) {
  const bin = process.env.CHENGYUN_BIN ?? path.join(ROOT, 'target/debug/chengyun');
  const dir = mkdtempSync(path.join(tmpdir(), 'chengyun-browser-'));
  if (history > 0) {
    const run = spawnSync(bin, ['--database-url', `sqlite://${dir}/demo.db`, 'demo', '--history', String(history)], {
      stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CHENGYUN_LOG: 'warn' }, timeout: 300_000,
    });
    if (run.status !== 0) throw new Error(`chengyun demo --history ${history} failed (${run.status}):\n${run.stderr}`);
  }
  const child = spawn(bin, ['--database-url', `sqlite://${dir}/demo.db`, 'serve', '--demo', '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CHENGYUN_LOG: 'warn,chengyun::commands=info' },
  });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start in 120 s:\n' + log)), 120_000);
    child.stdout.on('data', (d) => {
      const m = String(d).match(/http:\/\/127\.0\.0\.1:\d+/);
      if (m) { clearTimeout(timer); resolve(m[0]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited (${code}):\n${log}`)); });
  });
  return {
    base,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--lang=zh-CN'],
  });
}

/**
 * A fresh browser context (its own cookies) with a page that records console errors and any
 * request that leaves the server. `phone`: 360×740 touch screen with geolocation at DEMO_POINT.
 */
export async function openPage(browser, base, { phone = false, wall = false } = {}) {
  const viewport = phone ? { width: 360, height: 740 } : wall ? { width: 1920, height: 1080 } : { width: 1440, height: 900 };
  const context = await browser.newContext({
    viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', hasTouch: phone, isMobile: phone,
    deviceScaleFactor: 1, geolocation: DEMO_POINT, permissions: ['geolocation'],
  });
  const page = await context.newPage();
  page.problems = [];
  page.expectedStatuses = new Set();
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // Chromium logs every HTTP error answer; a test that provokes one says so with expectStatus.
    const status = m.text().match(/status of (\d{3})/)?.[1];
    if (status && page.expectedStatuses.has(Number(status))) return;
    page.problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => page.problems.push(`uncaught: ${e.message}`));
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(base + '/') && !url.startsWith('data:') && !url.startsWith('blob:')) page.problems.push(`request outside the server: ${url}`);
  });
  page.base = base;
  return page;
}

/** Logs in through the form and waits for the home page of the role. */
export async function login(page, username, next = '/') {
  await page.goto(`${page.base}/login?next=${encodeURIComponent(next)}`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', PASSWORD);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('button[type=submit]')]);
}

/** Saves a full-page screenshot as target/screenshots/NAME.png. */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Declares that the test provokes HTTP errors with this status (refusals, wrong passwords). */
export function expectStatus(page, status) {
  page.expectedStatuses.add(status);
}

/** Fails the test if the page logged a console error or reached outside the server. */
export function assertClean(page) {
  assert.deepEqual(page.problems, [], 'the page must log no errors and load nothing from elsewhere');
}

/** Calls the API inside the page (with its cookie and CSRF token), for test set-up. */
export async function apiInPage(page, path, { method = 'GET', body } = {}) {
  return page.evaluate(async ({ path, method, body }) => {
    const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';
    const res = await fetch(path, { method, headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }, body: body && JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }, { path, method, body });
}
