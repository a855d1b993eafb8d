// Revisions: the history (GET /revisions), a YAML diff of any two (the full state at each), and
// "Roll back to this" (POST /rollback {"to": n}, a new revision equal to n) after a confirmation.
import { html, useState, useEffect } from '../lib.js';
import { get, call, rememberPropagation } from '../api.js';
import { PageHeader, Card, ErrorBanner, Notice, Pill, Empty, Confirm, usePoll, fmt } from '../ui.js';
import { DiffView } from '../diffview.js';
import { toYamlDocuments } from '../yaml.js';

/** The full state at a revision as one YAML stream: APIs then consumers, each sorted by id. */
export function stateYaml(rev) {
  const byId = (a, b) => String(a.id).localeCompare(String(b.id));
  const apis = [...(rev.apis || [])].sort(byId);
  const consumers = [...(rev.consumers || [])].sort(byId);
  const docs = [...apis, ...consumers];
  return docs.length ? toYamlDocuments(docs) : '# no APIs\n';
}

function Summary({ s }) {
  if (!s) {
    return null;
  }
  const part = (list, kind, sign) => (Array.isArray(list) && list.length ? list.map((id) => html`<${Pill} kind=${kind}>${sign}${id}<//>`) : null);
  const parts = [part(s.added, 'ok', '+ '), part(s.updated, 'info', '~ '), part(s.removed, 'bad', '− ')].filter(Boolean);
  return parts.length ? html`<span class="pill-row">${parts}</span>` : html`<span class="muted">no change</span>`;
}

const cache = new Map();
function revision(n) {
  if (!cache.has(n)) {
    cache.set(n, get('/revisions/' + n).catch((e) => { cache.delete(n); throw e; }));
  }
  return cache.get(n);
}

function Compare({ list, from, to, setFrom, setTo }) {
  const [texts, setTexts] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    if (!from || !to) {
      return;
    }
    let live = true;
    setError(null);
    Promise.all([revision(from), revision(to)]).then(
      ([a, b]) => { if (live) { setTexts({ from, to, a: stateYaml(a), b: stateYaml(b) }); } },
      (e) => { if (live) { setError(e); } },
    );
    return () => { live = false; };
  }, [from, to]);
  const options = list.map((r) => html`<option value=${r.revision}>r${r.revision} · ${r.user} · ${fmt.ago(r.time)}</option>`);
  return html`<${Card} title="Compare revisions" actions=${html`
      <label class="inline-field">From <select data-testid="diff-from" value=${from || ''} onChange=${(e) => setFrom(Number(e.currentTarget.value))}>${options}</select></label>
      <label class="inline-field">To <select data-testid="diff-to" value=${to || ''} onChange=${(e) => setTo(Number(e.currentTarget.value))}>${options}</select></label>`}>
    <${ErrorBanner} error=${error} />
    ${texts && texts.from === from && texts.to === to
    ? html`<${DiffView} testid="revision-diff" before=${texts.a} after=${texts.b} beforeLabel=${'revision ' + from} afterLabel=${'revision ' + to} />`
    : html`<${Empty}>${from && to ? 'Loading both revisions…' : 'Pick two revisions.'}<//>`}
  <//>`;
}

export function RevisionsPage({ role }) {
  const { data, error, loading, reload } = usePoll(() => get('/revisions?limit=50'), 5000, []);
  const list = Array.isArray(data) ? data : [];
  const [from, setFrom] = useState(null);
  const [to, setTo] = useState(null);
  const [asking, setAsking] = useState(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState(null);
  const [done, setDone] = useState(null);

  useEffect(() => {
    if (list.length && to === null) {
      setTo(list[0].revision);
      setFrom(list.length > 1 ? list[1].revision : list[0].revision);
    }
  }, [list.length]);

  const rollback = async () => {
    setBusy(true);
    setActionError(null);
    try {
      const r = await call('POST', '/rollback?wait=all', { body: { to: asking } });
      setDone({ to: asking, ...r.data });
      rememberPropagation(r.data);
      setAsking(null);
      await reload();
    } catch (e) {
      setActionError(e);
      setAsking(null);
    } finally {
      setBusy(false);
    }
  };

  const newest = list.length ? list[0].revision : 0;
  return html`<div>
    <${PageHeader} title="Revisions" subtitle=${newest ? html`Current revision <b>${newest}</b> · every change is one revision; a rollback is a new one` : 'Loading…'}>
      <button class="button" onClick=${reload}>Refresh</button>
    <//>
    <${ErrorBanner} error=${error || actionError} onClose=${actionError ? () => setActionError(null) : null} />
    ${done ? html`<${Notice} testid="rollback-result">${done.changed === false
    ? html`<strong>No change.</strong> Revision ${done.to} equals what runs (revision ${done.revision}).`
    : html`<strong>Rolled back to revision ${done.to}</strong> as revision ${done.revision}.`}<//>` : null}
    ${list.length ? html`<${Compare} list=${list} from=${from} to=${to} setFrom=${setFrom} setTo=${setTo} />` : null}
    <${Card} title="History" actions=${html`<span class="muted">newest first · last 50</span>`}>
      ${loading && !data ? html`<${Empty}>Loading…<//>` : list.length === 0 ? html`<${Empty}>No revisions yet.<//>` : html`
      <table class="table">
        <thead><tr><th>Revision</th><th>Time</th><th>User</th><th>Source</th><th>Changes</th><th></th></tr></thead>
        <tbody>${list.map((r) => html`
          <tr data-testid=${'revision-row-' + r.revision} class=${r.revision === from || r.revision === to ? 'selected' : ''}>
            <td><span class="rev">r${r.revision}</span>${r.revision === newest ? html` <${Pill} kind="accent">current<//>` : null}</td>
            <td title=${r.time}>${fmt.time(r.time)} <span class="muted">${fmt.ago(r.time)}</span></td>
            <td>${r.user}</td>
            <td><span class="muted">${r.source}</span></td>
            <td><${Summary} s=${r.summary} /></td>
            <td class="actions">
              <button class="link-button" onClick=${() => { setFrom(r.revision); setTo(newest); window.scrollTo(0, 0); }}>diff to current</button>
              ${role.canWrite && r.revision !== newest ? html`<button class="button button-small" data-testid=${'rollback-' + r.revision} onClick=${() => setAsking(r.revision)}>Roll back to this</button>` : null}
            </td>
          </tr>`)}
        </tbody>
      </table>`}
    <//>
    ${asking !== null ? html`<${Confirm} title=${'Roll back to revision ' + asking + '?'} confirmLabel="Roll back" danger busy=${busy}
        onConfirm=${rollback} onCancel=${() => setAsking(null)}>
        <p>This applies the state of revision <b>${asking}</b> as a new revision (${newest + 1}) on every node. Nothing in the history is lost; you can roll forward the same way.</p>
      <//>` : null}
  </div>`;
}
