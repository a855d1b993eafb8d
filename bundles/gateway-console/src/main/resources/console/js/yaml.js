// A small YAML emitter for the admin API's JSON trees: block style, two-space indent, strings
// plain where YAML reads them back as the same string and double-quoted (JSON escapes, which
// YAML shares) otherwise. Keys keep the server's order.

const RESERVED = /^(true|false|yes|no|on|off|y|n|null|~|\.inf|-\.inf|\+\.inf|\.nan)$/i;
const INDICATOR = /^[-?:,[\]{}#&*!|>'"%@`\s]/;

function plainSafe(s) {
  if (s === '' || RESERVED.test(s) || INDICATOR.test(s)) {
    return false;
  }
  if (/^[-+]?[\d.][\d._:eExXoObBa-fA-F+-]*$/.test(s) || /^\d{4}-\d{1,2}-\d{1,2}/.test(s)) {
    return false; // what YAML would read as a number, date or time: quoted so it stays a string
  }
  if (/[\u0000-\u001f\u007f\u0085\u2028\u2029\ufeff]/.test(s)) {
    return false;
  }
  if (/\s$/.test(s) || /:$/.test(s) || s.includes(': ') || s.includes(' #') || s.includes(':\t')) {
    return false;
  }
  return true;
}

export function scalar(v) {
  if (v === null || v === undefined) {
    return 'null';
  }
  if (typeof v === 'boolean') {
    return v ? 'true' : 'false';
  }
  if (typeof v === 'number') {
    return Number.isFinite(v) ? String(v) : (Number.isNaN(v) ? '.nan' : (v > 0 ? '.inf' : '-.inf'));
  }
  const s = String(v);
  return plainSafe(s) ? s : JSON.stringify(s);
}

function isEmptyCollection(v) {
  return (Array.isArray(v) && v.length === 0) || (isMap(v) && Object.keys(v).length === 0);
}

function isMap(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function inline(v) {
  if (Array.isArray(v)) {
    return '[]';
  }
  if (isMap(v)) {
    return '{}';
  }
  return scalar(v);
}

function emit(v, indent, out) {
  const pad = ' '.repeat(indent);
  if (Array.isArray(v)) {
    for (const item of v) {
      if (isMap(item) && !isEmptyCollection(item)) {
        const lines = [];
        emit(item, indent + 2, lines);
        lines[0] = pad + '- ' + lines[0].slice(indent + 2);
        out.push(...lines);
      } else if (Array.isArray(item) && item.length) {
        out.push(pad + '-');
        emit(item, indent + 2, out);
      } else {
        out.push(pad + '- ' + inline(item));
      }
    }
    return;
  }
  for (const [key, val] of Object.entries(v)) {
    const k = scalar(key);
    if ((isMap(val) || Array.isArray(val)) && !isEmptyCollection(val)) {
      out.push(pad + k + ':');
      emit(val, indent + 2, out);
    } else {
      out.push(pad + k + ': ' + inline(val));
    }
  }
}

/** The tree as a YAML document (no leading ---), ending with a newline. */
export function toYaml(tree) {
  if (!isMap(tree) && !Array.isArray(tree)) {
    return scalar(tree) + '\n';
  }
  if (isEmptyCollection(tree)) {
    return inline(tree) + '\n';
  }
  const out = [];
  emit(tree, 0, out);
  return out.join('\n') + '\n';
}

/** Several trees as one multi-document stream, each after a --- line. */
export function toYamlDocuments(trees) {
  return trees.map((t) => '---\n' + toYaml(t)).join('');
}
