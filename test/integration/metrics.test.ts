/**
 * Health and Prometheus metrics on every role: a scripted session (login,
 * output, input, resume, close) and a failed login move the counters, and
 * the gauges come back to zero.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../harness/fleet.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import { ResumingClient } from '../harness/resuming-client.js';
import { startSshd, type SshdHandle } from '../harness/sshd.js';

type Samples = Map<string, number>;

/** Parses the Prometheus text format into `name{labels}` -> value. */
async function scrape(baseUrl: string): Promise<Samples> {
  const response = await fetch(`${baseUrl}/metrics`);
  expect(response.status).toBe(200);
  const samples: Samples = new Map();
  for (const line of (await response.text()).split('\n')) {
    const match = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match) samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}
const value = (samples: Samples, name: string) => samples.get(name) ?? 0;

describe('health and metrics', () => {
  let sshd: SshdHandle;
  let fleet: Fleet;
  beforeAll(async () => {
    sshd = await startSshd();
    fleet = await startFleet('cluster', { gateways: 1, workers: 1 });
  });
  afterAll(async () => {
    await fleet?.stop();
    await sshd?.stop();
  });

  it('answers health checks on the gateway and the worker, and metrics only on the metrics ports', async () => {
    for (const url of [fleet.urls[0]!, fleet.metricsUrls[0]!, fleet.workerUrls[0]!]) {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
    }
    expect((await fetch(`${fleet.urls[0]!}/metrics`)).status).toBe(404);
  });

  it('moves the counters through a session and a failed login, and returns the gauges to zero', async () => {
    const gatewayUrl = fleet.metricsUrls[0]!;
    const workerUrl = fleet.workerUrls[0]!;
    const [gatewayBefore, workerBefore] = await Promise.all([scrape(gatewayUrl), scrape(workerUrl)]);

    let output = '';
    const client = new ResumingClient({ urls: fleet.urls, onOutput: (chunk) => (output += chunk.toString()) });
    await client.start({ username: sshd.user, password: sshd.password, host: sshd.host, port: sshd.port });
    await client.until(() => /\$ $/.test(output), 10_000, 'the prompt');
    const [gatewayLive, workerLive] = await Promise.all([scrape(gatewayUrl), scrape(workerUrl)]);
    expect(value(gatewayLive, 'webssh_fleet_gateway_sessions')).toBe(1);
    expect(value(workerLive, 'webssh_fleet_worker_sessions')).toBe(1);
    client.type('echo metered\r');
    await client.until(() => output.includes('\rmetered\r\n'), 10_000, 'the echo');
    client.dropConnection();
    await client.until(() => client.events.some((e) => e.type === 'resumed'), 10_000, 'resume');
    client.close();

    const failed = await ProtocolClient.connect(fleet.urls[0]!);
    expect((await failed.login({ username: sshd.user, password: 'wrong', host: sshd.host, port: sshd.port })).success).toBe(false);
    failed.close();

    await expect.poll(async () => value(await scrape(workerUrl), 'webssh_fleet_worker_sessions'), { timeout: 5_000 }).toBe(0);
    const [gatewayAfter, workerAfter] = await Promise.all([scrape(gatewayUrl), scrape(workerUrl)]);
    const moved = (after: Samples, before: Samples, name: string) => value(after, name) - value(before, name);

    expect(value(gatewayAfter, 'webssh_fleet_gateway_sessions')).toBe(0);
    expect(moved(gatewayAfter, gatewayBefore, 'webssh_fleet_logins_total{outcome="success"}')).toBe(1);
    expect(moved(gatewayAfter, gatewayBefore, 'webssh_fleet_logins_total{outcome="failure"}')).toBe(1);
    expect(moved(gatewayAfter, gatewayBefore, 'webssh_fleet_resumes_total{outcome="resumed"}')).toBe(1);
    expect(moved(gatewayAfter, gatewayBefore, 'webssh_fleet_gateway_output_bytes_total')).toBeGreaterThan(500);
    expect(moved(gatewayAfter, gatewayBefore, 'webssh_fleet_relay_latency_seconds_count{direction="to_gateway"}')).toBeGreaterThan(0);
    expect(value(gatewayAfter, 'webssh_fleet_placement_queue_waiting')).toBe(0);

    expect(moved(workerAfter, workerBefore, 'webssh_fleet_login_failures_total{reason="auth"}')).toBe(1);
    expect(moved(workerAfter, workerBefore, 'webssh_fleet_session_setup_seconds_count{outcome="success"}')).toBe(1);
    expect(moved(workerAfter, workerBefore, 'webssh_fleet_session_setup_seconds_count{outcome="failure"}')).toBe(1);
    expect(moved(workerAfter, workerBefore, 'webssh_fleet_placement_wait_seconds_count')).toBe(2);
    expect(moved(workerAfter, workerBefore, 'webssh_fleet_session_bytes_total{direction="in"}')).toBe('echo metered\r'.length);
    expect(moved(workerAfter, workerBefore, 'webssh_fleet_session_bytes_total{direction="out"}')).toBeGreaterThan(500);
    expect(moved(workerAfter, workerBefore, 'webssh_fleet_relay_latency_seconds_count{direction="to_worker"}')).toBeGreaterThan(0);
    expect(value(workerAfter, 'webssh_fleet_worker_draining')).toBe(0);
  });
});
