// The page's only way to the server: JSON GETs, with a 401 sending the user to sign in.

/**
 * The shapes of the API's answers the page reads (the server's types are in src/api and src/query).
 * @typedef {'int' | 'pct' | 'money'} MetricFormat
 * @typedef {{ name: string, label: string, format: MetricFormat, doc: string }} MetricInfo
 * @typedef {{ name: string, label: string, has_names: boolean }} DimensionInfo
 * @typedef {{ metrics: MetricInfo[], dimensions: DimensionInfo[], granularities: string[] }} Catalogue
 * @typedef {object} Freshness two clocks kept apart: wall-clock age of the data, and event time behind the wall clock
 * @property {string | null} newest_event_time
 * @property {string | null} committed_at
 * @property {number | null} lag_ms wall-clock time since the last checkpoint commit
 * @property {string | null} as_of the event time the warehouse is current to
 * @property {number | null} event_lag_ms wall clock minus `as_of`, never negative
 * @property {number | null} clock_ahead_ms how far clients' clocks ran ahead of the commit
 * @property {string | null} filling_from start of the first minute still filling
 * @typedef {Record<string, string | number | null>} QueryRow `time`, dimension values (and their `*_name`), metrics.
 * @typedef {{ columns: string[], rows: QueryRow[], source: string, freshness: Freshness }} QueryResult
 * @typedef {'exhausted' | 'ahead' | 'on_track' | 'behind'} PacingStatus
 * @typedef {object} PacingRow
 * @property {number} campaign_id
 * @property {string} campaign_name
 * @property {number} advertiser_id
 * @property {string | null} advertiser_name
 * @property {string} billing
 * @property {number} budget
 * @property {number} spend
 * @property {number} budget_used
 * @property {number} expected_used
 * @property {number | null} pace
 * @property {PacingStatus} status
 * @typedef {object} PacingResult
 * @property {string} day
 * @property {string} as_of
 * @property {number} day_elapsed
 * @property {string[]} columns
 * @property {PacingRow[]} rows
 * @property {Freshness} freshness
 * @typedef {object} PipelineStatus
 * @property {number} epoch
 * @property {string | null} watermark
 * @property {number} freshness_p50_ms
 * @property {number} freshness_p99_ms
 * @property {number} ingest_rate
 * @property {number | null} consumer_lag
 * @property {'records' | 'bytes' | null} lag_unit
 * @property {string | null} last_commit_at
 * @typedef {object} CheckpointStatus
 * @property {number | null} epoch
 * @property {string | null} committed_at
 * @property {number | null} age_ms
 * @property {number} records_in
 * @property {number} accepted
 * @property {number} dead_lettered
 * @property {number} duplicates
 * @property {number} late
 * @typedef {{ pipeline: PipelineStatus | null, checkpoint: CheckpointStatus, freshness: Freshness }} Status
 */

/**
 * A URL with query parameters; empty values are left out and lists are joined by commas.
 * @param {string} path
 * @param {Record<string, string | number | string[] | null | undefined>} [params]
 * @returns {string}
 */
export function apiUrl(path, params = {}) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    p.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const q = p.toString();
  return q ? `${path}?${q}` : path;
}

/**
 * The JSON answer of a GET; `T` is the shape the endpoint answers with (the server is trusted to keep to it).
 * @template [T=unknown]
 * @param {string} url
 * @returns {Promise<T>}
 */
export async function getJson(url) {
  const r = await fetch(url, { credentials: 'same-origin' });
  if (r.status === 401) {
    location.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
    throw new Error('sign-in required');
  }
  const body = await r.json();
  if (!r.ok) throw new Error(body.error?.message ?? `HTTP ${r.status}`);
  return body;
}

/**
 * A metric's value in an API row: a number, or null (a rate over nothing, or a metric the query did not ask for).
 * @param {QueryRow} row
 * @param {string} metric
 * @returns {number | null}
 */
export function metricValue(row, metric) {
  return /** @type {number | null} */ (row[metric] ?? null);
}

/**
 * The catalogue's entry for a metric the page shows; page and server ship together, so a miss is a bug of the page.
 * @param {Catalogue} catalogue
 * @param {string} name
 * @returns {MetricInfo}
 */
export function metricInfo(catalogue, name) {
  const m = catalogue.metrics.find((x) => x.name === name);
  if (!m) throw new Error(`the catalogue has no metric ${name}`);
  return m;
}
