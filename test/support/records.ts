/** Input records for validation tests: a fixed "now", an event time an hour before it, and valid requests. */
export const NOW = Date.UTC(2026, 6, 1, 12, 0, 0);
export const TS = NOW - 3_600_000;

/** A valid filled request. */
export const filledRequest = {
  type: 'request',
  request_id: 'req-1',
  ts: TS,
  user_id: 'user:42',
  os: 'ios',
  device_type: 'phone',
  region: 'US-CA',
  slot_id: 3,
  filled: true,
  ad_id: 17,
  bid_price: 2.5,
};
/** A valid unfilled request. */
export const unfilledRequest = {
  type: 'request',
  request_id: 'req_2.b',
  ts: TS + 1,
  user_id: 'u7',
  os: 'android',
  device_type: 'tablet',
  region: 'DE',
  slot_id: 9,
  filled: false,
};
