/**
 * What the pages read from the server's JSON: the types of the routes' own response schemas
 * (dashboard/server/responses.ts and the reports' modules), never copied by hand. Type-only
 * imports: esbuild erases them, so nothing of zod or the server ends up in the bundle.
 */
import type { z } from 'zod';
import type { AbsenceView, DeclarationView } from '../../reports/hr-routes.ts';
import type { DailyAnswer as DailyAnswerSchema } from '../../reports/routes.ts';
import type { VisitorView as VisitorViewSchema } from '../../reports/visitors.ts';
import type {
  AccessListImported as AccessListImportedSchema,
  DeviceView as DeviceViewSchema,
  SelfReportImport,
  SessionAnswer,
  SiteDayAnswer as SiteDayAnswerSchema,
  UserView as UserViewSchema,
} from '../../server/responses.ts';

export type { AlertState, Disposition } from '../../../protocols/dashboard/messages.ts';
export type { DecisionMessage, PersonSyncStatus, ReadingRecord } from '../../../protocols/gate/messages.ts';
export type { PersonHold } from '../../../protocols/site/holds.ts';
export type { SitePolicy } from '../../../protocols/site/policy.ts';
export type {
  CommandKind,
  CommandStateName,
  CommandView,
  GateTile,
  HoldRequestView,
  HoldsAnswer,
  LastPassage,
  RoomOccupant,
  RoomView,
  SessionUser,
  TerminalInfo,
} from '../../server/responses.ts';

/** GET /api/me, POST /api/login. */
export type Me = z.infer<typeof SessionAnswer>;
export type Role = Me['user']['role'];
export type UserView = z.infer<typeof UserViewSchema>;
export type DeviceView = z.infer<typeof DeviceViewSchema>;
export type AccessListImported = z.infer<typeof AccessListImportedSchema>;
export type VisitorView = z.infer<typeof VisitorViewSchema>;
export type Absence = z.infer<typeof AbsenceView>;
export type Declaration = z.infer<typeof DeclarationView>;
export type DailyAnswer = z.infer<typeof DailyAnswerSchema>;
export type ImportResult = z.infer<typeof SelfReportImport>;
/** GET /api/reports/site-day/:date (with limit: a page of the rows, `page` and `counts`). */
export type SiteDayAnswer = z.infer<typeof SiteDayAnswerSchema>;
