/**
 * Inbound bytes per socket per second, as a token bucket on the WebSocket's
 * reads: past the budget the gateway stops reading that socket (the
 * WebSocket is paused, so TCP pushes back on the sender) until the budget
 * allows again. A client flooding large events costs its own connection
 * time, not the gateway's CPU or memory, and not its neighbours' latency.
 * The bucket holds one second's worth, so a large paste goes through at once.
 */
import type { Socket } from 'socket.io';

interface PausableWebSocket {
  pause(): void;
  resume(): void;
  on(event: 'message', listener: (data: Buffer | ArrayBuffer | Buffer[]) => void): unknown;
}

function sizeOf(data: Buffer | ArrayBuffer | Buffer[]): number {
  if (Array.isArray(data)) return data.reduce((sum, part) => sum + part.length, 0);
  return data.byteLength;
}

export function readBudget(bytesPerSecond: number): (socket: Socket) => void {
  return (socket) => {
    // Engine.IO's WebSocket transport keeps the `ws` socket it reads from.
    const ws = (socket.conn.transport as unknown as { socket?: Partial<PausableWebSocket> }).socket;
    if (typeof ws?.pause !== 'function' || typeof ws.on !== 'function') return;
    const reads = ws as PausableWebSocket;
    let tokens = bytesPerSecond;
    let refilledAt = performance.now();
    let resumeTimer: NodeJS.Timeout | undefined;
    reads.on('message', (data) => {
      const now = performance.now();
      tokens = Math.min(bytesPerSecond, tokens + ((now - refilledAt) / 1000) * bytesPerSecond) - sizeOf(data);
      refilledAt = now;
      if (tokens >= 0 || resumeTimer) return;
      reads.pause();
      resumeTimer = setTimeout(() => {
        resumeTimer = undefined;
        reads.resume();
      }, Math.ceil((-tokens / bytesPerSecond) * 1000));
    });
    socket.once('disconnect', () => clearTimeout(resumeTimer));
  };
}
