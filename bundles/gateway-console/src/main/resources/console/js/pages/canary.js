// Canary (CONTRACT §8): both sides live (GET /canary every second), per node, the verdict, and
// Promote / Abort for operators.
import { html, useState } from '../lib.js';
import { get, call, rememberPropagation } from '../api.js';
import { PageHeader, Card, ErrorBanner, Notice, Pill, StatePill, Empty, usePoll, fmt } from '../ui.js';

function Side({ title, side, kind }) {
  if (!side) {
    return null;
  }
  return html`<div class=${'side side-' + kind} data-testid=${'canary-side-' + kind}>
    <div class="side-head"><h3>${title}</h3><span class="rev">r${side.revision}</span></div>
    <div class="side-grid">
      <div><div class="stat-label">Requests</div><div class="stat-value">${fmt.int(side.requests)}</div><div class="stat-hint">${fmt.int(side.totalRequests)} in all</div></div>
      <div><div class="stat-label">Errors</div><div class="stat-value">${fmt.int(side.errors)}</div><div class="stat-hint">${fmt.pct(side.errorRate, 2)}</div></div>
      <div><div class="stat-label">p50</div><div class="stat-value">${fmt.ms(side.p50Ms)}</div></div>
      <div><div class="stat-label">p99</div><div class="stat-value">${fmt.ms(side.p99Ms)}</div></div>
    </div>
  </div>`;
}

export function CanaryPage({ role }) {
  const { data, error, reload } = usePoll(() => get('/canary'), 1000, []);
  const [busy, setBusy] = useState(null);
  const [actionError, setActionError] = useState(null);
  const [outcome, setOutcome] = useState(null);
  const act = async (what) => {
    setBusy(what);
    setActionError(null);
    try {
      const r = await call('POST', '/canary/' + what + '?wait=all');
      setOutcome(r.data);
      rememberPropagation(r.data);
      await reload();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(null);
    }
  };
  const c = data || {};
  const running = c.state === 'running';
  return html`<div>
    <${PageHeader} title="Canary" subtitle="Refreshed every second">
      ${running && role.canWrite ? html`
        <button class="button button-primary" data-testid="canary-promote" disabled=${busy !== null} onClick=${() => act('promote')}>${busy === 'promote' ? 'Promoting…' : 'Promote'}</button>
        <button class="button button-danger" data-testid="canary-abort" disabled=${busy !== null} onClick=${() => act('abort')}>${busy === 'abort' ? 'Aborting…' : 'Abort'}</button>` : null}
    <//>
    <${ErrorBanner} error=${error || actionError} onClose=${actionError ? () => setActionError(null) : null} />
    ${outcome ? html`<${Notice} testid="canary-result"><strong>Canary r${outcome.canary} ${outcome.outcome}</strong> as revision ${outcome.revision}.<//>` : null}
    <${Card}>
      <div class="canary-head">
        <div>State <${StatePill} state=${c.state} testid="canary-state" /></div>
        ${running ? html`
          <div>Revision <span class="rev">r${c.revision}</span> beside stable <span class="rev">r${c.stable}</span></div>
          <div>Share <b>${c.share}</b>${c.stickyBy ? html` · sticky by <code>${c.stickyBy}</code>` : null}</div>
          <div>Started ${fmt.ago(c.startedAt)} by <b>${c.user}</b></div>` : null}
      </div>
      ${!data ? html`<${Empty}>Loading…<//>` : !running ? html`<${Empty}>
          No canary is running. Start one with <code>?canary=5%</code> on any change, e.g.
          <code>PUT /api/v1/apis/orders?canary=5%&window=5m</code>.
          ${c.last ? html`<div class="last" data-testid="canary-last">Last canary: ${c.last.canary ? html`<span class="rev">r${c.last.canary}</span> ` : null}<${StatePill} state=${c.last.outcome} />${c.last.revision ? html` as <span class="rev">r${c.last.revision}</span>` : null}${c.last.user ? ' by ' + c.last.user : ''}${c.last.time ? ', ' + fmt.ago(c.last.time) : ''}${c.last.reason ? html`<div class="muted">${c.last.reason}</div>` : null}</div>` : null}
        <//>` : html`
        <div class="verdict">
          Verdict <${StatePill} state=${c.verdict} testid="canary-verdict" /> <span class="muted">${c.reason}</span>
          <span class="limits">limits: error rate ${c.maxErrorRate || '—'} · p99 ${c.maxP99 || '—'} · window ${c.window || '—'} · at least ${fmt.int(c.minRequests)} requests</span>
        </div>
        <div class="sides">
          <${Side} title="Stable" side=${c.sides && c.sides.stable} kind="stable" />
          <${Side} title="Canary" side=${c.sides && c.sides.canary} kind="canary" />
        </div>
        <h3 class="section">Per node</h3>
        <table class="table compact">
          <thead><tr><th>Node</th><th>Revision</th><th>Stable req</th><th>Stable err</th><th>Canary req</th><th>Canary err</th></tr></thead>
          <tbody>${(c.nodes || []).map((n) => html`<tr data-testid=${'canary-node-' + n.name}>
            <td class="strong">${n.name}</td><td>r${n.revision}</td>
            ${n.reported ? html`<td>${fmt.int(n.stable.requests)}</td><td>${fmt.int(n.stable.errors)}</td><td>${fmt.int(n.canary.requests)}</td><td>${fmt.int(n.canary.errors)}</td>`
    : html`<td colspan="4" class="muted">not reported yet</td>`}
          </tr>`)}</tbody>
        </table>`}
    <//>
  </div>`;
}
