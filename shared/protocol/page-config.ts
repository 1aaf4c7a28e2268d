/**
 * The configuration the gateway writes into the page, in the inert JSON
 * block `<script type="application/json" id="webssh2-config">` (CSP allows
 * it; an inline script would not be). The shape is the stock WebSSH2
 * client's, so either page can be served. It never holds a credential: those
 * wait server-side for the page's socket.
 */
export interface PageConfig {
  socket: { url: string | null; path: string };
  /** True when an HTTP login route left credentials: the socket logs in by itself. */
  autoConnect: boolean;
  /** `host-locked` on /ssh/host/:host: the page may not offer another host. */
  connectionMode?: 'host-locked' | 'full';
  lockedHost?: string;
  lockedPort?: number;
  ssh?: { host: string; port: number; sshterm?: string };
  header?: { text?: string; background?: string };
}

/** The placeholder both pages ship with, replaced by the gateway. */
export const PAGE_CONFIG_PLACEHOLDER = '<script type="application/json" id="webssh2-config">null</script>';
