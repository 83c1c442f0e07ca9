import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LiveSimulatorSource } from '../../../src/connectors/simulator/source.ts';
import { lineOf } from '../../../src/connectors/source.ts';
import { buildDimensions, dimensionLines } from '../../../src/simulator/dimensions.ts';
import { resolveSimulatorOptions } from '../../../src/simulator/options.ts';
import { TrafficGenerator } from '../../../src/simulator/traffic.ts';

// The traffic is drawn on another thread: what the engine polls must still be the seed's traffic, every line once,
// in order, the dimensions first, and no line before it has arrived.
test('the live simulator releases its seed traffic in order, once, as it arrives, from its own thread', async () => {
  const rate = 20_000;
  const source = new LiveSimulatorSource({ seed: 7, rate });
  const startMs = Date.parse(source.id.slice(source.id.indexOf('@') + 1));
  await source.open();
  const polled: { line: string; polledAt: number }[] = [];
  try {
    const giveUp = Date.now() + 10_000;
    while (polled.length < 3000 && Date.now() < giveUp) {
      const poll = await source.poll(500);
      const polledAt = Date.now();
      assert.equal(poll.end, false);
      for (const r of poll.records) {
        assert.equal(r.seq, polled.length);
        const line = lineOf(r);
        assert.equal(r.bytes, Buffer.byteLength(line));
        polled.push({ line, polledAt });
      }
    }
    assert.equal(source.position(), String(polled.length));
  } finally {
    await source.close();
  }
  const events = Number.MAX_SAFE_INTEGER;
  const o = resolveSimulatorOptions({ seed: 7, startMs, events, spanMs: (events / rate) * 1000 });
  const dims = dimensionLines(buildDimensions(o));
  const traffic = new TrafficGenerator(o);
  assert.ok(polled.length >= 3000 && polled.length > dims.length, `${polled.length} lines, ${dims.length} dimensions`);
  assert.deepEqual(
    polled.slice(0, dims.length).map((p) => p.line),
    dims,
  );
  for (const [i, p] of polled.slice(dims.length).entries()) {
    const arrival = traffic.peekArrival()!;
    assert.equal(p.line, traffic.next(), `traffic line ${i}`);
    assert.ok(arrival <= p.polledAt, `traffic line ${i} arrives at ${arrival}, released by ${p.polledAt}`);
  }
});
