// The edit flow of one definition (an API or a consumer): YAML in a textarea, Validate (field
// errors next to the editor), Review (the line diff against what runs), Apply (PUT ?wait=all,
// enabled once the text in the editor has been reviewed) and the revision it made.
import { html, useState, useEffect, useRef } from './lib.js';
import { call, rememberPropagation } from './api.js';
import { toYaml } from './yaml.js';
import { DiffView } from './diffview.js';
import { ErrorBanner, Pill } from './ui.js';

const YAML = 'application/yaml';

export function DefinitionEditor({ kind, id, tree, canWrite, onApplied, note }) {
  const current = toYaml(tree);
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(current);
  const [problems, setProblems] = useState(null); // null: not validated; [] valid
  const [validatedText, setValidatedText] = useState(null);
  const [reviewed, setReviewed] = useState(null); // the text the diff shows
  const [busy, setBusy] = useState(null);
  const [error, setError] = useState(null);
  const [result, setResult] = useState(null);
  const area = useRef(null);
  // what the textarea holds now (also when a script set its value without an input event)
  const read = () => {
    const t = area.current ? area.current.value : text;
    if (t !== text) {
      setText(t);
    }
    return t;
  };

  useEffect(() => {
    if (!editing) {
      setText(current);
    }
  }, [current]);

  const start = () => {
    setEditing(true);
    setText(current);
    setProblems(null);
    setReviewed(null);
    setError(null);
    setResult(null);
  };
  const cancel = () => {
    setEditing(false);
    setText(current);
    setProblems(null);
    setReviewed(null);
    setError(null);
  };

  const validate = async (body) => {
    try {
      const r = await call('POST', '/validate', { body, type: YAML });
      setProblems([]);
      setValidatedText(body);
      return r.data;
    } catch (e) {
      if (e.status === 422 || e.status === 400) {
        setProblems(e.details.length ? e.details : [{ path: '', message: e.message }]);
        setValidatedText(body);
        return null;
      }
      throw e;
    }
  };

  const onValidate = async () => {
    setBusy('validate');
    setError(null);
    try {
      await validate(read());
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };

  const onReview = async () => {
    setBusy('review');
    setError(null);
    const t = read();
    setReviewed(t);
    try {
      await validate(t);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };

  const onApply = async () => {
    const t = read();
    if (t !== reviewed) {
      setReviewed(t);
      return; // changed since the review: show the new diff first
    }
    setBusy('apply');
    setError(null);
    try {
      const r = await call('PUT', '/' + kind + '/' + encodeURIComponent(id) + '?wait=all', { body: t, type: YAML });
      setResult({ ...r.data, status: r.status });
      rememberPropagation(r.data);
      setEditing(false);
      setReviewed(null);
      setProblems(null);
      if (onApplied) {
        onApplied(r.data);
      }
    } catch (e) {
      if (e.status === 422 && e.details.length) {
        setProblems(e.details);
        setValidatedText(t);
      }
      setError(e);
    } finally {
      setBusy(null);
    }
  };

  const stale = reviewed !== null && reviewed !== text;
  const canApply = reviewed !== null && !stale && busy === null;
  const showProblems = problems !== null && validatedText === text;

  return html`<div class="editor">
    ${result ? html`<${ApplyResult} result=${result} />` : null}
    <${ErrorBanner} error=${error} onClose=${() => setError(null)} />
    ${!editing ? html`
      <div class="editor-bar">
        <span class="muted">Definition as applied, in YAML</span>
        ${canWrite ? html`<button class="button button-primary" data-testid="api-edit" onClick=${start}>Edit</button>` : null}
      </div>
      <pre class="yaml-view" data-testid="yaml-view">${current}</pre>` : html`
      ${note ? html`<div class="editor-note">${note}</div>` : null}
      <div class="editor-grid">
        <div class="editor-main">
          <textarea ref=${area} class="yaml-editor" data-testid="yaml-editor" spellcheck="false" autocomplete="off"
            rows=${Math.min(40, Math.max(14, text.split('\n').length + 2))}
            value=${text} onInput=${(e) => setText(e.currentTarget.value)}></textarea>
          <div class="editor-bar">
            <div class="button-row">
              <button class="button" data-testid="validate" disabled=${busy !== null} onClick=${onValidate}>${busy === 'validate' ? 'Validating…' : 'Validate'}</button>
              <button class="button" data-testid="review" disabled=${busy !== null} onClick=${onReview}>${busy === 'review' ? 'Reviewing…' : 'Review changes'}</button>
              <button class="button button-primary" data-testid="apply" disabled=${!canApply}
                title=${canApply ? 'Apply and wait until every node serves it' : 'Review the changes first'} onClick=${onApply}>${busy === 'apply' ? 'Applying…' : 'Apply'}</button>
            </div>
            <button class="button button-quiet" onClick=${cancel} disabled=${busy === 'apply'}>Cancel</button>
          </div>
        </div>
        <aside class="editor-side">
          <h3>Validation</h3>
          ${!showProblems ? html`<p class="muted">${problems === null ? 'Not validated yet.' : 'Edited since the last check.'}</p>`
    : problems.length === 0 ? html`<p class="valid"><${Pill} kind="ok">valid<//> The server accepts this definition.</p>`
      : html`<ul class="problems">${problems.map((p) => html`<li class="field-error" data-testid="field-error"><code>${p.path || '(document)'}</code><span>${p.message}</span></li>`)}</ul>`}
          ${stale ? html`<p class="muted">Edited since the review: review again to apply.</p>` : null}
        </aside>
      </div>
      ${reviewed !== null ? html`<div class="review"><h3>Changes</h3><${DiffView} before=${current} after=${reviewed} /></div>` : null}
    `}
  </div>`;
}

export function ApplyResult({ result }) {
  const nodes = result.nodes || [];
  const serving = nodes.filter((n) => n.revision >= result.revision).length;
  const slowest = nodes.reduce((m, n) => Math.max(m, n.propagationMs || 0), 0);
  return html`<div class=${'banner ' + (result.status === 202 ? 'banner-warn' : 'banner-ok')} data-testid="apply-result" role="status">
    <div class="banner-body">
      ${result.changed === false ? html`<strong>No change.</strong> The definition equals what runs: revision ${result.revision} stays current.`
    : html`<strong>Applied as revision ${result.revision}.</strong> ${nodes.length ? html`Served by ${serving} of ${nodes.length} node${nodes.length === 1 ? '' : 's'}${serving ? ' within ' + Math.round(slowest) + ' ms' : ''}.` : null}`}
      ${nodes.filter((n) => n.error).map((n) => html`<div class="muted">${n.name}: ${n.error}</div>`)}
    </div>
  </div>`;
}
