import type { Command } from '@commander-js/extra-typings';
import { errors } from '../../errors.ts';
import { stackComponents } from '../../stack/components.ts';
import { parseList } from '../parse.ts';

export function registerSetup(program: Command): void {
  program
    .command('setup')
    .description(
      `install what the local stack and the tests need (idempotent): ${stackComponents.map((c) => c.name).join(', ')}`,
    )
    .option('--only <names>', 'comma-separated components to install (default: all)')
    .action(async (opts) => {
      const wanted = opts.only ? parseList(opts.only) : stackComponents.map((c) => c.name);
      for (const name of wanted) {
        const component = stackComponents.find((c) => c.name === name);
        if (!component)
          throw errors.badOption(
            '--only',
            `unknown component "${name}" (known: ${stackComponents.map((c) => c.name).join(', ')})`,
          );
        await component.install((line) => process.stderr.write(`adw setup: ${line}\n`));
      }
    });
}
