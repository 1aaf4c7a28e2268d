/**
 * Offline validation of Kubernetes objects against the API's schemas, with
 * unknown fields as errors (what `kubectl apply --validate=strict` does
 * against a live API server).
 *
 * Two checks, both driven by the kubernetes-models packages (models generated
 * from the Kubernetes OpenAPI spec, and for custom resources from KEDA's and
 * the Prometheus Operator's CRDs):
 *
 *  1. the models' own validate(): the OpenAPI schema (types, required fields,
 *     formats, enums). Its generated validators accept unknown fields, so
 *  2. the same models' TypeScript declarations: each object is type-checked
 *     as an object literal against the kind's interface, and TypeScript's
 *     excess-property check reports any field the schema does not declare,
 *     at any depth.
 *
 * (kubeconform and kubernetes-validate, the usual tools, need schema files
 * from the network or PyPI, neither of which this project's machines reach.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { type K8sObject, objectId, REPO_ROOT } from './manifests.js';

/** Custom resource groups, and the package with their models. */
const CRD_PACKAGES: Record<string, string> = {
  'keda.sh': '@kubernetes-models/keda',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

export interface SchemaProblem {
  object: string;
  message: string;
}

function modelModule(object: K8sObject): string {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
  if (!group) return `kubernetes-models/${version}/${object.kind}`;
  return `${CRD_PACKAGES[group] ?? 'kubernetes-models'}/${group}/${version}/${object.kind}`;
}

/** Whether the kind is served by a custom resource definition (not built into Kubernetes). */
export function isCustomResource(object: K8sObject): boolean {
  const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0]! : '';
  return group in CRD_PACKAGES;
}

interface ModelClass {
  new (data: unknown): { validate(): void };
}

/** Check 1: the OpenAPI schema, through the models' validate(). */
async function validateWithModels(objects: readonly K8sObject[]): Promise<SchemaProblem[]> {
  const problems: SchemaProblem[] = [];
  for (const object of objects) {
    let Model: ModelClass | undefined;
    try {
      const module = (await import(modelModule(object))) as Record<string, unknown>;
      Model = module[object.kind] as ModelClass | undefined;
    } catch {
      Model = undefined;
    }
    if (!Model) {
      problems.push({ object: objectId(object), message: `no schema for ${object.apiVersion} ${object.kind}` });
      continue;
    }
    try {
      new Model(object).validate();
    } catch (error) {
      problems.push({ object: objectId(object), message: (error as Error).message });
    }
  }
  return problems;
}

/** Check 2: unknown fields (and types), through the models' TypeScript interfaces. */
function checkWithTypes(objects: readonly K8sObject[]): SchemaProblem[] {
  // Virtual files beside this one, so that module resolution finds the
  // project's node_modules.
  const files = new Map<string, { object: K8sObject; text: string }>();
  objects.forEach((object, index) => {
    const text = [
      `import type { I${object.kind} as Schema } from '${modelModule(object)}';`,
      `export const object = ${JSON.stringify(object, null, 2)} satisfies Schema;`,
      '',
    ].join('\n');
    files.set(join(REPO_ROOT, 'test', 'deploy', `__schema_check_${index}__.ts`), { object, text });
  });

  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  };
  const host = ts.createCompilerHost(options, true);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.fileExists = (name) => files.has(name) || fileExists(name);
  host.readFile = (name) => files.get(name)?.text ?? readFile(name);
  host.getSourceFile = (name, language, ...rest) => {
    const file = files.get(name);
    return file ? ts.createSourceFile(name, file.text, language, true) : getSourceFile(name, language, ...rest);
  };
  const program = ts.createProgram([...files.keys()], options, host);

  const problems: SchemaProblem[] = [];
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const file = diagnostic.file ? files.get(diagnostic.file.fileName) : undefined;
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (!file || diagnostic.start === undefined) {
      problems.push({ object: '(type check)', message });
      continue;
    }
    const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start);
    const source = file.text.split('\n')[line]?.trim() ?? '';
    problems.push({ object: objectId(file.object), message: `${message} (at: ${source})` });
  }
  return problems;
}

/** Every problem found in the objects; empty when all are valid. */
export async function validateObjects(objects: readonly K8sObject[]): Promise<SchemaProblem[]> {
  return [...(await validateWithModels(objects)), ...checkWithTypes(objects)];
}

/** Problems as one readable string, for assertion messages. */
export function formatProblems(problems: readonly SchemaProblem[]): string {
  return problems.map((problem) => `${problem.object}: ${problem.message}`).join('\n');
}

/** The installed models' version, for messages. */
export function modelsVersion(): string {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', 'kubernetes-models', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}
