// Consumers (CONTRACT §8): the list and one consumer's page with the same edit flow. Keys are
// shown by id and expiry only; an edit gives each key its secret reference or hash again.
import { html } from '../lib.js';
import { get } from '../api.js';
import { PageHeader, Card, ErrorBanner, Pill, Empty, usePoll, fmt } from '../ui.js';
import { DefinitionEditor } from '../editor.js';
import { navigate } from '../router.js';

function Keys({ keys }) {
  if (!Array.isArray(keys) || keys.length === 0) {
    return html`<span class="muted">none</span>`;
  }
  const now = Date.now();
  return html`<span class="pill-row">${keys.map((k) => {
    const expired = k.expiresAt && new Date(k.expiresAt).getTime() < now;
    return html`<${Pill} kind=${expired ? 'bad' : 'neutral'} title=${k.expiresAt ? 'expires ' + fmt.time(k.expiresAt) : 'no expiry'}>${k.id}${expired ? ' · expired' : ''}<//>`;
  })}</span>`;
}

export function ConsumersPage() {
  const { data, error, loading, reload } = usePoll(() => get('/consumers'), 5000, []);
  const list = data && data.consumers ? [...data.consumers].sort((a, b) => a.id.localeCompare(b.id)) : [];
  return html`<div>
    <${PageHeader} title="Consumers" subtitle=${data ? html`Revision <b>${data.revision}</b> · ${list.length} consumer${list.length === 1 ? '' : 's'}` : 'Loading…'}>
      <button class="button" onClick=${reload}>Refresh</button>
    <//>
    <${ErrorBanner} error=${error} />
    <${Card}>
      ${loading && !data ? html`<${Empty}>Loading…<//>` : list.length === 0 ? html`<${Empty}>No consumers. Apply one with <code>PUT /api/v1/consumers/{id}</code>; the <code>api-key</code> policy identifies them.<//>` : html`
      <table class="table">
        <thead><tr><th>ID</th><th>Groups</th><th>Keys</th></tr></thead>
        <tbody>${list.map((c) => html`
          <tr class="clickable" data-testid=${'consumer-row-' + c.id} onClick=${() => navigate('#/consumers/' + encodeURIComponent(c.id))}>
            <td><a class="strong" href=${'#/consumers/' + encodeURIComponent(c.id)}>${c.id}</a></td>
            <td>${c.groups && c.groups.length ? html`<span class="pill-row">${c.groups.map((g) => html`<${Pill} kind="info">${g}<//>`)}</span>` : html`<span class="muted">none</span>`}</td>
            <td><${Keys} keys=${c.keys} /></td>
          </tr>`)}
        </tbody>
      </table>`}
    <//>
  </div>`;
}

export function ConsumerPage({ id, role }) {
  const { data, error, reload } = usePoll(() => get('/consumers/' + encodeURIComponent(id)), 0, [id]);
  const note = html`Keys are shown without their secrets. Keep each key by giving it
    <code>secret: "\${secret:NAME}"</code> or <code>hash: "sha256:…"</code> again, or remove it; Validate names any key left without one.`;
  return html`<div>
    <${PageHeader} title=${html`<a class="crumb" href="#/consumers">Consumers</a> / ${id}`} />
    <${ErrorBanner} error=${error} />
    ${data ? html`
      <div class="summary-row">
        <div class="summary"><div class="summary-label">Groups</div><div>${(data.groups || []).join(', ') || '—'}</div></div>
        <div class="summary"><div class="summary-label">Keys</div><div><${Keys} keys=${data.keys} /></div></div>
      </div>
      <${Card} title="Definition">
        <${DefinitionEditor} kind="consumers" id=${id} tree=${data} canWrite=${role.canWrite} onApplied=${reload} note=${note} />
      <//>` : null}
  </div>`;
}
