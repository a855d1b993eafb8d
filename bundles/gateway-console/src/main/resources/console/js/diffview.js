// A line diff of two texts (diff 9's diffLines), unchanged runs folded to their edges.
import { html, useMemo, useState } from './lib.js';
import { diffLines } from '../vendor/diff-9.0.0/libesm/diff/line.js';

const CONTEXT = 3;

function splitLines(value) {
  const lines = value.split('\n');
  if (lines.length && lines[lines.length - 1] === '') {
    lines.pop();
  }
  return lines;
}

/** Rows {kind: 'add'|'del'|'ctx', text, a, b} with old/new line numbers. */
export function lineRows(before, after) {
  const rows = [];
  let a = 1;
  let b = 1;
  for (const part of diffLines(before, after)) {
    for (const text of splitLines(part.value)) {
      if (part.added) {
        rows.push({ kind: 'add', text, a: null, b: b++ });
      } else if (part.removed) {
        rows.push({ kind: 'del', text, a: a++, b: null });
      } else {
        rows.push({ kind: 'ctx', text, a: a++, b: b++ });
      }
    }
  }
  return rows;
}

function fold(rows) {
  const keep = rows.map(() => false);
  rows.forEach((r, i) => {
    if (r.kind !== 'ctx') {
      for (let j = Math.max(0, i - CONTEXT); j <= Math.min(rows.length - 1, i + CONTEXT); j++) {
        keep[j] = true;
      }
    }
  });
  const out = [];
  let hidden = 0;
  rows.forEach((r, i) => {
    if (keep[i]) {
      if (hidden) {
        out.push({ kind: 'fold', count: hidden });
        hidden = 0;
      }
      out.push(r);
    } else {
      hidden++;
    }
  });
  if (hidden) {
    out.push({ kind: 'fold', count: hidden });
  }
  return out;
}

export function DiffView({ before, after, testid = 'diff', beforeLabel = 'current', afterLabel = 'edited' }) {
  const [expanded, setExpanded] = useState(false);
  const rows = useMemo(() => lineRows(before || '', after || ''), [before, after]);
  const added = rows.filter((r) => r.kind === 'add').length;
  const removed = rows.filter((r) => r.kind === 'del').length;
  const shown = expanded ? rows : fold(rows);
  return html`<div class="diff" data-testid=${testid} data-added=${added} data-removed=${removed}>
    <div class="diff-head">
      <span><span class="legend legend-del">− ${beforeLabel}</span> <span class="legend legend-add">+ ${afterLabel}</span></span>
      <span class="diff-counts"><span class="count-add">+${added}</span> <span class="count-del">−${removed}</span>
        ${rows.length > shown.length || expanded ? html` <button class="link-button" onClick=${() => setExpanded(!expanded)}>${expanded ? 'fold unchanged' : 'show all lines'}</button>` : null}</span>
    </div>
    ${added + removed === 0 ? html`<div class="diff-none">No differences.</div>` : null}
    <div class="diff-body">
      ${shown.map((r) => (r.kind === 'fold'
    ? html`<div class="diff-line fold"><span class="ln"></span><span class="ln"></span><span class="mark"></span><span class="text">⋯ ${r.count} unchanged line${r.count === 1 ? '' : 's'}</span></div>`
    : html`<div class=${'diff-line ' + r.kind}><span class="ln">${r.a || ''}</span><span class="ln">${r.b || ''}</span><span class="mark">${r.kind === 'add' ? '+' : r.kind === 'del' ? '−' : ' '}</span><span class="text">${r.text}</span></div>`))}
    </div>
  </div>`;
}
