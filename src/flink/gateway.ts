import { setTimeout as sleep } from 'node:timers/promises';
import { errors } from '../errors.ts';

/** What a statement returned: its columns and rows, and the job it submitted (an INSERT, a statement set, a query). */
export interface StatementResult {
  columns: string[];
  rows: unknown[][];
  jobId: string | null;
}

/** One page of an operation's result (GET .../operations/:op/result/:token). */
interface ResultPage {
  resultType: 'NOT_READY' | 'PAYLOAD' | 'EOS';
  jobID?: string;
  results?: { columns: { name: string }[]; data: { kind: string; fields: unknown[] }[] };
  nextResultUri?: string;
}

/**
 * The message of a Flink server-side exception (the gateway's REST errors carry its stack trace): the first cause that
 * is not one of the gateway's own wrappers, e.g. "SqlParserException: SQL parse failed. Encountered ...".
 */
function flinkMessage(trace: string): string {
  const causes = trace.split('\nCaused by: ').slice(1);
  const cause =
    causes.find((c) => !c.startsWith('org.apache.flink.table.gateway.')) ??
    causes.at(-1) ??
    trace.split('\n')[1] ??
    trace;
  const message = cause
    .split('\n')
    .filter((line) => !line.startsWith('\t'))
    .join(' ')
    .replace(/\s*End of exception on server side>$/, '');
  return message.replace(/^(?:[a-z0-9_$]+\.)+/, '').trim();
}

/** Opens a session of Flink's SQL Gateway; `properties` (e.g. execution.checkpointing.interval) apply to every job it submits. */
export async function openSession(
  gatewayUrl: string,
  properties: Record<string, string> = {},
): Promise<GatewaySession> {
  const { sessionHandle } = await call<{ sessionHandle: string }>(gatewayUrl, 'POST', '/v1/sessions', { properties });
  return new GatewaySession(gatewayUrl, sessionHandle);
}

/** A session of Flink's SQL Gateway (REST API v1): statements run in it share its configuration and catalog. */
export class GatewaySession {
  readonly #url: string;
  readonly #handle: string;

  /** Use openSession. */
  constructor(url: string, handle: string) {
    this.#url = url;
    this.#handle = handle;
  }

  /**
   * Runs one statement and waits for its whole result. For an INSERT or a statement set that is the id of the job it
   * submitted, once submitted (not once finished); a query's rows come as its job produces them, so only bounded
   * queries return.
   */
  async execute(sql: string): Promise<StatementResult> {
    const { operationHandle } = await call<{ operationHandle: string }>(
      this.#url,
      'POST',
      `/v1/sessions/${this.#handle}/statements`,
      { statement: sql },
    );
    const out: StatementResult = { columns: [], rows: [], jobId: null };
    let next: string | undefined = `/v1/sessions/${this.#handle}/operations/${operationHandle}/result/0`;
    while (next) {
      const page: ResultPage = await call<ResultPage>(this.#url, 'GET', `${next}?rowFormat=JSON`);
      if (page.resultType === 'NOT_READY') await sleep(100);
      out.jobId = page.jobID ?? out.jobId;
      if (page.results) {
        out.columns = page.results.columns.map((c) => c.name);
        for (const row of page.results.data) out.rows.push(row.fields);
      }
      next = page.resultType === 'EOS' ? undefined : page.nextResultUri;
    }
    return out;
  }

  /** Closes the session (jobs it submitted keep running). */
  async close(): Promise<void> {
    await call(this.#url, 'DELETE', `/v1/sessions/${this.#handle}`);
  }
}

/** One request to the gateway; a refusal becomes the coded Flink error with the gateway's message. */
async function call<T>(url: string, method: string, path: string, body?: unknown): Promise<T> {
  // Not retried: a statement sent twice could start two jobs.
  const res = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  }).catch((e: Error) => {
    throw errors.flinkUnreachable(url, e.cause?.toString() ?? e.message);
  });
  const json = (await res.json()) as T & { errors?: string[] };
  if (!res.ok) {
    const [summary, trace] = json.errors ?? [res.statusText];
    throw errors.flinkRejected(trace ? flinkMessage(trace) : (summary ?? `HTTP ${res.status}`));
  }
  return json;
}
