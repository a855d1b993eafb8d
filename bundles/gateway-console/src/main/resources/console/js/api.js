// The admin API (/api/v1, same origin) with the Authorization header of the login. Credentials
// live in sessionStorage only (gone with the tab); no cookie is ever set. A 401 anywhere ends
// the session and brings the login back.

const KEY = 'meridian.console.session';
const unauthorizedListeners = new Set();

export function session() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || 'null');
  } catch (e) {
    return null;
  }
}

export function saveSession(s) {
  sessionStorage.setItem(KEY, JSON.stringify(s));
}

export function clearSession() {
  sessionStorage.removeItem(KEY);
}

export function onUnauthorized(fn) {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

export class ApiError extends Error {
  constructor(status, message, details, body) {
    super(message);
    this.status = status;
    this.details = Array.isArray(details) ? details : [];
    this.body = body;
  }
}

function base64(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  bytes.forEach((b) => { bin += String.fromCharCode(b); });
  return btoa(bin);
}

/** The Authorization header for a login: Basic user:secret, or Bearer for a bare token. */
export function authorization(user, secret) {
  return user ? 'Basic ' + base64(user + ':' + secret) : 'Bearer ' + secret;
}

function headers(extra) {
  const h = { Accept: 'application/json', ...extra };
  const s = session();
  if (s && s.authorization) {
    h.Authorization = s.authorization;
  }
  return h;
}

/**
 * One call: resolves to the parsed JSON answer (and its status), throws ApiError otherwise.
 * credentials: 'omit' keeps the browser's own Basic prompt and cookies out of it.
 */
export async function call(method, path, { body, type, signal, auth } = {}) {
  const extra = {};
  let payload;
  if (body !== undefined) {
    extra['Content-Type'] = type || 'application/json';
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const h = headers(extra);
  if (auth) {
    h.Authorization = auth;
  }
  let response;
  try {
    response = await fetch('/api/v1' + path, {
      method, headers: h, body: payload, signal, cache: 'no-store', credentials: 'omit',
    });
  } catch (e) {
    if (e.name === 'AbortError') {
      throw e;
    }
    throw new ApiError(0, 'the admin API did not answer (' + e.message + ')', []);
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (e) {
    json = null;
  }
  if (response.status === 401 && !auth) {
    clearSession();
    unauthorizedListeners.forEach((fn) => fn());
  }
  if (!response.ok) {
    const message = (json && json.error) || response.statusText || ('HTTP ' + response.status);
    throw new ApiError(response.status, message, json && json.details, json);
  }
  return { status: response.status, data: json };
}

export const get = (path, opts) => call('GET', path, opts).then((r) => r.data);

const PROPAGATION = 'meridian.console.propagation';

/** Keeps what a ?wait=all answer said about each node (revision, propagationMs, error) for the Nodes page. */
export function rememberPropagation(answer) {
  if (answer && typeof answer.revision === 'number' && Array.isArray(answer.nodes) && answer.nodes.length) {
    sessionStorage.setItem(PROPAGATION, JSON.stringify({ revision: answer.revision, at: Date.now(), nodes: answer.nodes }));
  }
}

export function lastPropagation() {
  try {
    return JSON.parse(sessionStorage.getItem(PROPAGATION) || 'null');
  } catch (e) {
    return null;
  }
}

/**
 * Server-sent events read with fetch (EventSource cannot send an Authorization header): calls
 * onEvent(name, data) for each event until the signal aborts; rejects when the stream ends or fails.
 */
export async function stream(path, onEvent, signal) {
  const response = await fetch('/api/v1' + path, {
    headers: headers({ Accept: 'text/event-stream' }), signal, cache: 'no-store', credentials: 'omit',
  });
  if (response.status === 401) {
    clearSession();
    unauthorizedListeners.forEach((fn) => fn());
  }
  if (!response.ok || !response.body) {
    throw new ApiError(response.status, 'stream answered ' + response.status, []);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = 'message';
  let data = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      throw new ApiError(0, 'stream ended', []);
    }
    buffer += decoder.decode(value, { stream: true });
    let nl;
    while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        if (data.length) {
          let parsed = data.join('\n');
          try {
            parsed = JSON.parse(parsed);
          } catch (e) {
            // not JSON: handed on as text
          }
          onEvent(event, parsed);
        }
        event = 'message';
        data = [];
      } else if (line.startsWith(':')) {
        // comment / keep-alive
      } else {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let val = colon < 0 ? '' : line.slice(colon + 1);
        if (val.startsWith(' ')) {
          val = val.slice(1);
        }
        if (field === 'event') {
          event = val;
        } else if (field === 'data') {
          data.push(val);
        }
      }
    }
  }
}
