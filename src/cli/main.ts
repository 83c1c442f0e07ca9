#!/usr/bin/env node
import { Command, CommanderError } from '@commander-js/extra-typings';
import { errors, isAdwError } from '../errors.ts';
import { registerAdviseWindow } from './commands/advise-window.ts';
import { registerBench } from './commands/bench.ts';
import { registerCollect } from './commands/collect.ts';
import { registerDemo } from './commands/demo.ts';
import { registerFlink } from './commands/flink.ts';
import { registerKafkaTool } from './commands/kafka-tool.ts';
import { registerQuery } from './commands/query.ts';
import { registerReconcile } from './commands/reconcile.ts';
import { registerRun } from './commands/run.ts';
import { registerServe } from './commands/serve.ts';
import { registerSetup } from './commands/setup.ts';
import { registerSimulate } from './commands/simulate.ts';
import { registerStack } from './commands/stack.ts';
import { registerStarRocks } from './commands/starrocks.ts';

/** The `adw` command line: every command has --help; user mistakes print one line and exit non-zero. */
export function buildProgram(): Command {
  const program = new Command('adw')
    .description('ADW: a real-time advertising data warehouse (ODS -> DWD -> DWA -> APP)')
    .exitOverride()
    // Lets adw kafka-tool hand every option after the tool's name to the tool.
    .enablePositionalOptions();
  registerDemo(program);
  registerCollect(program);
  registerSimulate(program);
  registerRun(program);
  registerQuery(program);
  registerServe(program);
  registerBench(program);
  registerReconcile(program);
  registerAdviseWindow(program);
  registerSetup(program);
  registerStack(program);
  registerKafkaTool(program);
  registerFlink(program);
  registerStarRocks(program);
  return program;
}

/** Whether an error is the reader of the output going away (`adw ... | head`): the output ends, not the command. */
const readerGone = (e: unknown) => (e as NodeJS.ErrnoException | null)?.code === 'EPIPE';

async function main(argv: string[]): Promise<number> {
  process.stdout.on('error', (e) => {
    if (readerGone(e)) process.exit(0);
    throw e;
  });
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (readerGone(e)) return 0;
    if (isAdwError(e)) {
      process.stderr.write(`adw: ${e.message} [${e.code}]\n`);
      return e.statusCode < 500 ? 2 : 1;
    }
    // A file the system refused (permissions, a folder where a file should be) is the user's to fix: one coded line.
    const sys = e as NodeJS.ErrnoException;
    if (typeof sys.path === 'string' && typeof sys.code === 'string') {
      const bad = errors.badPath(
        sys.path,
        `${sys.message.replace(/^\w+: /, '').replace(/, \w+ '.*'$/, '')} (${sys.code})`,
      );
      process.stderr.write(`adw: ${bad.message} [${bad.code}]\n`);
      return 2;
    }
    process.stderr.write(`adw: internal error: ${(e as Error).message}\n`);
    if (process.env.ADW_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv);
