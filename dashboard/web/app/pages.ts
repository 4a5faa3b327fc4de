/** Every page of the app, who may open it, and whether it shows in the navigation. */
import type { Page } from './router.ts';

export const PAGES: readonly Page[] = [
  {
    path: '/board',
    title: 'nav.board',
    roles: ['guard', 'admin'],
    nav: true,
    load: async () => (await import('./board/board.ts')).renderBoard,
  },
  {
    path: '/hr/person',
    title: 'nav.hrPerson',
    roles: ['hr', 'admin'],
    nav: true,
    load: async () => (await import('./hr/person.ts')).renderPerson,
  },
  {
    path: '/hr/day',
    title: 'nav.hrDay',
    roles: ['hr', 'admin'],
    nav: true,
    load: async () => (await import('./hr/site-day.ts')).renderSiteDay,
  },
  {
    path: '/hr/report',
    title: 'nav.hrReport',
    roles: ['hr', 'admin'],
    nav: true,
    load: async () => (await import('./hr/daily-report.ts')).renderDailyReport,
  },
  {
    path: '/hr/manual',
    title: 'nav.hrManual',
    roles: ['hr', 'admin'],
    nav: true,
    load: async () => (await import('./hr/manual.ts')).renderManual,
  },
  {
    path: '/hr/records',
    title: 'nav.records',
    roles: ['hr', 'admin'],
    nav: true,
    load: async () => (await import('./hr/records.ts')).renderRecords,
  },
  {
    path: '/hr/holds',
    title: 'nav.holds',
    roles: ['hr', 'admin'],
    nav: true,
    load: async () => (await import('./admin/holds.ts')).renderHolds,
  },
  {
    path: '/admin/policy',
    title: 'nav.policy',
    roles: ['admin'],
    nav: true,
    load: async () => (await import('./admin/policy.ts')).renderPolicy,
  },
  {
    path: '/admin/users',
    title: 'nav.users',
    roles: ['admin'],
    nav: true,
    load: async () => (await import('./admin/users.ts')).renderUsers,
  },
  {
    path: '/admin/access',
    title: 'nav.access',
    roles: ['admin'],
    nav: true,
    load: async () => (await import('./admin/access-list.ts')).renderAccessList,
  },
  {
    path: '/admin/rooms',
    title: 'nav.rooms',
    roles: ['admin'],
    nav: true,
    load: async () => (await import('./admin/rooms.ts')).renderRooms,
  },
  {
    path: '/admin/gates',
    title: 'nav.gates',
    roles: ['admin'],
    nav: true,
    load: async () => (await import('./admin/gates.ts')).renderGates,
  },
  {
    path: '/admin/devices',
    title: 'nav.devices',
    roles: ['admin'],
    nav: true,
    load: async () => (await import('./admin/devices.ts')).renderDevices,
  },
];

export function findPage(path: string): Page | undefined {
  return PAGES.find((p) => p.path === path);
}
