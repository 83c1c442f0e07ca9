import { closeSync, mkdirSync, openSync, rmSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import { errors } from '../../errors.ts';
import { scratchPath } from '../../scratch.ts';
import { FIELD_SEPARATOR, type CsvRows } from '../csv.ts';
import { sqlString } from './ddl.ts';

/**
 * Staging files: each checkpoint's CSV lands in a file that DuckDB's parallel CSV reader loads in one statement.
 * Memory-backed (/dev/shm) where the machine has it, so staging costs a copy, not a disk write.
 */
export class Staging {
  readonly dir: string;
  private n = 0;

  constructor() {
    this.dir = scratchPath('adw');
    mkdirSync(this.dir, { recursive: true });
  }

  /** Writes CSV rows to a new staging file and returns its path; a full staging area fails the warehouse write. */
  write(rows: CsvRows): string {
    const path = join(this.dir, `${++this.n}.csv`);
    try {
      const fd = openSync(path, 'w');
      try {
        // writev takes at most IOV_MAX (1024) buffers per call.
        const blocks = rows.bytes();
        for (let i = 0; i < blocks.length; i += 1024) writevSync(fd, blocks.slice(i, i + 1024));
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      this.remove(path);
      throw errors.warehouseWrite(`staging file ${path}: ${(e as Error).message}`);
    }
    return path;
  }

  remove(path: string): void {
    rmSync(path, { force: true });
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A DuckDB read_csv() call for CSV files as ADW writes them (see warehouse/csv.ts), with the given columns. */
export function readCsvSql(
  paths: string | readonly string[],
  columns: readonly (readonly [string, string])[],
  compression: 'none' | 'zstd' = 'none',
): string {
  const spec = columns.map(([n, t]) => `${sqlString(n)}: ${sqlString(t)}`).join(', ');
  const files = typeof paths === 'string' ? sqlString(paths) : `[${paths.map(sqlString).join(', ')}]`;
  return `read_csv(${files}, delim=${sqlString(FIELD_SEPARATOR)}, quote='', escape='', header=false, auto_detect=false, new_line='\\n', compression='${compression}', columns={${spec}})`;
}
