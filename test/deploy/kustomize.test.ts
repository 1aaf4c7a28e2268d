/**
 * deploy/k8s: every kustomize target renders offline, every rendered object
 * is valid against the Kubernetes (and KEDA / Prometheus Operator) schemas
 * with unknown fields rejected, and the manifests agree with the code: the
 * variables they set are ones the processes read, with values the config
 * schema accepts; ports, probes, names and selectors line up; a draining
 * worker gets its drain; KEDA watches the queue the workers really use.
 */
import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { PLACEMENT_QUEUE_NAME, keyLayout } from '../../shared/bus/keys.js';
import { SubnetAllowList } from '../../shared/config/cidr.js';
import { loadConfig } from '../../shared/config/load.js';
import type { Config } from '../../shared/config/schema.js';
import { redisTopology } from '../../shared/redis/topology.js';
import { k8sEnvSettings, unknownSettings } from './env-names.js';
import { formatProblems, isCustomResource, validateObjects } from './k8s-schema.js';
import {
  allContainers,
  type Container,
  find,
  isFleetContainer,
  type K8sObject,
  KUSTOMIZE_TARGETS,
  type KustomizeTarget,
  kustomize,
  objectId,
  podTemplate,
  selects,
} from './manifests.js';

type Labels = Record<string, string>;

/** services/ssh-worker/main.ts: a worker exits by force this long after its drain timeout. */
const WORKER_HARD_STOP_MS = 15_000;

const renders = new Map<string, Promise<K8sObject[]>>();
function render(target: KustomizeTarget): Promise<K8sObject[]> {
  let pending = renders.get(target);
  if (!pending) renders.set(target, (pending = kustomize(target)));
  return pending;
}

interface Workload {
  object: K8sObject;
  container: Container;
  labels: Record<string, string>;
}

/** The fleet's containers, with the Deployment they belong to. */
function fleetWorkloads(objects: readonly K8sObject[]): Workload[] {
  return objects.flatMap((object) => {
    const template = podTemplate(object);
    if (!template) return [];
    return allContainers(template.spec)
      .filter(isFleetContainer)
      .map((container) => ({ object, container, labels: template.metadata?.labels ?? {} }));
  });
}

function role(objects: readonly K8sObject[], component: 'gateway' | 'worker'): Workload {
  const found = fleetWorkloads(objects).filter((workload) => workload.labels['app.kubernetes.io/component'] === component);
  expect(found, `one ${component} container`).toHaveLength(1);
  return found[0]!;
}

/**
 * The environment a container gets: envFrom ConfigMaps and Secrets, then env
 * (which wins). Secrets that are not rendered (created by the operator) get
 * placeholders.
 */
function effectiveEnv(objects: readonly K8sObject[], container: Container): Record<string, string> {
  const dataOf = (kind: string, name: string): Record<string, string> | undefined => {
    const object = objects.find((candidate) => candidate.kind === kind && candidate.metadata.name === name);
    if (!object) return undefined;
    const data = (object.data ?? {}) as Record<string, string>;
    return kind === 'Secret' ? Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value, 'base64').toString()])) : data;
  };
  const placeholders: Record<string, string> = {
    REDIS_URL: 'redis://redis.invalid:6379',
    WEBSSH2_SESSION_SECRET: 'placeholder-secret-placeholder-secret-0123456789',
  };
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    Object.assign(env, source.configMapRef ? dataOf('ConfigMap', source.configMapRef.name) : dataOf('Secret', source.secretRef!.name));
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.configMapKeyRef ?? variable.valueFrom?.secretKeyRef;
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (variable.valueFrom?.configMapKeyRef) env[variable.name] = dataOf('ConfigMap', ref!.name)?.[ref!.key] ?? '';
    else if (variable.valueFrom?.secretKeyRef) env[variable.name] = dataOf('Secret', ref!.name)?.[ref!.key] ?? placeholders[variable.name] ?? 'placeholder';
  }
  return env;
}

function configOf(objects: readonly K8sObject[], container: Container): Readonly<Config> {
  return loadConfig(effectiveEnv(objects, container));
}

function containerPort(container: Container, name: string): number {
  const port = container.ports?.find((candidate) => candidate.name === name);
  expect(port, `container ${container.name} has a port named ${name}`).toBeDefined();
  return port!.containerPort;
}

interface NetworkPolicyPort {
  protocol?: string;
  port?: number | string;
}
interface NetworkPolicyPeer {
  podSelector?: { matchLabels?: Record<string, string> };
  namespaceSelector?: { matchLabels?: Record<string, string> };
  ipBlock?: { cidr: string; except?: string[] };
}
interface NetworkPolicySpec {
  podSelector: { matchLabels?: Record<string, string> };
  policyTypes?: string[];
  ingress?: { from?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[];
  egress?: { to?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[];
}

/** The NetworkPolicies that apply to pods with these labels. */
function policiesFor(objects: readonly K8sObject[], labels: Record<string, string>): NetworkPolicySpec[] {
  return objects
    .filter((object) => object.kind === 'NetworkPolicy')
    .map((object) => object.spec as NetworkPolicySpec)
    .filter((spec) => selects(spec.podSelector.matchLabels, labels));
}

function portsOf(rules: { ports?: NetworkPolicyPort[] }[]): string[] {
  return rules.flatMap((rule) => (rule.ports ?? [{ protocol: 'ANY', port: 'ANY' }]).map((port) => `${port.protocol ?? 'TCP'}/${port.port ?? 'ANY'}`));
}

/** An IPv4 CIDR inside another (IPv6 only inside ::/0). */
function cidrWithin(inner: string, outer: string): boolean {
  const [network, prefixText] = inner.split('/');
  if (isIP(network!) === 6) return outer === '::/0';
  if (outer.includes(':')) return false;
  const prefix = Number(prefixText ?? 32);
  const start = network!.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
  const last = start + 2 ** (32 - prefix) - 1;
  const toText = (value: number): string => [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
  const list = new SubnetAllowList([outer]);
  return list.allows(toText(start)) && list.allows(toText(last));
}

/** The ports a process reaches Redis on: the server's, or the nodes' and (with Sentinel) the sentinels'. */
function redisPorts(config: Readonly<Config>): string[] {
  const topology = redisTopology(config.cluster)!;
  const ports =
    topology.kind === 'server'
      ? [Number(new URL(topology.url).port || 6379)]
      : topology.kind === 'sentinel'
        ? [6379, ...topology.sentinels.map((address) => address.port)]
        : topology.nodes.map((address) => address.port);
  return [...new Set(ports)].map((port) => `TCP/${port}`);
}

describe.each(KUSTOMIZE_TARGETS)('%s', (target) => {
  it('renders with kubectl kustomize', async () => {
    const objects = await render(target);
    expect(objects.length).toBeGreaterThan(0);
    for (const object of objects) {
      expect(object.apiVersion, objectId(object)).toEqual(expect.any(String));
      expect(object.metadata.name, objectId(object)).toEqual(expect.any(String));
    }
  });

  it('validates against the Kubernetes, KEDA and Prometheus Operator schemas, unknown fields rejected', async () => {
    const problems = await validateObjects(await render(target));
    expect(problems, formatProblems(problems)).toEqual([]);
  });

  it('sets only environment variables the system reads (shared/config/load.ts)', async () => {
    const settings = k8sEnvSettings(await render(target));
    expect(settings.length).toBeGreaterThan(0);
    expect(unknownSettings(settings)).toEqual([]);
  });

  it('gives gateways and workers a configuration the config schema accepts', async () => {
    const objects = await render(target);
    for (const { object, container } of fleetWorkloads(objects)) {
      expect(() => configOf(objects, container), objectId(object)).not.toThrow();
    }
  });

  it('runs every container unprivileged: non-root, read-only root, no capabilities, RuntimeDefault seccomp', async () => {
    const objects = await render(target);
    for (const object of objects) {
      const template = podTemplate(object);
      if (!template) continue;
      const pod = template.spec;
      expect(pod.automountServiceAccountToken, `${objectId(object)} mounts no API token`).toBe(false);
      for (const container of allContainers(pod)) {
        const at = `${objectId(object)} container ${container.name}`;
        const context = container.securityContext ?? {};
        expect(context.runAsNonRoot ?? pod.securityContext?.runAsNonRoot, `${at} runAsNonRoot`).toBe(true);
        expect(context.readOnlyRootFilesystem, `${at} readOnlyRootFilesystem`).toBe(true);
        expect(context.allowPrivilegeEscalation, `${at} allowPrivilegeEscalation`).toBe(false);
        expect(context.capabilities?.drop, `${at} drops all capabilities`).toContain('ALL');
        expect(context.capabilities?.add ?? [], `${at} adds none`).toEqual([]);
        expect((context.seccompProfile ?? pod.securityContext?.seccompProfile)?.type, `${at} seccomp`).toBe('RuntimeDefault');
      }
    }
  });

  it('gives every container resource requests and limits, and readiness and liveness probes', async () => {
    const objects = await render(target);
    for (const object of objects) {
      const template = podTemplate(object);
      for (const container of template?.spec.containers ?? []) {
        const at = `${objectId(object)} container ${container.name}`;
        for (const resource of ['cpu', 'memory']) {
          expect(container.resources?.requests?.[resource], `${at} requests ${resource}`).toBeDefined();
          expect(container.resources?.limits?.[resource], `${at} limits ${resource}`).toBeDefined();
        }
        expect(container.readinessProbe, `${at} readiness probe`).toBeDefined();
        expect(container.livenessProbe, `${at} liveness probe`).toBeDefined();
      }
    }
  });

  it('serves and probes the ports the processes listen on', async () => {
    const objects = await render(target);
    const gateway = role(objects, 'gateway');
    expect(containerPort(gateway.container, 'http')).toBe(configOf(objects, gateway.container).listen.port);
    expect(gateway.container.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(gateway.container.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    const worker = role(objects, 'worker');
    expect(containerPort(worker.container, 'metrics')).toBe(configOf(objects, worker.container).metrics.port);
    expect(worker.container.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(worker.container.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    for (const { container } of [gateway, worker]) {
      expect(container.command?.join(' ')).toMatch(/^node dist\/services\/(gateway|ssh-worker)\/main\.js$/);
    }
  });

  it('gives a draining worker its drain: grace period above FLEET_DRAIN_TIMEOUT_MS and the hard stop', async () => {
    const objects = await render(target);
    const worker = role(objects, 'worker');
    const grace = podTemplate(worker.object)!.spec.terminationGracePeriodSeconds ?? 30;
    const preStop = worker.container.lifecycle?.preStop;
    const preStopSeconds = preStop?.sleep?.seconds ?? (preStop?.exec?.command[0] === 'sleep' ? Number(preStop.exec.command[1]) : 0);
    const drain = configOf(objects, worker.container).cluster.drainTimeoutMs;
    expect((grace - preStopSeconds) * 1000).toBeGreaterThan(drain + WORKER_HARD_STOP_MS);
  });

  it('has only references that resolve: selectors, ports, ConfigMaps, Secrets, scale targets', async () => {
    const objects = await render(target);
    const templates = objects.flatMap((object) => {
      const template = podTemplate(object);
      return template ? [{ object, template }] : [];
    });
    const podsSelectedBy = (selector: Record<string, string> | undefined) => templates.filter(({ template }) => selects(selector, template.metadata?.labels));
    const named = (kind: string, name: string) => objects.find((object) => object.kind === kind && object.metadata.name === name);

    for (const object of objects) {
      const at = objectId(object);
      switch (object.kind) {
        case 'Service': {
          const spec = object.spec as { selector: Labels; ports: Array<{ targetPort?: string | number }> };
          const pods = podsSelectedBy(spec.selector);
          expect(pods.length, `${at} selects pods`).toBeGreaterThan(0);
          for (const port of spec.ports) {
            if (typeof port.targetPort !== 'string') continue;
            for (const { template } of pods) {
              expect(template.spec.containers.some((container) => container.ports?.some((p) => p.name === port.targetPort)), `${at} port ${port.targetPort}`).toBe(true);
            }
          }
          break;
        }
        case 'PodDisruptionBudget':
          expect(podsSelectedBy((object.spec as { selector: { matchLabels: Labels } }).selector.matchLabels).length, `${at} selects pods`).toBeGreaterThan(0);
          break;
        case 'NetworkPolicy':
          expect(podsSelectedBy((object.spec as { podSelector: { matchLabels: Labels } }).podSelector.matchLabels).length, `${at} selects pods`).toBeGreaterThan(0);
          break;
        case 'HorizontalPodAutoscaler':
        case 'ScaledObject': {
          const { scaleTargetRef } = object.spec as { scaleTargetRef: { kind?: string; name: string } };
          expect(named(scaleTargetRef.kind ?? 'Deployment', scaleTargetRef.name), `${at} target`).toBeDefined();
          break;
        }
        case 'Ingress': {
          type Backend = { service: { name: string; port: { name?: string; number?: number } } };
          const spec = object.spec as { rules: Array<{ http: { paths: Array<{ backend: Backend }> } }> };
          for (const rule of spec.rules) {
            for (const path of rule.http.paths) {
              const service = named('Service', path.backend.service.name);
              expect(service, `${at} backend`).toBeDefined();
              const ports = (service!.spec as { ports: { name?: string; port: number }[] }).ports;
              expect(ports.some((port) => port.name === path.backend.service.port.name || port.port === path.backend.service.port.number), `${at} backend port`).toBe(true);
            }
          }
          break;
        }
        case 'ServiceMonitor': {
          const spec = object.spec as { selector: { matchLabels: Labels }; endpoints: Array<{ port: string }> };
          const services = objects.filter((candidate) => candidate.kind === 'Service' && selects(spec.selector.matchLabels, candidate.metadata.labels));
          expect(services.length, `${at} selects a Service`).toBeGreaterThan(0);
          for (const endpoint of spec.endpoints) {
            for (const service of services) {
              expect((service.spec as { ports: { name?: string }[] }).ports.some((port) => port.name === endpoint.port), `${at} port ${endpoint.port}`).toBe(true);
            }
          }
          break;
        }
      }
      if (object.kind === 'ScaledObject') {
        for (const trigger of (object.spec as { triggers: Array<{ authenticationRef?: { name: string } }> }).triggers) {
          if (trigger.authenticationRef) expect(named('TriggerAuthentication', trigger.authenticationRef.name), `${at} auth`).toBeDefined();
        }
      }
    }

    // Rendered ConfigMaps and Secrets referenced by containers exist and hold the keys asked for.
    for (const { object, template } of templates) {
      for (const container of allContainers(template.spec)) {
        for (const source of container.envFrom ?? []) {
          if (source.configMapRef) expect(named('ConfigMap', source.configMapRef.name), `${objectId(object)} envFrom`).toBeDefined();
        }
        for (const variable of container.env ?? []) {
          const ref = variable.valueFrom?.secretKeyRef;
          const secret = ref && named('Secret', ref.name);
          if (secret) expect(Object.keys(secret.data as object), `${objectId(object)} ${variable.name}`).toContain(ref.key);
        }
      }
    }
  });

  it('has one autoscaler per Deployment (KEDA replaces the worker HPA, not joins it)', async () => {
    const objects = await render(target);
    const targets = objects
      .filter((object) => object.kind === 'HorizontalPodAutoscaler' || object.kind === 'ScaledObject')
      .map((object) => (object.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name);
    expect(new Set(targets).size).toBe(targets.length);
  });

  it('scales workers on the placement queue the workers really use, and on sessions below the per-worker maximum (KEDA)', async () => {
    const objects = await render(target);
    const scaledObject = objects.find((object) => object.kind === 'ScaledObject');
    if (!scaledObject) return; // this target has no KEDA
    const config = configOf(objects, role(objects, 'worker').container);
    const triggers = (scaledObject.spec as { triggers: { type: string; metadata: Record<string, string> }[] }).triggers;
    // KEDA's scaler for the way the fleet reaches Redis: one server, Sentinel, or a Redis Cluster.
    const redis = triggers.find((trigger) => ['redis', 'redis-sentinel', 'redis-cluster'].includes(trigger.type));
    const topology = redisTopology(config.cluster);
    expect(redis?.type).toBe({ server: 'redis', sentinel: 'redis-sentinel', cluster: 'redis-cluster' }[topology!.kind]);
    if (topology?.kind === 'sentinel') expect(redis?.metadata.sentinelMaster).toBe(topology.name);
    expect(redis?.metadata.listName).toBe(`${keyLayout(config.cluster.keyPrefix).bullPrefix()}:${PLACEMENT_QUEUE_NAME}:wait`);
    expect(Number(redis?.metadata.listLength)).toBeGreaterThan(0);
    const prometheus = triggers.find((trigger) => trigger.type === 'prometheus');
    if (prometheus) {
      expect(prometheus.metadata.query).toContain('webssh_fleet_worker_sessions');
      expect(Number(prometheus.metadata.threshold)).toBeLessThan(config.cluster.workerMaxSessions);
      const namespace = /namespace="([^"]+)"/.exec(prometheus.metadata.query ?? '')?.[1];
      if (scaledObject.metadata.namespace) expect(namespace).toBe(scaledObject.metadata.namespace);
    }
  });

  it('keeps traffic to what each role needs (NetworkPolicies)', async () => {
    const objects = await render(target);
    const gateway = role(objects, 'gateway');
    const worker = role(objects, 'worker');
    const gatewayPort = containerPort(gateway.container, 'http');
    const gatewayMetricsPort = containerPort(gateway.container, 'metrics');
    const metricsPort = containerPort(worker.container, 'metrics');

    const gatewayPolicies = policiesFor(objects, gateway.labels);
    const workerPolicies = policiesFor(objects, worker.labels);
    for (const policies of [gatewayPolicies, workerPolicies]) {
      expect(policies.some((policy) => policy.policyTypes?.includes('Ingress'))).toBe(true);
      expect(policies.some((policy) => policy.policyTypes?.includes('Egress'))).toBe(true);
    }
    // Gateways: in from the ingress controller on the main port and from Prometheus on the metrics port (never the
    // other way round: /metrics is not for the public); out to Redis and DNS.
    const gatewayIngress = gatewayPolicies.flatMap((policy) => policy.ingress ?? []);
    expect(gatewayIngress.every((rule) => (rule.from ?? []).length > 0)).toBe(true);
    const admitted = (name: string) =>
      gatewayIngress.filter((rule) => rule.from!.some((peer) => peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] === name)).flatMap((rule) => portsOf([rule]));
    expect(admitted('ingress-nginx')).toEqual([`TCP/${gatewayPort}`]);
    expect(admitted('prometheus')).toEqual([`TCP/${gatewayMetricsPort}`]);
    expect(gatewayMetricsPort).toBe(configOf(objects, gateway.container).metrics.port);
    expect(gatewayMetricsPort).not.toBe(gatewayPort);
    const redis = redisPorts(configOf(objects, gateway.container));
    expect(new Set(portsOf(gatewayPolicies.flatMap((policy) => policy.egress ?? [])))).toEqual(new Set([...redis, 'UDP/53', 'TCP/53']));
    // Workers: in from Prometheus on the metrics port only; out to Redis, SSH and DNS.
    const workerIngress = workerPolicies.flatMap((policy) => policy.ingress ?? []);
    expect(new Set(portsOf(workerIngress))).toEqual(new Set([`TCP/${metricsPort}`]));
    expect(workerIngress.flatMap((rule) => rule.from ?? [{}]).map((peer) => peer.podSelector?.matchLabels?.['app.kubernetes.io/name'])).toEqual(['prometheus']);
    const workerEgress = workerPolicies.flatMap((policy) => policy.egress ?? []);
    expect(new Set(portsOf(workerEgress))).toEqual(new Set([...redisPorts(configOf(objects, worker.container)), 'TCP/22', 'UDP/53', 'TCP/53']));

    // The subnets sessions may reach are inside what the SSH egress rule allows.
    const sshBlocks = workerEgress
      .filter((rule) => portsOf([rule]).includes('TCP/22'))
      .flatMap((rule) => rule.to ?? [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }])
      .map((peer) => peer.ipBlock?.cidr)
      .filter((cidr): cidr is string => cidr !== undefined);
    const allowed = configOf(objects, worker.container).ssh.allowedSubnets;
    expect(allowed.length, 'WEBSSH2_SSH_ALLOWED_SUBNETS is set (empty is an open proxy)').toBeGreaterThan(0);
    for (const subnet of allowed) {
      expect(sshBlocks.some((block) => cidrWithin(subnet, block)), `${subnet} within the SSH egress ipBlocks ${sshBlocks.join(', ')}`).toBe(true);
    }
  });
});

describe('deploy/k8s/base', () => {
  it('applies without any CRD: KEDA and ServiceMonitors live in components', async () => {
    const objects = await render('deploy/k8s/base');
    expect(objects.filter(isCustomResource).map(objectId)).toEqual([]);
    expect(objects.map(objectId)).toEqual(expect.arrayContaining(['HorizontalPodAutoscaler/webssh-fleet-worker', 'HorizontalPodAutoscaler/webssh-fleet-gateway']));
  });
});

describe('deploy/k8s/overlays/dev', () => {
  it('runs one gateway, one worker and an in-cluster Redis, with a generated dev secret', async () => {
    const objects = await render('deploy/k8s/overlays/dev');
    expect((find(objects, 'Deployment', 'webssh-fleet-gateway').spec as { replicas: number }).replicas).toBe(1);
    expect((find(objects, 'Deployment', 'webssh-fleet-worker').spec as { replicas: number }).replicas).toBe(1);
    expect(objects.filter((object) => object.kind === 'HorizontalPodAutoscaler')).toEqual([]);
    find(objects, 'Deployment', 'webssh-fleet-redis');
    const redisService = find(objects, 'Service', 'webssh-fleet-redis');
    const secret = objects.find((object) => object.kind === 'Secret' && object.metadata.name.startsWith('webssh-fleet-secrets'));
    const redisUrl = Buffer.from((secret!.data as Record<string, string>).REDIS_URL!, 'base64').toString();
    expect(new URL(redisUrl).hostname).toBe(redisService.metadata.name);
    expect(Buffer.from((secret!.data as Record<string, string>).WEBSSH2_SESSION_SECRET!, 'base64').toString()).toMatch(/^dev-only-insecure/);
    // Redis egress goes to the Redis pods only.
    for (const component of ['gateway', 'worker'] as const) {
      const rules = policiesFor(objects, role(objects, component).labels).flatMap((policy) => policy.egress ?? []);
      for (const rule of rules.filter((candidate) => portsOf([candidate]).includes('TCP/6379'))) {
        expect(rule.to?.map((peer) => peer.podSelector?.matchLabels?.['app.kubernetes.io/name'])).toEqual(['redis']);
      }
    }
  });
});

describe('deploy/k8s/overlays/prod', () => {
  it('uses KEDA instead of the worker HPA, ServiceMonitors, an external Secret and a pinned image', async () => {
    const objects = await render('deploy/k8s/overlays/prod');
    const ids = objects.map(objectId);
    expect(ids).toEqual(expect.arrayContaining(['ScaledObject/webssh-fleet-worker', 'TriggerAuthentication/webssh-fleet-keda-redis', 'ServiceMonitor/webssh-fleet-gateway', 'ServiceMonitor/webssh-fleet-worker', 'HorizontalPodAutoscaler/webssh-fleet-gateway']));
    expect(ids).not.toContain('HorizontalPodAutoscaler/webssh-fleet-worker');
    expect(objects.filter((object) => object.kind === 'Secret')).toEqual([]);
    for (const { container } of fleetWorkloads(objects)) expect(container.image).toMatch(/:[\w.-]+$/);
    expect(fleetWorkloads(objects).every(({ container }) => !container.image!.endsWith(':latest'))).toBe(true);
  });
});

describe('the deployment checks catch mistakes', () => {
  const base = async (): Promise<K8sObject[]> => structuredClone(await render('deploy/k8s/base'));

  it('an unknown field deep in a Deployment', async () => {
    const objects = await base();
    const deployment = find(objects, 'Deployment', 'webssh-fleet-gateway');
    (podTemplate(deployment)!.spec.containers[0] as unknown as Record<string, unknown>).imagePullPolicyy = 'Always';
    const problems = await validateObjects([deployment]);
    expect(formatProblems(problems)).toMatch(/Deployment\/webssh-fleet-gateway: .*imagePullPolicyy/);
  });

  it('an unknown field at the top of a spec, and a wrong type', async () => {
    const objects = await base();
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'webssh-fleet-gateway');
    (hpa.spec as Record<string, unknown>).minReplica = 2;
    const service = find(objects, 'Service', 'webssh-fleet-gateway');
    (service.spec as { ports: { port: unknown }[] }).ports[0]!.port = 'http';
    const problems = formatProblems(await validateObjects([hpa, service]));
    expect(problems).toMatch(/HorizontalPodAutoscaler\/webssh-fleet-gateway: .*minReplica/);
    expect(problems).toMatch(/Service\/webssh-fleet-gateway: .*(port must be integer|not assignable to type 'number')/);
  });

  it('unknown fields in custom resources (KEDA ScaledObject, ServiceMonitor)', async () => {
    const objects = structuredClone(await render('deploy/k8s/overlays/prod'));
    const scaledObject = find(objects, 'ScaledObject', 'webssh-fleet-worker');
    (scaledObject.spec as Record<string, unknown>).minReplicas = 2;
    const serviceMonitor = find(objects, 'ServiceMonitor', 'webssh-fleet-worker');
    (serviceMonitor.spec as { endpoints: Record<string, unknown>[] }).endpoints[0]!.scrapeInterval = '30s';
    const problems = formatProblems(await validateObjects([scaledObject, serviceMonitor]));
    expect(problems).toMatch(/ScaledObject\/webssh-fleet-worker: .*minReplicas/);
    expect(problems).toMatch(/ServiceMonitor\/webssh-fleet-worker: .*scrapeInterval/);
  });

  it('a kind with no schema', async () => {
    const problems = await validateObjects([{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }]);
    expect(formatProblems(problems)).toMatch(/Widget\/w: no schema/);
  });

  it('an environment variable the system does not read', async () => {
    const objects = await base();
    const container = podTemplate(find(objects, 'Deployment', 'webssh-fleet-worker'))!.spec.containers[0]!;
    container.env!.push({ name: 'FLEET_MAX_SESIONS', value: '10' });
    const configMap = objects.find((object) => object.kind === 'ConfigMap')!;
    (configMap.data as Record<string, string>).WEBSSH2_LISTEN_PROT = '2222';
    expect([...new Set(unknownSettings(k8sEnvSettings(objects)).map((setting) => setting.name))].sort()).toEqual(['FLEET_MAX_SESIONS', 'WEBSSH2_LISTEN_PROT']);
  });
});
