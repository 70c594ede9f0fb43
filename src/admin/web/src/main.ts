/**
 * The dashboard's entry point: sign-in (token from `#token=...` or the login box, kept in
 * sessionStorage), the header, and a hash router over the views.
 */
import { ApiError, api, getToken, setToken, setUnauthorizedHandler } from './api.js';
import { mountAudit } from './audit.js';
import { type Ctx, createCtx, type View } from './context.js';
import { mountDeadLetters } from './dead-letters.js';
import { mountDetail } from './detail.js';
import { clearMessages, h, showMessage } from './dom.js';
import { mountOverview } from './overview.js';

const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const identity = document.getElementById('identity') as HTMLElement;

let ctx: Ctx | null = null;
let current: { path: string; view: View } | null = null;
let loginShown = false;

const TITLES: Record<string, string> = {
  '/': 'Overview',
  '/dead-letters': 'Dead letters',
  '/audit': 'Audit trail',
};

/** Takes a token passed as `#token=...`, removes it from the address bar; true when one was there. */
function takeTokenFromHash(): boolean {
  const hash = location.hash.replace(/^#/, '');
  if (!/(^|[&?])token=/.test(hash)) return false;
  const token = new URLSearchParams(hash.replace(/^\/?\??/, '')).get('token');
  history.replaceState(null, '', `${location.pathname}${location.search}#/`);
  if (token) setToken(token);
  return Boolean(token);
}

function parseRoute(): { path: string; params: URLSearchParams } {
  let raw = location.hash.replace(/^#/, '');
  if (!raw.startsWith('/')) raw = `/${raw}`;
  const q = raw.indexOf('?');
  const path = (q < 0 ? raw : raw.slice(0, q)).replace(/\/+$/, '') || '/';
  return { path, params: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

function navigate(route: string): void {
  const target = `#${route}`;
  if (location.hash === target) handleRoute();
  else location.hash = target;
}

function unmount(): void {
  current?.view.cleanup?.();
  current = null;
}

function handleRoute(): void {
  if (!ctx || loginShown) return;
  const { path, params } = parseRoute();
  if (current && current.path === path && current.view.update) {
    current.view.update(params);
    return;
  }
  unmount();
  clearMessages();
  main.replaceChildren();
  let view: View;
  const detail = /^\/dead-letters\/(.+)$/.exec(path);
  if (path === '/') view = mountOverview(main, ctx);
  else if (path === '/dead-letters') view = mountDeadLetters(main, ctx, params);
  else if (detail) view = mountDetail(main, ctx, decodeURIComponent(detail[1]!));
  else if (path === '/audit') view = mountAudit(main, ctx, params);
  else {
    main.append(
      h('h2', { tabindex: -1 }, 'Not found'),
      h('p', null, 'There is no such page. ', h('a', { href: '#/' }, 'Go to the overview.')),
    );
    view = {};
  }
  current = { path, view };
  const skip = document.querySelector('.skip-link');
  if (skip) skip.textContent = path === '/dead-letters' ? 'Skip to the first dead letter' : 'Skip to content';
  document.title = `${detail ? 'Dead letter' : (TITLES[path] ?? 'Not found')} · redrive`;
  for (const link of nav.querySelectorAll('a')) {
    const target = link.getAttribute('href')?.replace(/^#/, '') ?? '';
    const active = target === '/' ? path === '/' : path === target || path.startsWith(`${target}/`);
    if (active) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  main.querySelector<HTMLElement>('h2')?.focus();
}

function showLogin(message?: string, kind: 'info' | 'error' = 'error'): void {
  unmount();
  loginShown = true;
  ctx = null;
  nav.hidden = true;
  identity.replaceChildren();
  clearMessages();
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const error = h(
    'p',
    { id: 'login-error', class: kind === 'error' ? 'error' : 'muted', role: 'alert' },
    message ?? '',
  );
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'panel login',
      'aria-labelledby': 'login-heading',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        const token = input.value.trim();
        if (!token) return;
        submit.disabled = true;
        setToken(token);
        try {
          const who = await api.whoami();
          start(who);
        } catch (err) {
          setToken(null);
          error.className = 'error';
          error.textContent =
            err instanceof ApiError && err.status === 401
              ? 'That token was not accepted.'
              : `Could not sign in: ${(err as Error).message}`;
          submit.disabled = false;
          input.focus();
        }
      },
    },
    h('h2', { id: 'login-heading', tabindex: -1 }, 'Sign in'),
    h(
      'p',
      null,
      'Paste an access token. ',
      h('code', null, 'npm start'),
      ' and ',
      h('code', null, 'redrive serve'),
      ' print one, or open the link they print.',
    ),
    h('div', { class: 'field' }, h('label', { for: 'token' }, 'Access token'), input),
    error,
    h('div', { class: 'buttons' }, submit),
  );
  main.replaceChildren(form);
  document.title = 'Sign in · redrive';
  input.focus();
}

function start(who: { actor: string; role: 'viewer' | 'operator' | 'admin' }): void {
  loginShown = false;
  ctx = createCtx(who, navigate);
  nav.hidden = false;
  identity.replaceChildren(
    h(
      'span',
      { 'data-testid': 'identity' },
      who.actor,
      ' ',
      h('span', { class: `badge role-${who.role}` }, who.role),
    ),
    ' ',
    h(
      'button',
      {
        type: 'button',
        class: 'small',
        onclick: () => {
          setToken(null);
          showLogin('Signed out.', 'info');
        },
      },
      'Sign out',
    ),
  );
  current = null;
  handleRoute();
}

async function boot(): Promise<void> {
  takeTokenFromHash();
  // The skip link must not change the hash (the router owns it). It lands on the view's first
  // item when the view marks one (the dead-letter list's first row), else on the content.
  document.querySelector('.skip-link')?.addEventListener('click', (event) => {
    event.preventDefault();
    (main.querySelector<HTMLElement>('[data-skip-target]') ?? main).focus();
  });
  setUnauthorizedHandler(() => {
    if (loginShown) return;
    const hadToken = getToken() !== null;
    setToken(null);
    showLogin(
      hadToken ? 'Your token was not accepted (it may have been revoked). Sign in again.' : undefined,
    );
  });
  window.addEventListener('hashchange', () => {
    if (takeTokenFromHash()) void connect();
    else handleRoute();
  });
  await connect();
}

async function connect(): Promise<void> {
  // Without a token, ask anyway: a server with no tokens configured (loopback only) lets every
  // local caller in; any other answers 401 and the login box comes up.
  try {
    start(await api.whoami());
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return; // the login box is up
    main.replaceChildren(
      h('h2', { tabindex: -1 }, 'Cannot reach the server'),
      h('p', { class: 'error' }, (error as Error).message),
      h('button', { type: 'button', onclick: () => void connect() }, 'Try again'),
    );
  }
}

void boot().catch((error: unknown) =>
  showMessage('error', `The dashboard failed to start: ${String(error)}`),
);
