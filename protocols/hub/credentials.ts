/**
 * The hub's credentials file (JSON, kept outside the repository, mode 0600): one entry per device,
 * its role and what it is bound to, and a scrypt hash of its password with a per-entry salt.
 * Passwords themselves are never stored.
 */
import { z } from 'zod';
import { ID_PATTERN } from '../topics.ts';

const Id = z
  .string()
  .regex(ID_PATTERN, 'letters, digits, "_" or "-" (1 to 64): it becomes part of MQTT topics');
const B64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64');

export const DeviceRole = z.enum(['gate', 'terminal', 'dashboard', 'service']);
export type DeviceRole = z.infer<typeof DeviceRole>;

export const ScryptSecret = z.object({
  alg: z.literal('scrypt'),
  /** CPU/memory cost, a power of two. */
  N: z
    .number()
    .int()
    .min(1024)
    .max(1 << 20),
  r: z.number().int().min(1).max(32),
  p: z.number().int().min(1).max(16),
  salt: B64,
  hash: B64,
});
export type ScryptSecret = z.infer<typeof ScryptSecret>;

export const DeviceCredential = z
  .object({
    /** The MQTT username; for terminals also the client id and the `{deviceId}` of its topics. */
    id: Id,
    role: DeviceRole,
    /** gate, dashboard: the site it belongs to. */
    site: Id.optional(),
    /** gate: its gate id. */
    gate: Id.optional(),
    /** gate: the face terminal it talks to. */
    terminal: Id.optional(),
    /** Extra MQTT client ids this device may use (besides the defaults of its role). */
    clientIds: z.array(z.string().min(1).max(128)).optional(),
    secret: ScryptSecret,
    createdAt: z.number().int().nonnegative(),
    /** Set by `device revoke`: the entry stays for the record but can no longer connect. */
    revokedAt: z.number().int().nonnegative().nullable().default(null),
  })
  .superRefine((d, ctx) => {
    const need = (key: 'site' | 'gate' | 'terminal') => {
      if (d[key] === undefined)
        ctx.addIssue({ code: 'custom', path: [key], message: `required for role ${d.role}` });
    };
    if (d.role === 'gate') {
      need('site');
      need('gate');
      need('terminal');
    }
    if (d.role === 'dashboard') need('site');
  });
export type DeviceCredential = z.infer<typeof DeviceCredential>;

export const CredentialsFile = z
  .object({
    v: z.literal(1),
    devices: z.array(DeviceCredential),
  })
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    f.devices.forEach((d, i) => {
      if (seen.has(d.id))
        ctx.addIssue({ code: 'custom', path: ['devices', i, 'id'], message: `duplicate device id ${d.id}` });
      seen.add(d.id);
    });
  });
export type CredentialsFile = z.infer<typeof CredentialsFile>;
