/**
 * The credentials file: read by the hub (and re-read when it changes, so `device add|revoke` takes
 * effect without a restart), written by the device CLI. Writes go to a temp file renamed over the
 * old one, mode 0600: a crash leaves the old file or the new one, and only the owner can read it.
 */
import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { CredentialsFile, type DeviceCredential, type DeviceRole } from '../../protocols/hub/credentials.ts';
import { describeIssues } from '../../protocols/parse.ts';
import { HubError, HubErrorCode } from '../errors.ts';
import { clientIdAllowed } from './acl.ts';
import { DEFAULT_SCRYPT, hashPassword } from './password.ts';

export interface NewDevice {
  id: string;
  role: DeviceRole;
  site?: string;
  gate?: string;
  terminal?: string;
  clientIds?: string[];
}

export class CredentialsStore {
  private devices = new Map<string, DeviceCredential>();
  private stamp = '';

  constructor(
    readonly path: string,
    private readonly scryptParams: { N: number; r: number; p: number } = DEFAULT_SCRYPT,
  ) {}

  /** Reads the file; a missing file is an empty list only when `allowMissing` (the CLI creating it). */
  load(opts: { allowMissing?: boolean } = {}): this {
    if (!existsSync(this.path)) {
      if (!opts.allowMissing)
        throw new HubError(
          HubErrorCode.CREDENTIALS_INVALID,
          `${this.path}: no such file (create it with \`device add\`)`,
        );
      this.devices = new Map();
      this.stamp = '';
      return this;
    }
    const stamp = this.fileStamp();
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (e) {
      throw new HubError(HubErrorCode.CREDENTIALS_INVALID, `${this.path}: ${(e as Error).message}`);
    }
    const r = CredentialsFile.safeParse(raw);
    if (!r.success)
      throw new HubError(HubErrorCode.CREDENTIALS_INVALID, `${this.path}: ${describeIssues(r.error.issues)}`);
    this.devices = new Map(r.data.devices.map((d) => [d.id, d]));
    this.stamp = stamp;
    return this;
  }

  /** Re-reads the file when its size or mtime changed. Returns true when it did. Keeps the old list on a bad file. */
  reloadIfChanged(): boolean {
    if (!existsSync(this.path) || this.fileStamp() === this.stamp) return false;
    this.load();
    return true;
  }

  get(id: string): DeviceCredential | undefined {
    return this.devices.get(id);
  }

  /** The active device a client id belongs to (used for wills published after a hub restart). */
  byClientId(clientId: string): DeviceCredential | undefined {
    const direct = this.devices.get(clientId);
    if (direct && direct.revokedAt === null) return direct;
    // The most specific owner wins: 'dash-ops-1' is dash-ops's, not dash's.
    let best: DeviceCredential | undefined;
    for (const d of this.devices.values())
      if (d.revokedAt === null && clientIdAllowed(d, clientId) && (!best || d.id.length > best.id.length))
        best = d;
    return best;
  }

  list(): DeviceCredential[] {
    return [...this.devices.values()];
  }

  /** Adds a device; returns its entry. The password is hashed here and never stored. */
  async add(dev: NewDevice, password: string, now = Date.now()): Promise<DeviceCredential> {
    const existing = this.devices.get(dev.id);
    if (existing && existing.revokedAt === null)
      throw new HubError(
        HubErrorCode.DEVICE_CONFLICT,
        `device ${dev.id} exists; revoke it first to replace its password`,
      );
    const entry: DeviceCredential = {
      id: dev.id,
      role: dev.role,
      ...(dev.site ? { site: dev.site } : {}),
      ...(dev.gate ? { gate: dev.gate } : {}),
      ...(dev.terminal ? { terminal: dev.terminal } : {}),
      ...(dev.clientIds?.length ? { clientIds: dev.clientIds } : {}),
      secret: await hashPassword(password, this.scryptParams),
      createdAt: now,
      revokedAt: null,
    };
    const next = new Map(this.devices);
    next.set(dev.id, entry);
    this.save(next);
    return entry;
  }

  revoke(id: string, now = Date.now()): DeviceCredential {
    const d = this.devices.get(id);
    if (!d) throw new HubError(HubErrorCode.DEVICE_CONFLICT, `no device ${id}`);
    if (d.revokedAt !== null) return d;
    const next = new Map(this.devices);
    const revoked = { ...d, revokedAt: now };
    next.set(id, revoked);
    this.save(next);
    return revoked;
  }

  private save(devices: Map<string, DeviceCredential>): void {
    const file: CredentialsFile = { v: 1, devices: [...devices.values()] };
    // Validate what we write: an invalid file would lock every device out at the next reload.
    const r = CredentialsFile.safeParse(file);
    if (!r.success) throw new HubError(HubErrorCode.CREDENTIALS_INVALID, describeIssues(r.error.issues));
    const tmp = `${this.path}.tmp-${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.path);
    this.devices = devices;
    this.stamp = this.fileStamp();
  }

  private fileStamp(): string {
    const s = statSync(this.path);
    return `${s.size}:${s.mtimeMs}:${s.ino}`;
  }
}
