/**
 * The cluster's bus: one Redis stream per process (its inbox).
 *
 * - Writers append with `XADD ... NOMKSTREAM`, so a message for a process
 *   that is gone (its inbox expired) is not stored, and the writer learns it.
 * - The owner reads its inbox with one blocking XREAD on a connection of its
 *   own and trims what it has read, so an inbox holds only what is in flight.
 * - The inbox has a TTL that the owner renews; after a crash it disappears by
 *   itself. If Redis comes back empty, the next renewal recreates it.
 * - When the connection to the inbox fails (Redis restarts, or fails over to
 *   a replica that may lack the last writes), reading stops until it is back;
 *   then the read position is brought back to what the inbox holds, and the
 *   owner hears that messages may have been lost, so its sessions can fill
 *   the gaps by their offsets (output by a re-attach, input by `input-sync`).
 */
import { EventEmitter } from 'node:events';
import { isCluster, type RedisClient } from '../redis/connection.js';
import type { Bus, Envelope } from './bus.js';
import { decodeEnvelope, encodeEnvelope } from './codec.js';
import type { KeyLayout } from './keys.js';
import type { BusMessage, InboxAddress } from './messages.js';
import type { LossCause } from './bus.js';

const TRIM_INTERVAL_MS = 20;

export interface RedisBusOptions {
  address: InboxAddress;
  keys: KeyLayout;
  /** For XADD, XTRIM and renewals. */
  commands: RedisClient;
  /** Dedicated to the blocking XREAD. */
  reader: RedisClient;
  inboxTtlMs: number;
  /** Entries fetched per XREAD. */
  batchSize?: number;
}

export interface RedisBusEvents {
  /** A failure of a background loop: logged by the owner, never thrown. */
  error: [error: Error, context: string];
  /**
   * Messages sent to this inbox may have been lost: Redis lost the inbox and
   * it has been recreated, or the connection failed and reads again (perhaps
   * from a promoted replica).
   */
  'messages-lost': [cause: LossCause];
  /** The inbox cannot be read (false: Redis is away), or can again (true). */
  reachable: [reachable: boolean];
}

export class RedisBus<Out extends BusMessage> extends EventEmitter<RedisBusEvents> implements Bus<Out> {
  readonly address: InboxAddress;
  private readonly inboxKey: string;
  private lastId = '$';
  private closed = false;
  /** Set when the connection to the inbox failed: reading waits for Redis, and reconciles first. */
  private interrupted = false;
  private recovery: Promise<void> | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private trimTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: RedisBusOptions) {
    super();
    this.address = options.address;
    this.inboxKey = options.keys.inbox(options.address);
    // One server (direct or via Sentinel): the reader's connection drops and
    // comes back, and ioredis sends the read in flight again by itself. A
    // Redis Cluster client stays up while a node fails, and retries the read
    // on the replica that takes over: a node leaving it, and its slot map
    // changing, tell. (Any node: which one held the inbox is not worth
    // knowing for a rare event.) A read that fails outright tells too (readLoop).
    const [lost, back] = isCluster(options.reader) ? (['-node', 'refresh'] as const) : (['close', 'ready'] as const);
    options.reader.on(lost, () => this.interrupt());
    options.reader.on(back, () => {
      // A recovery that fails is tried again by the read loop, before its next read.
      if (this.interrupted) this.recover().catch((error: Error) => this.emit('error', error, 'inbox recovery'));
    });
  }

  /** Creates the inbox and starts renewing its TTL. Call before announcing the address. */
  async open(): Promise<void> {
    this.lastId = await this.createInbox();
    this.renewTimer = setInterval(() => void this.renewInbox(), Math.max(250, Math.floor(this.options.inboxTtlMs / 4)));
    this.renewTimer.unref();
  }

  async post(to: InboxAddress, message: Out): Promise<boolean> {
    const fields = encodeEnvelope({ from: this.address, message });
    const id = await this.options.commands.xadd(this.options.keys.inbox(to), 'NOMKSTREAM', '*', ...fields);
    return id !== null;
  }

  onMessagesLost(listener: (cause: LossCause) => void): void {
    this.on('messages-lost', listener);
  }

  onReachable(listener: (reachable: boolean) => void): void {
    this.on('reachable', listener);
  }

  async isAlive(address: InboxAddress): Promise<boolean> {
    return (await this.options.commands.exists(this.options.keys.inbox(address))) === 1;
  }

  listen(handler: (envelope: Envelope) => void): void {
    void this.readLoop(handler);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.renewTimer);
    clearTimeout(this.trimTimer);
    this.options.reader.disconnect();
    await this.options.commands.del(this.inboxKey).catch(() => undefined);
  }

  /**
   * `XADD MAXLEN 1` leaves the stream holding one marker entry, and its id
   * is where reading starts. Never empty: Redis 7.0 does not replicate an
   * empty stream, so an empty inbox would be missing on a promoted replica
   * (trimming keeps the last entry read, so the inbox never empties later).
   */
  private async createInbox(): Promise<string> {
    const reply = await this.options.commands
      .multi()
      .xadd(this.inboxKey, 'MAXLEN', '1', '*', 'v', '0')
      .pexpire(this.inboxKey, this.options.inboxTtlMs)
      .exec();
    const id = reply?.[0]?.[1];
    if (typeof id !== 'string') throw new Error(`could not create inbox ${this.inboxKey}`);
    return id;
  }

  private async renewInbox(): Promise<void> {
    try {
      const renewed = await this.options.commands.pexpire(this.inboxKey, this.options.inboxTtlMs);
      // Redis lost the key (a restart without persistence, a replica that
      // never had it): recover as after a failed connection, which recreates it.
      if (renewed === 0 && !this.closed) {
        this.interrupt();
        await this.recover();
      }
    } catch (error) {
      this.emit('error', error as Error, 'inbox renewal');
    }
  }

  private async readLoop(handler: (envelope: Envelope) => void): Promise<void> {
    const batchSize = this.options.batchSize ?? 256;
    while (!this.closed) {
      let reply: [Buffer, [Buffer, Buffer[]][]][] | null;
      try {
        if (this.interrupted) await this.recover();
        reply = await this.options.reader.xreadBuffer('COUNT', batchSize, 'BLOCK', 0, 'STREAMS', this.inboxKey, this.lastId);
      } catch (error) {
        if (this.closed) return;
        this.interrupt();
        this.emit('error', error as Error, 'inbox read');
        await new Promise((resolve) => setTimeout(resolve, 250));
        continue;
      }
      const entries = reply?.[0]?.[1];
      if (!entries || entries.length === 0) continue;
      for (const [id, fields] of entries) {
        this.lastId = id.toString();
        if (isMarker(fields)) continue;
        let envelope: Envelope;
        try {
          // A stream entry id starts with the ms at which Redis appended it.
          envelope = decodeEnvelope(fields, Number(this.lastId.slice(0, this.lastId.indexOf('-'))));
        } catch (error) {
          this.emit('error', error as Error, 'inbox decode');
          continue;
        }
        try {
          handler(envelope);
        } catch (error) {
          this.emit('error', error as Error, `handling ${envelope.message.type}`);
        }
      }
      this.trimSoon();
    }
  }

  /** The inbox cannot be read until Redis is back. */
  private interrupt(): void {
    // Before open() there is nothing to lose (a Cluster client meets its nodes then).
    if (this.interrupted || this.closed || !this.renewTimer) return;
    this.interrupted = true;
    this.emit('reachable', false);
  }

  /** Once, however many paths notice that Redis is back. */
  private recover(): Promise<void> {
    this.recovery ??= this.reconcile().finally(() => (this.recovery = undefined));
    return this.recovery;
  }

  /**
   * Reading again after a failed connection. A promoted replica may lack the
   * newest entries, read or not: entries it appends next get ids after its
   * own last one, which may be before ours, so reading goes on from the
   * earlier of the two (nothing is read twice: what it has up to its last id
   * was read before). An inbox it lacks altogether is recreated. Whatever
   * was lost, the owner hears of it and its sessions fill the gaps.
   */
  private async reconcile(): Promise<void> {
    let lastInInbox: string | undefined;
    try {
      const info = (await this.options.commands.call('XINFO', 'STREAM', this.inboxKey)) as unknown[];
      lastInInbox = String(info[info.indexOf('last-generated-id') + 1]);
    } catch (error) {
      if (!/no such key/i.test((error as Error).message)) throw error;
    }
    const cause: LossCause = lastInInbox === undefined ? 'recreated' : 'reconnected';
    if (lastInInbox === undefined) this.lastId = await this.createInbox();
    else if (compareStreamIds(lastInInbox, this.lastId) < 0) this.lastId = lastInInbox;
    this.interrupted = false;
    this.emit('reachable', true);
    this.emit('messages-lost', cause);
  }

  /**
   * Drops what has been read, at most once per TRIM_INTERVAL_MS: under
   * streaming output one XTRIM per entry would double the commands.
   * Approximate trimming removes whole stream nodes, never an entry newer
   * than what was read.
   */
  private trimSoon(): void {
    if (this.trimTimer || this.closed) return;
    this.trimTimer = setTimeout(() => {
      this.trimTimer = undefined;
      this.options.commands.xtrim(this.inboxKey, 'MINID', '~', this.lastId).catch((error: Error) => {
        this.emit('error', error, 'inbox trim');
      });
    }, TRIM_INTERVAL_MS);
  }
}

/** Orders two stream entry ids (`<ms>-<seq>`). */
export function compareStreamIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}

/** The entry an inbox is created with (createInbox): it carries no message. */
function isMarker(fields: Buffer[]): boolean {
  return fields.length === 2 && fields[0]!.toString() === 'v' && fields[1]!.toString() === '0';
}
