/**
 * The cluster's bus: one Redis stream per process (its inbox).
 *
 * - Writers append with `XADD ... NOMKSTREAM`, so a message for a process
 *   that is gone (its inbox expired) is not stored, and the writer learns it.
 * - The owner reads its inbox with one blocking XREAD on a connection of its
 *   own and trims what it has read, so an inbox holds only what is in flight.
 * - The inbox has a TTL that the owner renews; after a crash it disappears by
 *   itself. If Redis comes back empty, the next renewal recreates it.
 */
import { EventEmitter } from 'node:events';
import type { RedisClient } from '../redis/connection.js';
import type { Bus, Envelope } from './bus.js';
import { decodeEnvelope, encodeEnvelope } from './codec.js';
import type { KeyLayout } from './keys.js';
import type { BusMessage, InboxAddress } from './messages.js';

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
  /** The inbox was gone and has been recreated; what was sent to it meanwhile is lost. */
  recreated: [];
}

export class RedisBus<Out extends BusMessage> extends EventEmitter<RedisBusEvents> implements Bus<Out> {
  readonly address: InboxAddress;
  private readonly inboxKey: string;
  private lastId = '$';
  private closed = false;
  private renewTimer: NodeJS.Timeout | undefined;
  private trimTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: RedisBusOptions) {
    super();
    this.address = options.address;
    this.inboxKey = options.keys.inbox(options.address);
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

  onRecreated(listener: () => void): void {
    this.on('recreated', listener);
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

  /** `XADD MAXLEN 0` makes an empty stream and tells us where reading starts. */
  private async createInbox(): Promise<string> {
    const reply = await this.options.commands
      .multi()
      .xadd(this.inboxKey, 'MAXLEN', '0', '*', 'v', '0')
      .pexpire(this.inboxKey, this.options.inboxTtlMs)
      .exec();
    const id = reply?.[0]?.[1];
    if (typeof id !== 'string') throw new Error(`could not create inbox ${this.inboxKey}`);
    return id;
  }

  private async renewInbox(): Promise<void> {
    try {
      const renewed = await this.options.commands.pexpire(this.inboxKey, this.options.inboxTtlMs);
      // Redis lost the key (restart without persistence): recreate it. New
      // stream ids are time-based, so they sort after what we have read.
      if (renewed === 0 && !this.closed) {
        await this.createInbox();
        this.emit('recreated');
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
        reply = await this.options.reader.xreadBuffer('COUNT', batchSize, 'BLOCK', 0, 'STREAMS', this.inboxKey, this.lastId);
      } catch (error) {
        if (this.closed) return;
        this.emit('error', error as Error, 'inbox read');
        await new Promise((resolve) => setTimeout(resolve, 250));
        continue;
      }
      const entries = reply?.[0]?.[1];
      if (!entries || entries.length === 0) continue;
      for (const [id, fields] of entries) {
        this.lastId = id.toString();
        let envelope: Envelope;
        try {
          // A stream entry id starts with the ms at which Redis appended it.
          envelope = { ...decodeEnvelope(fields), sentAt: Number(this.lastId.slice(0, this.lastId.indexOf('-'))) };
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
