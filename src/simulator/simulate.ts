import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { buildDimensions, dimensionLines } from './dimensions.ts';
import { resolveSimulatorOptions, type SimulatorOptions } from './options.ts';
import { TrafficGenerator } from './traffic.ts';

/** Lines are joined into chunks of about this many characters: few large writes instead of millions of small ones. */
const CHUNK_CHARS = 1 << 20;

/** The whole simulation as NDJSON lines (without newlines): dimension upserts first, then the events in arrival order. */
export function* simulateLines(options: Partial<SimulatorOptions> = {}): Generator<string> {
  const o = resolveSimulatorOptions(options);
  yield* dimensionLines(buildDimensions(o));
  const traffic = new TrafficGenerator(o);
  for (let line = traffic.next(); line !== undefined; line = traffic.next()) yield line;
}

/** Writes the simulation as an NDJSON file (`out` = '-' for stdout), with backpressure; resolves to what was written. */
export async function writeSimulation(options: Partial<SimulatorOptions>, out: string): Promise<{ lines: number; bytes: number }> {
  const written = { lines: 0, bytes: 0 };
  function* chunks(): Generator<Buffer> {
    let batch: string[] = [];
    let chars = 0;
    for (const line of simulateLines(options)) {
      batch.push(line);
      chars += line.length + 1;
      if (chars >= CHUNK_CHARS) {
        yield encode(batch);
        batch = [];
        chars = 0;
      }
    }
    if (batch.length > 0) yield encode(batch);
  }
  function encode(batch: string[]): Buffer {
    const chunk = Buffer.from(`${batch.join('\n')}\n`);
    written.lines += batch.length;
    written.bytes += chunk.length;
    return chunk;
  }
  // pipeline pauses the generator while the destination's buffer is full, and rejects on a write error.
  const source = Readable.from(chunks(), { objectMode: false });
  if (out === '-') await pipeline(source, process.stdout, { end: false });
  else await pipeline(source, createWriteStream(out));
  return written;
}
