/** The devices examples/mosquitto/acl is written for (test/hub/mosquitto.test.ts keeps the two in sync). */
import type { DeviceCredential } from '../../protocols/hub/credentials.ts';

const secret = { alg: 'scrypt' as const, N: 1024, r: 8, p: 1, salt: 'AA==', hash: 'AA==' };
const d = (x: Omit<DeviceCredential, 'secret' | 'createdAt' | 'revokedAt'>): DeviceCredential => ({
  ...x,
  secret,
  createdAt: 0,
  revokedAt: null,
});

export const EXAMPLE_SITE = 'plant-1';
export const EXAMPLE_DEVICES: DeviceCredential[] = [
  d({ id: 'gate-a', role: 'gate', site: EXAMPLE_SITE, gate: 'gate-a', terminal: 'T1' }),
  d({ id: 'gate-b', role: 'gate', site: EXAMPLE_SITE, gate: 'gate-b', terminal: 'T2' }),
  d({ id: 'T1', role: 'terminal' }),
  d({ id: 'T2', role: 'terminal' }),
  d({ id: 'dashboard', role: 'dashboard', site: EXAMPLE_SITE }),
  d({ id: 'hub-service', role: 'service' }),
];
