import { mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const harnessDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'harness');
const projectNodeModules = join(harnessDir, '..', '..', 'node_modules');

/**
 * Node 20 cannot run the TypeScript harness directly, yet crash-cleanup can only be
 * proven in a separate process that dies. So the harness is transpiled into a temp dir
 * that resolves packages from the project's node_modules. Returns that harness dir.
 */
export async function compileHarnessToTemp(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'fleet-harness-js-'));
  const outDir = join(root, 'harness');
  await mkdir(outDir);
  await writeFile(join(root, 'package.json'), '{"type":"module"}\n');
  await symlink(projectNodeModules, join(root, 'node_modules'));
  for (const file of await readdir(harnessDir)) {
    if (!file.endsWith('.ts')) continue;
    const source = await readFile(join(harnessDir, file), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    await writeFile(join(outDir, file.replace(/\.ts$/, '.js')), outputText);
  }
  return outDir;
}
