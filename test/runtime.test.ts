import assert from 'node:assert/strict';
import { test } from 'node:test';

test('the suite runs on the Node the project brings (current LTS, 24), not on the machine\'s', () => {
  const major = Number(process.versions.node.split('.')[0]);
  assert.ok(major >= 24, `running on Node ${process.version}`);
});
