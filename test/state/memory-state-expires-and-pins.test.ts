import { test, describe, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpillFile } from '../../src/state/spill-file.ts';
import { hash32 } from '../../src/state/spill-index.ts';
import { restoredSince } from '../../src/state/keyed-state.ts';
import { MemoryState, type StateCodec } from '../../src/state/memory-state.ts';

interface Entry {
  ts: number;
  v: string;
}
const entry = (ts: number, v = `v@${ts}`): Entry => ({ ts, v });
const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 1);

/** Entries kept as their text, as the engine's codecs keep theirs. */
const codec: StateCodec<Entry> = { encode: (e) => e.v, decode: (v, ts) => ({ ts, v }) };

/** A state whose entries carry their own event time, as the engine's operators use it. */
function state(bucketMs?: number, locating = true): MemoryState<Entry> {
  return new MemoryState<Entry>(codec, bucketMs, locating);
}
function put(s: MemoryState<Entry>, key: string, ts: number, pin?: number): Entry {
  const e = entry(ts, `${key}@${ts}`);
  s.set(key, e, ts, pin);
  return e;
}

describe('map operations', () => {
  test('set, get, has, delete and size', () => {
    const s = state();
    assert.equal(s.size, 0);
    assert.deepEqual(s.get('a'), undefined);
    assert.equal(s.has('a'), false);

    const a = put(s, 'a', T0);
    const b = put(s, 'b', T0 + 5 * MINUTE);
    assert.equal(s.size, 2);
    assert.deepEqual(s.get('a'), a);
    assert.deepEqual(s.get('b'), b);
    assert.equal(s.has('a'), true);

    const a2 = put(s, 'a', T0 + 1);
    assert.equal(s.size, 2, 'setting an existing key replaces it');
    assert.deepEqual(s.get('a'), a2);

    s.delete('a');
    assert.equal(s.has('a'), false);
    assert.deepEqual(s.get('a'), undefined);
    assert.equal(s.size, 1);
    s.delete('a');
    s.delete('never-set');
    assert.equal(s.size, 1);
  });

  test('a deleted key does not come back or count at expiry', () => {
    const s = state();
    put(s, 'a', T0);
    put(s, 'b', T0);
    s.delete('a');
    assert.equal(s.expire(T0 + 10 * MINUTE), 1);
    assert.equal(s.size, 0);
    assert.equal(s.has('a'), false);
  });
});

describe('expire(horizon)', () => {
  test('drops exactly the entries with event time before the horizon and returns how many', () => {
    // Horizons on bucket boundaries, with the default one-minute buckets.
    const s = state();
    for (let i = 0; i < 10; i++) put(s, `k${i}`, T0 + i * MINUTE + (i % 3) * 1000);
    assert.equal(s.expire(T0), 0);
    assert.equal(s.size, 10);
    assert.equal(s.expire(T0 + 4 * MINUTE), 4);
    for (let i = 0; i < 10; i++) assert.equal(s.has(`k${i}`), i >= 4, `k${i}`);
    assert.equal(s.expire(T0 + 4 * MINUTE), 0, 'a second expiry at the same horizon drops nothing');
    assert.equal(s.expire(T0 + 100 * MINUTE), 6);
    assert.equal(s.size, 0);
  });

  test('drops exactly the entries before any horizon, at millisecond resolution (random entries, 1 ms buckets)', () => {
    let seed = 12345;
    const rand = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const s = state(1);
    const times = new Map<string, number>();
    for (let i = 0; i < 500; i++) {
      const ts = T0 + Math.floor(rand() * 10_000);
      times.set(`k${i}`, ts);
      put(s, `k${i}`, ts);
    }
    for (const horizon of [T0 + 100, T0 + 2_500, T0 + 2_501, T0 + 7_777, T0 + 10_000]) {
      const before = [...times].filter(([, ts]) => ts < horizon);
      const n = s.expire(horizon);
      assert.equal(n, before.length, `expire(${horizon - T0})`);
      for (const [k] of before) times.delete(k);
      assert.equal(s.size, times.size);
      for (const [k, ts] of times) assert.ok(s.has(k) && ts >= horizon);
    }
  });

  test('an entry at exactly the horizon stays', () => {
    const s = state();
    put(s, 'edge', T0 + MINUTE);
    put(s, 'older', T0 + MINUTE - 1);
    assert.equal(s.expire(T0 + MINUTE), 1);
    assert.equal(s.has('edge'), true);
    assert.equal(s.has('older'), false);
  });

  test('drops entries before a horizon that falls inside a bucket', () => {
    const s = state(); // 60 s buckets
    put(s, 'early', T0 + 10_000);
    put(s, 'late', T0 + 50_000);
    assert.equal(s.expire(T0 + 30_000), 1);
    assert.equal(s.has('early'), false);
    assert.equal(s.has('late'), true);
  });

  test('an entry re-set with a newer time survives an expiry of its old time', () => {
    const s = state();
    put(s, 'moved', T0);
    put(s, 'stays-old', T0);
    const newer = put(s, 'moved', T0 + 30 * MINUTE);
    assert.equal(s.expire(T0 + 10 * MINUTE), 1);
    assert.deepEqual(s.get('moved'), newer);
    assert.equal(s.has('stays-old'), false);
    // ... and then goes once its new time is before the horizon, counted once.
    assert.equal(s.expire(T0 + 31 * MINUTE), 1);
    assert.equal(s.size, 0);
  });

  test('an entry re-set several times in one bucket is dropped and counted once', () => {
    const s = state();
    put(s, 'x', T0);
    put(s, 'x', T0 + 1000);
    put(s, 'x', T0 + 2000);
    assert.equal(s.expire(T0 + 5 * MINUTE), 1);
    assert.equal(s.size, 0);
  });

  test('an entry re-set with an older time goes at the older time', () => {
    const s = state();
    put(s, 'back', T0 + 30 * MINUTE);
    put(s, 'back', T0);
    assert.equal(s.expire(T0 + 10 * MINUTE), 1);
    assert.equal(s.has('back'), false);
  });
});

describe('pins', () => {
  test('pinned entries survive expiry until release(epoch), then go at the next expiry', () => {
    const s = state();
    put(s, 'pinned', T0, 5);
    put(s, 'free', T0);
    assert.equal(s.expire(T0 + 10 * MINUTE), 1);
    assert.equal(s.has('pinned'), true);
    assert.equal(s.has('free'), false);

    assert.equal(s.expire(T0 + 20 * MINUTE), 0, 'still pinned');
    assert.equal(s.has('pinned'), true);

    s.release(4);
    assert.equal(s.expire(T0 + 20 * MINUTE), 0, 'an earlier epoch does not release it');
    assert.equal(s.has('pinned'), true);

    s.release(5);
    assert.equal(s.has('pinned'), true, 'release alone does not drop anything');
    assert.equal(s.expire(T0 + 20 * MINUTE), 1);
    assert.equal(s.has('pinned'), false);
  });

  test('release(epoch) unpins every epoch at or before it', () => {
    const s = state();
    put(s, 'e1', T0, 1);
    put(s, 'e2', T0, 2);
    put(s, 'e3', T0, 3);
    s.release(2);
    assert.equal(s.expire(T0 + MINUTE), 2);
    assert.deepEqual([s.has('e1'), s.has('e2'), s.has('e3')], [false, false, true]);
    s.release(3);
    assert.equal(s.expire(T0 + MINUTE), 1);
    assert.equal(s.size, 0);
  });

  test('releasing an earlier epoch does not unpin a key re-pinned at a later epoch', () => {
    const s = state();
    put(s, 'k', T0, 1);
    put(s, 'k', T0 + 1000, 3);
    s.release(1);
    assert.equal(s.expire(T0 + 10 * MINUTE), 0);
    assert.equal(s.has('k'), true);
    s.release(2);
    assert.equal(s.expire(T0 + 10 * MINUTE), 0);
    assert.equal(s.has('k'), true);
    s.release(3);
    assert.equal(s.expire(T0 + 10 * MINUTE), 1);
    assert.equal(s.has('k'), false);
  });

  test('a pinned entry newer than the horizon is not dropped after release', () => {
    const s = state();
    put(s, 'fresh', T0 + 30 * MINUTE, 1);
    s.release(1);
    assert.equal(s.expire(T0 + 10 * MINUTE), 0);
    assert.equal(s.has('fresh'), true);
  });
});

describe('a memory budget', () => {
  /** Ten minutes of entries, three a minute (keys m<minute>-<i>). */
  function filled(): MemoryState<Entry> {
    const s = state();
    for (let m = 0; m < 10; m++) for (let i = 0; i < 3; i++) put(s, `m${m}-${i}`, T0 + m * MINUTE + i * 1000);
    return s;
  }

  test('over capacity, the oldest whole minutes go and heldSince says from when every key is held', () => {
    const s = filled();
    const dropped = s.expire(T0, { capacity: 10, committedBefore: T0 + 60 * MINUTE });
    assert.equal(dropped, 0, 'nothing left the window: what went for space is not counted as gone');
    assert.equal(s.size, 9, 'three newest minutes: the fourth would make 12 entries');
    assert.equal(s.spilled, 21);
    assert.equal(s.heldSince, T0 + 7 * MINUTE);
    assert.ok(s.has('m7-0') && s.has('m9-2'));
    assert.ok(!s.has('m6-2') && !s.has('m0-0'));
  });

  test('nothing at or after committedBefore goes, whatever the capacity', () => {
    const s = filled();
    s.expire(T0, { capacity: 1, committedBefore: T0 + 5 * MINUTE + 1500 });
    assert.equal(s.heldSince, T0 + 5 * MINUTE + 1500);
    assert.ok(s.has('m5-2'), 'its time is after committedBefore');
    assert.ok(!s.has('m5-1'), 'its time is before committedBefore');
    assert.equal(s.size, 13);
    assert.equal(s.spilled, 17);
  });

  test('a pinned entry stays until released, and under capacity nothing goes', () => {
    const s = filled();
    put(s, 'late', T0 + 30_000, 7);
    s.expire(T0, { capacity: 100, committedBefore: T0 + 60 * MINUTE });
    assert.equal(s.size, 31);
    assert.equal(s.heldSince, T0);
    s.expire(T0, { capacity: 3, committedBefore: T0 + 60 * MINUTE });
    assert.ok(s.has('late'), 'pinned');
    assert.equal(s.size, 4);
    s.release(7);
    s.expire(T0, { capacity: 3, committedBefore: T0 + 60 * MINUTE });
    assert.ok(!s.has('late'));
    assert.equal(s.size, 3);
  });

  test('minutes partly kept (pinned entries) weigh only what they keep against the budget', () => {
    const s = filled();
    put(s, 'late7', T0 + 7 * MINUTE + 30_000, 7);
    put(s, 'late8', T0 + 8 * MINUTE + 30_000, 7);
    for (let i = 0; i < 2; i++) put(s, `m10-${i}`, T0 + 10 * MINUTE + i * 1000);
    // Minutes 0 - 6 go whole; of minutes 7 and 8 only the pinned entries stay.
    s.expire(T0 + 8 * MINUTE + 40_000);
    assert.equal(s.size, 7);
    assert.ok(s.has('late7') && s.has('late8') && !s.has('m8-0') && !s.has('m7-2'));
    // Newest first, two, three and one entry (minute 8) fit a budget of six: only minute 7 and older is to go, which
    // holds nothing that may go, so what memory holds from stays where it was.
    s.expire(T0, { capacity: 6, committedBefore: T0 + 60 * MINUTE });
    assert.equal(s.heldSince, T0 + 8 * MINUTE + 40_000);
    assert.equal(s.size, 7);
  });

  test('spilled entries leave the count once the window passes their minute', () => {
    const s = filled();
    s.expire(T0, { capacity: 10, committedBefore: T0 + 60 * MINUTE });
    assert.equal(s.spilled, 21);
    s.expire(T0 + 3 * MINUTE);
    assert.equal(s.spilled, 12, 'minutes 0 to 2 left the window');
    s.expire(T0 + 9 * MINUTE);
    assert.equal(s.spilled, 0);
    assert.equal(s.size, 3);
  });
});

describe('restoredSince', () => {
  const rows = [{ ts: T0 + 9 }, { ts: T0 + 5 }, { ts: T0 + 2 }];
  test('a restore the capacity cut short holds from just after its oldest row', () => {
    assert.equal(restoredSince(rows, T0, { capacity: 3, committedBefore: T0 }), T0 + 3);
  });
  test('a restore under capacity, or without a budget, holds from the horizon', () => {
    assert.equal(restoredSince(rows, T0, { capacity: 4, committedBefore: T0 }), T0);
    assert.equal(restoredSince(rows, T0), T0);
    assert.equal(restoredSince([], T0, { capacity: 1, committedBefore: T0 }), T0);
  });
});

describe('spilled entries read back from the spill file', () => {
  /** A state spilling to a fresh spill file; the file is closed (and deleted) after the test. */
  function spilling(t: TestContext, locating = true): { s: MemoryState<Entry>; file: SpillFile } {
    const dir = mkdtempSync(join(tmpdir(), 'adw-spill-test-'));
    const file = new SpillFile(join(dir, 'state'));
    t.after(() => {
      file.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const s = state(undefined, locating);
    s.spillTo(file.table('entries'));
    return { s, file };
  }

  test('a spilled key reads back with its value and time; one never spilled, or gone with the window, does not', (t) => {
    const { s, file } = spilling(t);
    const want = new Map<string, Entry>();
    for (let m = 0; m < 10; m++) want.set(`k${m}`, put(s, `k${m}`, T0 + m * MINUTE + 30_000));
    s.expire(T0, { capacity: 10, committedBefore: T0 + 60 * MINUTE });
    assert.equal(existsSync(file.path), false, 'no file while nothing spilled');
    s.expire(T0, { capacity: 4, committedBefore: T0 + 60 * MINUTE });
    assert.equal(s.size, 4);
    assert.equal(s.spilled, 6);
    assert.equal(s.heldSince, T0 + 6 * MINUTE);
    assert.equal(s.knownSince, T0, 'every key since T0 is held or spilled');
    assert.ok(s.diskBytes > 0 && existsSync(file.path));
    for (const [k, e] of want) {
      assert.deepEqual(s.get(k), e, k);
      assert.equal(s.has(k), true, k);
    }
    assert.equal(s.get('never'), undefined);
    assert.equal(s.has('never'), false);
    s.expire(T0 + 3 * MINUTE);
    assert.equal(s.knownSince, T0 + 3 * MINUTE);
    assert.equal(s.get('k2'), undefined, 'its minute left the window, and the file');
    assert.equal(s.has('k2'), false);
    assert.deepEqual(s.get('k3'), want.get('k3'));
    assert.equal(s.spilled, 3);
  });

  test('add sets a key only where has says state holds none: in memory, or spilled at its event time', (t) => {
    const { s } = spilling(t);
    for (let m = 0; m < 10; m++) put(s, `k${m}`, T0 + m * MINUTE + 30_000);
    s.expire(T0, { capacity: 4, committedBefore: T0 + 60 * MINUTE });
    assert.equal(s.spilled, 6);
    // In memory, spilled (given its own time), and new: add agrees with has, and sets only the new one.
    for (const [key, ts] of [
      ['k8', T0 + 8 * MINUTE + 30_000],
      ['k1', T0 + MINUTE + 30_000],
      ['fresh', T0 + 9 * MINUTE],
    ] as const) {
      const held = s.has(key, ts);
      assert.equal(s.add(key, entry(ts, 'added'), ts), !held, key);
      assert.equal(s.has(key, ts), true, key);
      assert.equal(s.get(key)?.v === 'added', !held, `${key}: ${held ? 'kept as it was' : 'set'}`);
    }
    assert.equal(s.size, 5);
  });

  test('tens of thousands of spilled keys each read back exactly, short entries and long ones', (t) => {
    const { s } = spilling(t);
    const ts = (i: number) => T0 + (i % 600) * 1000 * 6;
    // Entries of 20 - 250 bytes: short ones are copied to the spill file byte by byte, long ones by a native call.
    const value = (i: number) => `req-${i.toString(36)}@${ts(i)}${i % 3 === 0 ? 'é'.repeat(i % 100) : ''}`;
    for (let i = 0; i < 50_000; i++) s.set(`req-${i.toString(36)}`, entry(ts(i), value(i)), ts(i));
    s.expire(T0, { capacity: 1, committedBefore: T0 + 59 * MINUTE });
    for (let i = 0; i < 50_000; i += 7) {
      const key = `req-${i.toString(36)}`;
      assert.deepEqual(s.get(key), entry(ts(i), value(i)), key);
    }
    assert.equal(s.get('req-never'), undefined);
  });

  test('a minute spilled in two parts (some entries pinned) reads back whole; a deleted entry leaves its group', (t) => {
    const { s } = spilling(t);
    const want = new Map<string, Entry>();
    for (let i = 0; i < 200; i++)
      want.set(`k${i}`, put(s, `k${i}`, T0 + MINUTE + i * 100, i % 2 === 0 ? 1 : undefined));
    put(s, 'held', T0 + 9 * MINUTE);
    s.expire(T0, { capacity: 1, committedBefore: T0 + 60 * MINUTE });
    assert.equal(s.spilled, 100, 'the pinned half stays');
    s.release(1);
    s.expire(T0, { capacity: 1, committedBefore: T0 + 60 * MINUTE });
    assert.equal(s.spilled, 200);
    assert.equal(s.size, 1);
    for (let i = 0; i < 200; i += 10) {
      s.delete(`k${i}`);
      want.delete(`k${i}`);
    }
    for (let i = 0; i < 200; i++) assert.deepEqual(s.get(`k${i}`), want.get(`k${i}`), `k${i}`);
  });

  test('keys whose hashes collide, spilled from different minutes, each read back from their own', (t) => {
    const { s } = spilling(t);
    // Found by search: equal 32-bit FNV-1a hashes.
    assert.equal(hash32('req-6vl8'), hash32('req-npd6'));
    const a = put(s, 'req-6vl8', T0 + MINUTE);
    const b = put(s, 'req-npd6', T0 + 3 * MINUTE);
    put(s, 'held', T0 + 9 * MINUTE);
    s.expire(T0, { capacity: 1, committedBefore: T0 + 60 * MINUTE });
    assert.deepEqual(s.get('req-6vl8'), a);
    assert.deepEqual(s.get('req-npd6'), b);
    assert.equal(s.get('req-6vl9'), undefined, 'a key never spilled');
    s.delete('req-6vl8');
    assert.equal(s.get('req-6vl8'), undefined);
    assert.deepEqual(s.get('req-npd6'), b, 'its namesake stays');
    s.expire(T0 + 2 * MINUTE);
    assert.deepEqual(s.get('req-npd6'), b, 'its minute is still in the window');
    s.expire(T0 + 4 * MINUTE);
    assert.equal(s.get('req-npd6'), undefined, 'gone with its minute');
  });

  test('a spilled entry set again is read from memory; deleted, it is gone from memory and the file', (t) => {
    const { s } = spilling(t);
    put(s, 'a', T0);
    put(s, 'b', T0 + 5 * MINUTE);
    s.expire(T0, { capacity: 1, committedBefore: T0 + 60 * MINUTE });
    assert.equal(s.size, 1);
    const again = entry(T0, 'rewritten');
    s.set('a', again, T0);
    assert.deepEqual(s.get('a'), again);
    s.delete('a');
    assert.equal(s.get('a'), undefined, 'neither in memory nor read back from the file');
  });

  test('a restore cut short spills the older entries: read back by key, and known since the horizon', (t) => {
    const { s } = spilling(t);
    put(s, 'new', T0 + 9 * MINUTE);
    s.expire(T0 + 9 * MINUTE);
    const old1 = entry(T0 + 2 * MINUTE + 5, 'first <b>&amp;</b> "quoted", with ümlauts');
    const old2 = entry(T0 + 8 * MINUTE, '');
    s.restoreSpilled(
      [
        { key: 'old1', value: old1, ts: old1.ts },
        { key: 'ключ-2', value: old2, ts: old2.ts },
      ],
      T0,
    );
    assert.equal(s.heldSince, T0 + 9 * MINUTE);
    assert.equal(s.knownSince, T0);
    assert.deepEqual(s.get('old1'), old1);
    assert.deepEqual(s.get('ключ-2'), old2, 'a key above latin-1 and an empty payload');
    assert.equal(s.spilled, 2);
  });

  test('a state that does not locate reads a spilled entry back given its event time, from that minute alone', (t) => {
    const { s } = spilling(t, false);
    put(s, 'a', T0 + 30_000);
    put(s, 'b', T0 + MINUTE);
    put(s, 'held', T0 + 5 * MINUTE);
    s.expire(T0, { capacity: 1, committedBefore: T0 + 60 * MINUTE });
    assert.equal(s.spilled, 2);
    assert.ok(s.diskBytes > 0);
    assert.equal(s.has('a', T0 + 30_000), true);
    assert.equal(s.has('b', T0 + MINUTE), true);
    assert.equal(s.has('a', T0 + MINUTE), false, 'another minute');
    assert.equal(s.has('a'), false, 'without its time a key is not located');
    assert.equal(s.has('c', T0 + 30_000), false, 'never set');
    assert.equal(s.has('held', T0 + 5 * MINUTE), true);
    s.expire(T0 + MINUTE);
    assert.equal(s.has('a', T0 + 30_000), false, 'gone with its minute');
    assert.equal(s.has('b', T0 + MINUTE), true);
  });

  test('a state that does not locate spills to nowhere: it answers only for the time since heldSince', () => {
    const s = state(undefined, false);
    put(s, 'a', T0);
    put(s, 'b', T0 + 5 * MINUTE);
    s.expire(T0, { capacity: 1, committedBefore: T0 + 60 * MINUTE });
    assert.equal(s.heldSince, T0 + MINUTE);
    assert.equal(s.get('a'), undefined);
    assert.equal(s.has('a'), false);
    assert.equal(s.spilled, 1);
  });

  test('a spill file that cannot be written stops with one coded error, not an SQLite one', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'adw-spill-test-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = new SpillFile(join(dir, 'no-such-folder', 'state'));
    const s = state();
    s.spillTo(file.table('entries'));
    put(s, 'a', T0);
    put(s, 'b', T0 + MINUTE);
    assert.throws(() => s.expire(T0, { capacity: 1, committedBefore: T0 + 60 * MINUTE }), {
      code: 'ADW_ERR_STATE_SPILL',
      message: /spilled state in .*no-such-folder.* failed: /,
    });
    file.close();
  });

  test('the spill file replaces what a killed process left at its path, and is deleted on close', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'adw-spill-test-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'state');
    writeFileSync(path, 'not an SQLite file: what a process killed mid-write might leave');
    const file = new SpillFile(path);
    const s = state();
    s.spillTo(file.table('entries'));
    put(s, 'a', T0);
    put(s, 'b', T0 + MINUTE);
    s.expire(T0, { capacity: 1, committedBefore: T0 + 60 * MINUTE });
    assert.deepEqual(s.get('a'), entry(T0, `a@${T0}`));
    file.close();
    assert.equal(existsSync(path), false);
  });
});
