// Hash routes: #/apis, #/apis/<id>, #/consumers, #/consumers/<id>, #/revisions, #/nodes,
// #/canary, #/cache, #/traffic.
import { useState, useEffect } from './lib.js';

export function parse(hash) {
  const path = (hash || '').replace(/^#\/?/, '');
  return path.split('/').filter((s) => s !== '').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch (e) {
      return s;
    }
  });
}

export function navigate(hash) {
  if (location.hash !== hash) {
    location.hash = hash;
  }
}

export function useRoute() {
  const [route, setRoute] = useState(parse(location.hash));
  useEffect(() => {
    const on = () => setRoute(parse(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
