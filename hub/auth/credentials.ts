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
import { DEFAULT_SCRYPT, GENERATED_SCRYPT, generatePassword, hashPassword } from './password.ts';

export interface NewDevice {
  id: string;
  role: DeviceRole;
  site?: string;
  gate?: string;
  terminal?: string;
  clientIds?: string[];
}

export class CredentialsStore {
  private devices_ = new Map<string, DeviceCredential>();
  /** Who owns which client ids, built on first use after the list changed. */
  private owners: ClientIdOwners | undefined;
  private stamp = '';

  private get devices(): Map<string, DeviceCredential> {
    return this.devices_;
  }

  private set devices(d: Map<string, DeviceCredential>) {
    this.devices_ = d;
    this.owners = undefined;
  }

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

  /**
   * The active device a client id belongs to (used for wills published after a hub restart, and
   * for every stored subscription). Indexed: it is asked for each of every client's subscriptions,
   * and a scan of all devices per question made a hub restart with 1,000 gates quadratic.
   */
  byClientId(clientId: string): DeviceCredential | undefined {
    const direct = this.devices.get(clientId);
    if (direct && direct.revokedAt === null) return direct;
    this.owners ??= new ClientIdOwners(this.devices.values());
    return this.owners.owner(clientId);
  }

  list(): DeviceCredential[] {
    return [...this.devices.values()];
  }

  /**
   * Adds a device with a password the hub generates (shown once to whoever adds it): hashed at
   * GENERATED_SCRYPT, or this store's parameters when they are cheaper still (tests).
   */
  async addGenerated(
    dev: NewDevice,
    now = Date.now(),
  ): Promise<{ entry: DeviceCredential; password: string }> {
    const password = generatePassword();
    const params = this.scryptParams.N < GENERATED_SCRYPT.N ? this.scryptParams : GENERATED_SCRYPT;
    return { entry: await this.add(dev, password, now, params), password };
  }

  /** Adds a device; returns its entry. The password is hashed here and never stored. */
  async add(
    dev: NewDevice,
    password: string,
    now = Date.now(),
    params: { N: number; r: number; p: number } = this.scryptParams,
  ): Promise<DeviceCredential> {
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
      secret: await hashPassword(password, params),
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

/**
 * The owners of client ids other than a device's own id (acl.ts clientIdAllowed): the ids listed
 * in a device's entry and a gate's edge id, exactly; a dashboard's or service's `{id}-…`, by
 * prefix. The most specific owner (the longest device id) wins, the first listed among equals.
 */
class ClientIdOwners {
  private readonly exact = new Map<string, Array<[number, DeviceCredential]>>();
  private readonly prefixed = new Map<string, [number, DeviceCredential]>();

  constructor(devices: Iterable<DeviceCredential>) {
    let order = 0;
    for (const d of devices) {
      const n = order++;
      if (d.revokedAt !== null) continue;
      const ids = new Set([d.id, ...(d.clientIds ?? [])]);
      if (d.role === 'gate') ids.add(`tg-edge-${d.site}-${d.gate}`);
      for (const id of ids) {
        const list = this.exact.get(id) ?? [];
        list.push([n, d]);
        this.exact.set(id, list);
      }
      if ((d.role === 'dashboard' || d.role === 'service') && !this.prefixed.has(d.id))
        this.prefixed.set(d.id, [n, d]);
    }
  }

  owner(clientId: string): DeviceCredential | undefined {
    let best: [number, DeviceCredential] | undefined;
    const consider = (c: [number, DeviceCredential]) => {
      if (!clientIdAllowed(c[1], clientId)) return;
      if (
        !best ||
        c[1].id.length > best[1].id.length ||
        (c[1].id.length === best[1].id.length && c[0] < best[0])
      )
        best = c;
    };
    for (const c of this.exact.get(clientId) ?? []) consider(c);
    for (let i = clientId.indexOf('-'); i > 0; i = clientId.indexOf('-', i + 1)) {
      const c = this.prefixed.get(clientId.slice(0, i));
      if (c) consider(c);
    }
    return best?.[1];
  }
}
