/**
 * The dimension catalogue, written once: the CLI, the API, the SQL and the docs all read it.
 * `column` is the DWA/DWD column; `nameFrom` names the dimension table that carries a display name.
 */
export const dimensions = [
  {
    name: 'advertiser_id',
    label: 'Advertiser',
    column: 'advertiser_id',
    type: 'INTEGER',
    nameFrom: { table: 'dim_advertiser', key: 'advertiser_id' },
  },
  {
    name: 'campaign_id',
    label: 'Campaign',
    column: 'campaign_id',
    type: 'INTEGER',
    nameFrom: { table: 'dim_campaign', key: 'campaign_id' },
  },
  {
    name: 'ad_id',
    label: 'Ad (creative)',
    column: 'ad_id',
    type: 'INTEGER',
    nameFrom: { table: 'dim_ad', key: 'ad_id' },
  },
  {
    name: 'slot_id',
    label: 'Slot',
    column: 'slot_id',
    type: 'INTEGER',
    nameFrom: { table: 'dim_slot', key: 'slot_id' },
  },
  { name: 'os', label: 'OS', column: 'os', type: 'VARCHAR', nameFrom: null },
  { name: 'device_type', label: 'Device type', column: 'device_type', type: 'VARCHAR', nameFrom: null },
  { name: 'region', label: 'Region', column: 'region', type: 'VARCHAR', nameFrom: null },
] as const;

export type DimensionName = (typeof dimensions)[number]['name'];
export const dimensionNames: readonly DimensionName[] = dimensions.map((d) => d.name);

export function isDimensionName(name: string): name is DimensionName {
  return (dimensionNames as readonly string[]).includes(name);
}

/** Time granularities a query can group by. */
export const granularities = ['minute', 'hour', 'day'] as const;
export type Granularity = (typeof granularities)[number];
