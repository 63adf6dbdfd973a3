// 工作台首页: what waits for me, by role, with counts from the same API the queues use.
import { api, h, render, me, heading, attempt } from '../app.js';

// Each tile: the roles it is for, where it leads, and the list query that counts its cases.
const TILES = [
  { roles: ['operator'], title: '待受理', href: '/workbench/accept', query: 'status=reported' },
  { roles: ['shift_lead'], title: '待立案', href: '/workbench/file', query: 'status=registered' },
  { roles: ['dispatcher'], title: '待派遣', href: '/workbench/dispatch', query: 'status=filed,returned' },
  { roles: ['shift_lead', 'operator'], title: '待结案', href: '/workbench/close', query: 'status=checked' },
  { roles: ['handler'], title: '处置任务', href: '/inbox', query: 'status=dispatched' },
  { roles: ['operator', 'shift_lead', 'dispatcher', 'leader', 'assessor', 'admin', 'handler'], title: '超时案件', href: '/cases?overdue=true', query: 'overdue=true' },
  { roles: ['leader', 'shift_lead', 'dispatcher', 'assessor', 'admin'], title: '城运大屏', href: '/dashboard' },
  { roles: ['admin'], title: '系统管理', href: '/admin/users' },
];

async function main() {
  const tiles = TILES.filter((t) => t.roles.some((r) => me.has(r)));
  const grid = h('div', { class: 'cards' });
  render(null, heading('工作台首页'), grid);
  for (const t of tiles) {
    const count = h('div', { class: 'count' }, t.query ? '…' : '→');
    grid.append(h('a', { class: 'tile', href: t.href }, h('div', {}, t.title), count));
    if (t.query) {
      attempt(async () => {
        const page = await api('/api/v1/cases?page_size=1&' + t.query);
        count.textContent = String(page.total);
      });
    }
  }
}

main();
