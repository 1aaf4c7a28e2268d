/**
 * The environment variables the deployment files give the fleet's processes,
 * and the ones the processes read (shared/config/load.ts).
 */
import { CONFIG_FILE_VARIABLE, ENVIRONMENT_VARIABLES } from '../../shared/config/load.js';
import { allContainers, isFleetContainer, type K8sObject, objectId, podTemplate } from './manifests.js';

/** Every variable the system reads. */
export function knownVariables(): Set<string> {
  return new Set([...Object.keys(ENVIRONMENT_VARIABLES), CONFIG_FILE_VARIABLE]);
}

/** A variable set somewhere, and where (for messages). */
export interface EnvSetting {
  name: string;
  where: string;
}

/**
 * The variables the rendered manifests set in the fleet's containers: `env`
 * entries, and the keys of every ConfigMap or Secret pulled in with
 * `envFrom`. A ConfigMap or Secret given to envFrom must be among the
 * rendered objects, since its keys become variable names.
 */
export function k8sEnvSettings(objects: readonly K8sObject[]): EnvSetting[] {
  const settings: EnvSetting[] = [];
  for (const object of objects) {
    const template = podTemplate(object);
    if (!template) continue;
    for (const container of allContainers(template.spec).filter(isFleetContainer)) {
      const at = `${objectId(object)} container ${container.name}`;
      for (const variable of container.env ?? []) settings.push({ name: variable.name, where: `${at} env` });
      for (const source of container.envFrom ?? []) {
        const [kind, name] = source.configMapRef ? ['ConfigMap', source.configMapRef.name] : ['Secret', source.secretRef?.name];
        const referenced = objects.find((candidate) => candidate.kind === kind && candidate.metadata.name === name);
        if (!referenced) {
          settings.push({ name: `<keys of ${kind}/${name}, which is not rendered>`, where: `${at} envFrom` });
          continue;
        }
        const data = { ...(referenced.data as Record<string, string> | undefined), ...(referenced.stringData as Record<string, string> | undefined) };
        for (const key of Object.keys(data)) settings.push({ name: key, where: `${at} envFrom ${kind}/${name}` });
      }
    }
  }
  return settings;
}

/** Settings whose variable the system does not read. */
export function unknownSettings(settings: readonly EnvSetting[]): EnvSetting[] {
  const known = knownVariables();
  return settings.filter((setting) => !known.has(setting.name));
}

export interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, string | number | boolean | null> | string[];
  [key: string]: unknown;
}

/** The variables docker-compose.yml sets in the services that run the fleet's image. */
export function composeEnvSettings(services: Record<string, ComposeService>): EnvSetting[] {
  const settings: EnvSetting[] = [];
  for (const [name, service] of Object.entries(services)) {
    if (!service.build && !(service.image ?? '').includes('webssh-fleet')) continue;
    const environment = service.environment ?? {};
    const names = Array.isArray(environment) ? environment.map((entry) => entry.split('=')[0]!) : Object.keys(environment);
    for (const variable of names) settings.push({ name: variable, where: `service ${name}` });
  }
  return settings;
}
