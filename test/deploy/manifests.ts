/**
 * Renders the kustomize trees under deploy/k8s with `kubectl kustomize`
 * (offline, client only) and reads the rendered objects, for the deploy tests.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every directory `kubectl apply -k` may be pointed at. */
export const KUSTOMIZE_TARGETS = [
  'deploy/k8s/base',
  'deploy/k8s/overlays/dev',
  'deploy/k8s/overlays/prod',
  'deploy/k8s/overlays/prod-redis-sentinel',
  'deploy/k8s/overlays/prod-redis-cluster',
] as const;
export type KustomizeTarget = (typeof KUSTOMIZE_TARGETS)[number];

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export async function kustomize(target: string): Promise<K8sObject[]> {
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)('kubectl', ['kustomize', target], { cwd: REPO_ROOT, maxBuffer: 32 * 1024 * 1024 }));
  } catch (error) {
    const { code, stderr } = error as { code?: string; stderr?: string };
    if (code === 'ENOENT') throw new Error('kubectl not found: the deploy tests render with `kubectl kustomize` (offline, no cluster needed)');
    throw new Error(`kubectl kustomize ${target} failed:\n${stderr ?? (error as Error).message}`);
  }
  return parseObjects(stdout);
}

export function parseObjects(text: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) throw new Error(`YAML: ${document.errors.map((error) => error.message).join('; ')}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    objects.push(value as K8sObject);
  }
  return objects;
}

export function objectId(object: K8sObject): string {
  return `${object.kind}/${object.metadata?.name ?? '?'}`;
}

export function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name} in the rendered objects`);
  return found;
}

// The parts of the workload API the tests read. Only the fields used here.

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { configMapKeyRef?: { name: string; key: string }; secretKeyRef?: { name: string; key: string } };
}

export interface Probe {
  httpGet?: { path?: string; port: number | string };
  tcpSocket?: { port: number | string };
  exec?: { command: string[] };
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  securityContext?: {
    runAsNonRoot?: boolean;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    seccompProfile?: { type: string };
  };
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  terminationGracePeriodSeconds?: number;
  automountServiceAccountToken?: boolean;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec: PodSpec;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

/** The pod template of a workload object, or undefined for other kinds. */
export function podTemplate(object: K8sObject): PodTemplate | undefined {
  if (!WORKLOAD_KINDS.has(object.kind)) return undefined;
  return (object.spec as { template: PodTemplate }).template;
}

export function allContainers(pod: PodSpec): Container[] {
  return [...(pod.initContainers ?? []), ...pod.containers];
}

/** Containers that run this project's image (not e.g. the dev overlay's Redis). */
export function isFleetContainer(container: Container): boolean {
  const image = container.image ?? '';
  const repository = image.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
  return repository === 'webssh-fleet' || repository.endsWith('/webssh-fleet');
}

/** Label selector `matchLabels` (or a Service's plain selector) against labels. */
export function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}
