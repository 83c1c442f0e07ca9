#!/usr/bin/env node
import { CommanderError } from '@commander-js/extra-typings';
import { errors, isAdwError } from '../errors.ts';
import { buildProgram, errorLine } from './program.ts';

/** Whether an error is the reader of the output going away (`adw ... | head`): the output ends, not the command. */
const readerGone = (e: unknown) => (e as NodeJS.ErrnoException | null)?.code === 'EPIPE';

async function main(argv: string[]): Promise<number> {
  process.stdout.on('error', (e) => {
    if (readerGone(e)) process.exit(0);
    throw e;
  });
  try {
    await (await buildProgram(argv)).parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (readerGone(e)) return 0;
    if (isAdwError(e)) {
      process.stderr.write(`${errorLine(e)}\n`);
      return e.statusCode < 500 ? 2 : 1;
    }
    // A file the system refused (permissions, a folder where a file should be) is the user's to fix: one coded line.
    const sys = e as NodeJS.ErrnoException;
    if (typeof sys.path === 'string' && typeof sys.code === 'string') {
      const bad = errors.badPath(
        sys.path,
        `${sys.message.replace(/^\w+: /, '').replace(/, \w+ '.*'$/, '')} (${sys.code})`,
      );
      process.stderr.write(`${errorLine(bad)}\n`);
      return 2;
    }
    process.stderr.write(`adw: internal error: ${(e as Error).message}\n`);
    if (process.env.ADW_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv);
