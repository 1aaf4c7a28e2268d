/**
 * Proof that a client has received what was sent to it, from Engine.IO's
 * heartbeat. Packets on a socket arrive in order and a client answers every
 * `ping` with a `pong`, so a pong to a ping sent after some event proves the
 * client has that event. Nothing in the WebSSH2 protocol acknowledges a
 * message; this needs nothing of the client but what every Socket.IO client
 * already does.
 *
 * Used for the resume token (session-extension.md rule 1): the token a
 * resume replaced stays valid until the client has shown it holds the new
 * one, so a socket lost in between never leaves a session that no one can
 * resume.
 */

/** The parts of an Engine.IO connection this needs (`sendPacket` is Engine.IO's own, untyped). */
export interface HeartbeatConnection {
  on(event: 'packetCreate' | 'packet', listener: (packet: { type: string }) => void): unknown;
  off(event: 'packetCreate' | 'packet', listener: (packet: { type: string }) => void): unknown;
}

export class Receipts {
  private pingsSent = 0;
  private pongsReceived = 0;
  private waiting: Array<{ ping: number; received: () => void }> = [];

  constructor(private readonly conn: HeartbeatConnection) {
    conn.on('packetCreate', this.onPacketCreate);
    conn.on('packet', this.onPacket);
  }

  /** Calls back once the client has received everything emitted on the socket so far. */
  afterReceipt(received: () => void): void {
    (this.conn as unknown as { sendPacket(type: 'ping'): void }).sendPacket('ping');
    this.waiting.push({ ping: this.pingsSent, received });
  }

  close(): void {
    this.conn.off('packetCreate', this.onPacketCreate);
    this.conn.off('packet', this.onPacket);
    this.waiting = [];
  }

  private readonly onPacketCreate = (packet: { type: string }): void => {
    if (packet.type === 'ping') this.pingsSent++;
  };

  private readonly onPacket = (packet: { type: string }): void => {
    if (packet.type !== 'pong') return;
    this.pongsReceived++;
    while (this.waiting.length > 0 && this.waiting[0]!.ping <= this.pongsReceived) this.waiting.shift()!.received();
  };
}
