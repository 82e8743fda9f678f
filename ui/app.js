/**
 * The console's shell: takes the token from the address, reads how the broker was started
 * (`/ui/config.json`), and routes the fragment (`#/` the overview, `#/groups[/NAME]`, `#/topics`,
 * `#/topics/NAME/messages?…`, `#/topics/NAME/tail`, `#/bench[/RUN]`) to a view. A view is
 * `(root, route, app) => cleanup?`; when the broker wants a token the view's error shows the token prompt.
 */
import { ApiError, getToken, setToken, takeTokenFromUrl } from './api.js';
import { benchView } from './bench.js';
import { delayedView } from './delayed.js';
import { h, replace } from './dom.js';
import { groupsView, groupView } from './groups.js';
import { messagesView } from './messages.js';
import { overviewView } from './overview.js';
import { produceView } from './produce.js';
import { tailView } from './tail.js';
import { topicsView } from './topics.js';

/** @typedef {{ readOnly: boolean, showError: (err: unknown, where?: Element) => void, rerender: () => void }} App */
/** @typedef {{ path: string[], query: URLSearchParams }} Route */

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
/** @type {(() => void) | null} */
let cleanup = null;

/** @returns {Route} */
function currentRoute() {
  const hash = location.hash.replace(/^#\/?/, '');
  const q = hash.indexOf('?');
  const path = (q === -1 ? hash : hash.slice(0, q))
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  return { path, query: new URLSearchParams(q === -1 ? '' : hash.slice(q + 1)) };
}

/** @type {App} */
const app = {
  readOnly: false,
  showError,
  rerender: render,
};

function render() {
  cleanup?.();
  cleanup = null;
  const route = currentRoute();
  for (const link of document.querySelectorAll('nav a[data-view]')) {
    const active = link.getAttribute('data-view') === (route.path[0] ?? 'overview');
    if (active) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  replace(main);
  if (route.path.length === 0 || route.path[0] === 'overview') {
    cleanup = overviewView(main, route, app) ?? null;
  } else if (route.path[0] === 'groups' && route.path.length === 1) {
    cleanup = groupsView(main, route, app) ?? null;
  } else if (route.path[0] === 'groups' && route.path.length === 2) {
    cleanup = groupView(main, route, app) ?? null;
  } else if (route.path[0] === 'topics' && route.path.length === 3 && route.path[2] === 'messages') {
    cleanup = messagesView(main, route, app) ?? null;
  } else if (route.path[0] === 'topics' && route.path.length === 3 && route.path[2] === 'tail') {
    cleanup = tailView(main, route, app) ?? null;
  } else if (route.path[0] === 'topics' && route.path.length === 3 && route.path[2] === 'produce') {
    cleanup = produceView(main, route, app) ?? null;
  } else if (route.path[0] === 'bench') {
    cleanup = benchView(main, route, app) ?? null;
  } else if (route.path[0] === 'delayed') {
    cleanup = delayedView(main, route, app) ?? null;
  } else {
    cleanup = topicsView(main, route, app) ?? null;
  }
}

/**
 * Shows what went wrong in `where` (default: the whole view); a 401 shows the token prompt instead.
 * @param {unknown} err @param {Element} [where]
 */
function showError(err, where) {
  if (err instanceof ApiError && err.status === 401) {
    tokenPrompt(getToken() !== null);
    return;
  }
  const text = err instanceof Error ? err.message : String(err);
  const box = h('p', { class: 'error', role: 'alert' }, text);
  if (where === undefined) replace(main, box);
  else replace(where, box);
}

/** The form that asks for the broker's token. @param {boolean} refused a token was sent and refused */
function tokenPrompt(refused) {
  cleanup?.();
  cleanup = null;
  const input = /** @type {HTMLInputElement} */ (
    h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'off', required: true, maxlength: 4096 })
  );
  const form = h(
    'form',
    {
      class: 'token-form',
      onsubmit: (/** @type {Event} */ e) => {
        e.preventDefault();
        setToken(input.value);
        render();
      },
    },
    h('h1', null, 'This broker needs a token'),
    refused ? h('p', { class: 'error', role: 'alert' }, 'The broker refused that token.') : null,
    h('p', { class: 'muted' }, 'It was given to evq serve with --token (or EVQ_TOKEN). It is kept for this tab only.'),
    h('label', { for: 'token' }, 'Token'),
    input,
    h('button', { type: 'submit' }, 'Connect'),
  );
  replace(main, form);
  input.focus();
}

async function start() {
  takeTokenFromUrl();
  try {
    // the broker puts its settings in the page (no round trip first); config.json says the same
    const meta = document.querySelector('meta[name="evq-config"]');
    const config =
      meta !== null ? JSON.parse(meta.getAttribute('content') ?? '{}') : await (await fetch('config.json', { cache: 'no-store' })).json();
    app.readOnly = config.readOnly === true;
  } catch {
    app.readOnly = true; // unknown: show nothing that changes anything
  }
  document.getElementById('mode').hidden = !app.readOnly;
  document.body.classList.toggle('read-only', app.readOnly);
  window.addEventListener('hashchange', () => {
    takeTokenFromUrl(true);
    render();
  });
  render();
}

void start();
