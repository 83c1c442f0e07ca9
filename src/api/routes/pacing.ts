import type { FastifyInstance } from 'fastify';
import { errors } from '../../errors.ts';
import { runPacing } from '../../query/pacing.ts';
import { filterValue, parseTime } from '../../query/request.ts';
import type { SharedReads } from '../../query/shared-reads.ts';
import { answer } from '../csv.ts';
import { checkParams, list, wholeNumber } from '../params.ts';

const pacingParams = ['day', 'limit', 'format', 'filter.advertiser_id', 'filter.campaign_id'];

/**
 * GET /api/pacing?day=YYYY-MM-DD&filter.advertiser_id=&filter.campaign_id=&limit=&format=csv: spend against daily
 * budget.
 */
export async function pacingRoutes(app: FastifyInstance, opts: { reads: SharedReads }): Promise<void> {
  app.get('/api/pacing', async (req, reply) => {
    const p = req.query as Record<string, unknown>;
    const other = Object.keys(p).find((k) => k.startsWith('filter.') && !pacingParams.includes(k));
    if (other)
      throw errors.badQuery(
        `pacing is per campaign: it filters by advertiser_id or campaign_id, not ${other.slice('filter.'.length)}`,
      );
    checkParams(p, pacingParams, false);
    const ids = (dim: 'advertiser_id' | 'campaign_id') =>
      p[`filter.${dim}`] === undefined ? undefined : list(p[`filter.${dim}`]).map((v) => filterValue(dim, v) as number);
    const advertiserIds = ids('advertiser_id');
    const campaignIds = ids('campaign_id');
    const result = await runPacing(opts.reads.forAnswer(), {
      ...(p.day ? { day: parseTime(String(p.day), 'day') } : {}),
      ...(advertiserIds ? { advertiserIds } : {}),
      ...(campaignIds ? { campaignIds } : {}),
      ...(p.limit !== undefined ? { limit: wholeNumber(p.limit) } : {}),
    });
    return answer(reply, p, `adw-pacing-${result.day}`, result);
  });
}
