// Shared pieces: status pills, the error banner, page headers, the confirmation dialog,
// polling, and number formatting.
import { html, useState, useEffect, useRef, useCallback } from './lib.js';

export function Pill({ kind = 'neutral', children, testid, title }) {
  return html`<span class=${'pill pill-' + kind} data-testid=${testid} title=${title}>${children}</span>`;
}

const STATE_KINDS = {
  ready: 'ok', running: 'accent', degraded: 'warn', starting: 'info', draining: 'warn', unreachable: 'bad',
  none: 'neutral', healthy: 'ok', promote: 'ok', breach: 'bad', rollback: 'bad', waiting: 'info',
  promoted: 'ok', aborted: 'warn', 'rolled-back': 'bad',
};

export function StatePill({ state, testid }) {
  return html`<${Pill} kind=${STATE_KINDS[state] || 'neutral'} testid=${testid}>${state || '—'}<//>`;
}

/** An error from the admin API (or any Error), shown plainly; 403 says what role it takes. */
export function ErrorBanner({ error, onClose }) {
  if (!error) {
    return null;
  }
  const status = error.status;
  const title = status === 403 ? 'Not allowed for your role'
    : status === 422 ? 'Rejected: invalid'
      : status === 409 ? 'Conflict'
        : status === 0 ? 'No answer' : status ? 'Error ' + status : 'Error';
  return html`<div class="banner banner-error" data-testid="error" role="alert">
    <div class="banner-body">
      <strong>${title}</strong> <span>${error.message}</span>
      ${error.details && error.details.length ? html`<ul class="details">${error.details.map((d) => html`<li><code>${d.path || '(document)'}</code> ${d.message}</li>`)}</ul>` : null}
    </div>
    ${onClose ? html`<button class="icon-button" title="Dismiss" onClick=${onClose}>×</button>` : null}
  </div>`;
}

export function Notice({ kind = 'ok', children, testid }) {
  return html`<div class=${'banner banner-' + kind} data-testid=${testid} role="status"><div class="banner-body">${children}</div></div>`;
}

export function PageHeader({ title, subtitle, children }) {
  return html`<div class="page-header">
    <div><h1>${title}</h1>${subtitle ? html`<div class="subtitle">${subtitle}</div>` : null}</div>
    <div class="page-actions">${children}</div>
  </div>`;
}

export function Card({ title, children, actions, className = '' }) {
  return html`<section class=${'card ' + className}>
    ${title || actions ? html`<div class="card-head"><h2>${title}</h2><div class="card-actions">${actions}</div></div>` : null}
    ${children}
  </section>`;
}

export function Stat({ label, value, hint, testid, kind }) {
  return html`<div class=${'stat' + (kind ? ' stat-' + kind : '')}>
    <div class="stat-label">${label}</div>
    <div class="stat-value" data-testid=${testid}>${value}</div>
    ${hint ? html`<div class="stat-hint">${hint}</div>` : null}
  </div>`;
}

export function Empty({ children }) {
  return html`<div class="empty">${children}</div>`;
}

/** A modal asking to confirm one action; the confirm button is data-testid="confirm". */
export function Confirm({ title, children, confirmLabel = 'Confirm', danger, busy, onConfirm, onCancel }) {
  const ref = useRef(null);
  useEffect(() => {
    const onKey = (e) => { if (e.key === 'Escape') { onCancel(); } };
    document.addEventListener('keydown', onKey);
    if (ref.current) {
      ref.current.focus();
    }
    return () => document.removeEventListener('keydown', onKey);
  }, []);
  return html`<div class="modal-back">
    <div class="modal" role="dialog" aria-modal="true" aria-label=${title}>
      <h3>${title}</h3>
      <div class="modal-body">${children}</div>
      <div class="modal-actions">
        <button class="button" onClick=${onCancel} disabled=${busy}>Cancel</button>
        <button ref=${ref} class=${'button ' + (danger ? 'button-danger' : 'button-primary')} data-testid="confirm"
          disabled=${busy} onClick=${onConfirm}>${busy ? 'Working…' : confirmLabel}</button>
      </div>
    </div>
  </div>`;
}

/** Calls load() now and every periodMs while mounted; returns {data, error, loading, reload}. */
export function usePoll(load, periodMs, deps = []) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const tick = useRef(0);
  const reload = useCallback(() => {
    const mine = ++tick.current;
    return load().then(
      (data) => { if (mine === tick.current) { setState({ data, error: null, loading: false }); } },
      (error) => { if (mine === tick.current) { setState((s) => ({ data: s.data, error, loading: false })); } },
    );
  }, deps);
  useEffect(() => {
    setState({ data: null, error: null, loading: true });
    reload();
    if (!periodMs) {
      return () => { tick.current++; };
    }
    const id = setInterval(() => { if (!document.hidden) { reload(); } }, periodMs);
    return () => { clearInterval(id); tick.current++; };
  }, deps);
  return { ...state, reload };
}

export const fmt = {
  int(n) {
    return n === null || n === undefined ? '—' : Math.round(n).toLocaleString('en-US');
  },
  ms(n) {
    if (n === null || n === undefined || Number.isNaN(n)) {
      return '—';
    }
    return n < 10 ? n.toFixed(2) + ' ms' : n < 100 ? n.toFixed(1) + ' ms' : Math.round(n).toLocaleString('en-US') + ' ms';
  },
  pct(ratio, digits = 1) {
    return ratio === null || ratio === undefined || Number.isNaN(ratio) ? '—' : (ratio * 100).toFixed(digits) + '%';
  },
  time(iso) {
    if (!iso) {
      return '—';
    }
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString('en-GB', { hour12: false });
  },
  ago(iso) {
    const d = typeof iso === 'number' ? new Date(iso * 1000) : new Date(iso);
    const s = Math.round((Date.now() - d.getTime()) / 1000);
    if (Number.isNaN(s)) {
      return '';
    }
    if (s < 5) {
      return 'just now';
    }
    if (s < 90) {
      return s + ' s ago';
    }
    if (s < 5400) {
      return Math.round(s / 60) + ' min ago';
    }
    if (s < 129600) {
      return Math.round(s / 3600) + ' h ago';
    }
    return Math.round(s / 86400) + ' d ago';
  },
};
