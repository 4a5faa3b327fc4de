/**
 * The roster and the hub's admin functions: GET /api/access-list (HR, admins: the retained
 * snapshot seen on MQTT), POST /api/access-list/import (text/csv), device credentials. The last
 * four go through the SiteAdmin adapter; without one they answer 503 TG_DASH_SITE_ADMIN_UNAVAILABLE.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ID_PATTERN } from '../../../protocols/topics.ts';
import type { RouteContext } from '../context.ts';
import { DashboardError, DashErrorCode, isCodedError } from '../errors.ts';
import type { SiteAdmin } from '../site-admin.ts';
import {
  canonicalCsv,
  type ImportLineError,
  mergeRows,
  parseAccessListFile,
  rowsFromEntries,
  shrinksTooMuch,
} from '../access-list-import.ts';
import { ADMIN, actorOf, HR } from './common.ts';
import { AccessListAnswer, AccessListImported, DeviceCreated, DeviceView, Ok } from '../responses.ts';

const Id = z.string().regex(ID_PATTERN, 'letters, digits, "_" or "-" (1 to 64)');
const NewDevice = z.object({
  id: Id,
  role: z.enum(['gate', 'terminal', 'dashboard', 'service']),
  site: Id.optional(),
  gate: Id.optional(),
  terminal: Id.optional(),
});
const CSV_LIMIT = 16 * 1024 * 1024;

/** The hub's refusals (duplicate device, bad binding, locked list) become answers, not 500s. */
function refused(e: unknown): never {
  if (isCodedError(e)) throw e;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('TG_')) {
    const conflict = /CONFLICT|LOCKED/.test(code);
    throw new DashboardError(
      conflict ? 'TG_DASH_SITE_ADMIN_CONFLICT' : 'TG_DASH_SITE_ADMIN_REFUSED',
      conflict ? 409 : 400,
      (e as Error).message,
      { cause: code },
    );
  }
  throw e;
}

export function siteAdminRoutes(ctx: RouteContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    const admin = (): SiteAdmin => {
      if (!ctx.siteAdmin)
        throw new DashboardError(
          DashErrorCode.SITE_ADMIN_UNAVAILABLE,
          503,
          'this dashboard runs without the site hub: access list import and devices are managed there',
        );
      return ctx.siteAdmin;
    };
    // Scoped to this plugin so other modules may register their own text/csv parser. The raw
    // bytes: a string parser would already have replaced a GBK file's bytes with U+FFFD.
    root.addContentTypeParser(
      ['text/csv', 'application/csv'],
      { parseAs: 'buffer', bodyLimit: CSV_LIMIT },
      (_req, body, done) => done(null, body),
    );

    app.get(
      '/api/access-list',
      {
        config: { roles: HR },
        schema: {
          summary: 'Who may enter: the access list the gates hold',
          response: { 200: AccessListAnswer },
        },
      },
      async () => {
        const s = ctx.board.roster();
        return s ?? { v: 1 as const, version: null, issuedAt: null, entries: [] };
      },
    );

    app.post(
      '/api/access-list/import',
      {
        config: { roles: ADMIN },
        bodyLimit: CSV_LIMIT,
        schema: {
          summary:
            "Import HR's CSV (UTF-8 or GBK; 工号/employeeNo, 姓名, 部门, 类型, 生效时间, 失效时间); all or nothing. A file much smaller than the roster needs mode=replace or mode=merge",
          consumes: ['text/csv'],
          querystring: z.object({ mode: z.enum(['replace', 'merge']).optional() }),
          response: { 200: AccessListImported },
        },
      },
      async (req) => {
        const site = admin();
        if (!Buffer.isBuffer(req.body) || req.body.length === 0)
          throw new DashboardError(
            DashErrorCode.BAD_REQUEST,
            400,
            'send the CSV as the body (content-type text/csv)',
          );
        const refuse = (errors: ImportLineError[]): never => {
          ctx.audit.write(actorOf(req), 'access-list.import-refused', 'access-list', {
            errors: errors.length,
          });
          throw new DashboardError(
            DashErrorCode.ACCESS_LIST_INVALID,
            400,
            `nothing imported: ${errors.length} bad line(s)`,
            { errors },
          );
        };
        const parsed = parseAccessListFile(req.body);
        if ('errors' in parsed) return refuse(parsed.errors);
        const current = ctx.board.roster()?.entries ?? [];
        const mode = req.query.mode;
        if (!mode && shrinksTooMuch(current.length, parsed.rows.length))
          throw new DashboardError(
            DashErrorCode.ACCESS_LIST_SHRINKS,
            409,
            `the file lists ${parsed.rows.length} people, the access list has ${current.length}: say mode=replace or mode=merge`,
            { current: current.length, incoming: parsed.rows.length },
          );
        const rows = mode === 'merge' ? mergeRows(rowsFromEntries(current), parsed.rows) : parsed.rows;
        const r = await site.importAccessList(canonicalCsv(rows)).catch(refused);
        if ('errors' in r)
          // The hub read the canonical file: its line n is row n - 1 of `rows` (a merge adds rows
          // of the roster, which have no line in the admin's file).
          return refuse(
            r.errors.map((e) => ({
              line: mode === 'merge' ? 0 : (parsed.lines[e.line - 2] ?? 0),
              problem: 'hub' as const,
              message: e.message,
            })),
          );
        ctx.audit.write(actorOf(req), 'access-list.import', 'access-list', {
          ...r,
          mode: mode ?? 'replace',
          fileRows: parsed.rows.length,
          before: current.length,
          encoding: parsed.encoding,
        });
        return { ...r, mode: mode ?? 'replace', fileRows: parsed.rows.length, before: current.length };
      },
    );

    app.get(
      '/api/devices',
      {
        config: { roles: ADMIN },
        schema: {
          summary: 'Device credentials on the hub (no secrets)',
          response: { 200: z.array(DeviceView) },
        },
      },
      async () => admin().listDevices(),
    );

    app.post(
      '/api/devices',
      {
        config: { roles: ADMIN },
        schema: {
          summary: 'Add a device; its generated password is in the answer, only this once',
          body: NewDevice,
          response: { 201: DeviceCreated },
        },
      },
      async (req, reply) => {
        const { password } = await admin().addDevice(req.body).catch(refused);
        ctx.audit.write(actorOf(req), 'device.add', req.body.id, {
          role: req.body.role,
          gate: req.body.gate ?? null,
        });
        reply.header('cache-control', 'no-store');
        return reply.code(201).send({ id: req.body.id, password });
      },
    );

    app.post(
      '/api/devices/:id/revoke',
      {
        config: { roles: ADMIN },
        schema: {
          summary: 'Revoke a device (the hub disconnects it)',
          params: z.object({ id: Id }),
          response: { 200: Ok },
        },
      },
      async (req) => {
        const site = admin();
        // The hub's store calls an unknown id a conflict (its CLI exits 3); over HTTP it is a 404.
        if (!(await site.listDevices()).some((d) => d.id === req.params.id))
          throw new DashboardError(DashErrorCode.NOT_FOUND, 404, `no device ${req.params.id}`);
        await site.revokeDevice(req.params.id).catch(refused);
        ctx.audit.write(actorOf(req), 'device.revoke', req.params.id);
        return { ok: true as const };
      },
    );
  };
}
