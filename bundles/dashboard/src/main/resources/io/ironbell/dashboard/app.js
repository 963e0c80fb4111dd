// Ironbell's dashboard: plain JavaScript over the REST API. Every value from the server is written
// as text (textContent, never innerHTML): hardware records are untrusted input.
'use strict';

const TOKEN = 'ironbell.token';
const main = () => document.getElementById('main');
let who = null;          // {name, role} of the signed-in token
let stopStream = null;   // ends the live stream of the page being left

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.substring(2), v);
    else if (v !== null && v !== undefined) e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

async function api(method, path, body) {
  const r = await fetch('/api/v1' + path, {
    method,
    headers: Object.assign({ 'Authorization': 'Bearer ' + sessionStorage.getItem(TOKEN) },
      body === undefined ? {} : { 'Content-Type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (r.status === 401) {
    signOut();
    throw new Error('signed out: the token is no longer valid');
  }
  const text = await r.text();
  const json = text ? JSON.parse(text) : null;
  if (!r.ok) throw new Error((json && json.message) || ('HTTP ' + r.status));
  return json;
}

/** Every item of a paged list. */
async function all(path) {
  const items = [];
  let cursor = null;
  do {
    const page = await api('GET', path + '?limit=1000' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
    items.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return items;
}

function may(least) {
  const order = ['viewer', 'operator', 'admin'];
  return who && order.indexOf(who.role) >= order.indexOf(least);
}

function signOut() {
  sessionStorage.removeItem(TOKEN);
  who = null;
  location.hash = '#/signin';
}

function stateCell(state) {
  return el('span', { class: 'state state-' + state, 'data-state': state }, state);
}

function when(t) {
  return t ? new Date(t).toLocaleTimeString() : '';
}

// ---- sign in -------------------------------------------------------------------------------------

function signInPage(message) {
  document.getElementById('nav').hidden = true;
  const input = el('input', { type: 'password', id: 'token', autocomplete: 'off', placeholder: 'API token' });
  const error = el('div', { class: 'error', id: 'signin-error' }, message || '');
  const form = el('form', { class: 'signin', id: 'signin', onsubmit: async (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN, input.value.trim());
    try {
      who = await api('GET', '/whoami');
      location.hash = '#/machines';
    } catch (e) {
      sessionStorage.removeItem(TOKEN);
      error.textContent = 'Sign-in refused: ' + e.message;
    }
  } }, el('h1', {}, 'Sign in'), el('label', { for: 'token' }, 'API token (ironbell token create, or data/api-token)'),
    input, el('button', { type: 'submit', id: 'signin-button' }, 'Sign in'), error);
  main().replaceChildren(form);
  input.focus();
}

// ---- machines ------------------------------------------------------------------------------------

function macsOf(hw) {
  return ((hw.network && hw.network.interfaces) || []).map(i => i.dhcp || {});
}

async function machinesPage() {
  const filter = el('input', { type: 'search', id: 'filter', placeholder: 'Filter by name, MAC, address, state' });
  const body = el('tbody', { id: 'machines' });
  const count = el('span', { class: 'muted', id: 'machine-count' });
  main().replaceChildren(el('h1', {}, 'Machines'), el('div', { class: 'toolbar' }, filter, count),
    el('table', {}, el('thead', {}, el('tr', {}, ...['Name', 'MAC', 'Address', 'Workflow', 'State', 'Action', 'Progress']
      .map(h => el('th', {}, h)))), body));
  const [hardware, workflows] = await Promise.all([all('/hardware'), all('/workflows')]);
  // each machine's newest workflow, by the workers of its actions
  const latest = new Map();
  for (const w of workflows) {
    for (const a of w.actions || []) {
      const k = (a.worker || '').toLowerCase();
      const seen = latest.get(k);
      if (!seen || seen.createdAt < w.createdAt) latest.set(k, w);
    }
  }
  const rows = [];
  for (const hw of hardware) {
    const nics = macsOf(hw);
    const mac = nics.length ? (nics[0].mac || '') : '';
    const address = nics.length && nics[0].ip ? (nics[0].ip.address || '') : '';
    const name = (nics.length && nics[0].hostname) || hw.id;
    const w = latest.get(mac.toLowerCase()) || latest.get(String(hw.id).toLowerCase());
    const current = w && w.actions ? w.actions[Math.min(w.currentAction || 0, w.actions.length - 1)] : null;
    const done = w && w.actions ? w.actions.filter(a => a.state === 'SUCCESS').length : 0;
    const bar = el('span', { class: 'bar' }, el('span'));
    if (w && w.actions && w.actions.length) bar.firstChild.style.width = Math.round(100 * done / w.actions.length) + '%';
    const tr = el('tr', { 'data-machine': hw.id },
      el('td', { class: 'name' }, name), el('td', {}, mac), el('td', {}, address),
      el('td', {}, w ? el('a', { href: '#/workflows/' + encodeURIComponent(w.id) }, w.templateId || w.id) : el('span', { class: 'muted' }, 'none')),
      el('td', {}, w ? stateCell(w.state) : ''), el('td', {}, current ? current.name : ''), el('td', {}, w ? bar : ''));
    tr.dataset.search = [name, mac, address, hw.id, w ? w.state : '', current ? current.name : ''].join(' ').toLowerCase();
    rows.push(tr);
  }
  body.replaceChildren(...rows);
  const apply = () => {
    const q = filter.value.trim().toLowerCase();
    let shown = 0;
    for (const tr of rows) {
      tr.hidden = q !== '' && !tr.dataset.search.includes(q);
      if (!tr.hidden) shown++;
    }
    count.textContent = shown + ' of ' + rows.length + ' machines';
  };
  filter.addEventListener('input', apply);
  apply();
}

// ---- workflows -----------------------------------------------------------------------------------

async function workflowsPage() {
  const body = el('tbody', { id: 'workflows' });
  main().replaceChildren(el('h1', {}, 'Workflows'), el('table', {}, el('thead', {}, el('tr', {},
    ...['Workflow', 'Template', 'State', 'Action', 'Created'].map(h => el('th', {}, h)))), body));
  const workflows = await all('/workflows');
  body.replaceChildren(...workflows.map(w => {
    const current = w.actions && w.actions.length ? w.actions[Math.min(w.currentAction || 0, w.actions.length - 1)] : null;
    return el('tr', {}, el('td', {}, el('a', { href: '#/workflows/' + encodeURIComponent(w.id) }, w.id)), el('td', {}, w.templateId),
      el('td', {}, stateCell(w.state)), el('td', {}, current ? current.name : ''), el('td', {}, when(w.createdAt)));
  }));
}

async function workflowPage(id) {
  const title = el('h1', {}, 'Workflow ', id);
  const state = el('div', { id: 'workflow-state' });
  const body = el('tbody', { id: 'actions' });
  const error = el('div', { class: 'error', id: 'workflow-error' });
  const toolbar = el('div', { class: 'toolbar' }, state);
  if (may('operator')) {
    toolbar.append(el('button', { class: 'danger', id: 'cancel', type: 'button', onclick: async () => {
      try {
        await api('POST', '/workflows/' + encodeURIComponent(id) + '/cancel');
        await render();
      } catch (e) {
        error.textContent = 'Cancel refused: ' + e.message;
      }
    } }, 'Cancel'));
  }
  main().replaceChildren(title, toolbar, error, el('table', {}, el('thead', {}, el('tr', {},
    ...['#', 'Task', 'Action', 'Worker', 'State', 'Attempts', 'Started', 'Finished', 'Progress', 'Message'].map(h => el('th', {}, h)))), body));

  async function render() {
    const w = await api('GET', '/workflows/' + encodeURIComponent(id));
    state.replaceChildren('State: ', stateCell(w.state), el('span', { class: 'muted' }, '  template ', w.templateId));
    const cancel = document.getElementById('cancel');
    if (cancel) cancel.hidden = ['SUCCESS', 'FAILED', 'TIMEOUT', 'CANCELLED'].includes(w.state);
    body.replaceChildren(...(w.actions || []).map((a, i) => {
      const bar = el('span', { class: 'bar' }, el('span'));
      const p = a.progress;
      if (a.state === 'SUCCESS') bar.firstChild.style.width = '100%';
      else if (p && p.total) bar.firstChild.style.width = Math.round(100 * p.done / p.total) + '%';
      return el('tr', { 'data-action': a.name }, el('td', {}, i), el('td', {}, a.task), el('td', {}, a.name), el('td', {}, a.worker),
        el('td', {}, stateCell(a.state)), el('td', {}, a.attempts), el('td', {}, when(a.startedAt)), el('td', {}, when(a.finishedAt)),
        el('td', {}, bar), el('td', {}, a.message || ''));
    }));
    return w;
  }

  const w = await render();
  if (['SUCCESS', 'FAILED', 'TIMEOUT', 'CANCELLED'].includes(w.state)) return;
  // the server's event stream (Server-Sent Events) read through fetch, which can carry the token header
  const abort = new AbortController();
  stopStream = () => abort.abort();
  try {
    const r = await fetch('/api/v1/workflows/' + encodeURIComponent(id) + '/events/stream', {
      headers: { 'Authorization': 'Bearer ' + sessionStorage.getItem(TOKEN) }, signal: abort.signal });
    const reader = r.body.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffered.indexOf('\n\n')) >= 0) {
        const event = buffered.substring(0, cut);
        buffered = buffered.substring(cut + 2);
        if (event.split('\n').some(l => l.startsWith('data: '))) await render();
      }
    }
    await render();
  } catch (e) {
    if (e.name !== 'AbortError') error.textContent = 'The live stream stopped: ' + e.message;
  }
}

// ---- routing -------------------------------------------------------------------------------------

async function route() {
  if (stopStream) {
    stopStream();
    stopStream = null;
  }
  const hash = location.hash || '#/machines';
  if (!sessionStorage.getItem(TOKEN) || hash === '#/signin') {
    signInPage();
    return;
  }
  try {
    if (!who) who = await api('GET', '/whoami');
    document.getElementById('nav').hidden = false;
    document.getElementById('who').textContent = who.name + ' (' + who.role + ')';
    const m = hash.match(/^#\/workflows\/(.+)$/);
    if (m) await workflowPage(decodeURIComponent(m[1]));
    else if (hash === '#/workflows') await workflowsPage();
    else await machinesPage();
  } catch (e) {
    if (sessionStorage.getItem(TOKEN)) main().replaceChildren(el('div', { class: 'error', id: 'page-error' }, e.message));
  }
}

window.addEventListener('hashchange', route);
document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('signout').addEventListener('click', signOut);
  route();
});
