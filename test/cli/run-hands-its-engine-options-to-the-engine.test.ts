import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineConfigFrom } from '../../src/cli/commands/run.ts';
import { defaultEngineConfig } from '../../src/engine/config.ts';
import { isAdwError } from '../../src/errors.ts';

const given = {
  joinWindow: '2h',
  attributionWindow: '36h',
  allowedLateness: '90s',
  checkpointInterval: '250ms',
  batchSize: '100',
  odsRetentionDays: '7',
  state: 'disk' as const,
  stateMemory: '96MB',
};

test('each engine option of adw run reaches the engine config', () => {
  const config = engineConfigFrom(given);
  assert.equal(config.joinWindowMs, 2 * 3_600_000);
  assert.equal(config.attributionWindowMs, 36 * 3_600_000);
  assert.notEqual(config.attributionWindowMs, defaultEngineConfig.attributionWindowMs);
  assert.equal(config.allowedLatenessMs, 90_000);
  assert.equal(config.checkpointIntervalMs, 250);
  assert.equal(config.batchSize, 100);
  assert.equal(config.odsRetentionDays, 7);
  assert.notEqual(config.odsRetentionDays, defaultEngineConfig.odsRetentionDays);
  assert.notEqual(config.allowedLatenessMs, defaultEngineConfig.allowedLatenessMs);
  assert.equal(config.stateMemoryBytes, 96 * 1024 * 1024);
  assert.notEqual(config.stateMemoryBytes, defaultEngineConfig.stateMemoryBytes);
  assert.equal(engineConfigFrom({ ...given, state: 'memory' }).stateMemoryBytes, null, '--state memory: no budget');
});

test('a bad engine option is refused with its own name', () => {
  for (const [key, option] of [
    ['joinWindow', '--join-window'],
    ['attributionWindow', '--attribution-window'],
    ['allowedLateness', '--allowed-lateness'],
    ['checkpointInterval', '--checkpoint-interval'],
    ['batchSize', '--batch-size'],
    ['odsRetentionDays', '--ods-retention-days'],
    ['stateMemory', '--state-memory'],
  ] as const)
    assert.throws(
      () => engineConfigFrom({ ...given, [key]: 'soon' }),
      (e) => isAdwError(e) && e.code === 'ADW_ERR_BAD_OPTION' && e.message.includes(option),
      option,
    );
});
