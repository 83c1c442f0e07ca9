import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { ADW } from './cli.ts';

/** A long-running `adw` command (demo, serve) and the URL it printed. */
export interface AdwServer {
  url: string;
  output(): { stdout: string; stderr: string };
  /** Ctrl-C, then its exit code. */
  stop(): Promise<number | null>;
}

/** Starts `adw args` and waits (up to `timeoutMs`) for the "... at http://host:port/" line, on stdout or stderr. */
export async function startAdwServer(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 20_000,
): Promise<AdwServer> {
  const child = spawn(ADW, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    const [code] = await exited;
    return code as number | null;
  };
  const deadline = Date.now() + timeoutMs;
  let url: string | undefined;
  while (!url && Date.now() < deadline && child.exitCode === null) {
    url = / at (http:\/\/\S+?)\/? /.exec(stdout + stderr)?.[1];
    if (!url) await sleep(100);
  }
  if (!url) {
    await stop();
    throw new Error(`adw ${args.join(' ')} printed no URL (stdout: ${stdout}, stderr: ${stderr})`);
  }
  return { url, output: () => ({ stdout, stderr }), stop };
}
