/** A record as a source delivers it: the raw line, its size, and its position in the source. */
export interface SourceRecord {
  line: string;
  bytes: number;
  /** Source position of the record's first byte (file byte offset, or partition offset). */
  seq: number;
  /**
   * The ordered sub-stream the record came from (a Kafka partition; absent: 0). Event time advances per split,
   * so the watermark is the slowest split's.
   */
  split?: number;
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
  /** Up to `max` records; waits briefly when none are ready yet. */
  poll(max: number): Promise<SourcePoll>;
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
