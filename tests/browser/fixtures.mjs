// Set-up shared by the phone and inbox tests: a small generated photo, API calls as any demo
// user, and a case at the demo point.
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { DEMO_POINT, PASSWORD } from './lib.mjs';

/** A small valid PNG (a 24×16 orange picture), made here so the test needs no file. */
export function png(width = 24, height = 16) {
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = table[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), body.length + 4);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) raw.set([240, 120 + y * 4, 40], y * (width * 3 + 1) + 1 + x * 3);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** Test set-up through the API as another user (bearer token: no browser, no CSRF). */
export async function apiAs(base, username) {
  const res = await fetch(base + '/api/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
  const { token } = await res.json();
  assert.ok(token, 'login ' + username);
  const call = async (path, body) => {
    const r = await fetch(base + path, { method: body ? 'POST' : 'GET', headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' }, body: body && JSON.stringify(body) });
    const json = await r.json();
    assert.ok(r.ok, `${path}: ${r.status} ${JSON.stringify(json)}`);
    return json;
  };
  return {
    get: (path) => call(path),
    post: (path, body) => call(path, body),
    act: (c, action) => call(`/api/v1/cases/${c.id}/actions`, { ...action, expected_version: c.version }),
  };
}

/** A case reported at the demo point (in 鹤鸣村83号网格) through a channel that skips nothing. */
export async function newCase(base, source, description, category = 'SJ-0102') {
  const operator = await apiAs(base, 'operator');
  return operator.post('/api/v1/cases', {
    category, description, source,
    location: { lon: DEMO_POINT.longitude, lat: DEMO_POINT.latitude, coord_sys: 'wgs84' },
    reporter: { name: '李四', phone: '13900001111' },
  });
}
