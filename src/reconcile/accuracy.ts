import { additiveColumns, type AdditiveColumn, billedColumn } from '../catalogue/metrics.ts';
import { errors } from '../errors.ts';
import { dwaDimensionColumns } from '../layers/dwa.ts';
import type { QueryStore } from '../warehouse/warehouse.ts';
import { foldedDwaSql, odsCoveredSinceSql, offlineDwaSql } from './offline.ts';

/** The additive metrics compared, by catalogue name, with the DWA column each is stored in. */
export const reconciledMetrics: readonly { name: string; column: AdditiveColumn; scale: number }[] =
  additiveColumns.map((column) =>
    column === billedColumn ? { name: 'spend', column, scale: 1e-9 } : { name: column, column, scale: 1 },
  );

/** Real-time and offline totals of a metric and how far they agree. */
export interface Agreement {
  realtime: number;
  offline: number;
  /** Fraction in [0, 1]; see `reconcile`. */
  accuracy: number;
}

/** One dimension value's agreement for one metric. */
export interface Slice extends Agreement {
  dimension: string;
  value: string | number | null;
  metric: string;
}

/** The event-time period compared, as ISO timestamps: `from` inclusive, `to` exclusive; null when nothing is. */
export interface ComparedPeriod {
  from: string | null;
  to: string | null;
}

export interface ReconcileReport {
  /**
   * Only what ODS still holds whole is compared: from the first day retention left it (`odsCoveredSinceSql`) to the
   * end of the newest minute either side holds. DWA before `from` has nothing left to be checked against.
   */
  period: ComparedPeriod;
  /** Per catalogue metric: the real-time DWA total, the offline total and the accuracy. */
  metrics: Record<string, Agreement>;
  /** Per dimension, per value, per metric. */
  slices: Record<string, { value: string | number | null; metrics: Record<string, Agreement> }[]>;
  /** The slices that disagree most (among those with enough offline volume to judge). */
  worst: Slice[];
}

export interface ReconcileOptions {
  dimensions?: readonly string[];
  /** How many worst slices to report. */
  worst?: number;
  /**
   * Slices with less offline volume than this (in the metric's unit: events, or currency for spend) are too small to
   * rank.
   */
  minVolume?: number;
}

const num = (x: unknown) => Number(x ?? 0);

/**
 * Compares the engine's real-time DWA with DWA recomputed offline from ODS with no join window and every late record
 * (src/reconcile/offline.ts). A metric's accuracy is the share that landed in the same cell (minute and full
 * dimension key) in both: sum over cells of min(real-time, offline), over the larger of the two totals. So a click
 * that the real-time join missed (counted, but unattributed) lowers click and spend accuracy even though the click
 * total is the same. A slice's accuracy is min/max of its two totals. Both sides cover only the period ODS still
 * holds whole (`ReconcileReport.period`), read in each query itself so that housekeeping dropping a day meanwhile
 * cannot make a scheduled run compare a day ODS no longer has.
 */
export async function reconcile(store: QueryStore, opts: ReconcileOptions = {}): Promise<ReconcileReport> {
  const dims = dwaDimensionColumns.join(', ');
  const cols = additiveColumns;
  const since = '(SELECT since FROM covered)';
  const both = `
    WITH covered AS (SELECT ${odsCoveredSinceSql} AS since),
    rt AS (${foldedDwaSql(since)}), off AS (${offlineDwaSql(null, since)}),
    cells AS (
      SELECT minute, ${dims}, ${cols.map((c) => `sum(CASE WHEN side = 'rt' THEN ${c} END) AS rt_${c}, sum(CASE WHEN side = 'off' THEN ${c} END) AS off_${c}`).join(', ')}
      FROM (SELECT 'rt' AS side, * FROM rt UNION ALL BY NAME SELECT 'off' AS side, * FROM off)
      GROUP BY minute, ${dims}
    )`;
  const [totals] = await store.query(
    `${both} SELECT ${cols.map((c) => `sum(rt_${c}) AS rt_${c}, sum(off_${c}) AS off_${c}, sum(least(coalesce(rt_${c}, 0), coalesce(off_${c}, 0))) AS same_${c}`).join(', ')},
      coalesce(CASE WHEN isfinite(${since}) THEN ${since} END, min(minute)) AS period_from,
      max(minute) + INTERVAL 1 MINUTE AS period_to
    FROM cells`,
  );
  // An aggregate without GROUP BY returns exactly one row.
  if (!totals) throw errors.internal();
  const metrics: Record<string, Agreement> = {};
  for (const m of reconciledMetrics) {
    const rt = num(totals[`rt_${m.column}`]);
    const off = num(totals[`off_${m.column}`]);
    const same = num(totals[`same_${m.column}`]);
    metrics[m.name] = {
      realtime: scaled(rt, m.scale),
      offline: scaled(off, m.scale),
      accuracy: ratio(same, Math.max(rt, off)),
    };
  }

  const slices: ReconcileReport['slices'] = {};
  const candidates: Slice[] = [];
  const minVolume = opts.minVolume ?? 20;
  for (const d of opts.dimensions ?? dwaDimensionColumns) {
    if (!(dwaDimensionColumns as readonly string[]).includes(d)) throw errors.unknownDimension(d);
    const rows = await store.query(
      `${both} SELECT ${d} AS value, ${cols.map((c) => `coalesce(sum(rt_${c}), 0) AS rt_${c}, coalesce(sum(off_${c}), 0) AS off_${c}`).join(', ')} FROM cells GROUP BY ${d} ORDER BY ${d} NULLS LAST`,
    );
    slices[d] = rows.map((row) => {
      const value = row.value as string | number | null;
      const ms: Record<string, Agreement> = {};
      for (const m of reconciledMetrics) {
        const rt = num(row[`rt_${m.column}`]);
        const off = num(row[`off_${m.column}`]);
        const agreement: Agreement = {
          realtime: scaled(rt, m.scale),
          offline: scaled(off, m.scale),
          accuracy: ratio(Math.min(rt, off), Math.max(rt, off)),
        };
        ms[m.name] = agreement;
        if (off * m.scale >= minVolume && value !== null)
          candidates.push({ dimension: d, value, metric: m.name, ...agreement });
      }
      return { value, metrics: ms };
    });
  }
  candidates.sort((a, b) => a.accuracy - b.accuracy || b.offline - a.offline);
  const period = { from: totals.period_from as string | null, to: totals.period_to as string | null };
  return { period, metrics, slices, worst: candidates.slice(0, opts.worst ?? 10) };
}

/** Integer units scaled (nanos to currency) without binary-fraction noise in the output. */
function scaled(units: number, scale: number): number {
  return scale === 1 ? units : Number((units * scale).toFixed(9));
}

function ratio(part: number, whole: number): number {
  return whole === 0 ? 1 : part / whole;
}
