import { Command } from '@commander-js/extra-typings';
import { type AdwError, errors } from '../errors.ts';

type Register = (program: Command) => void;

/**
 * Each command's module and the commands it registers, in the order help lists them. A module is loaded only when its
 * command runs: loading them all (the engine, DuckDB, the Kafka client, the API server) took about a second of CPU
 * before any command did its work.
 */
export const commandModules: { names: readonly string[]; load: () => Promise<Register> }[] = [
  { names: ['demo'], load: async () => (await import('./commands/demo.ts')).registerDemo },
  { names: ['collect'], load: async () => (await import('./commands/collect.ts')).registerCollect },
  { names: ['simulate'], load: async () => (await import('./commands/simulate.ts')).registerSimulate },
  { names: ['run'], load: async () => (await import('./commands/run.ts')).registerRun },
  { names: ['query'], load: async () => (await import('./commands/query.ts')).registerQuery },
  { names: ['serve'], load: async () => (await import('./commands/serve.ts')).registerServe },
  { names: ['bench'], load: async () => (await import('./commands/bench.ts')).registerBench },
  { names: ['reconcile'], load: async () => (await import('./commands/reconcile.ts')).registerReconcile },
  { names: ['check'], load: async () => (await import('./commands/check.ts')).registerCheck },
  { names: ['advise-window'], load: async () => (await import('./commands/advise-window.ts')).registerAdviseWindow },
  { names: ['setup'], load: async () => (await import('./commands/setup.ts')).registerSetup },
  { names: ['up', 'down'], load: async () => (await import('./commands/stack.ts')).registerStack },
  { names: ['kafka-tool'], load: async () => (await import('./commands/kafka-tool.ts')).registerKafkaTool },
  { names: ['flink'], load: async () => (await import('./commands/flink.ts')).registerFlink },
  { names: ['starrocks'], load: async () => (await import('./commands/starrocks.ts')).registerStarRocks },
];

/** A mistake or failure as `adw` reports it: one line, with its code. */
export function errorLine(e: AdwError): string {
  return `adw: ${e.message} [${e.code}]`;
}

/**
 * The `adw` command line for `argv`: every command has --help; user mistakes print one line and exit non-zero. Only
 * the module of the command named first is loaded; without one (help, a mistyped name) all are, so that help lists
 * every command and a mistake gets its suggestion.
 */
export async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command('adw')
    .description('ADW: a real-time advertising data warehouse (ODS -> DWD -> DWA -> APP)')
    .exitOverride()
    // Commander's own refusals (an unknown command or option, a missing one, a value not among the choices) in ADW's
    // form: "error: ..." and a hint on a line of its own were the only uncoded mistakes. Commands inherit it.
    .configureOutput({
      outputError: (message, write) =>
        write(
          `${errorLine(
            errors.usage(
              message
                .replace(/^error: /, '')
                .trim()
                .replace(/\s*\n\s*/g, ' '),
            ),
          )}\n`,
        ),
    })
    // Lets adw kafka-tool hand every option after the tool's name to the tool.
    .enablePositionalOptions();
  const named = commandModules.find((m) => m.names.includes(argv[2] ?? ''));
  for (const m of named ? [named] : commandModules) (await m.load())(program);
  return program;
}
