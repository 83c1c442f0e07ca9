import { execFile, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { join } from 'node:path';

/** The `adw` launcher of this checkout. */
export const ADW = new URL('../../bin/adw', import.meta.url).pathname;

/** Runs `adw` to completion (Node's compile cache under `dir` makes repeated start-ups cheaper). */
export function adwSync(dir: string, args: string[], timeoutMs = 120_000): SpawnSyncReturns<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_COMPILE_CACHE: join(dir, 'compile-cache') };
  delete env.ADW_DEBUG;
  const r = spawnSync(ADW, args, { cwd: dir, env, encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw r.error;
  return r;
}

/** A failed command's exit status and output, for assertion messages. */
export function show(r: SpawnSyncReturns<string>): string {
  return `status ${r.status}, signal ${r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** Runs `adw` and parses its stdout as one JSON object, failing with the command's output if it did not succeed. */
export function adwJson(dir: string, args: string[]): Record<string, unknown> {
  const r = adwSync(dir, args);
  if (r.status !== 0) throw new Error(`adw ${args.join(' ')} failed: ${show(r)}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/**
 * Runs `adw` without blocking this process (for servers running in the test process itself); resolves to its exit
 * status and output.
 */
export function adwAsync(
  dir: string,
  args: string[],
  timeoutMs = 120_000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(ADW, args, { cwd: dir, env, encoding: 'utf8', timeout: timeoutMs }, (error, stdout, stderr) => {
      resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
