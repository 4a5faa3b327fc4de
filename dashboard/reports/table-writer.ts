/**
 * One export, two formats: the export code writes tables and rows; a TableWriter turns them into
 * CSV or XLSX bytes on a stream that is the HTTP reply. Both wait while the client is slower
 * than the store (the stream's buffer is full), so what is held stays bounded; both stop with
 * ExportAborted when the client went away.
 *
 * XLSX: exceljs' streaming WorkbookWriter (rows committed as written, inline strings, zip level
 * 1: a month of a large site is mostly XML that compresses well even at the fastest level).
 * exceljs hands a worksheet's XML to the zip without ever waiting for it, so a fast store would
 * pile the uncompressed month up in memory in front of the compressor: the writer watches that
 * queue (the sheet's pipe into the zip) and waits while it is above XLSX_BACKLOG_BYTES.
 */
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { PassThrough, type Readable } from 'node:stream';
import type ExcelJS from 'exceljs';
import { formatTenths } from '../../protocols/temperature.ts';
import { BOM, CRLF, csvField } from './csv.ts';

/**
 * text: people's words (neutralized in CSV); temp: tenths of °C; int: a count; code: our own
 * values; date 'YYYY-MM-DD', time 'HH:MM[:SS]' (site time): real dates and times in XLSX, a
 * word in their place (缺测) stays a word; value: a number stays a number, anything else is text.
 */
export type CellKind = 'text' | 'temp' | 'int' | 'code' | 'date' | 'time' | 'value';
export interface Column {
  key: string;
  header: string;
  kind: CellKind;
  width?: number;
}
export type Cell = string | number | null;

export type ExportFormat = 'csv' | 'xlsx';

export interface TableWriter {
  readonly format: ExportFormat;
  readonly contentType: string;
  /** The bytes: send it as the reply. */
  readonly stream: Readable;
  /** Starts a table: a worksheet in XLSX; in CSV a blank line (after the first) and a header row. */
  table(name: string, columns: readonly Column[]): Promise<void>;
  row(cells: readonly Cell[]): Promise<void>;
  end(): Promise<void>;
  /** Ends the reply broken (the client sees a cut-off download, not a complete-looking file). */
  fail(err: Error): void;
}

export class ExportAborted extends Error {
  constructor() {
    super('the client went away');
    this.name = 'ExportAborted';
  }
}

/**
 * Waits until the stream's buffer drained, or throws if the stream is gone. Always lets the event
 * loop turn: an export must not hold up the guards' live feed and alerts served beside it.
 */
async function drained(s: PassThrough): Promise<void> {
  if (s.destroyed) throw new ExportAborted();
  if (!s.writableNeedDrain) {
    await new Promise((r) => setImmediate(r));
    return;
  }
  const ac = new AbortController();
  try {
    await Promise.race([once(s, 'drain', { signal: ac.signal }), once(s, 'close', { signal: ac.signal })]);
  } finally {
    ac.abort();
  }
  if (s.destroyed) throw new ExportAborted();
}

const FLUSH_BYTES = 64 * 1024;
/** Uncompressed XML allowed to wait in front of the zip compressor. */
const XLSX_BACKLOG_BYTES = 4 * 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class CsvWriter implements TableWriter {
  readonly format = 'csv';
  readonly contentType = 'text/csv; charset=utf-8';
  readonly stream = new PassThrough();
  private buf = BOM;
  private kinds: CellKind[] = [];
  private tables = 0;

  async table(_name: string, columns: readonly Column[]): Promise<void> {
    if (this.tables++ > 0) this.buf += CRLF;
    this.kinds = columns.map((c) => c.kind);
    this.buf += columns.map((c) => csvField(c.header)).join(',') + CRLF;
  }

  async row(cells: readonly Cell[]): Promise<void> {
    let line = '';
    for (let i = 0; i < cells.length; i++) {
      const v = cells[i] ?? null;
      const kind = this.kinds[i] ?? 'text';
      if (i > 0) line += ',';
      if (v === null) continue;
      if (kind === 'temp') line += formatTenths(v as number);
      else if (kind === 'int' || (kind === 'value' && typeof v === 'number')) line += String(v);
      else line += csvField(v, kind === 'code' || kind === 'date' || kind === 'time' ? 'number' : 'text');
    }
    this.buf += line + CRLF;
    if (this.buf.length >= FLUSH_BYTES) await this.flush();
  }

  async end(): Promise<void> {
    await this.flush();
    this.stream.end();
  }

  fail(err: Error): void {
    this.stream.destroy(err);
  }

  private async flush(): Promise<void> {
    if (this.stream.destroyed) throw new ExportAborted();
    if (this.buf.length > 0) this.stream.write(this.buf);
    this.buf = '';
    await drained(this.stream);
  }
}

const NUM_FMT: Partial<Record<CellKind, string>> = { temp: '0.0', date: 'yyyy-mm-dd', time: 'hh:mm:ss' };

/** 'YYYY-MM-DD' (+ time) as Excel's serial day number (days since 1899-12-30), no time zone involved. */
function excelSerial(day: string, time: string): number | null {
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const t = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(time);
  if (!d || !t) return null;
  const ms = Date.UTC(
    Number(d[1]),
    Number(d[2]) - 1,
    Number(d[3]),
    Number(t[1]),
    Number(t[2]),
    Number(t[3] ?? 0),
  );
  return ms / 86_400_000 + 25_569;
}

/** 'HH:MM[:SS]' as Excel's fraction of a day. */
function excelTime(time: string): number | null {
  const t = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(time);
  if (!t) return null;
  return (Number(t[1]) * 3600 + Number(t[2]) * 60 + Number(t[3] ?? 0)) / 86_400;
}

/** Worksheet names: at most 31 characters, none of []:*?/\ */
const sheetName = (s: string): string => s.replace(/[[\]:*?/\\]/g, ' ').slice(0, 31) || 'Sheet';

/**
 * exceljs is loaded at the first XLSX export, not when the site process starts: it is about a
 * second of a hub's start-up (bench/NOTES.md, back after a power cut) that no gate waits for.
 */
let excel: typeof ExcelJS | undefined;
const loadExcel = (): typeof ExcelJS => {
  excel ??= createRequire(import.meta.url)('exceljs') as typeof ExcelJS;
  return excel;
};

class XlsxWriter implements TableWriter {
  readonly format = 'xlsx';
  readonly contentType = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  readonly stream = new PassThrough();
  private readonly wb: ExcelJS.stream.xlsx.WorkbookWriter;
  private sheet: ExcelJS.Worksheet | null = null;
  private kinds: CellKind[] = [];
  private rows = 0;

  constructor() {
    this.wb = new (loadExcel().stream.xlsx.WorkbookWriter)({
      stream: this.stream,
      useStyles: true,
      useSharedStrings: false,
      zip: { zlib: { level: 1 } },
    });
    this.wb.creator = 'ThermoGate';
  }

  async table(name: string, columns: readonly Column[]): Promise<void> {
    this.sheet?.commit();
    const sheet = this.wb.addWorksheet(sheetName(name), { views: [{ state: 'frozen', ySplit: 1 }] });
    sheet.columns = columns.map((c) => ({
      header: c.header,
      key: c.key,
      width: c.width ?? Math.max(10, Math.min(40, c.header.length + 4)),
      ...(NUM_FMT[c.kind] ? { style: { numFmt: NUM_FMT[c.kind] } } : {}),
    }));
    this.kinds = columns.map((c) => c.kind);
    this.sheet = sheet;
  }

  async row(cells: readonly Cell[]): Promise<void> {
    // Text is written as a string cell, which Excel never evaluates: the formula guard's
    // apostrophe belongs to CSV only (in a cell it would be part of the person's name).
    const values = cells.map((v, i) => {
      if (v === null) return null;
      const kind = this.kinds[i];
      if (kind === 'temp') return (v as number) / 10;
      if (kind === 'date' && typeof v === 'string') return excelSerial(v, '00:00:00') ?? v;
      if (kind === 'time' && typeof v === 'string') return excelTime(v) ?? v;
      return v;
    });
    (this.sheet as ExcelJS.Worksheet).addRow(values).commit();
    if (++this.rows % 200 === 0) {
      while (this.backlog() > XLSX_BACKLOG_BYTES) {
        if (this.stream.destroyed) throw new ExportAborted();
        await sleep(2);
      }
      await drained(this.stream);
    }
  }

  /**
   * Bytes of sheet XML queued for the compressor. exceljs' WorksheetWriter pipes its `stream`
   * into archiver's input (a readable-stream 2 PassThrough: no writableLength, hence the
   * states); if a later exceljs changes that shape this answers 0 and the export still works,
   * only without the bound.
   */
  private backlog(): number {
    type State = { length?: number } | undefined;
    const pipe = (this.sheet as unknown as { stream?: { pipes?: unknown[] } } | null)?.stream?.pipes?.[0] as
      | { _writableState?: State; _readableState?: State }
      | undefined;
    return (pipe?._writableState?.length ?? 0) + (pipe?._readableState?.length ?? 0);
  }

  async end(): Promise<void> {
    this.sheet?.commit();
    await this.wb.commit();
  }

  fail(err: Error): void {
    this.stream.destroy(err);
  }
}

export function tableWriter(format: ExportFormat): TableWriter {
  return format === 'csv' ? new CsvWriter() : new XlsxWriter();
}
