/**
 * A TCP round-robin balancer in front of a fleet's gateways, the way nginx
 * or a Kubernetes Service spreads connections: a browser keeps one URL and
 * lands on whichever gateway is next. A backend that refuses the connection
 * (killed) is skipped, as nginx's passive health check does.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './free-port.js';

export interface LoadBalancer {
  url: string;
  /**
   * Stops sending new connections to a backend, as a health check or an
   * endpoints controller would once it died: its port may soon belong to
   * some other process.
   */
  remove(backendUrl: string): void;
  stop(): Promise<void>;
}

export async function startLoadBalancer(backendUrls: string[]): Promise<LoadBalancer> {
  let backends = backendUrls.map((url) => new URL(url));
  let next = 0;
  const open = new Set<Socket>();

  const dial = (client: Socket, attemptsLeft: number) => {
    const backend = backends[next++ % backends.length]!;
    const upstream = connect(Number(backend.port), backend.hostname);
    upstream.once('connect', () => {
      open.add(upstream);
      upstream.once('close', () => open.delete(upstream));
      client.pipe(upstream).pipe(client);
      client.resume();
    });
    upstream.once('error', () => {
      upstream.destroy();
      if (!open.has(upstream) && attemptsLeft > 1) dial(client, attemptsLeft - 1);
      else client.destroy();
    });
  };

  const server: Server = createServer((client) => {
    client.pause();
    open.add(client);
    client.once('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    dial(client, backends.length);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    remove: (backendUrl) => {
      backends = backends.filter((backend) => backend.href !== new URL(backendUrl).href);
    },
    stop: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
