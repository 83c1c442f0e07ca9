import { lineOf, type SourceRecord } from '../../../src/connectors/source.ts';
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSource } from '../../../src/connectors/file/source.ts';
import type { FileSourceOptions } from '../../../src/connectors/file/options.ts';

let dir: string;
let files = 0;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'adw-file-source-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(content: string | Buffer): Promise<string> {
  const path = join(dir, `input-${files++}.ndjson`);
  await writeFile(path, content);
  return path;
}

type Opts = Partial<Omit<FileSourceOptions, 'path'>>;

async function opened(
  path: string,
  opts: Opts = {},
  position: string | null = null,
  fingerprint: string | null = null,
): Promise<FileSource> {
  const src = new FileSource({ path, follow: false, ...opts });
  await src.open(position, fingerprint);
  return src;
}

/** A record with its line as text. */
interface Line {
  line: string;
  bytes: number;
  seq: number;
}

/** A record's line as text, made before the next poll (the record's bytes are valid until then only). */
function asLine(r: SourceRecord): Line {
  return { line: lineOf(r), bytes: r.bytes, seq: r.seq };
}

/** One poll, its records with their lines as text. */
async function pollLines(src: FileSource, max: number): Promise<{ records: Line[]; end: boolean }> {
  const p = await src.poll(max);
  return { records: p.records.map(asLine), end: p.end };
}

/** Polls to the end; checks that no poll returns more than `max`. */
async function drain(src: FileSource, max = 1000): Promise<Line[]> {
  const out: Line[] = [];
  for (let i = 0; i < 100_000; i++) {
    const p = await pollLines(src, max);
    assert.ok(p.records.length <= max, `poll(${max}) returned ${p.records.length} records`);
    out.push(...p.records);
    if (p.end) return out;
  }
  throw new Error('source never ended');
}

/** What the reader should give for `content`: one record per newline-terminated line, plus an unterminated tail. */
function expectedRecords(content: Buffer): Line[] {
  const out: Line[] = [];
  let start = 0;
  for (let nl = content.indexOf(10); nl >= 0; nl = content.indexOf(10, start)) {
    out.push({ line: content.toString('utf8', start, nl), bytes: nl - start, seq: start });
    start = nl + 1;
  }
  if (start < content.length)
    out.push({ line: content.toString('utf8', start), bytes: content.length - start, seq: start });
  return out;
}

const sample = Buffer.from(
  `${[
    '{"type":"click","event_id":"c1"}',
    'é', // 2 bytes
    '€€€', // 3 bytes each
    '😀 emoji', // 4 bytes, then ASCII
    '',
    'x',
    'ünïcödé across every boundary 日本語テキスト',
    '{"last":"line with a newline"}',
  ].join('\n')}\n`,
);

describe('lines and their positions', () => {
  for (const chunkBytes of [1, 2, 3, 7, 64, 4 * 1024 * 1024]) {
    test(`every line comes back with its byte offset and size (chunkBytes ${chunkBytes})`, async () => {
      const src = await opened(await file(sample), { chunkBytes });
      const got = await drain(src);
      await src.close();
      assert.deepEqual(got, expectedRecords(sample));
      assert.equal(Number(src.position()), sample.length);
    });
  }

  test('a read of more lines than the source first has room for gives every one, in order, read after read', async () => {
    // 300,000 short lines: several times the lines one read first has room for, in one 4 MB read and in several.
    const content = Buffer.from(Array.from({ length: 300_000 }, (_, i) => `${i % 7 === 0 ? '' : i}\n`).join(''));
    for (const chunkBytes of [4 * 1024 * 1024, 300_001]) {
      const src = await opened(await file(content), { chunkBytes });
      const got = await drain(src);
      await src.close();
      assert.deepEqual(got, expectedRecords(content), `chunkBytes ${chunkBytes}`);
    }
  });

  test('multi-byte characters straddling a chunk boundary decode whole', async () => {
    // With chunkBytes 7, "aaaaaa€" puts the 3-byte euro sign across the first boundary (bytes 6..8).
    const content = Buffer.from('aaaaaa€b\nccccc😀dd\n');
    const src = await opened(await file(content), { chunkBytes: 7 });
    const got = await drain(src);
    await src.close();
    assert.deepEqual(
      got.map((r) => r.line),
      ['aaaaaa€b', 'ccccc😀dd'],
    );
    assert.deepEqual(
      got.map((r) => r.bytes),
      [10, 11],
    );
    assert.deepEqual(
      got.map((r) => r.seq),
      [0, 11],
    );
    assert.ok(got.every((r) => !r.line.includes('\uFFFD')));
  });

  test('a last line without a trailing newline is still returned at the end', async () => {
    const content = Buffer.from('first\nsecond\nno newline at the end ünï');
    for (const chunkBytes of [7, 1024]) {
      const src = await opened(await file(content), { chunkBytes });
      const got = await drain(src);
      await src.close();
      assert.deepEqual(got, expectedRecords(content));
      assert.equal(got.at(-1)!.line, 'no newline at the end ünï');
      assert.equal(Number(src.position()), content.length);
    }
  });

  test('an empty file ends at once with no records', async () => {
    const src = await opened(await file(''), { chunkBytes: 7 });
    const p = await pollLines(src, 10);
    await src.close();
    assert.deepEqual(p, { records: [], end: true });
    assert.equal(Number(src.position()), 0);
  });

  test('a file of only newlines gives empty lines', async () => {
    const src = await opened(await file('\n\n\n'), { chunkBytes: 2 });
    const got = await drain(src);
    await src.close();
    assert.deepEqual(got, [
      { line: '', bytes: 0, seq: 0 },
      { line: '', bytes: 0, seq: 1 },
      { line: '', bytes: 0, seq: 2 },
    ]);
  });
});

describe('poll(max) and resuming from position()', () => {
  const lines = Array.from({ length: 40 }, (_, i) => `{"n":${i},"pad":"${'é'.repeat(i % 5)}"}`);
  const content = Buffer.from(`${lines.join('\n')}\n`);

  test('poll(max) never returns more than max, and positions only grow to the end of the last record', async () => {
    const src = await opened(await file(content), { chunkBytes: 7 });
    const got: Line[] = [];
    let last = Number(src.position());
    assert.equal(last, 0);
    for (;;) {
      const p = await pollLines(src, 3);
      assert.ok(p.records.length <= 3);
      got.push(...p.records);
      const pos = Number(src.position());
      assert.ok(pos >= last);
      if (p.records.length > 0) {
        const r = p.records.at(-1)!;
        assert.equal(pos, r.seq + r.bytes + 1, 'position is just after the last record returned');
      }
      last = pos;
      if (p.end) break;
    }
    await src.close();
    assert.deepEqual(got, expectedRecords(content));
  });

  // With 4 MB reads every poll hands out part of one read's lines, the rest made into records later.
  for (const { polls, chunkBytes } of [1, 2, 5, 13].flatMap((polls) => [
    { polls, chunkBytes: 7 },
    { polls, chunkBytes: 4 * 1024 * 1024 },
  ])) {
    test(`re-opening at position() after ${polls} polls yields exactly the remaining lines (chunkBytes ${chunkBytes})`, async () => {
      const path = await file(content);
      const first = await opened(path, { chunkBytes });
      const head: Line[] = [];
      for (let i = 0; i < polls; i++) {
        const p = await pollLines(first, 2);
        assert.ok(p.records.length <= 2);
        head.push(...p.records);
      }
      const position = first.position();
      const fingerprint = first.fingerprint();
      await first.close();
      // A poll may return fewer than max (only what one read completed), but some lines were read and some remain.
      assert.ok(head.length >= polls && head.length < lines.length, `read ${head.length} lines in ${polls} polls`);

      const second = await opened(path, { chunkBytes }, position, fingerprint);
      const rest = await drain(second, 4);
      await second.close();
      assert.deepEqual([...head, ...rest], expectedRecords(content));
      assert.equal(rest[0]?.seq, Number(position));
    });
  }

  test('re-opening at the end yields nothing more', async () => {
    const path = await file(content);
    const first = await opened(path);
    await drain(first);
    const position = first.position();
    const fingerprint = first.fingerprint();
    await first.close();
    const second = await opened(path, {}, position, fingerprint);
    assert.deepEqual(await pollLines(second, 10), { records: [], end: true });
    await second.close();
  });
});

describe('over-long lines', () => {
  test('a line longer than maxLineBytes is cut to maxLineBytes, keeps its full size, and the next lines are intact', async () => {
    const long = 'L'.repeat(50);
    const content = Buffer.from(`short\n${long}\nafter\n${'M'.repeat(23)}\nend`);
    const src = await opened(await file(content), { chunkBytes: 7, maxLineBytes: 10 });
    const got = await drain(src);
    await src.close();
    assert.deepEqual(got, [
      { line: 'short', bytes: 5, seq: 0 },
      { line: 'L'.repeat(10), bytes: 50, seq: 6 },
      { line: 'after', bytes: 5, seq: 57 },
      { line: 'M'.repeat(10), bytes: 23, seq: 63 },
      { line: 'end', bytes: 3, seq: 87 },
    ]);
    assert.equal(Number(src.position()), content.length);
  });

  test('an over-long last line without a newline is cut too', async () => {
    const content = Buffer.from(`a\n${'Z'.repeat(40)}`);
    const src = await opened(await file(content), { chunkBytes: 7, maxLineBytes: 8 });
    const got = await drain(src);
    await src.close();
    assert.deepEqual(got, [
      { line: 'a', bytes: 1, seq: 0 },
      { line: 'Z'.repeat(8), bytes: 40, seq: 2 },
    ]);
    assert.equal(Number(src.position()), content.length);
  });

  test('resuming after an over-long line starts at the next line', async () => {
    const content = Buffer.from(`${'Q'.repeat(30)}\nnext\nlast\n`);
    const path = await file(content);
    const first = await opened(path, { chunkBytes: 7, maxLineBytes: 10 });
    const p = await pollLines(first, 1);
    assert.deepEqual(p.records, [{ line: 'Q'.repeat(10), bytes: 30, seq: 0 }]);
    const position = first.position();
    assert.equal(position, '31');
    await first.close();
    const second = await opened(path, { chunkBytes: 7, maxLineBytes: 10 }, position, null);
    assert.deepEqual(
      (await drain(second)).map((r) => r.line),
      ['next', 'last'],
    );
    await second.close();
  });

  test('a line longer than maxLineBytes is cut even when its newline is in the same chunk', async () => {
    const content = Buffer.from(`${'a'.repeat(30)}\nbb\n${'c'.repeat(12)}\nd`);
    for (const chunkBytes of [7, 1024]) {
      const src = await opened(await file(content), { chunkBytes, maxLineBytes: 10 });
      const got = await drain(src);
      await src.close();
      assert.deepEqual(
        got,
        [
          { line: 'a'.repeat(10), bytes: 30, seq: 0 },
          { line: 'bb', bytes: 2, seq: 31 },
          { line: 'c'.repeat(10), bytes: 12, seq: 34 },
          { line: 'd', bytes: 1, seq: 47 },
        ],
        `chunkBytes ${chunkBytes}`,
      );
    }
  });
});

describe('fingerprints and errors', () => {
  test('re-opening the same file with the fingerprint taken after reading succeeds', async () => {
    const path = await file(sample);
    const first = await opened(path, { chunkBytes: 16 });
    await pollLines(first, 3);
    const position = first.position();
    const fingerprint = first.fingerprint();
    await first.close();
    assert.match(fingerprint, /^\d+:[0-9a-f]{64}$/);
    const again = await opened(path, { chunkBytes: 16 }, position, fingerprint);
    assert.equal(again.position(), position);
    assert.equal(again.fingerprint(), fingerprint);
    await again.close();
  });

  test('the same content in another file also matches (the fingerprint is of content, not of a name)', async () => {
    const first = await opened(await file(sample));
    await drain(first);
    const fingerprint = first.fingerprint();
    const position = first.position();
    await first.close();
    const copy = await opened(await file(sample), {}, position, fingerprint);
    await copy.close();
  });

  test('re-opening a different file with that fingerprint rejects with ADW_ERR_INPUT_MISMATCH', async () => {
    const first = await opened(await file('one\ntwo\nthree\n'));
    await pollLines(first, 2);
    const position = first.position();
    const fingerprint = first.fingerprint();
    await first.close();

    for (const other of ['one\ntwx\nthree\n', 'uno\ndos\ntres\n', 'one\n', '']) {
      const src = new FileSource({ path: await file(other), follow: false });
      await assert.rejects(src.open(position, fingerprint), (e: unknown) => {
        assert.equal((e as { code?: string }).code, 'ADW_ERR_INPUT_MISMATCH', `for ${JSON.stringify(other)}`);
        return true;
      });
      await src.close();
    }
  });

  test('a missing path rejects with ADW_ERR_INPUT_NOT_FOUND', async () => {
    const src = new FileSource({ path: join(dir, 'does-not-exist.ndjson'), follow: false });
    await assert.rejects(src.open(null, null), (e: unknown) => {
      assert.equal((e as { code?: string }).code, 'ADW_ERR_INPUT_NOT_FOUND');
      return true;
    });
  });
});

describe('following a file that grows', () => {
  test('a line whose end is appended later comes back whole, at its offset, after polls that found nothing new', async () => {
    const path = await file('{"a":1}\n{"b":');
    const src = new FileSource({ path, follow: true, chunkBytes: 4 });
    await src.open(null, null);
    const got: Line[] = [];
    for (let i = 0; i < 20; i++) got.push(...(await pollLines(src, 100)).records);
    assert.deepEqual(got, [{ line: '{"a":1}', bytes: 7, seq: 0 }]);
    await writeFile(path, '2}\n{"c":3}\n', { flag: 'a' });
    for (let i = 0; i < 20 && got.length < 3; i++) got.push(...(await pollLines(src, 100)).records);
    assert.deepEqual(got.slice(1), [
      { line: '{"b":2}', bytes: 7, seq: 8 },
      { line: '{"c":3}', bytes: 7, seq: 16 },
    ]);
    assert.equal(src.position(), '24');
    await src.close();
  });
});
