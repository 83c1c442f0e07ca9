import type { Command } from '@commander-js/extra-typings';
import { once } from 'node:events';
import { BEHIND_TLS_OPTION, resolveToken, serveApi } from '../../api/serve.ts';
import { DuckDbWarehouse } from '../../warehouse/duckdb/warehouse.ts';
import { interruptSignal } from '../interrupt.ts';
import { parsePort } from '../parse.ts';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the query API and dashboard of a warehouse file (read-only), behind a token')
    .requiredOption('--db <path>', 'warehouse database file')
    .option('--port <n>', 'HTTP port (0 picks a free one)', '8080')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--token <token>', 'the API token (default: $ADW_API_TOKEN); required')
    .option(...BEHIND_TLS_OPTION)
    .action(async (opts) => {
      const token = resolveToken(opts.token, true, 'adw serve');
      const port = parsePort(opts.port, '--port', true);
      const warehouse = await DuckDbWarehouse.open(opts.db, { readOnly: true });
      const interrupt = interruptSignal();
      let api: Awaited<ReturnType<typeof serveApi>> | null = null;
      try {
        api = await serveApi({
          store: warehouse,
          token,
          behindTls: Boolean(opts.behindTls),
          port,
          host: opts.host,
          portOption: '--port',
        });
        process.stdout.write(
          `ADW serving ${opts.db} at http://${opts.host}:${api.port}/  (token required; Ctrl-C stops)\n`,
        );
        if (!interrupt.signal.aborted) await once(interrupt.signal, 'abort');
      } finally {
        interrupt.release();
        await api?.close();
        await warehouse.close();
      }
    });
}
