/**
 * The `opcua` section of the hub's config (hub/config/schema.ts). Pure zod, no node-opcua: the
 * config is validated whether or not the server runs, and node-opcua is only loaded when enabled.
 */
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { ScryptSecret } from '../../protocols/hub/credentials.ts';

/** 57 characters at most: `opcua:<username>` must fit GateCommand.by and AlertAckRequest.by (64). */
const Username = z
  .string()
  .regex(/^[A-Za-z0-9_.@-]{1,57}$/, 'letters, digits, "_", ".", "@" or "-" (1 to 57)');

export const OpcuaRole = z.enum(['operator', 'viewer']);
export type OpcuaRole = z.infer<typeof OpcuaRole>;

const User = z
  .object({
    username: Username,
    /** A file holding the password (first line), e.g. a mounted secret; mode 0600, outside the repo. */
    passwordFile: z.string().min(1).optional(),
    /** Or its scrypt hash: `npx tsx hub/opcua/hash-password.ts < file` prints one. */
    passwordHash: ScryptSecret.optional(),
    password: z
      .never({ error: 'plaintext passwords are not accepted: use passwordFile or passwordHash' })
      .optional(),
    /** operator: may call the gate methods and acknowledge alarms; viewer: read-only. */
    roles: z.array(OpcuaRole).min(1),
  })
  .strict()
  .refine((u) => (u.passwordFile === undefined) !== (u.passwordHash === undefined), {
    message: 'exactly one of passwordFile or passwordHash',
    path: ['passwordFile'],
  });
export type OpcuaUser = z.infer<typeof User>;

export const SecurityPolicyName = z.enum([
  'None',
  'Basic256Sha256',
  'Aes128_Sha256_RsaOaep',
  'Aes256_Sha256_RsaPss',
]);
export const SecurityModeName = z.enum(['None', 'Sign', 'SignAndEncrypt']);
export type SecurityModeName = z.infer<typeof SecurityModeName>;

export const OpcuaConfig = z
  .object({
    enabled: z.boolean().default(false),
    /** Address to bind; default every interface. */
    host: z.string().min(1).optional(),
    /** 0 = any free port (tests). */
    port: z.number().int().min(0).max(65535).default(4840),
    /** Host name put in endpoint URLs and the server certificate; default the machine's own name. */
    hostname: z.string().min(1).optional(),
    /** Anonymous sessions: browse, read and subscribe only. */
    allowAnonymous: z.boolean().default(true),
    users: z.array(User).default([]),
    securityPolicies: z.array(SecurityPolicyName).min(1).default(['None', 'Basic256Sha256']),
    securityModes: z.array(SecurityModeName).min(1).default(['None', 'Sign', 'SignAndEncrypt']),
    /**
     * The weakest channel on which an operator may act (methods, acknowledge). On a None channel
     * the session token travels in clear and could be replayed, so the default asks for Sign.
     */
    operatorSecurityMode: SecurityModeName.default('Sign'),
    /** Server certificate, private key, trusted/rejected client certificates; default `<persistenceDir>/opcua-pki`. */
    certificateFolder: z.string().min(1).optional(),
    /**
     * Trust every client certificate on first sight (tests, commissioning). Off: an unknown client
     * certificate lands in `<certificateFolder>/server/rejected` until an admin moves it to
     * `server/trusted/certs`.
     */
    trustUnknownClientCertificates: z.boolean().default(false),
    /** How long a method waits for the gate's command-ack before answering BadTimeout. */
    commandTimeoutMs: z.number().int().min(100).max(60_000).default(5000),
    /** EURange of LastTemperature, °C (display only: the gates decide). */
    temperatureRange: z
      .object({ low: z.number(), high: z.number() })
      .refine((r) => r.low < r.high, 'low must be below high')
      .default({ low: 30, high: 45 }),
  })
  .strict()
  .superRefine((c, ctx) => {
    const names = c.users.map((u) => u.username);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) ctx.addIssue({ code: 'custom', message: `user ${dup} listed twice`, path: ['users'] });
    const secureModes = c.securityModes.some((m) => m !== 'None');
    const securePolicies = c.securityPolicies.some((p) => p !== 'None');
    if (c.securityModes.includes('None') !== c.securityPolicies.includes('None'))
      ctx.addIssue({
        code: 'custom',
        message: 'security mode None and security policy None go together',
        path: ['securityModes'],
      });
    if (secureModes !== securePolicies)
      ctx.addIssue({
        code: 'custom',
        message: 'Sign/SignAndEncrypt need a policy other than None, and the other way round',
        path: ['securityPolicies'],
      });
    if (!c.allowAnonymous && c.users.length === 0)
      ctx.addIssue({
        code: 'custom',
        message: 'no anonymous access and no users: nobody could connect',
        path: ['users'],
      });
  });
export type OpcuaConfig = z.infer<typeof OpcuaConfig>;
export type OpcuaConfigInput = z.input<typeof OpcuaConfig>;

export function certificateFolder(c: OpcuaConfig, persistenceDir: string): string {
  const f = c.certificateFolder ?? join(persistenceDir, 'opcua-pki');
  return isAbsolute(f) ? f : join(process.cwd(), f);
}
