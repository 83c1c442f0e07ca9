import type { FastifyInstance } from 'fastify';
import { errors } from '../../errors.ts';
import { runPacing } from '../../query/pacing.ts';
import { parseTime } from '../../query/request.ts';
import type { QueryStore } from '../../warehouse/warehouse.ts';
import { answer } from '../csv.ts';

const ids = (v: unknown, name: string): number[] | undefined => {
  if (v === undefined) return undefined;
  const parts = String(v).split(',').filter(Boolean);
  if (!parts.every((x) => /^\d+$/.test(x))) throw errors.badQuery(`${name} takes ids (integers)`);
  return parts.map(Number);
};

/** GET /api/pacing?day=YYYY-MM-DD&filter.advertiser_id=&filter.campaign_id=&limit=&format=csv: spend against daily budget. */
export async function pacingRoutes(app: FastifyInstance, opts: { store: QueryStore }): Promise<void> {
  app.get('/api/pacing', async (req, reply) => {
    const p = req.query as Record<string, unknown>;
    const other = Object.keys(p).find((k) => k.startsWith('filter.') && k !== 'filter.advertiser_id' && k !== 'filter.campaign_id');
    if (other) throw errors.badQuery(`pacing is per campaign: it filters by advertiser_id or campaign_id, not ${other.slice('filter.'.length)}`);
    const advertiserIds = ids(p['filter.advertiser_id'], 'filter.advertiser_id');
    const campaignIds = ids(p['filter.campaign_id'], 'filter.campaign_id');
    const result = await runPacing(opts.store, {
      ...(p.day ? { day: parseTime(String(p.day), 'day') } : {}),
      ...(advertiserIds ? { advertiserIds } : {}),
      ...(campaignIds ? { campaignIds } : {}),
      ...(p.limit !== undefined ? { limit: Number(p.limit) } : {}),
    });
    return answer(reply, p, `adw-pacing-${result.day}`, result);
  });
}
