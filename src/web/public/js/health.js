import { h } from './dom.js';
import { duration, formats } from './format.js';
/** @import { Status } from './api.js' */

/** Pipeline health: the live engine's figures when one runs in this process, the warehouse's checkpoint always. */
export class HealthPanel {
  /**
   * @param {HTMLElement} list the figures (a dl)
   * @param {HTMLElement} mode where the figures come from
   */
  constructor(list, mode) {
    this.list = list;
    this.mode = mode;
  }

  /** @param {Status} status */
  update(status) {
    const p = status.pipeline;
    const c = status.checkpoint;
    this.mode.textContent = p
      ? 'engine running in this process'
      : 'no engine in this process: figures from the last checkpoint';
    const lag = p?.consumer_lag ?? null;
    /**
     * @type {[key: string, label: string, text: string | number, value: string | number | null | undefined, warn?:
     * boolean][]}
     */
    const entries = [
      ['ingest_rate', 'Ingest rate', p ? `${formats.int(p.ingest_rate)} records/s` : '–', p?.ingest_rate],
      [
        'consumer_lag',
        'Consumer lag',
        lag === null ? (p ? 'not reported by this source' : '–') : `${formats.int(lag)} ${p?.lag_unit}`,
        lag,
      ],
      ['checkpoint_age', 'Checkpoint age', duration(c.age_ms), c.age_ms, c.age_ms !== null && c.age_ms > 10_000],
      ['dead_letters', 'Dead letters', formats.int(c.dead_lettered), c.dead_lettered, c.dead_lettered > 0],
      ['records_in', 'Records in', formats.int(c.records_in), c.records_in],
      ['duplicates', 'Duplicates dropped', formats.int(c.duplicates), c.duplicates],
      ['late', 'Late events (corrected)', formats.int(c.late), c.late],
      [
        'freshness_p99',
        'Freshness p50 / p99',
        p ? `${p.freshness_p50_ms} / ${p.freshness_p99_ms} ms` : '–',
        p?.freshness_p99_ms,
      ],
      ['watermark', 'Watermark', p?.watermark ?? '–', p?.watermark],
      ['epoch', 'Checkpoint epoch', c.epoch ?? '–', c.epoch],
    ];
    this.list.replaceChildren(
      ...entries.flatMap(([key, label, text, value, warn]) => [
        h('dt', {}, label),
        h('dd', { 'data-key': key, 'data-value': value ?? '', class: warn ? 'warn' : null }, text),
      ]),
    );
  }
}
