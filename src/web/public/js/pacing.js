import { esc, formats } from './format.js';

const STATUS_LABEL = { exhausted: 'budget spent', ahead: 'ahead', on_track: 'on track', behind: 'behind' };

/** Today's spend against each campaign's daily budget, with the share an even pace would have spent by now. */
export class PacingTable {
  constructor(table, dayLabel) {
    this.table = table;
    this.dayLabel = dayLabel;
    this.signature = '';
    // Columns marked wide-only give way on narrow screens, so campaign, spend, used and status stay in view.
    table.tHead.innerHTML = '<tr><th>Campaign</th><th class="wide-only">Advertiser</th><th class="wide-only">Billing</th><th class="wide-only">Daily budget</th><th>Spend today</th><th title="share of the daily budget spent; the mark │ is what an even pace would have spent by now">Used</th><th class="wide-only">Pace</th><th>Status</th></tr>';
  }

  update(result, query) {
    this.table.dataset.query = query;
    this.dayLabel.textContent = `${result.day}, as of ${result.as_of.slice(11, 16)} UTC (${(result.day_elapsed * 100).toFixed(0)}% of the day)`;
    const signature = JSON.stringify(result.rows);
    if (signature === this.signature) return;
    this.signature = signature;
    this.table.tBodies[0].innerHTML = result.rows
      .map((r) => `<tr data-campaign-id="${r.campaign_id}">
        <td>${esc(r.campaign_name)}<span class="id">${r.campaign_id}</span></td>
        <td class="wide-only">${esc(r.advertiser_name ?? r.advertiser_id)}</td>
        <td class="wide-only">${esc(r.billing)}</td>
        <td class="wide-only" data-col="budget" data-value="${r.budget}">${formats.money(r.budget)}</td>
        <td data-col="spend" data-value="${r.spend}">${formats.money(r.spend)}</td>
        <td data-col="budget_used" data-value="${r.budget_used}"><span class="bar"><span class="fill" style="width:${Math.min(100, r.budget_used * 100).toFixed(1)}%"></span><span class="expected" style="left:${(r.expected_used * 100).toFixed(1)}%"></span></span> ${formats.pct(r.budget_used)}</td>
        <td class="wide-only" data-col="pace" data-value="${r.pace ?? ''}">${r.pace === null ? '–' : `×${r.pace.toFixed(2)}`}</td>
        <td data-col="status" data-value="${r.status}" class="status-${r.status}">${STATUS_LABEL[r.status]}</td></tr>`)
      .join('');
  }
}
