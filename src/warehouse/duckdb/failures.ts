import { AdwError, errors } from '../../errors.ts';

/** DuckDB's refusal when its memory limit cannot hold what a statement needs; the rest of its first line. */
const OUT_OF_MEMORY = /^Out of Memory Error: ([^\n]*)/;

/** DuckDB's refusal for want of memory as its coded error (see `writeFailure`); null for any other failure. */
export function outOfMemory(e: unknown, doing?: string): AdwError | null {
  const oom = e instanceof Error ? OUT_OF_MEMORY.exec(e.message) : null;
  return oom ? errors.warehouseMemory(doing ? `${doing}: ${oom[1]}` : oom[1]!) : null;
}

/**
 * A failed write as one coded error: out of the warehouse's memory (`--warehouse-memory`, the operator's to raise:
 * DuckDB's own advice names settings ADW makes), or any other failure, after what was being done (`doing`).
 */
export function writeFailure(e: unknown, doing?: string): AdwError {
  if (e instanceof AdwError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return outOfMemory(e, doing) ?? errors.warehouseWrite(doing ? `${doing}: ${message}` : message);
}
