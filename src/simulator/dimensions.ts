import type { AdRow, AdvertiserRow, CampaignRow, DimensionTable, SlotRow } from '../events/schema.ts';
import type { SimulatorOptions } from './options.ts';
import { Random } from './random.ts';

/** The simulated dimension tables; ids are dense from 1 in each table. */
export interface SimulatorDimensions {
  advertisers: AdvertiserRow[];
  campaigns: CampaignRow[];
  ads: AdRow[];
  slots: SlotRow[];
}

/** Random stream of the dimensions, apart from the traffic's so dimension sizes do not shift the events. */
const DIMENSION_STREAM = 1;

const brandWords = [
  'Blue',
  'Harbor',
  'Summit',
  'Nova',
  'Maple',
  'Atlas',
  'Copper',
  'Lumen',
  'Orbit',
  'Pine',
  'Vertex',
  'Willow',
  'Ember',
  'Quartz',
  'Delta',
  'Sierra',
];
const brandKinds = [
  'Foods',
  'Motors',
  'Travel',
  'Games',
  'Bank',
  'Apparel',
  'Labs',
  'Telecom',
  'Pharma',
  'Media',
  'Home',
  'Sports',
  'Beauty',
  'Energy',
  'Insurance',
  'Retail',
];
const campaignThemes = [
  'Spring Sale',
  'Brand Awareness',
  'Retargeting',
  'App Install',
  'Holiday Push',
  'Back to School',
  'Product Launch',
  'Loyalty',
  'Clearance',
  'Weekend Deals',
];
const adFormats = [
  'Banner 300x250',
  'Banner 728x90',
  'Interstitial',
  'Native card',
  'Video 15s',
  'Video 30s',
  'Rich media',
];
const sites = [
  'dailynews.example',
  'sportsbeat.example',
  'weathernow.example',
  'recipebox.example',
  'puzzlehub.example',
  'techreview.example',
  'travelguide.example',
  'streamtv.example',
];
const placements = ['home-top', 'article-inline', 'sidebar', 'interstitial', 'video-preroll', 'feed-native', 'footer'];

/** Builds the dimension rows for a seed: the same seed and sizes always give the same rows. */
export function buildDimensions(options: SimulatorOptions): SimulatorDimensions {
  const rnd = new Random(options.seed, DIMENSION_STREAM);
  const names = rnd.shuffle(brandWords.flatMap((w) => brandKinds.map((k) => `${w} ${k}`)));
  const advertisers: AdvertiserRow[] = [];
  const campaigns: CampaignRow[] = [];
  const ads: AdRow[] = [];
  for (let a = 1; a <= options.advertisers; a++) {
    // Past the 256 word pairs, the id keeps names distinct.
    const name = names[a - 1] ?? `${names[(a - 1) % names.length]} ${a}`;
    advertisers.push({ advertiser_id: a, name });
    for (let c = 0; c < options.campaignsPerAdvertiser; c++) {
      const campaign_id = campaigns.length + 1;
      const cpm = rnd.chance(0.7);
      campaigns.push({
        campaign_id,
        advertiser_id: a,
        name: `${name} - ${rnd.pick(campaignThemes)} ${campaign_id}`,
        billing: cpm ? 'CPM' : 'CPC',
        // CPM prices are per thousand exposures, CPC prices per click; both to a tenth of a cent.
        price: round3(cpm ? rnd.uniform(0.5, 8) : rnd.uniform(0.1, 2)),
        // Daily budget in currency units, to the hundred: a few hundred to tens of thousands.
        budget: Math.round(rnd.logUniform(300, 50_000) / 100) * 100,
      });
      for (let k = 0; k < options.adsPerCampaign; k++) {
        const ad_id = ads.length + 1;
        ads.push({
          ad_id,
          campaign_id,
          name: `${rnd.pick(adFormats)} ${String.fromCharCode(65 + (k % 26))}${ad_id}`,
        });
      }
    }
  }
  const slots: SlotRow[] = [];
  for (let s = 1; s <= options.slots; s++) {
    const site = rnd.pick(sites);
    slots.push({
      slot_id: s,
      name: `${site.split('.')[0]}/${rnd.pick(placements)}-${s}`,
      site,
    });
  }
  return { advertisers, campaigns, ads, slots };
}

/** The dimension rows as NDJSON upsert lines, in the order advertiser, campaign, ad, slot (parents before children). */
export function dimensionLines(dims: SimulatorDimensions): string[] {
  const line = (table: DimensionTable, row: object) => JSON.stringify({ type: 'dim', table, op: 'upsert', row });
  return [
    ...dims.advertisers.map((r) => line('advertiser', r)),
    ...dims.campaigns.map((r) => line('campaign', r)),
    ...dims.ads.map((r) => line('ad', r)),
    ...dims.slots.map((r) => line('slot', r)),
  ];
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
