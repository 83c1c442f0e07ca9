import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { ADW } from './cli.ts';

/** When to kill a child engine: `delayMs` after it reported its `checkpoints`-th checkpoint of this run. */
export interface KillPoint {
  checkpoints: number;
  delayMs: number;
}

/** `adw run <args>` as a child process, with its progress read from the checkpoint lines it prints. */
export class EngineChild {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr = '';

  constructor(args: string[], onOutput?: (engine: EngineChild) => void) {
    this.child = spawn(ADW, ['run', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child.stderr!.on('data', (d) => {
      this.stderr += d;
      onOutput?.(this);
    });
    this.exited = once(this.child, 'exit').then(([code, signal]) => ({ code, signal }));
  }

  /** Checkpoints this run has committed. */
  get checkpoints(): number {
    return this.stderr.split('\n').filter((l) => l.startsWith('checkpoint ')).length;
  }

  /** Records in, as of the last committed checkpoint. */
  get recordsIn(): number {
    const last = [...this.stderr.matchAll(/^checkpoint \d+: (\d+) records in/gm)].at(-1);
    return last === undefined ? 0 : Number(last[1]);
  }

  /** Waits until `done` holds (checked every 100 ms), failing with the engine's output after `timeoutMs`. */
  async until(what: string, done: () => boolean, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (this.child.exitCode !== null)
        throw new Error(`the engine exited while waiting for ${what}: ${this.stderr.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${this.stderr.slice(-2000)}`);
      await sleep(100);
    }
  }

  /** Ctrl-C: the engine commits a last checkpoint and exits; resolves to its exit code. */
  async interrupt(): Promise<number | null> {
    this.child.kill('SIGINT');
    return (await this.exited).code;
  }
}

/**
 * Runs `adw run <args>` to its end. With a kill point it is killed with SIGKILL at that point (so the kill lands
 * mid-run however fast the machine is), unless it finished first.
 */
export async function runEngine(args: string[], kill: KillPoint | null): Promise<'killed' | 'finished'> {
  let timer: NodeJS.Timeout | null = null;
  const engine = new EngineChild(args, (e) => {
    if (kill && timer === null && e.checkpoints >= kill.checkpoints)
      timer = setTimeout(() => e.child.kill('SIGKILL'), kill.delayMs);
  });
  const { code, signal } = await engine.exited;
  if (timer) clearTimeout(timer);
  if (signal === 'SIGKILL') return 'killed';
  if (code === 0) return 'finished';
  throw new Error(`adw run exited ${code}: ${engine.stderr.slice(-2000)}`);
}

/**
 * Runs `adw run <args>`, killing it at the next kill point each time, until `kills` kills landed; then runs it to its
 * end. Resolves to the kills that landed: fewer when a run finished before its kill point (the workload was too short).
 */
export async function killRepeatedly(
  args: string[],
  next: () => KillPoint,
  kills: number,
  onKill?: (landed: number, at: KillPoint) => Promise<void> | void,
): Promise<number> {
  let landed = 0;
  while (landed < kills) {
    const at = next();
    if ((await runEngine(args, at)) === 'finished') return landed;
    landed++;
    await onKill?.(landed, at);
  }
  // Killed although no kill was asked for: something else (the kernel's OOM killer) ended the run.
  if ((await runEngine(args, null)) !== 'finished')
    throw new Error('the last run, which nothing should kill, was killed');
  return landed;
}

/** A small seeded generator of kill points, so a failing sequence can be replayed. */
export function killPoints(seed: number, maxCheckpoints = 4, maxDelayMs = 60): () => KillPoint {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0);
  return () => ({ checkpoints: 1 + (next() % maxCheckpoints), delayMs: next() % maxDelayMs });
}
