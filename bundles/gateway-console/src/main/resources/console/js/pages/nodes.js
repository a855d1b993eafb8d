// Nodes: the revision each node serves (nodes behind the newest revision stand out), state,
// errors and plugins, refreshed every 2 s.
import { html } from '../lib.js';
import { get, lastPropagation } from '../api.js';
import { PageHeader, Card, ErrorBanner, Pill, StatePill, Empty, Stat, usePoll, fmt } from '../ui.js';

async function load() {
  const [cluster, revisions, plugins] = await Promise.all([
    get('/cluster?served=true'),
    get('/revisions?limit=1').catch(() => []),
    get('/plugins').catch(() => null),
  ]);
  const last = Array.isArray(revisions) && revisions.length ? revisions[0] : null;
  return { cluster, newestCommitted: last ? last.revision : 0, last, plugins };
}

function pluginText(p) {
  return p.type + (p.version ? ' ' + p.version : '') + (p.status ? ' (' + p.status + ')' : '');
}

export function NodesPage() {
  const { data, error, loading } = usePoll(load, 2000, []);
  const nodes = data && data.cluster && Array.isArray(data.cluster.nodes) ? [...data.cluster.nodes].sort((a, b) => a.name.localeCompare(b.name)) : [];
  const newest = Math.max(data ? data.newestCommitted : 0, ...nodes.map((n) => n.revision || 0), 0);
  const onNewest = nodes.filter((n) => n.revision >= newest).length;
  const ready = nodes.filter((n) => n.state === 'ready').length;
  const regions = [...new Set(nodes.map((n) => n.region))];
  // the propagation of the newest revision on each node (commit to served there), whoever made the
  // change; the last change made from this console's ?wait=all answer where a node did not say
  const own = lastPropagation();
  const propRevision = newest;
  const prop = nodes.some((n) => n.served) || own ? { revision: propRevision } : null;
  const propOf = (name) => {
    const n = nodes.find((x) => x.name === name);
    if (n && n.served && n.served.revision === propRevision) {
      return { propagationMs: n.served.propagationMs, error: n.served.propagationMs === null ? 'time unknown' : null };
    }
    const o = own && own.revision === propRevision ? (own.nodes || []).find((p) => p.name === name) : null;
    if (o) {
      return o;
    }
    return n && n.revision < propRevision ? { propagationMs: null, error: 'not served yet' } : null;
  };
  return html`<div>
    <${PageHeader} title="Nodes" subtitle=${html`Refreshed every 2 s${data && data.cluster && data.cluster.safe !== undefined
    ? html` · ${data.cluster.safe ? 'every cache entry has a backup: one node may stop now' : html`<b>not every cache entry has a backup yet</b>`}` : ''}`} />
    <${ErrorBanner} error=${error} />
    <div class="stats">
      <${Stat} label="Newest revision" value=${newest ? 'r' + newest : '—'} testid="nodes-newest"
        hint=${data && data.last ? data.last.user + ' · ' + data.last.source + ' · ' + fmt.ago(data.last.time) : ''} />
      <${Stat} label="Serving it" value=${nodes.length ? onNewest + ' / ' + nodes.length : '—'} kind=${nodes.length && onNewest < nodes.length ? 'warn' : null} />
      <${Stat} label="Ready" value=${nodes.length ? ready + ' / ' + nodes.length : '—'} kind=${nodes.length && ready < nodes.length ? 'warn' : null} />
      <${Stat} label="Regions" value=${regions.length || '—'} hint=${regions.join(', ')} />
    </div>
    <${Card} title="Cluster members">
      ${loading && !data ? html`<${Empty}>Loading…<//>` : nodes.length === 0 ? html`<${Empty}>No nodes reported.<//>` : html`
      <table class="table">
        <thead><tr><th>Node</th><th>Region</th><th>Address</th><th>State</th><th>Revision served</th>${prop ? html`<th title="from the revision's commit to this node serving it">Propagation of r${prop.revision}</th>` : null}<th>Error</th><th>Plugins</th></tr></thead>
        <tbody>${nodes.map((n) => {
    const behind = n.revision < newest;
    return html`<tr data-testid=${'node-row-' + n.name} data-revision=${n.revision} data-state=${n.state} class=${behind ? 'row-warn' : ''}>
            <td class="strong">${n.name}</td>
            <td class="nowrap">${n.region}</td>
            <td><code>${n.address}</code></td>
            <td><${StatePill} state=${n.state} /></td>
            <td><span class="rev" data-testid=${'node-revision-' + n.name}>r${n.revision}</span>
              ${behind ? html` <${Pill} kind="warn" title=${'newest is r' + newest}>${newest - n.revision} behind<//>` : html` <${Pill} kind="ok">newest<//>`}</td>
            ${prop ? html`<td>${(() => {
    const p = propOf(n.name);
    if (!p) {
      return html`<span class="muted">—</span>`;
    }
    return p.propagationMs !== null && p.propagationMs !== undefined ? html`<span data-testid=${'node-propagation-' + n.name}>${Math.round(p.propagationMs)} ms</span>`
      : html`<span class="text-bad">${p.error || 'not reached'}</span>`;
  })()}</td>` : null}
            <td>${n.error ? html`<span class="text-bad">r${n.error.revision}: ${n.error.reason}</span>` : html`<span class="muted">—</span>`}</td>
            <td><span class="pill-row">${(n.plugins || []).map((p) => html`<${Pill} kind=${p.status === 'pending' ? 'warn' : 'neutral'} title=${p.bundle || ''}>${pluginText(p)}<//>`)}</span></td>
          </tr>`;
  })}
        </tbody>
      </table>`}
    <//>
    ${data && data.plugins && Array.isArray(data.plugins.nodes) ? html`
    <${Card} title="Plugins (this node)">
      <table class="table compact">
        <thead><tr><th>Node</th><th>Type</th><th>Bundle</th><th>Version</th></tr></thead>
        <tbody>${data.plugins.nodes.flatMap((n) => (n.plugins || []).map((p) => html`<tr><td>${n.name}</td><td><code>${p.type}</code></td><td>${p.bundle || '—'}</td><td>${p.version || '—'}</td></tr>`))}</tbody>
      </table>
    <//>` : null}
  </div>`;
}
