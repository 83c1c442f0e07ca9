/**
 * A record as a source delivers it: the raw line as bytes, its size, and its position in the source. The bytes are
 * `data[at, end)` of a buffer the source may fill again at its next poll (the file source reads into one buffer), so
 * whoever keeps a record past the poll that returned it keeps a copy (`lineOf`). Bytes, not text: the engine reads
 * canonical lines from their bytes (events/canonical.ts) and the ODS copies them as they are, so most lines never
 * become strings.
 */
export interface SourceRecord {
  data: Buffer;
  at: number;
  /** Where the line ends in `data`: `at + bytes`, less where the source kept only the head of an overlong line. */
  end: number;
  /** The line's whole size in bytes. */
  bytes: number;
  /** Source position of the record's first byte (file byte offset, or partition offset). */
  seq: number;
  /**
   * The ordered sub-stream the record came from (a Kafka partition; absent: 0). Event time advances per split,
   * so the watermark is the slowest split's.
   */
  split?: number;
}

/** A record of a line made as text (a simulator's, a binlog change's). */
export function lineRecord(line: string, seq: number): SourceRecord {
  const data = Buffer.from(line);
  return { data, at: 0, end: data.length, bytes: data.length, seq };
}

/** A record's line as text (UTF-8; malformed bytes become U+FFFD). */
export function lineOf(r: SourceRecord): string {
  return r.data.toString('utf8', r.at, r.end);
}

/** What one poll of a source returns; `end` is set once a finite input is exhausted. */
export interface SourcePoll {
  records: SourceRecord[];
  end: boolean;
}

/**
 * A record source. Every connector's source has this shape, so the engine's checkpoint can store a position
 * and resume from it: the position is an opaque string only the source interprets (a byte offset, a map of
 * partition offsets, a GTID set), stored in the same warehouse transaction as the data it covers.
 */
export interface Source {
  /** Stable name, the key of this source's checkpoint. */
  readonly id: string;
  /**
   * Positions the source at `position` (null: the start); refuses (ADW_ERR_INPUT_MISMATCH) when `fingerprint` shows a
   * different input.
   */
  open(position: string | null, fingerprint: string | null): Promise<void>;
  /**
   * Up to `max` records; waits briefly when none are ready yet, unless `wait` is false. The records (and their array)
   * are the caller's until its next poll, which may fill them again: a caller keeps what it needs of them, not the
   * records.
   */
  poll(max: number, wait?: boolean): Promise<SourcePoll>;
  /** Position just after the last record returned. */
  position(): string;
  /** Identifies the input up to the current position. */
  fingerprint(): string;
  /**
   * A change stream that never ends (a binlog): in a composite source, its having nothing pending does not hold back
   * the end of the others.
   */
  readonly unbounded?: boolean;
  /**
   * How far this source is behind the end of its input, by partition (records, or bytes for files), if it can tell
   * cheaply.
   */
  lag?(): Record<string, number>;
  /**
   * Everything up to `position` is durably in the warehouse: the source may acknowledge it upstream (Kafka: the
   * group's committed offsets, which lag tooling reads). Advisory only: a restart resumes from the checkpoint.
   */
  committed?(position: string): void;
  /**
   * The splits that had records to deliver when the source opened (Kafka: the partitions whose log end is past the
   * position). The watermark waits for each one's first record, as Flink's does for the splits assigned to it: a
   * partition whose records come later than the others' does not find them late.
   */
  splits?(): readonly number[];
  /** What `lag()` counts. */
  readonly lagUnit?: 'records' | 'bytes';
  close(): Promise<void>;
}
