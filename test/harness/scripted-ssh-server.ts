import { createServer, type Socket } from 'node:net';
import ssh2, { type Algorithms, type Connection } from 'ssh2';
import { generateEd25519KeyPair } from './ed25519-key.js';
import { authenticator, type AuthScheme, type ScriptedCredentials } from './scripted-auth.js';
import { serveSession } from './scripted-session.js';

export type ScriptedBehaviour = 'two-factor' | 'key-only' | 'slow-handshake' | 'drop-on-connect' | 'many-sessions' | 'legacy-kex' | 'endless-rounds';

export interface ScriptedServerHandle {
  host: string;
  port: number;
  user: string;
  password: string;
  otp: string;
  /** OpenSSH-format PEM; the only key 'key-only' accepts. */
  clientPrivateKey: string;
  /** Also destroys open connections. */
  stop(): Promise<void>;
  /** Currently open TCP connections. */
  connections(): number;
  /** TCP connections accepted since the start. */
  connectionsAccepted(): number;
  /** Keyboard-interactive rounds answered ('endless-rounds'). */
  roundsServed(): number;
}

const SCRIPTED_USER = 'scripted';
const SCRIPTED_PASSWORD = 'scripted-pw-5150';
const SCRIPTED_OTP = '424242';

/**
 * An SSH target whose misbehaviour or auth flow is scripted: things a real sshd cannot
 * easily be made to do (2FA prompts, never finishing the handshake, dropping at once).
 */
export async function startScriptedSshServer(behaviour: ScriptedBehaviour, listenAddress = '127.0.0.1'): Promise<ScriptedServerHandle> {
  const clientKey = generateEd25519KeyPair();
  const credentials: ScriptedCredentials = {
    user: SCRIPTED_USER,
    password: SCRIPTED_PASSWORD,
    otp: SCRIPTED_OTP,
    clientPublicKey: clientKey.public,
  };
  const handleSocket = socketHandler(behaviour, credentials);
  const openSockets = new Set<Socket>();
  let accepted = 0;
  // A plain TCP listener in front of every behaviour so connections() counts them all alike.
  const listener = createServer((socket) => {
    accepted++;
    openSockets.add(socket);
    socket.once('close', () => openSockets.delete(socket));
    // Tests provoke abrupt disconnects on purpose; a reset must not crash the test process.
    socket.on('error', () => {});
    handleSocket(socket);
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(0, listenAddress, resolve);
  });
  const address = listener.address();
  if (address === null || typeof address === 'string') throw new Error('scripted server has no TCP address');

  return {
    host: listenAddress,
    port: address.port,
    user: SCRIPTED_USER,
    password: SCRIPTED_PASSWORD,
    otp: SCRIPTED_OTP,
    clientPrivateKey: clientKey.private,
    connections: () => openSockets.size,
    connectionsAccepted: () => accepted,
    roundsServed: () => credentials.roundsServed ?? 0,
    async stop() {
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
      for (const socket of openSockets) socket.destroy();
      await closed;
    },
  };
}

function socketHandler(behaviour: ScriptedBehaviour, credentials: ScriptedCredentials): (socket: Socket) => void {
  switch (behaviour) {
    case 'two-factor':
      return sshHandler('two-factor', credentials);
    case 'key-only':
      return sshHandler('key-only', credentials);
    case 'many-sessions':
      return sshHandler('password', credentials);
    case 'endless-rounds':
      return sshHandler('endless-rounds', credentials);
    case 'legacy-kex':
      // A key exchange that ssh2's client supports but no longer offers.
      return sshHandler('password', credentials, { kex: ['diffie-hellman-group1-sha1'] });
    case 'drop-on-connect':
      return (socket) => socket.destroy();
    case 'slow-handshake':
      // Never answer, but keep reading: a paused socket would not notice the client
      // hanging up, and connections() would count it forever.
      return (socket) => socket.resume();
  }
}

function sshHandler(scheme: AuthScheme, credentials: ScriptedCredentials, algorithms?: Algorithms): (socket: Socket) => void {
  const hostKey = generateEd25519KeyPair();
  const authenticate = authenticator(scheme, credentials);
  const server = new ssh2.Server({ hostKeys: [hostKey.private], ...(algorithms && { algorithms }) }, (client: Connection) => {
    // Protocol errors from clients that vanish mid-handshake are expected in these tests.
    client.on('error', () => {});
    client.on('authentication', authenticate);
    client.on('ready', () => client.on('session', serveSession));
  });
  return (socket) => server.injectSocket(socket);
}
