import { parentPort, workerData } from 'node:worker_threads';
import { buildDimensions, dimensionLines } from '../../simulator/dimensions.ts';
import { resolveSimulatorOptions } from '../../simulator/options.ts';
import { TrafficGenerator } from '../../simulator/traffic.ts';

/** What the live simulator's thread is started with: its traffic is a function of these alone. */
export interface TrafficThreadData {
  seed: number;
  startMs: number;
  rate: number;
}

/** A request for the lines that have arrived by `untilMs`, at most `max` of them (the dimensions' lines first). */
export interface TakeLines {
  untilMs: number;
  max: number;
}

/**
 * The live simulator's traffic, drawn on a thread of its own (see source.ts): answers each TakeLines with the lines
 * that have arrived, in arrival order.
 */
function serveTraffic(data: TrafficThreadData): void {
  const events = Number.MAX_SAFE_INTEGER;
  const o = resolveSimulatorOptions({
    seed: data.seed,
    startMs: data.startMs,
    events,
    spanMs: (events / data.rate) * 1000,
  });
  const traffic = new TrafficGenerator(o);
  const pending = dimensionLines(buildDimensions(o));
  parentPort!.on('message', (take: TakeLines) => {
    parentPort!.postMessage(
      pending.length > 0 ? pending.splice(0, take.max) : traffic.takeUntil(take.untilMs, take.max),
    );
  });
}

if (parentPort) serveTraffic(workerData as TrafficThreadData);
