/**
 * A GET beacon's query string as a wire record: numbers and booleans are typed as the NDJSON wire format has them,
 * and a beacon without `ts` is stamped with the collector's receive time (browsers do not know the ad server's clock).
 */
export function beaconRecord(
  query: Record<string, string | string[] | undefined>,
  receivedAt: number,
): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [k, raw] of Object.entries(query)) {
    const v = Array.isArray(raw) ? raw[0] : raw;
    if (v === undefined) continue;
    // What is not a number stays a string for the validator to name: NaN would become null, read as a missing field.
    if (k === 'ts' || k === 'slot_id' || k === 'ad_id' || k === 'bid_price')
      record[k] = v.trim() === '' || !Number.isFinite(Number(v)) ? v : Number(v);
    else if (k === 'filled') record[k] = v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v;
    else record[k] = v;
  }
  if (record.ts === undefined) record.ts = receivedAt;
  return record;
}

/** The body of a batched POST as records: NDJSON lines, or one JSON array of objects. */
export function batchLines(body: string, contentType: string | undefined): string[] {
  if (contentType?.includes('application/json')) {
    const parsed: unknown = JSON.parse(body);
    const items = Array.isArray(parsed) ? parsed : [parsed];
    return items.map((x) => JSON.stringify(x));
  }
  return body
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}
