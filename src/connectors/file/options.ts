/** Options of the file (and stdin) source. */
export interface FileSourceOptions {
  /** A path, or "-" for standard input. */
  path: string;
  /** Keep waiting for more data at the end of a file (tail -f); stdin always ends at EOF. */
  follow: boolean;
  /** Longer lines are cut to this size for the dead-letter table; their full size is still counted. */
  maxLineBytes: number;
  /** Bytes read per call. */
  chunkBytes: number;
}

export const defaultFileSourceOptions: Omit<FileSourceOptions, 'path'> = {
  follow: false,
  maxLineBytes: 1024 * 1024,
  chunkBytes: 4 * 1024 * 1024,
};
