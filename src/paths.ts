// Checks of the files a command names, so a wrong path is one coded line rather than a system error.
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { errors } from './errors.ts';

/** What a path is, or null when nothing is there. */
function kind(path: string): 'directory' | 'other' | null {
  try {
    return statSync(path).isDirectory() ? 'directory' : 'other';
  } catch {
    return null;
  }
}

/** An input file to read: it must exist and not be a folder. */
export function checkInputFile(path: string): void {
  const k = kind(path);
  if (k === null) throw errors.inputNotFound(path);
  if (k === 'directory') throw errors.badPath(path, 'is a folder, not an input file');
}

/** A file to create or replace: it must not be a folder, and its folder must exist. */
export function checkOutputFile(path: string): void {
  if (kind(path) === 'directory') throw errors.badPath(path, 'is a folder; give a file name in it');
  if (kind(dirname(path)) !== 'directory') throw errors.badPath(path, `folder ${dirname(path)} does not exist`);
}

/** A warehouse file: an existing one to read, or one to open for writing (created if missing). */
export function checkWarehouseFile(path: string, readOnly: boolean): void {
  if (kind(path) === 'directory') throw errors.badPath(path, 'is a folder, not a warehouse file');
  if (readOnly && kind(path) === null) throw errors.dbNotFound(path);
  if (!readOnly) checkOutputFile(path);
}
