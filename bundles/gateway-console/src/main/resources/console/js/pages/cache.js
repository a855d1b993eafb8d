// Cache analytics: hits, misses, stale, bypass and evictions by reason per API, node and region
// (GET /cache/stats?by=...), the hit ratio over time from the series, and invalidation by tags
// or by API and keys (POST /cache/invalidate).
import { html, useState, useMemo, useRef } from '../lib.js';
import { get, call } from '../api.js';
import { PageHeader, Card, ErrorBanner, Notice, Empty, Stat, usePoll, fmt } from '../ui.js';
import { useSeries, align, recent, hitRatio } from '../series.js';
import { TimeChart, ChartCard, PALETTE } from '../charts.js';
import { noDataText, LiveBadge } from './traffic.js';

function totals(lines) {
  const t = { hits: 0, misses: 0, stale: 0, bypass: 0 };
  lines.forEach((l) => { t.hits += l.hits || 0; t.misses += l.misses || 0; t.stale += l.stale || 0; t.bypass += l.bypass || 0; });
  const lookups = t.hits + t.stale + t.misses;
  t.ratio = lookups ? (t.hits + t.stale) / lookups : null;
  return t;
}

/**
 * The hit ratio over the last windowMs from successive cumulative stats (the differences
 * between polls), for nodes without the series endpoint; null without lookups in the window.
 */
function useRecentRatio(data, windowMs) {
  const samples = useRef([]);
  const seen = useRef(null);
  if (data && data !== seen.current) {
    seen.current = data;
    const total = totals(data.apis || []);
    const now = Date.now();
    const list = samples.current;
    const last = list[list.length - 1];
    const hit = total.hits + total.stale;
    if (last && (hit < last.hit || total.misses < last.miss)) {
      list.length = 0; // counters restarted (a node went away): start over
    }
    list.push({ t: now, hit, miss: total.misses });
    while (list.length > 2 && list[1].t <= now - windowMs) {
      list.shift();
    }
  }
  const list = samples.current;
  if (list.length < 2) {
    return null;
  }
  const first = list[0];
  const last = list[list.length - 1];
  const lookups = last.hit - first.hit + last.miss - first.miss;
  return lookups > 0 ? (last.hit - first.hit) / lookups : null;
}

function RatioBar({ ratio }) {
  const pct = ratio === null || ratio === undefined ? 0 : Math.max(0, Math.min(100, ratio * 100));
  return html`<span class="ratio"><meter min="0" max="100" low="50" optimum="100" value=${pct}></meter><span>${fmt.pct(ratio)}</span></span>`;
}

function Lines({ lines, entries }) {
  if (!lines || lines.length === 0) {
    return html`<${Empty}>No cached APIs.<//>`;
  }
  return html`<table class="table compact numeric">
    <thead><tr><th>API</th><th>Hits</th><th>Misses</th><th>Stale</th><th>Bypass</th><th>Hit ratio</th>${entries ? html`<th>Entries</th>` : null}<th>Expired</th><th>Size</th><th>Invalidated</th></tr></thead>
    <tbody>${lines.map((l) => html`<tr data-testid=${'cache-row-' + l.api}>
      <td class="strong">${l.api}</td><td>${fmt.int(l.hits)}</td><td>${fmt.int(l.misses)}</td><td>${fmt.int(l.stale)}</td><td>${fmt.int(l.bypass)}</td>
      <td><${RatioBar} ratio=${l.hitRatio} /></td>${entries ? html`<td>${fmt.int(l.entries)}</td>` : null}
      <td>${fmt.int(l.evictions && l.evictions.expired)}</td><td>${fmt.int(l.evictions && l.evictions.size)}</td><td>${fmt.int(l.evictions && l.evictions.invalidated)}</td>
    </tr>`)}</tbody>
  </table>`;
}

function Stats({ by }) {
  const { data, error } = usePoll(() => get('/cache/stats?by=' + by), 2000, [by]);
  if (error && !data) {
    return html`<${ErrorBanner} error=${error} />`;
  }
  if (!data) {
    return html`<${Empty}>Loading…<//>`;
  }
  if (by === 'api') {
    return html`<${Lines} lines=${data.apis} entries=${true} />`;
  }
  const groups = by === 'node' ? data.nodes || [] : data.regions || [];
  return html`<div>${groups.map((g) => html`<div class="group" data-testid=${'cache-' + by + '-' + (g.name || g.region)}>
    <h3 class="section">${by === 'node' ? 'Node ' + g.name : 'Region ' + g.region}${by === 'node' && g.region ? html` <span class="muted">region ${g.region}</span>` : null}</h3>
    <${Lines} lines=${g.apis} entries=${false} />
  </div>`)}</div>`;
}

function Invalidate({ canWrite, apis }) {
  const [mode, setMode] = useState('tags');
  const [tags, setTags] = useState('');
  const [api, setApi] = useState('');
  const [keys, setKeys] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [result, setResult] = useState(null);
  const split = (s) => s.split(/[\n,]/).map((x) => x.trim()).filter(Boolean);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const body = mode === 'tags' ? { tags: split(tags) } : (split(keys).length ? { api: api || apis[0], keys: split(keys) } : { api: api || apis[0] });
      const r = await call('POST', '/cache/invalidate', { body });
      setResult(r.data);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  if (!canWrite) {
    return html`<p class="muted">Invalidation needs the operator or admin role.</p>`;
  }
  return html`<form class="form" onSubmit=${submit}>
    <div class="segmented">
      <button type="button" class=${mode === 'tags' ? 'on' : ''} onClick=${() => setMode('tags')}>By tags</button>
      <button type="button" class=${mode === 'keys' ? 'on' : ''} onClick=${() => setMode('keys')}>By API and keys</button>
    </div>
    ${mode === 'tags' ? html`
      <label class="field">Tags <span class="muted">comma-separated, e.g. <code>orders, customer:42</code></span>
        <input data-testid="cache-invalidate-tags" value=${tags} onInput=${(e) => setTags(e.currentTarget.value)} placeholder="orders" /></label>` : html`
      <label class="field">API
        <select data-testid="cache-invalidate-api" value=${api || apis[0] || ''} onChange=${(e) => setApi(e.currentTarget.value)}>${apis.map((id) => html`<option value=${id}>${id}</option>`)}</select></label>
      <label class="field">Keys <span class="muted">one per line; none drops the whole API's cache</span>
        <textarea data-testid="cache-invalidate-keys" rows="3" value=${keys} onInput=${(e) => setKeys(e.currentTarget.value)}></textarea></label>`}
    <div class="button-row">
      <button class="button button-primary" type="submit" data-testid="cache-invalidate-submit" disabled=${busy}>${busy ? 'Invalidating…' : 'Invalidate'}</button>
    </div>
    <${ErrorBanner} error=${error} />
    ${result ? html`<${Notice} testid="cache-invalidate-result">Invalidated <b>${fmt.int(result.invalidated)}</b> entr${result.invalidated === 1 ? 'y' : 'ies'} in ${fmt.ms(result.tookMs)}${Array.isArray(result.nodes) ? ', acknowledged by ' + result.nodes.map((n) => n.name + ' (' + fmt.ms(n.ackMs) + ')').join(', ') : ''}.<//>` : null}
  </form>`;
}

export function CachePage({ role }) {
  const [by, setBy] = useState('api');
  const view = useSeries({ windowSec: 300, res: '1s' });
  const summary = usePoll(() => get('/cache/stats?by=api'), 2000, []);
  const { data: apiList } = usePoll(() => get('/apis'), 0, []);
  const cachedApis = apiList ? apiList.apis.filter((a) => a.cache).map((a) => a.id).sort() : [];
  const colors = view.series.map((e, i) => PALETTE[i % PALETTE.length]);
  const ratios = useMemo(() => align(view, (p) => hitRatio(p.cache)), [view.to, view.series]);
  const evictions = useMemo(() => {
    const reason = (r) => align(view, (p) => (p.evictions ? p.evictions[r] || 0 : 0), 0);
    const [xs, ...expired] = reason('expired');
    const size = reason('size').slice(1);
    const invalidated = reason('invalidated').slice(1);
    const sum = (arrs) => xs.map((_, i) => (arrs.length ? arrs.reduce((acc, a) => acc + (a[i] || 0), 0) : null));
    return [xs, sum(expired), sum(size), sum(invalidated)];
  }, [view.to, view.series]);
  const last = recent(view, 10);
  const liveRatio = hitRatio(last);
  const total = summary.data ? totals(summary.data.apis || []) : null;
  const polledRatio = useRecentRatio(summary.data, 10000);
  const ratio = liveRatio !== null ? liveRatio : polledRatio !== null ? polledRatio : total ? total.ratio : null;
  const ratioLabel = liveRatio !== null || polledRatio !== null ? 'Hit ratio (last 10 s)' : 'Hit ratio (since start)';
  const empty = noDataText(view);
  return html`<div>
    <${PageHeader} title="Cache" subtitle=${html`Shared response cache, cluster-wide <${LiveBadge} view=${view} />`} />
    <div class="stats">
      <${Stat} label=${ratioLabel} value=${fmt.pct(ratio)} testid="cache-hit-ratio"
        hint=${total && total.ratio !== null ? fmt.pct(total.ratio) + ' since start' : ''} />
      <${Stat} label="Hits" value=${total ? fmt.int(total.hits) : '—'} hint=${total ? fmt.int(total.stale) + ' stale' : ''} />
      <${Stat} label="Misses" value=${total ? fmt.int(total.misses) : '—'} />
      <${Stat} label="Bypass" value=${total ? fmt.int(total.bypass) : '—'} />
    </div>
    <div class="two-col">
      <${Card}>
        <${ChartCard} title="Hit ratio over time" hint="per API, per second · deploys marked" empty=${empty}>
          <${TimeChart} testid="cache-chart" data=${ratios} series=${view.series.map((e, i) => ({ label: e.key, color: colors[i] }))}
            markers=${view.markers} yMax=${1} height=${200} />
        <//>
        <${ChartCard} title="Evictions per second" hint="all APIs, by reason" empty=${empty}>
          <${TimeChart} testid="cache-evictions-chart" data=${evictions} markers=${view.markers} height=${150}
            series=${[{ label: 'expired', color: '#64748b' }, { label: 'size', color: '#d97706' }, { label: 'invalidated', color: '#dc2626' }]} />
        <//>
      <//>
      <${Card} title="Invalidate" className="narrow">
        <${Invalidate} canWrite=${role.canWrite} apis=${cachedApis} />
      <//>
    </div>
    <${Card} title="Statistics" actions=${html`<div class="segmented">
        ${['api', 'node', 'region'].map((b) => html`<button type="button" data-testid=${'cache-by-' + b} class=${by === b ? 'on' : ''} onClick=${() => setBy(b)}>By ${b}</button>`)}
      </div>`}>
      <${Stats} by=${by} />
    <//>
  </div>`;
}
