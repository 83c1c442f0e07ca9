import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { buildDimensions, dimensionLines } from './dimensions.ts';
import { resolveSimulatorOptions, type SimulatorOptions } from './options.ts';
import { TrafficGenerator } from './traffic.ts';

/** Size of the buffers handed to the output stream. */
const CHUNK_BYTES = 1 << 20;

/**
 * The whole simulation as NDJSON lines (without newlines): dimension upserts first (unless they go to a dimension
 * database instead), then the events in arrival order.
 */
export function* simulateLines(options: Partial<SimulatorOptions> = {}, withDimensions = true): Generator<string> {
  const o = resolveSimulatorOptions(options);
  if (withDimensions) yield* dimensionLines(buildDimensions(o));
  const traffic = new TrafficGenerator(o);
  for (let line = traffic.next(); line !== undefined; line = traffic.next()) yield line;
}

/**
 * Writes the simulation as an NDJSON file (`out` = '-' for stdout), with backpressure; resolves to what was written.
 */
export async function writeSimulation(
  options: Partial<SimulatorOptions>,
  out: string,
  withDimensions = true,
): Promise<{ lines: number; bytes: number }> {
  const written = { lines: 0, bytes: 0 };
  // Lines are encoded straight into large buffers: no joined strings, few large writes instead of millions of small
  // ones.
  function* chunks(): Generator<Buffer> {
    let buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let used = 0;
    for (const line of simulateLines(options, withDimensions)) {
      // UTF-8 takes at most 3 bytes per UTF-16 code unit, plus the newline.
      const worst = line.length * 3 + 1;
      if (used + worst > buf.length) {
        if (used > 0) yield flush(buf, used);
        buf = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, worst));
        used = 0;
      }
      used += buf.write(line, used);
      buf[used++] = 0x0a;
      written.lines++;
    }
    if (used > 0) yield flush(buf, used);
  }
  function flush(buf: Buffer, used: number): Buffer {
    written.bytes += used;
    return buf.subarray(0, used);
  }
  // pipeline pauses the generator while the destination's buffer is full, and rejects on a write error.
  const source = Readable.from(chunks(), { objectMode: false });
  if (out === '-') await pipeline(source, process.stdout, { end: false });
  else await pipeline(source, createWriteStream(out));
  return written;
}
