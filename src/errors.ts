/**
 * The one table of ADW errors. Each error has a stable `code` (ADW_ERR_*), an HTTP status for the API,
 * and a `retryable` flag, so callers branch on properties rather than on message text.
 */
export class AdwError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly retryable: boolean;
  constructor(code: string, message: string, statusCode: number, retryable: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AdwError';
    this.code = code;
    this.statusCode = statusCode;
    this.retryable = retryable;
  }
}

type ErrorFactory<A extends unknown[]> = ((...args: A) => AdwError) & { code: string };

function define<A extends unknown[]>(
  code: string,
  statusCode: number,
  retryable: boolean,
  message: (...args: A) => string,
): ErrorFactory<A> {
  const factory = (...args: A) => new AdwError(code, message(...args), statusCode, retryable);
  return Object.assign(factory, { code });
}

/** What to do about a warehouse whose files are damaged or incomplete. */
export const RESTORE_ADVICE = 'restore the warehouse (its file and the folders beside it) from a copy';

/** Errors by subsystem. Codes never change once published. */
export const errors = {
  // CLI and configuration: user mistakes, reported as one line.
  usage: define('ADW_ERR_USAGE', 400, false, (what: string) => what),
  badOption: define('ADW_ERR_BAD_OPTION', 400, false, (option: string, why: string) => `option ${option}: ${why}`),
  inputNotFound: define('ADW_ERR_INPUT_NOT_FOUND', 400, false, (path: string) => `input file not found: ${path}`),
  inputMismatch: define(
    'ADW_ERR_INPUT_MISMATCH',
    409,
    false,
    (source: string, why: string) => `the database's checkpoint for ${source} does not match this input: ${why}`,
  ),
  dbLocked: define('ADW_ERR_DB_LOCKED', 409, true, (path: string) => `database ${path} is in use by another process`),
  badPath: define('ADW_ERR_BAD_PATH', 400, false, (path: string, why: string) => `${path}: ${why}`),
  dbUnreadable: define(
    'ADW_ERR_DB_UNREADABLE',
    400,
    false,
    (path: string, why: string) => `cannot open warehouse ${path}: ${why}`,
  ),
  dbNotFound: define(
    'ADW_ERR_DB_NOT_FOUND',
    404,
    false,
    (path: string) => `database not found: ${path} (create it with "adw run" or "adw demo")`,
  ),
  // Query service.
  unknownMetric: define('ADW_ERR_UNKNOWN_METRIC', 400, false, (name: string) => `unknown metric "${name}"`),
  unknownDimension: define('ADW_ERR_UNKNOWN_DIMENSION', 400, false, (name: string) => `unknown dimension "${name}"`),
  unknownDataset: define('ADW_ERR_UNKNOWN_DATASET', 404, false, (name: string) => `unknown dataset "${name}"`),
  badRange: define('ADW_ERR_BAD_RANGE', 400, false, (why: string) => `bad time range: ${why}`),
  badQuery: define('ADW_ERR_BAD_QUERY', 400, false, (why: string) => `bad query: ${why}`),
  queryTooLarge: define('ADW_ERR_QUERY_TOO_LARGE', 413, false, (why: string) => `query too large: ${why}`),
  unauthorized: define(
    'ADW_ERR_UNAUTHORIZED',
    401,
    false,
    () => 'a valid API token is required (header "Authorization: Bearer TOKEN", or sign in at /login)',
  ),
  // HTTP servers (the API and the collector): refusals by fastify or Node's HTTP parser, before or beside any route.
  badRequest: define('ADW_ERR_BAD_REQUEST', 400, false, (why: string) => `bad request: ${why}`),
  notFound: define('ADW_ERR_NOT_FOUND', 404, false, (what: string) => `not found: ${what}`),
  requestTimeout: define('ADW_ERR_REQUEST_TIMEOUT', 408, true, (why: string) => `request timed out: ${why}`),
  bodyTooLarge: define('ADW_ERR_BODY_TOO_LARGE', 413, false, (why: string) => `body too large: ${why}`),
  unsupportedMediaType: define(
    'ADW_ERR_UNSUPPORTED_MEDIA_TYPE',
    415,
    false,
    (why: string) => `unsupported content type: ${why}`,
  ),
  rateLimited: define('ADW_ERR_RATE_LIMITED', 429, true, (why: string) => `too many requests: ${why}`),
  headersTooLarge: define(
    'ADW_ERR_HEADERS_TOO_LARGE',
    431,
    false,
    (why: string) => `request headers too large: ${why}`,
  ),
  internal: define('ADW_ERR_INTERNAL', 500, false, () => 'internal error'),
  apiThread: define('ADW_ERR_API_THREAD', 503, false, (why: string) => `the API's thread failed: ${why}`),
  // Beacon collector.
  badBeacon: define('ADW_ERR_BAD_BEACON', 400, false, (why: string) => `beacon refused: ${why}`),
  batchTooLarge: define(
    'ADW_ERR_BATCH_TOO_LARGE',
    413,
    false,
    (n: number, max: number) => `batch of ${n} records exceeds the limit of ${max}`,
  ),
  // Engine and warehouse.
  warehouseClosed: define('ADW_ERR_WAREHOUSE_CLOSED', 503, false, () => 'the warehouse is closing: no more reads'),
  warehouseWrite: define('ADW_ERR_WAREHOUSE_WRITE', 503, true, (why: string) => `warehouse write failed: ${why}`),
  warehouseMemory: define(
    'ADW_ERR_WAREHOUSE_MEMORY',
    503,
    true,
    (why: string) =>
      `the warehouse ran out of its memory (${why}): raise --warehouse-memory; a run stopped by this resumes from its last checkpoint`,
  ),
  warehouseDamaged: define(
    'ADW_ERR_WAREHOUSE_DAMAGED',
    503,
    false,
    (why: string) => `the warehouse's files cannot be read back (${why}): ${RESTORE_ADVICE}`,
  ),
  checkpointFailed: define('ADW_ERR_CHECKPOINT_FAILED', 503, true, (why: string) => `checkpoint failed: ${why}`),
  stateSpill: define(
    'ADW_ERR_STATE_SPILL',
    503,
    true,
    (path: string, why: string) => `spilled state in ${path} failed: ${why}`,
  ),
  sourceFailed: define(
    'ADW_ERR_SOURCE_FAILED',
    503,
    true,
    (source: string, why: string) => `source ${source} failed: ${why}`,
  ),
  sourceUnreachable: define(
    'ADW_ERR_SOURCE_UNREACHABLE',
    503,
    true,
    (source: string, why: string) => `cannot connect to ${source}: ${why}`,
  ),
  sourceAccessDenied: define(
    'ADW_ERR_SOURCE_ACCESS_DENIED',
    403,
    false,
    (source: string, why: string) => `access denied by ${source}: ${why}`,
  ),
  interrupted: define('ADW_ERR_INTERRUPTED', 503, false, (what: string) => `interrupted ${what}`),
  // Local stack (servers and tools the project installs and starts itself).
  stackUnavailable: define('ADW_ERR_STACK_UNAVAILABLE', 503, false, (what: string, why: string) => `${what}: ${why}`),
  flinkUnreachable: define(
    'ADW_ERR_FLINK_UNREACHABLE',
    503,
    true,
    (url: string, why: string) => `cannot reach Flink at ${url}: ${why}`,
  ),
  flinkRunUnknown: define(
    'ADW_ERR_FLINK_RUN_UNKNOWN',
    409,
    false,
    (job: string, why: string) =>
      `this warehouse holds results of the Flink job "${job}", ${why}: a job started afresh would load them twice; run into a fresh warehouse`,
  ),
  flinkRejected: define('ADW_ERR_FLINK_REJECTED', 502, false, (why: string) => `Flink refused the request: ${why}`),
  flinkJobFailed: define(
    'ADW_ERR_FLINK_JOB_FAILED',
    502,
    false,
    (jobId: string, why: string) => `Flink job ${jobId} ${why}`,
  ),
  pipelineInvalid: define(
    'ADW_ERR_PIPELINE_INVALID',
    500,
    false,
    (why: string) => `invalid pipeline definition: ${why}`,
  ),
  // The scale-out engine's output, read back into the warehouse.
  flinkOutput: define('ADW_ERR_FLINK_OUTPUT', 502, false, (why: string) => `unreadable Flink job output: ${why}`),
} as const;

/** Why a record went to the dead-letter table: stable reason codes stored with the record. */
export const deadLetterReasons = [
  'bad_json',
  'not_an_object',
  'unknown_type',
  'missing_field',
  'bad_field',
  'bad_timestamp',
  'oversized',
  'bad_encoding',
] as const;
export type DeadLetterReason = (typeof deadLetterReasons)[number];

export function isAdwError(e: unknown): e is AdwError {
  return e instanceof AdwError;
}
