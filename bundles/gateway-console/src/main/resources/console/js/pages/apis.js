// APIs: the list (GET /apis) and one API's page with its YAML and the edit flow.
import { html } from '../lib.js';
import { get } from '../api.js';
import { PageHeader, Card, ErrorBanner, Pill, Empty, usePoll } from '../ui.js';
import { DefinitionEditor } from '../editor.js';
import { navigate } from '../router.js';

function upstreamText(u) {
  if (!u) {
    return '—';
  }
  if (u.url) {
    return u.url;
  }
  if (Array.isArray(u.targets)) {
    return u.targets.length + ' target' + (u.targets.length === 1 ? '' : 's') + (u.balance ? ' · ' + u.balance : '');
  }
  return '—';
}

function Policies({ list }) {
  if (!Array.isArray(list) || list.length === 0) {
    return html`<span class="muted">none</span>`;
  }
  return html`<span class="pill-row">${list.map((p) => html`<${Pill} kind="info">${p.type}<//>`)}</span>`;
}

export function ApisPage() {
  const { data, error, loading, reload } = usePoll(() => get('/apis'), 5000, []);
  const apis = data ? [...data.apis].sort((a, b) => a.id.localeCompare(b.id)) : [];
  return html`<div>
    <${PageHeader} title="APIs" subtitle=${data ? html`Revision <b>${data.revision}</b> · ${apis.length} API${apis.length === 1 ? '' : 's'}` : 'Loading…'}>
      <button class="button" onClick=${reload}>Refresh</button>
    <//>
    <${ErrorBanner} error=${error} />
    <${Card}>
      ${loading && !data ? html`<${Empty}>Loading…<//>` : apis.length === 0 ? html`<${Empty}>No APIs yet. Apply one with <code>PUT /api/v1/apis/{id}</code> or <code>gateway:apply</code>.<//>` : html`
      <table class="table">
        <thead><tr><th>ID</th><th>Base path</th><th>Methods</th><th>Upstream</th><th>Policies</th><th>Cache</th><th>Canary split</th></tr></thead>
        <tbody>${apis.map((a) => html`
          <tr class="clickable" data-testid=${'api-row-' + a.id} onClick=${() => navigate('#/apis/' + encodeURIComponent(a.id))}>
            <td><a class="strong" href=${'#/apis/' + encodeURIComponent(a.id)}>${a.id}</a></td>
            <td><code>${a.basePath}</code></td>
            <td>${Array.isArray(a.methods) && a.methods.length ? a.methods.join(', ') : html`<span class="muted">all</span>`}</td>
            <td class="truncate" title=${upstreamText(a.upstream)}>${upstreamText(a.upstream)}</td>
            <td><${Policies} list=${a.policies} /></td>
            <td>${a.cache ? html`<${Pill} kind="accent">ttl ${a.cache.ttl || '?'}<//>` : html`<span class="muted">off</span>`}</td>
            <td>${a.split && Array.isArray(a.split.to) ? a.split.to.map((t) => t.shape + ' ' + t.weight).join(', ') : html`<span class="muted">—</span>`}</td>
          </tr>`)}
        </tbody>
      </table>`}
    <//>
  </div>`;
}

export function ApiPage({ id, role }) {
  const { data, error, reload } = usePoll(() => get('/apis/' + encodeURIComponent(id)), 0, [id]);
  return html`<div>
    <${PageHeader} title=${html`<a class="crumb" href="#/apis">APIs</a> / ${id}`} subtitle=${data ? html`<code>${data.basePath}</code> → ${upstreamText(data.upstream)}` : ''} />
    <${ErrorBanner} error=${error} />
    ${data ? html`
      <div class="summary-row">
        <div class="summary"><div class="summary-label">Base path</div><div><code>${data.basePath}</code></div></div>
        <div class="summary"><div class="summary-label">Upstream</div><div class="truncate">${upstreamText(data.upstream)}</div></div>
        <div class="summary"><div class="summary-label">Policies</div><div><${Policies} list=${data.policies} /></div></div>
        <div class="summary"><div class="summary-label">Cache</div><div>${data.cache ? 'ttl ' + (data.cache.ttl || '?') + (data.cache.tags ? ' · tags ' + data.cache.tags.join(', ') : '') : 'off'}</div></div>
      </div>
      <${Card} title="Definition">
        <${DefinitionEditor} kind="apis" id=${id} tree=${data} canWrite=${role.canWrite} onApplied=${reload} />
      <//>` : null}
  </div>`;
}
