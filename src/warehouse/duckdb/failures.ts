import { basename } from 'node:path';
import { AdwError, errors } from '../../errors.ts';

/** DuckDB's refusal when its memory limit cannot hold what a statement needs; the rest of its first line. */
const OUT_OF_MEMORY = /^Out of Memory Error: ([^\n]*)/;

/**
 * DuckDB's failures to read a file back: zstd's checks (a checksum, a frame it cannot decode), a segment's rows that
 * no longer parse, a segment gone, a block of the warehouse file that fails its checksum or is cut off. Reads run
 * ADW's own SQL, so these are the files', not the query's. Other I/O errors (a full disk under DuckDB's temporary
 * files) are not the files' damage, and stay as they are.
 */
const UNREADABLE = new RegExp(
  `^(IO Error: (${[
    'Data corruption detected',
    "Restored data doesn't match checksum",
    'Unknown frame descriptor',
    'Corrupted block detected',
    'Destination buffer is too small',
    'Src size is incorrect',
    'Unsupported frame parameter',
    'No files found that match the pattern',
    // A block of the warehouse file itself whose checksum does not match, or that the file, cut short, lacks.
    'Corrupt database file',
    'Could not read enough bytes',
  ].join('|')})|(Invalid Input|Conversion) Error: CSV Error)[^\n]*`,
);
/** The file a CSV error names, in DuckDB's list of the reader's settings. */
const CSV_FILE = /^\s*file = (.*)$/m;

/** A read that failed on a damaged or missing file as its coded error (the file's name if DuckDB gives it); else null. */
export function unreadable(e: unknown): AdwError | null {
  const m = e instanceof Error ? UNREADABLE.exec(e.message) : null;
  if (!m) return null;
  const file = CSV_FILE.exec((e as Error).message)?.[1];
  return errors.warehouseDamaged(`${m[0]}${file ? `, in ${basename(file)}` : ''}`);
}

/** DuckDB's refusal for want of memory as its coded error (see `writeFailure`); null for any other failure. */
export function outOfMemory(e: unknown, doing?: string): AdwError | null {
  const oom = e instanceof Error ? OUT_OF_MEMORY.exec(e.message) : null;
  return oom ? errors.warehouseMemory(doing ? `${doing}: ${oom[1]}` : oom[1]!) : null;
}

/**
 * A failed write as one coded error: out of the warehouse's memory (`--warehouse-memory`, the operator's to raise:
 * DuckDB's own advice names settings ADW makes), a damaged file it had to read, or any other failure, after what was
 * being done (`doing`).
 */
export function writeFailure(e: unknown, doing?: string): AdwError {
  if (e instanceof AdwError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return outOfMemory(e, doing) ?? unreadable(e) ?? errors.warehouseWrite(doing ? `${doing}: ${message}` : message);
}
