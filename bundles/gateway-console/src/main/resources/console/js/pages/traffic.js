// Traffic: requests/s, errors and p50/p99 per API, live, with every apply, rollback, canary step
// and bundle change marked on the time axis.
import { html, useState, useMemo } from '../lib.js';
import { get } from '../api.js';
import { PageHeader, Card, ErrorBanner, Pill, Stat, usePoll, fmt } from '../ui.js';
import { useSeries, align, recent } from '../series.js';
import { TimeChart, ChartCard, PALETTE, markerLabel } from '../charts.js';

export const WINDOWS = {
  '5m': { label: 'Last 5 minutes', windowSec: 300, res: '1s' },
  '15m': { label: 'Last 15 minutes', windowSec: 900, res: '1s' },
  '24h': { label: 'Last 24 hours', windowSec: 86400, res: '1m' },
};

export function noDataText(view) {
  if (view.status === 'loading') {
    return 'Loading…';
  }
  if (view.status === 'unavailable') {
    return 'No data yet: this node has no metrics series endpoint.';
  }
  if (view.status === 'error') {
    return 'No data yet: ' + (view.error ? view.error.message : 'the series could not be read');
  }
  return view.series.length === 0 ? 'No data yet: no traffic in this window.' : null;
}

export function LiveBadge({ view }) {
  return view.live ? html`<${Pill} kind="ok" testid="live">● live<//>`
    : view.status === 'ready' ? html`<${Pill} kind="neutral" title="the stream is not connected; the window is polled">polling<//>` : null;
}

export function ApiFilter({ api, setApi }) {
  const { data } = usePoll(() => get('/apis'), 0, []);
  const ids = data ? data.apis.map((a) => a.id).sort() : [];
  return html`<label class="inline-field">API
    <select data-testid="traffic-api" value=${api} onChange=${(e) => setApi(e.currentTarget.value)}>
      <option value="">All APIs</option>
      ${ids.map((id) => html`<option value=${id}>${id}</option>`)}
    </select></label>`;
}

export function WindowPicker({ value, setValue }) {
  return html`<label class="inline-field">Window
    <select data-testid="traffic-window" value=${value} onChange=${(e) => setValue(e.currentTarget.value)}>
      ${Object.entries(WINDOWS).map(([k, w]) => html`<option value=${k}>${w.label}</option>`)}
    </select></label>`;
}

export function TrafficPage() {
  const [api, setApi] = useState('');
  const [win, setWin] = useState('5m');
  const w = WINDOWS[win];
  const view = useSeries({ api, windowSec: w.windowSec, res: w.res });
  const perSecond = w.res === '1m' ? 60 : 1;
  const colors = view.series.map((e, i) => PALETTE[i % PALETTE.length]);
  const requests = useMemo(() => align(view, (p) => (p.requests || 0) / perSecond, 0), [view.to, view.series, perSecond]);
  const errors = useMemo(() => {
    const [xs, ...e4] = align(view, (p) => (p.errors4xx || 0) / perSecond, 0);
    const e5 = align(view, (p) => (p.errors5xx || 0) / perSecond, 0).slice(1);
    const sum = (arrs) => xs.map((_, i) => (arrs.length ? arrs.reduce((s, a) => s + (a[i] || 0), 0) : null));
    return [xs, sum(e4), sum(e5)];
  }, [view.to, view.series, perSecond]);
  const latency = useMemo(() => {
    const p50 = align(view, (p) => p.p50Ms).slice(1);
    const [xs, ...p99] = align(view, (p) => p.p99Ms);
    const ys = [];
    view.series.forEach((e, i) => { ys.push(p50[i], p99[i]); });
    return [xs, ...ys];
  }, [view.to, view.series]);
  const latencySeries = [];
  view.series.forEach((e, i) => {
    latencySeries.push({ label: e.key + ' p50', color: colors[i], dash: [5, 4], width: 1.2 });
    latencySeries.push({ label: e.key + ' p99', color: colors[i], width: 1.8 });
  });
  const last = recent(view, 10 * perSecond);
  const minute = recent(view, 60 * perSecond);
  const empty = noDataText(view);
  return html`<div>
    <${PageHeader} title="Traffic" subtitle=${html`Cluster-wide per API ${w.res === '1s' ? 'per second' : 'per minute'} <${LiveBadge} view=${view} />`}>
      <${ApiFilter} api=${api} setApi=${setApi} />
      <${WindowPicker} value=${win} setValue=${setWin} />
    <//>
    ${view.status === 'error' ? html`<${ErrorBanner} error=${view.error} />` : null}
    <div class="stats">
      <${Stat} label="Requests/s (last 10 s)" value=${last.points ? (last.requests / (10 * perSecond)).toFixed(1) : '—'} testid="traffic-rps" />
      <${Stat} label="Errors (last minute)" value=${minute.points ? fmt.int(minute.errors4xx + minute.errors5xx) : '—'}
        hint=${minute.points ? fmt.int(minute.errors4xx) + ' 4xx · ' + fmt.int(minute.errors5xx) + ' 5xx' : ''} kind=${minute.errors5xx ? 'warn' : null} />
      <${Stat} label="p99 (worst, last 10 s)" value=${fmt.ms(last.p99Max)} />
      <${Stat} label="Deploy markers" value=${view.markers.length} hint="in this window" />
    </div>
    <${Card}>
      <${ChartCard} title="Latency p50 / p99" hint="dashed p50 · solid p99 · deploys marked" empty=${empty}>
        <${TimeChart} testid="traffic-chart" data=${latency} series=${latencySeries} markers=${view.markers} unit=" ms" height=${240} />
      <//>
      <div class="chart-pair">
        <${ChartCard} title="Requests per second" empty=${empty}>
          <${TimeChart} testid="traffic-chart-requests" data=${requests} series=${view.series.map((e, i) => ({ label: e.key, color: colors[i] }))} markers=${view.markers} height=${180} />
        <//>
        <${ChartCard} title="Errors per second" empty=${empty}>
          <${TimeChart} testid="traffic-chart-errors" data=${errors} series=${[{ label: '4xx', color: '#d97706' }, { label: '5xx', color: '#dc2626' }]} markers=${view.markers} height=${180} />
        <//>
      </div>
    <//>
    <${Card} title="Deploys in this window">
      ${view.markers.length === 0 ? html`<div class="empty">No applies, rollbacks, canary steps or bundle changes in this window.</div>` : html`
      <table class="table compact" data-testid="marker-list">
        <thead><tr><th>Time</th><th>Kind</th><th>Marker</th><th>Summary</th></tr></thead>
        <tbody>${[...view.markers].reverse().map((m) => html`<tr>
          <td>${new Date(m.t * 1000).toLocaleTimeString('en-GB', { hour12: false })}</td>
          <td><${Pill} kind=${m.kind === 'apply' ? 'accent' : m.kind.includes('abort') || m.kind.includes('rollback') ? 'bad' : 'info'}>${m.kind}<//></td>
          <td><span class="rev">${markerLabel(m)}</span></td>
          <td>${m.summary || ''}</td></tr>`)}</tbody>
      </table>`}
    <//>
  </div>`;
}
