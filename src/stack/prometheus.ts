import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errors } from '../errors.ts';
import { debianPackages, ensureDebianPackages } from './debian-packages.ts';
import { freePort } from './free-port.ts';

export interface PrometheusOptions {
  /** Directory for its configuration, data and log (the caller's to remove). */
  dir: string;
  /** host:port targets scraped under job="adw". */
  targets: string[];
  ruleFiles?: string[];
  scrapeIntervalSeconds?: number;
}

/** A Prometheus server of Debian's package, on loopback. */
export interface RunningPrometheus {
  url: string;
  stop(): Promise<void>;
}

const PROMETHEUS = '/usr/bin/prometheus';

/** Starts a real Prometheus scraping `targets` (installing the package if needed); resolves once it is ready. */
export async function startPrometheus(opts: PrometheusOptions): Promise<RunningPrometheus> {
  ensureDebianPackages([debianPackages.prometheus]);
  const interval = `${opts.scrapeIntervalSeconds ?? 1}s`;
  const config = join(opts.dir, 'prometheus.yml');
  writeFileSync(
    config,
    JSON.stringify({
      global: { scrape_interval: interval, evaluation_interval: interval },
      rule_files: opts.ruleFiles ?? [],
      scrape_configs: [{ job_name: 'adw', static_configs: [{ targets: opts.targets }] }],
    }),
  );
  const port = await freePort();
  const log = join(opts.dir, 'prometheus.log');
  const fd = openSync(log, 'a');
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(opts.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', fd, fd] },
  );
  closeSync(fd);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  };
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`${url}/-/ready`)).ok) return { url, stop };
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  await stop();
  throw errors.stackUnavailable(
    'prometheus',
    `did not become ready: ${readFileSync(log, 'utf8').split('\n').slice(-5).join(' ')}`,
  );
}
