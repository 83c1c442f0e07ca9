import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zstdDecompressSync } from 'node:zlib';
import fc from 'fast-check';
import { CsvRows } from '../../src/warehouse/csv.ts';

/** Rows of every size: ASCII, 2-, 3- and 4-byte characters, empty rows, and rows longer than a block (1 MB). */
function rowsOf(seed: number, n: number): string[] {
  const pieces = ['x', 'é', '€', '😀', '\x01', 'a'.repeat(30)];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = (i * 7919 + seed) % 41;
    out.push(k === 0 ? '' : Array.from({ length: k }, (_, j) => pieces[(i + j + seed) % pieces.length]).join(''));
  }
  out.push('€'.repeat(400_000)); // 1.2 MB of UTF-8
  out.push('tail');
  return out;
}

function filled(rows: string[]): CsvRows {
  const csv = new CsvRows();
  for (const r of rows) csv.push(r);
  return csv;
}

function text(csv: CsvRows): string {
  return Buffer.concat(csv.bytes()).toString('utf8');
}

test('the bytes are the rows, each ended by a newline, across blocks and strings of every size', () => {
  const rows = rowsOf(1, 20_000);
  const csv = filled(rows);
  assert.equal(csv.length, rows.length);
  assert.ok(csv.bytes().length > 3, 'several blocks');
  assert.equal(text(csv), `${rows.join('\n')}\n`);
  assert.equal(text(filled([])), '');
});

test('rows written while others are in flight never share their blocks; released blocks carry later rows exactly', () => {
  const first = filled(rowsOf(2, 20_000));
  const firstBytes = Buffer.concat(first.bytes());
  const second = filled(rowsOf(3, 20_000));
  const inFlight = new Set(first.bytes().map((b) => b.buffer));
  assert.ok(
    second.bytes().every((b) => !inFlight.has(b.buffer)),
    'a block of rows not yet written was reused',
  );
  assert.deepEqual(Buffer.concat(first.bytes()), firstBytes);

  first.release();
  const laterRows = rowsOf(4, 20_000);
  const later = filled(laterRows);
  assert.ok(
    later.bytes().some((b) => inFlight.has(b.buffer)),
    'no released block was used again',
  );
  assert.equal(text(later), `${laterRows.join('\n')}\n`);
  assert.equal(text(second), `${rowsOf(3, 20_000).join('\n')}\n`);
});

test('rows written in place are the bytes of their fields as text, mixed with rows given as strings, in order', () => {
  const numbers = [0, -0, 7, -12, 2 ** 31, 2 ** 53 - 1, -(2 ** 53 - 1), 1767225600834, 1.5, -0.25, 2 ** 53 + 2, 1e21];
  // Short and long: a long one is written by one native call, a short one byte by byte, each with any character.
  const texts = [
    '',
    'r1-9',
    'é',
    '€😀',
    '\ud800 lone',
    'x'.repeat(300),
    '<b>"q"</b>',
    'ü'.repeat(25),
    'a€😀\udc00'.repeat(8),
    `<${'z'.repeat(60)}>`.slice(1, 50),
  ];
  const line = Buffer.from('[{"a":"ünï"}]\nnot this');
  const lineEnd = line.indexOf('\n');
  const csv = new CsvRows();
  const expected: string[] = [];
  for (let i = 0; i < 30_000; i++) {
    const n = numbers[i % numbers.length]!;
    const t = texts[i % texts.length]!;
    if (i % 5 === 0) {
      csv.push(`${t}\x01${n}`);
      expected.push(`${Buffer.from(t).toString()}\x01${n}`);
      continue;
    }
    // A row near the block's end must still fit the block it begins in.
    csv.begin(64 + 3 * t.length + lineEnd);
    csv.int(n);
    csv.sep();
    csv.text(t);
    csv.sep();
    csv.copy(line, 0, lineEnd);
    csv.end();
    expected.push(`${n}\x01${Buffer.from(t).toString()}\x01[{"a":"ünï"}]`);
  }
  // One row larger than a block.
  const big = 'b'.repeat(1_500_000);
  csv.begin(big.length + 8);
  csv.text(big);
  csv.end();
  expected.push(big);
  assert.equal(csv.length, expected.length);
  assert.equal(text(csv), `${expected.join('\n')}\n`);
});

test('integers are written as String() writes them, at every number of digits and around every split', () => {
  // Each power of ten and its neighbours, both signs; around 2^31 and 1e8, where the writing splits a number.
  const edges = [0, 1, 9, 10, 99, 100, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, 2 ** 53 - 1, 1e8 - 1, 1e8, 1e8 + 1];
  for (let k = 1; k <= 15; k++) edges.push(10 ** k - 1, 10 ** k, 10 ** k + 1, 3 * 10 ** k + 7);
  // Event times whose last eight digits start with zeros.
  edges.push(1767200000000, 1767200000005, 1767200000050, 1767299999999, 1767225600834);
  const numbers = [...edges, ...edges.map((n) => -n)];
  fc.assert(
    fc.property(fc.array(fc.maxSafeInteger(), { maxLength: 50 }), (random) => {
      const all = [...numbers, ...random];
      const csv = new CsvRows();
      for (const n of all) {
        csv.begin(32);
        csv.int(n);
        csv.end();
      }
      assert.equal(text(csv), all.map((n) => `${String(n)}\n`).join(''));
    }),
  );
});

test('rows made compressed are compressed as their blocks fill: the frames hold exactly the rows, bytes() refuses', async () => {
  const rows = rowsOf(5, 20_000);
  const csv = new CsvRows({ compressed: true });
  for (const [i, r] of rows.entries()) {
    if (i % 2 === 0) csv.push(r);
    else {
      csv.begin(3 * r.length + 1);
      csv.text(r);
      csv.end();
    }
  }
  assert.throws(() => csv.bytes(), /compressed/);
  const frames = await csv.compressed();
  assert.equal(zstdDecompressSync(Buffer.concat(frames)).toString('utf8'), `${rows.join('\n')}\n`);
  // The same rows made plain and compressed at the end read the same.
  const plain = filled(rows);
  assert.deepEqual(
    zstdDecompressSync(Buffer.concat(await plain.compressed())),
    zstdDecompressSync(Buffer.concat(frames)),
  );
  assert.deepEqual(
    await new CsvRows({ compressed: true }).compressed().then((f) => zstdDecompressSync(Buffer.concat(f)).length),
    0,
  );
});

test('a row taken back is its fields as text, and leaves the rows written around it as they were', () => {
  const texts = ['', 'r1-9', 'é', '€😀', '\ud800 lone', 'x'.repeat(3000), '<b>"q"</b>'];
  const numbers = [0, -12, 2 ** 31, 2 ** 53 - 1, 1767225600834, 1.5];
  const csv = new CsvRows();
  const expected: string[] = [];
  // Enough rows for several blocks, so some rows are taken back from the start of a block just begun.
  for (let i = 0; i < 3000; i++) {
    const t = texts[i % texts.length]!;
    const n = numbers[i % numbers.length]!;
    csv.begin(64 + 3 * t.length);
    csv.text(t);
    csv.sep();
    csv.int(n);
    assert.equal(csv.takeRow(), `${Buffer.from(t).toString()}\x01${n}`);
    csv.begin(64 + 3 * t.length);
    csv.int(i);
    csv.sep();
    csv.text(t);
    csv.end();
    expected.push(`${i}\x01${Buffer.from(t).toString()}`);
  }
  assert.equal(csv.length, expected.length, 'a row taken back is not counted');
  assert.equal(text(csv), `${expected.join('\n')}\n`);
});
