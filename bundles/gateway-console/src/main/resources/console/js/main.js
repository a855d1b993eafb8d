// The console's shell: sign-in gate, left navigation, top bar (cluster, user and role, sign
// out) and the page of the current hash route.
import { html, render, useState, useEffect } from './lib.js';
import { session, clearSession, onUnauthorized, get } from './api.js';
import { useRoute, navigate } from './router.js';
import { LoginPage } from './pages/login.js';
import { ApisPage, ApiPage } from './pages/apis.js';
import { ConsumersPage, ConsumerPage } from './pages/consumers.js';
import { RevisionsPage } from './pages/revisions.js';
import { NodesPage } from './pages/nodes.js';
import { CanaryPage } from './pages/canary.js';
import { CachePage } from './pages/cache.js';
import { TrafficPage } from './pages/traffic.js';

const NAV = [
  { id: 'apis', label: 'APIs', icon: '⇄' },
  { id: 'consumers', label: 'Consumers', icon: '◉' },
  { id: 'revisions', label: 'Revisions', icon: '↺' },
  { id: 'nodes', label: 'Nodes', icon: '▦' },
  { id: 'canary', label: 'Canary', icon: '◐' },
  { id: 'cache', label: 'Cache', icon: '◆' },
  { id: 'traffic', label: 'Traffic', icon: '∿' },
];

/** What the signed-in role may do: a viewer sees no change buttons; an unknown role sees all. */
export function roleOf(who) {
  const role = who && who.role;
  return { name: role || 'unknown', canWrite: role !== 'viewer' };
}

function ClusterBadge({ who }) {
  const [nodes, setNodes] = useState(null);
  useEffect(() => {
    let live = true;
    const load = () => get('/cluster').then((c) => { if (live) { setNodes(c.nodes || []); } }, () => {});
    load();
    const id = setInterval(load, 10000);
    return () => { live = false; clearInterval(id); };
  }, []);
  const ready = nodes ? nodes.filter((n) => n.state === 'ready').length : 0;
  return html`<div class="cluster-badge" data-testid="cluster">
    <span class=${'dot ' + (nodes && ready === nodes.length ? 'dot-ok' : 'dot-warn')}></span>
    ${who.cluster ? html`<b>${who.cluster}</b> · ` : null}${nodes ? ready + '/' + nodes.length + ' node' + (nodes.length === 1 ? '' : 's') + ' ready' : 'cluster…'}
  </div>`;
}

function Page({ route, role }) {
  const [page, id] = route;
  switch (page) {
    case 'apis': return id ? html`<${ApiPage} id=${id} role=${role} />` : html`<${ApisPage} role=${role} />`;
    case 'consumers': return id ? html`<${ConsumerPage} id=${id} role=${role} />` : html`<${ConsumersPage} role=${role} />`;
    case 'revisions': return html`<${RevisionsPage} role=${role} />`;
    case 'nodes': return html`<${NodesPage} role=${role} />`;
    case 'canary': return html`<${CanaryPage} role=${role} />`;
    case 'cache': return html`<${CachePage} role=${role} />`;
    case 'traffic': return html`<${TrafficPage} role=${role} />`;
    default: return html`<div class="empty">No page here. <a href="#/apis">Go to the APIs.</a></div>`;
  }
}

function App() {
  const [who, setWho] = useState(session());
  const [expired, setExpired] = useState(false);
  const route = useRoute();
  useEffect(() => onUnauthorized(() => { setWho(null); setExpired(true); }), []);
  useEffect(() => {
    if (who && (route.length === 0 || route[0] === 'login')) {
      navigate('#/apis');
    }
  }, [who, route.join('/')]);
  if (!who) {
    return html`<${LoginPage} expired=${expired} onSignedIn=${(w) => { setExpired(false); setWho(w); }} />`;
  }
  const role = roleOf(who);
  const signOut = () => {
    clearSession();
    setWho(null);
    setExpired(false);
  };
  return html`<div class="shell">
    <aside class="sidebar">
      <a class="brand" href="#/apis"><span class="logo">M</span> Meridian</a>
      <nav class="nav">
        ${NAV.map((n) => html`<a href=${'#/' + n.id} data-testid=${'nav-' + n.id} class=${route[0] === n.id ? 'active' : ''}>
          <span class="nav-icon">${n.icon}</span>${n.label}</a>`)}
      </nav>
      <div class="sidebar-foot">Admin API <code>/api/v1</code><br /><a href="/system/console/meridian">Karaf web console</a></div>
    </aside>
    <div class="main">
      <header class="topbar">
        <${ClusterBadge} who=${who} />
        <div class="topbar-right">
          <span class="whoami" data-testid="whoami">${who.user} · ${role.name}</span>
          ${!role.canWrite ? html`<span class="pill pill-neutral" title="read only">read only</span>` : null}
          <button class="button button-quiet" data-testid="sign-out" onClick=${signOut}>Sign out</button>
        </div>
      </header>
      <main class="content"><${Page} route=${route} role=${role} /></main>
    </div>
  </div>`;
}

render(html`<${App} />`, document.getElementById('app'));
