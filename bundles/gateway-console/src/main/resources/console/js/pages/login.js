// Sign in: a user and password, or a token's name and the token (both sent as Basic; a token
// alone as Bearer), checked with GET /whoami (or GET /apis where that is missing).
import { html, useState } from '../lib.js';
import { call, authorization, saveSession, ApiError } from '../api.js';

const TOKEN_PREFIX = 'mrd_';

/** Who the credentials are, or throws ApiError (401 for wrong ones). */
export async function signIn(user, secret) {
  const auth = authorization(user, secret);
  let role = null;
  try {
    const who = (await call('GET', '/whoami', { auth })).data || {};
    return { authorization: auth, user: who.user || user || 'token', role: who.role || null, cluster: who.cluster || null };
  } catch (e) {
    if (e.status === 403) {
      // a node without whoami refuses unknown calls to lesser roles, naming the role
      const m = /role '([a-z]+)'/.exec(e.message);
      role = m ? m[1] : null;
    } else if (e.status !== 404 && e.status !== 405) {
      throw e;
    }
  }
  await call('GET', '/apis', { auth });
  if (role === null && user === 'admin' && !secret.startsWith(TOKEN_PREFIX)) {
    role = 'admin'; // the admin identity has the admin role (CONTRACT §9); a token's role stays unknown
  }
  return { authorization: auth, user: user || 'token', role, cluster: null };
}

export function LoginPage({ onSignedIn, expired }) {
  const [user, setUser] = useState('admin');
  const [secret, setSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    // what the fields hold now, also when a script filled them without input events
    const u = form.elements.user.value.trim();
    const s = form.elements.secret.value;
    setBusy(true);
    setError(null);
    try {
      const who = await signIn(u, s);
      saveSession(who);
      onSignedIn(who);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'Wrong user or password, or an unknown token.'
        : err instanceof ApiError && err.status === 429 ? 'Too many failed sign-ins from this address: wait a little and retry.'
          : err.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<div class="login-page">
    <form class="login-card" onSubmit=${submit}>
      <div class="brand brand-large"><span class="logo">M</span> Meridian</div>
      <p class="muted">Sign in to the gateway's console.</p>
      ${expired ? html`<div class="banner banner-warn"><div class="banner-body">Your session ended (401). Sign in again.</div></div>` : null}
      ${error ? html`<div class="banner banner-error" data-testid="error" role="alert"><div class="banner-body">${error}</div></div>` : null}
      <label class="field">User or token name
        <input name="user" data-testid="login-user" autocomplete="username" value=${user} onInput=${(e) => setUser(e.currentTarget.value)} /></label>
      <label class="field">Password or token
        <input name="secret" data-testid="login-secret" type="password" autocomplete="current-password" value=${secret} onInput=${(e) => setSecret(e.currentTarget.value)} /></label>
      <button class="button button-primary button-block" type="submit" data-testid="login-submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
      <p class="hint">User <code>admin</code> with <code>MERIDIAN_ADMIN_PASSWORD</code>, or a token from <code>POST /api/v1/tokens</code> (its name and the token, or the token alone). Credentials stay in this tab only.</p>
    </form>
  </div>`;
}
