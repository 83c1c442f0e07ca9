import { AdwError } from '../errors.ts';
import type { Param } from '../warehouse/warehouse.ts';
import type { PipelineStatus } from './pipeline-health.ts';

/** An error as it crosses between the threads: an AdwError keeps its code and status. */
export interface ThreadError {
  message: string;
  code?: string;
  statusCode?: number;
  retryable?: boolean;
}

/** What the engine's thread tells the API's thread. */
export type ToApi =
  | { t: 'rows'; id: number; rows: Record<string, unknown>[] }
  | { t: 'text'; id: number; text: string }
  | { t: 'failed'; id: number; error: ThreadError }
  | { t: 'commit'; version: number }
  | { t: 'status'; status: PipelineStatus | null }
  | { t: 'close' };

/** What the API's thread asks of the engine's thread, or reports to it. */
export type FromApi =
  | { t: 'read'; id: number; sql: string; params: Param[] }
  | { t: 'metrics'; id: number }
  | { t: 'listening'; port: number }
  | { t: 'error'; error: ThreadError };

/** How the API's thread is started. */
export interface ApiThreadData {
  token?: string;
  behindTls: boolean;
  port: number;
  host: string;
  portOption: string;
  /** The warehouse's committed version when the thread starts. */
  version: number;
  /** An engine runs in the process: /api/status reports its pipeline status, pushed at each commit. */
  engine: boolean;
  status: PipelineStatus | null;
  /** The process has Prometheus metrics: /metrics serves them, with the API's own. */
  metrics: boolean;
}

/** An error made ready to cross to the other thread. */
export function toThreadError(e: unknown): ThreadError {
  if (e instanceof AdwError)
    return { message: e.message, code: e.code, statusCode: e.statusCode, retryable: e.retryable };
  return { message: e instanceof Error ? e.message : String(e) };
}

/** The error that crossed, rebuilt: an AdwError again when it was one. */
export function fromThreadError(e: ThreadError): Error {
  return e.code !== undefined
    ? new AdwError(e.code, e.message, e.statusCode ?? 500, e.retryable ?? false)
    : new Error(e.message);
}
