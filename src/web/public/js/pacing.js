import { h, tableBody } from './dom.js';
import { formats } from './format.js';
/** @import { PacingResult, PacingStatus } from './api.js' */

/** @type {Record<PacingStatus, string>} */
const STATUS_LABEL = { exhausted: 'budget spent', ahead: 'ahead', on_track: 'on track', behind: 'behind' };

/** Today's spend against each campaign's daily budget, with the share an even pace would have spent by now. */
export class PacingTable {
  /**
   * @param {HTMLTableElement} table
   * @param {HTMLElement} dayLabel where the page says which day, as of when
   */
  constructor(table, dayLabel) {
    this.table = table;
    this.dayLabel = dayLabel;
    this.signature = '';
    // Columns marked wide-only give way on narrow screens, so campaign, spend, used and status stay in view.
    const wide = { class: 'wide-only' };
    table
      .createTHead()
      .replaceChildren(
        h(
          'tr',
          {},
          h('th', {}, 'Campaign'),
          h('th', wide, 'Advertiser'),
          h('th', wide, 'Billing'),
          h('th', wide, 'Daily budget'),
          h('th', {}, 'Spend today'),
          h(
            'th',
            { title: 'share of the daily budget spent; the mark │ is what an even pace would have spent by now' },
            'Used',
          ),
          h('th', wide, 'Pace'),
          h('th', {}, 'Status'),
        ),
      );
  }

  /**
   * @param {PacingResult} result
   * @param {string} query the URL that answered, kept on the table for tests and for the curious
   */
  update(result, query) {
    this.table.dataset.query = query;
    this.dayLabel.textContent = `${result.day}, as of ${result.as_of.slice(11, 16)} UTC (${(result.day_elapsed * 100).toFixed(0)}% of the day)`;
    const signature = JSON.stringify(result.rows);
    if (signature === this.signature) return;
    this.signature = signature;
    tableBody(this.table).replaceChildren(
      ...result.rows.map((r) =>
        h(
          'tr',
          { 'data-campaign-id': r.campaign_id },
          h('td', {}, r.campaign_name, h('span', { class: 'id' }, r.campaign_id)),
          h('td', { class: 'wide-only' }, r.advertiser_name ?? r.advertiser_id),
          h('td', { class: 'wide-only' }, r.billing),
          h('td', { class: 'wide-only', 'data-col': 'budget', 'data-value': r.budget }, formats.money(r.budget)),
          h('td', { 'data-col': 'spend', 'data-value': r.spend }, formats.money(r.spend)),
          h(
            'td',
            { 'data-col': 'budget_used', 'data-value': r.budget_used },
            h(
              'span',
              { class: 'bar' },
              h('span', { class: 'fill', style: { width: `${Math.min(100, r.budget_used * 100).toFixed(1)}%` } }),
              h('span', { class: 'expected', style: { left: `${(r.expected_used * 100).toFixed(1)}%` } }),
            ),
            ` ${formats.pct(r.budget_used)}`,
          ),
          h(
            'td',
            { class: 'wide-only', 'data-col': 'pace', 'data-value': r.pace ?? '' },
            r.pace === null ? '–' : `×${r.pace.toFixed(2)}`,
          ),
          h(
            'td',
            { 'data-col': 'status', 'data-value': r.status, class: `status-${r.status}` },
            STATUS_LABEL[r.status],
          ),
        ),
      ),
    );
  }
}
