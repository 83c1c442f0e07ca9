import { defaultEngineConfig } from '../engine/config.ts';
import { errors } from '../errors.ts';
import { parseCount, UNITS } from './parse.ts';

const FLAG = '--ods-retention-days';

/** The `--ods-retention-days` option of the commands that run the engine (adw run, adw demo). */
export const ODS_RETENTION_OPTION = [
  `${FLAG} <n>`,
  'days of ODS kept behind the settled watermark (whole days are dropped); adw reconcile compares only what ODS still holds',
  String(defaultEngineConfig.odsRetentionDays),
] as const;

/**
 * Parses `--ods-retention-days`. A restart rebuilds the engine's dedup and join state from ODS as far back as the
 * join window, so ODS must keep at least that many days (and one at least: retention drops whole days).
 */
export function parseOdsRetentionDays(text: string, joinWindowMs: number): number {
  const days = parseCount(text, FLAG);
  const least = Math.max(1, Math.ceil(joinWindowMs / UNITS.d));
  if (days < least)
    throw errors.badOption(
      FLAG,
      `${days} is too short: keep at least ${least} day(s), as a restart rebuilds the engine's state from ODS as far back as the join window`,
    );
  return days;
}
