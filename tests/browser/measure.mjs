// Time to first render and transferred weight of the console's main pages in headless Chromium.
// Not a test: run by scripts/bench-console.sh against a server on a large database.
//   BASE=http://127.0.0.1:8080 CASE_ID=123 node measure.mjs
import { launchBrowser, openPage, login } from './lib.mjs';

const base = process.env.BASE ?? 'http://127.0.0.1:8080';
const runs = Number(process.env.RUNS ?? 5);
const pages = [
  { name: '大屏 /dashboard', user: 'leader', path: '/dashboard', wall: true,
    ready: ['#dash-map svg.map', '#dash-trend svg', '#dash-categories svg', '#dash-units svg'] },
  { name: '受理工作台 /workbench/accept', user: 'operator', path: '/workbench/accept', ready: 'main#app tbody tr, main#app .empty' },
  { name: '案件详情 /cases/{id}', user: 'operator', path: `/cases/${process.env.CASE_ID ?? 1}`, ready: ['main#app h1', 'ol.timeline li', 'img.map'] },
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const browser = await launchBrowser();
console.log('| page | first contentful paint ms (median) | content rendered ms (median) | transferred KB (gzip) | requests |');
console.log('|---|---:|---:|---:|---:|');
for (const p of pages) {
  const fcp = [], rendered = [];
  let weight = 0, requests = 0;
  for (let i = 0; i < runs; i++) {
    const page = await openPage(browser, base, { wall: p.wall });
    await login(page, p.user, '/cases');
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    let bytes = 0, count = 0;
    cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; count += 1; });
    const start = Date.now();
    await page.goto(base + p.path, { waitUntil: 'commit' });
    for (const sel of [p.ready].flat()) await page.waitForSelector(sel, { timeout: 30_000 });
    rendered.push(Date.now() - start);
    await page.waitForTimeout(300);
    fcp.push(await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN));
    if (i === 0) { weight = bytes; requests = count; }
    await page.context().close();
  }
  console.log(`| ${p.name} | ${median(fcp).toFixed(0)} | ${median(rendered)} | ${(weight / 1024).toFixed(1)} | ${requests} |`);
}
await browser.close();
