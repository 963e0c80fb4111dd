// Ironbell's dashboard: plain JavaScript over the REST API. Every value from the server is written
// as text (textContent, never innerHTML): hardware records are untrusted input.
'use strict';

const TOKEN = 'ironbell.token';
const TERMINAL = ['SUCCESS', 'FAILED', 'TIMEOUT', 'CANCELLED'];
const main = () => document.getElementById('main');
let who = null;          // {name, role} of the signed-in token
let leaving = [];        // what ends with the page being left: live streams, timers

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

function headers() {
  return { 'Authorization': 'Bearer ' + sessionStorage.getItem(TOKEN) };
}

async function api(method, path, body, contentType) {
  const raw = typeof body === 'string';
  const r = await fetch('/api/v1' + path, {
    method,
    headers: Object.assign(headers(), body === undefined ? {} : { 'Content-Type': contentType || 'application/json' }),
    body: body === undefined ? undefined : (raw ? body : JSON.stringify(body)),
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

/**
 * Follows a Server-Sent Events stream of the API through fetch (which, unlike EventSource, carries
 * the token as a header) until the page is left; onEvent(type, data) for each event.
 */
async function follow(path, onEvent) {
  const abort = new AbortController();
  leaving.push(() => abort.abort());
  const r = await fetch('/api/v1' + path, { headers: headers(), signal: abort.signal });
  if (r.status === 401) {
    signOut();
    throw new Error('signed out: the token is no longer valid');
  }
  if (!r.ok) throw new Error('HTTP ' + r.status + ' from ' + path);
  const reader = r.body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.substring(0, cut);
      buffered = buffered.substring(cut + 2);
      let type = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) type = line.substring(7);
        else if (line.startsWith('data: ')) data += line.substring(6);
      }
      if (data) await onEvent(type, JSON.parse(data));
    }
  }
}

/**
 * Follows a stream for as long as the page is shown, coming back when the server went away (a
 * restart, the API bundle updated): it tries again every 2 s and, once back, calls onBack() before
 * the first event so that the page reads what it missed. pathOf() gives the path at each attempt
 * (a log resumes after its last line). A stream the server ended ends the loop when done() says
 * so (a workflow that ended); otherwise it is followed again.
 */
function keepFollowing(pathOf, onEvent, onBack, errorBox, done) {
  let shown = true;
  leaving.push(() => { shown = false; });
  (async () => {
    let lost = false;
    while (shown) {
      try {
        await follow(pathOf(), async (type, data) => {
          if (lost) {
            lost = false;
            if (errorBox) errorBox.textContent = '';
            if (onBack) await onBack();
          }
          await onEvent(type, data);
        });
        if (done && await done()) return;
      } catch (e) {
        if (e.name === 'AbortError' || !shown) return;
      }
      if (!shown) return;
      lost = true;
      if (errorBox) errorBox.textContent = 'The server is away: reconnecting...';
      await new Promise(resolve => setTimeout(resolve, 2000));
    }
  })();
}

/** Runs a stream in the background; a failure that is not the page being left is shown. */
function background(promise, errorBox) {
  promise.catch(e => {
    if (e.name !== 'AbortError' && errorBox) errorBox.textContent = 'The live stream stopped: ' + e.message;
  });
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
  return t ? new Date(t).toLocaleString() : '';
}

function ago(t) {
  if (!t) return '';
  const s = Math.max(0, Math.round((Date.now() - new Date(t).getTime()) / 1000));
  if (s < 60) return s + ' s ago';
  if (s < 3600) return Math.floor(s / 60) + ' min ago';
  if (s < 86400) return Math.floor(s / 3600) + ' h ago';
  return Math.floor(s / 86400) + ' d ago';
}

function bytes(n) {
  if (n === null || n === undefined) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : n) + ' ' + units[i];
}

function progressOf(w) {
  if (!w) return null;
  const p = el('progress', { max: Math.max(1, w.actions) });
  let value = w.done;
  if (w.actionState === 'RUNNING' && w.progress && w.progress.total) value += w.progress.done / w.progress.total;
  p.value = Math.min(value, w.actions);
  return p;
}

function section(title, ...children) {
  return el('section', {}, el('h2', {}, title), ...children);
}

function table(id, columns, rows) {
  return el('table', id ? { id } : {}, el('thead', {}, el('tr', {}, ...columns.map(h => el('th', {}, h)))),
    el('tbody', {}, ...rows));
}

function facts(pairs) {
  return el('dl', { class: 'facts' }, ...pairs.filter(p => p[1] !== null && p[1] !== undefined && p[1] !== '')
    .flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

// ---- the fleet, followed live --------------------------------------------------------------------

const STAGES = { WAITING: 'waiting', DHCP: 'DHCP', OS: 'in-memory OS', ACTION: 'action', DONE: 'done', FAILED: 'failed', IDLE: '' };

function stageText(m) {
  if (m.stage === 'ACTION' && m.workflow) return m.workflow.action || 'action';
  return m.stage in STAGES ? STAGES[m.stage] : m.stage;
}

/**
 * The fleet's summaries, kept current by the feed: the stream is opened first and the list read
 * once it says ready, so that no change falls between the two.
 */
async function watchFleet(onAll, onMachine, onRemoved, errorBox, only) {
  let loaded = false;
  let ready;
  const isReady = new Promise(resolve => { ready = resolve; });
  const load = async () => {
    loaded = false;
    const items = only ? [await api('GET', '/fleet/machines/' + encodeURIComponent(only))] : (await api('GET', '/fleet/machines')).items;
    loaded = true;
    onAll(items);
  };
  keepFollowing(() => '/fleet/stream' + (only ? '?machine=' + encodeURIComponent(only) : ''), async (type, data) => {
    if (type === 'ready') ready();
    else if (!loaded) return;
    else if (type === 'machine') onMachine(data);
    else if (type === 'removed') onRemoved(data.hardwareId);
    else if (type === 'reload') await load();
  }, load, errorBox);
  await Promise.race([isReady, new Promise(resolve => setTimeout(resolve, 3000))]);
  await load();
}

/** Calls fn at most once per animation frame, however often it is asked. */
function batched(fn) {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; fn(); });
  };
}

/** Calls fn at most once per ms milliseconds (and once after the last ask), for redraws of whole views. */
function throttled(fn, ms) {
  let timer = null;
  let last = 0;
  return () => {
    if (timer) return;
    const wait = Math.max(0, last + ms - Date.now());
    timer = setTimeout(() => { timer = null; last = Date.now(); requestAnimationFrame(fn); }, wait);
  };
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

/**
 * The machines page: every machine in one list, of which only the rows in view (and a margin) are
 * in the document, so that 10,000 machines cost a few dozen rows to draw, and a live update of a
 * machine out of view changes only its data.
 */
async function machinesPage() {
  const COLUMNS = ['Name', 'MAC', 'Address', 'Power', 'Discovery', 'Workflow', 'State', 'Action', 'Progress', 'Last seen'];
  const MARGIN = 15;
  const filter = el('input', { type: 'search', id: 'filter', placeholder: 'Filter by name, MAC, address, template, action' });
  const stageFilter = el('select', { id: 'stage-filter' }, el('option', { value: '' }, 'every stage'),
    ...Object.keys(STAGES).map(s => el('option', { value: s }, s === 'IDLE' ? 'no workflow' : STAGES[s])));
  const body = el('tbody', { id: 'machines' });
  const count = el('span', { class: 'muted', id: 'machine-count' });
  const error = el('div', { class: 'error', id: 'page-error' });
  const cols = () => el('colgroup', {}, ...COLUMNS.map((_, i) => el('col', { class: 'c' + i })));
  const inner = el('div', {}, el('table', { class: 'fixed' }, cols(), body));
  const scroller = el('div', { class: 'scroller', id: 'machines-scroll' }, inner);
  main().replaceChildren(el('h1', {}, 'Machines'), el('div', { class: 'toolbar' }, filter, stageFilter, count), error,
    el('table', { class: 'fixed head' }, cols(), el('thead', {}, el('tr', {}, ...COLUMNS.map(h => el('th', {}, h))))), scroller);

  const machines = new Map();  // hardware id -> summary
  let order = [];              // hardware ids, in the server's order
  let visible = [];            // the summaries the filters let through, in order
  const drawn = new Map();     // hardware id -> its row, for rows drawn once
  let rowHeight = 33;

  function searchText(m) {
    const w = m.workflow;
    return [m.name, m.mac, m.address, m.hardwareId, w ? w.template : '', w ? w.state : '', w ? w.action : '', m.power, m.discovery]
      .join(' ').toLowerCase();
  }

  function fill(tr, m) {
    const w = m.workflow;
    const cells = tr.children;
    cells[0].replaceChildren(el('a', { href: '#/machines/' + encodeURIComponent(m.hardwareId) }, m.name));
    cells[1].textContent = m.mac || '';
    cells[2].textContent = m.address || '';
    cells[3].replaceChildren(m.power ? el('span', { class: 'power power-' + m.power }, m.power) : '');
    cells[4].textContent = m.discovery ? m.discovery.toLowerCase() : '';
    cells[5].replaceChildren(w ? el('a', { href: '#/workflows/' + encodeURIComponent(w.id) }, w.template || w.id) : '');
    cells[6].replaceChildren(w ? stateCell(w.state) : el('span', { class: 'muted' }, 'none'));
    cells[7].textContent = m.stage === 'ACTION' || m.stage === 'FAILED' ? ((w && w.action) || '') : stageText(m);
    cells[8].replaceChildren(progressOf(w) || '');
    cells[9].textContent = ago(m.lastSeen);
    tr.dataset.stage = m.stage;
    tr.summary = m;
  }

  function rowOf(m) {
    let tr = drawn.get(m.hardwareId);
    if (!tr) {
      tr = el('tr', { 'data-machine': m.hardwareId });
      for (let i = 0; i < COLUMNS.length; i++) tr.append(document.createElement('td'));
      tr.firstChild.className = 'name';
      drawn.set(m.hardwareId, tr);
    }
    if (tr.summary !== m) fill(tr, m);
    return tr;
  }

  function shown(m) {
    const q = filter.value.trim().toLowerCase();
    if (m.search === undefined) m.search = searchText(m);
    return (q === '' || m.search.includes(q)) && (stageFilter.value === '' || m.stage === stageFilter.value);
  }

  const draw = batched(() => {
    const top = scroller.scrollTop;
    const height = scroller.clientHeight || 800;
    const first = Math.max(0, Math.floor(top / rowHeight) - MARGIN);
    const last = Math.min(visible.length, Math.ceil((top + height) / rowHeight) + MARGIN);
    inner.style.paddingTop = (first * rowHeight) + 'px';
    inner.style.paddingBottom = ((visible.length - last) * rowHeight) + 'px';
    const rows = [];
    for (let i = first; i < last; i++) rows.push(rowOf(visible[i]));
    body.replaceChildren(...rows);
    if (rows.length) {
      const h = rows[0].getBoundingClientRect().height;
      if (h > 0 && Math.abs(h - rowHeight) > 0.5) {
        rowHeight = h;
        draw();
      }
    }
    count.textContent = visible.length + ' of ' + machines.size + ' machines';
  });

  const refilter = batched(() => {
    visible = order.map(id => machines.get(id)).filter(shown);
    draw();
  });

  filter.addEventListener('input', () => { scroller.scrollTop = 0; refilter(); });
  stageFilter.addEventListener('change', () => { scroller.scrollTop = 0; refilter(); });
  scroller.addEventListener('scroll', draw);
  await watchFleet(items => {
    machines.clear();
    drawn.clear();
    for (const m of items) machines.set(m.hardwareId, m);
    order = items.map(m => m.hardwareId);
    refilter();
  }, m => {
    const before = machines.get(m.hardwareId);
    machines.set(m.hardwareId, m);
    if (!before) order.push(m.hardwareId);
    if (!before || shown(before) !== shown(m)) {
      refilter();
    } else {
      const i = visible.indexOf(before);
      if (i >= 0) visible[i] = m;
      const tr = drawn.get(m.hardwareId);
      if (tr && tr.isConnected) fill(tr, m);
    }
  }, id => {
    if (machines.delete(id)) {
      order = order.filter(x => x !== id);
      drawn.delete(id);
      refilter();
    }
  }, error);
  // "last seen" ages while the page is open
  const timer = setInterval(() => {
    for (const tr of body.children) if (tr.summary) tr.children[9].textContent = ago(tr.summary.lastSeen);
  }, 10000);
  leaving.push(() => clearInterval(timer));
}

// ---- one machine ---------------------------------------------------------------------------------

async function machinePage(key) {
  const hw = await api('GET', '/hardware/' + encodeURIComponent(key));
  const id = hw.id;
  const error = el('div', { class: 'error', id: 'page-error' });
  const head = el('div', { class: 'toolbar', id: 'machine-head' });
  const workflows = el('div', { id: 'machine-workflows' });
  const events = el('div', { id: 'machine-events' });
  const log = el('pre', { class: 'log', id: 'machine-log' });
  const nics = (hw.network && hw.network.interfaces) || [];
  const first = nics.length ? (nics[0].dhcp || {}) : {};
  const name = first.hostname || (hw.metadata && hw.metadata.instance && hw.metadata.instance.hostname) || id;

  const record = section('Record', facts([
    ['Id', id], ['Host name', name],
    ['Interfaces', nics.map(i => [(i.dhcp || {}).mac, (i.dhcp && i.dhcp.ip) ? i.dhcp.ip.address : null].filter(Boolean).join(' ')).join(', ')],
    ['Network boot', nics.map(i => 'PXE ' + ((i.netboot || {}).allow_pxe ? 'allowed' : 'off') + ', workflows '
      + ((i.netboot || {}).allow_workflow ? 'allowed' : 'off')).join('; ')],
    ['BMC', hw.bmc ? (hw.bmc.machine + ' (' + (hw.bmc.driver || '') + '), power ' + hw.bmc.powerState) : null],
    ['Discovery', hw.discovery ? (hw.discovery.state.toLowerCase() + (hw.discovery.rule ? ' by rule ' + hw.discovery.rule : '')
      + ', discovered ' + when(hw.discovery.discoveredAt)) : null],
  ]), el('details', {}, el('summary', {}, 'The record as JSON'), el('pre', { id: 'machine-json' }, JSON.stringify(hw, null, 2))));

  main().replaceChildren(el('h1', {}, 'Machine ', name), head, error, record, inventorySection(hw.inventory),
    section('Workflows', workflows), section('Events', events), section('Log (live)', log));

  function showHead(m) {
    head.replaceChildren(...[
      el('span', {}, 'Stage: ', el('strong', { id: 'machine-stage' }, m ? (stageText(m) || 'no workflow') : '')),
      m && m.power ? el('span', {}, 'Power: ', el('strong', { class: 'power power-' + m.power, id: 'machine-power' }, m.power)) : null,
      m && m.lastSeen ? el('span', { class: 'muted' }, 'last seen ', ago(m.lastSeen)) : null].filter(Boolean));
  }

  async function showWorkflows() {
    const items = (await api('GET', '/fleet/machines/' + encodeURIComponent(id) + '/workflows?limit=20')).items;
    workflows.replaceChildren(items.length ? table(null, ['Workflow', 'Template', 'State', 'Action', 'Progress', 'Created'], items.map(w =>
      el('tr', {}, el('td', {}, el('a', { href: '#/workflows/' + encodeURIComponent(w.id) }, w.id)), el('td', {}, w.template || ''),
        el('td', {}, stateCell(w.state)), el('td', {}, w.action || ''), el('td', {}, progressOf(w)), el('td', {}, when(w.createdAt)))))
      : el('p', { class: 'muted' }, 'No workflow has run on this machine.'));
    const newest = items[0];
    const [wfEvents, discovery] = await Promise.all([
      newest ? api('GET', '/workflows/' + encodeURIComponent(newest.id) + '/events?limit=200') : { items: [] },
      api('GET', '/discovery/events?machine=' + encodeURIComponent(id) + '&limit=50').catch(() => ({ items: [] }))]);
    const merged = wfEvents.items.map(e => ({ at: e.at, source: 'workflow ' + e.workflowId, what: [e.action, e.state].filter(Boolean).join(' '),
      message: e.message || '' }))
      .concat(discovery.items.map(e => ({ at: e.at, source: 'discovery', what: e.kind + (e.rule ? ' (' + e.rule + ')' : ''),
        message: e.message || '' })))
      .sort((a, b) => new Date(b.at) - new Date(a.at));
    events.replaceChildren(merged.length ? table('events', ['When', 'Source', 'What', 'Message'], merged.map(e =>
      el('tr', {}, el('td', {}, when(e.at)), el('td', {}, e.source), el('td', {}, e.what), el('td', {}, e.message))))
      : el('p', { class: 'muted' }, 'No events.'));
  }

  showHead(null);
  await showWorkflows();
  let newestWorkflow = null;
  const refresh = batched(() => showWorkflows().catch(e => { error.textContent = e.message; }));
  background(watchFleet(items => {
    const m = items.find(x => x.hardwareId === id);
    showHead(m);
    newestWorkflow = m && m.workflow ? JSON.stringify(m.workflow) : null;
  }, m => {
    if (m.hardwareId !== id) return;
    showHead(m);
    const now = m.workflow ? JSON.stringify(m.workflow) : null;
    if (now !== newestWorkflow) {
      newestWorkflow = now;
      refresh();
    }
  }, () => {}, error, id), error);
  const lines = [];
  let lastLine = -1;
  keepFollowing(() => '/machines/' + encodeURIComponent(id) + '/logs/stream' + (lastLine >= 0 ? '?after=' + lastLine : ''), (type, l) => {
    if (type !== 'line') return;
    lastLine = l.sequence;
    lines.push(when(l.at) + '  ' + (l.source || '') + (l.unauthenticated ? ' (unauthenticated)' : '') + '  ' + l.text);
    if (lines.length > 1000) lines.splice(0, lines.length - 1000);
    log.textContent = lines.join('\n');
    log.scrollTop = log.scrollHeight;
  }, null, error);
}

function inventorySection(inv) {
  if (!inv || !inv.inventory) return section('Inventory', el('p', { class: 'muted' }, 'Not reported: the machine has not run the in-memory OS.'));
  const i = inv.inventory;
  const sys = i.system || {};
  const cpu = i.cpu || {};
  return section('Inventory', facts([
    ['System', [sys.vendor, sys.product, sys.version].filter(Boolean).join(' ')], ['Serial', sys.serial], ['UUID', sys.uuid],
    ['Firmware', i.firmware ? [i.firmware.mode, i.firmware.vendor, i.firmware.version].filter(Boolean).join(' ')
      + (i.firmware.secureBoot ? ', Secure Boot on' : '') : null],
    ['CPU', [cpu.model, cpu.sockets ? cpu.sockets + ' socket(s)' : null, cpu.cores ? cpu.cores + ' cores' : null,
      cpu.threads ? cpu.threads + ' threads' : null].filter(Boolean).join(', ')],
    ['Memory', i.memory ? bytes(i.memory.totalBytes) : null], ['Reported', when(inv.collectedAt)],
  ]), (i.disks || []).length ? table('disks', ['Disk', 'Size', 'Model', 'Serial', 'Bus', 'Kind'], i.disks.map(d => el('tr', {},
    el('td', {}, d.name), el('td', {}, bytes(d.sizeBytes)), el('td', {}, d.model || ''), el('td', {}, d.serial || ''), el('td', {}, d.bus || ''),
    el('td', {}, d.rotational === false ? 'SSD' : d.rotational ? 'rotational' : '')))) : null,
  (i.nics || []).length ? table('nics', ['NIC', 'MAC', 'Driver', 'Speed', 'Link'], i.nics.map(n => el('tr', {},
    el('td', {}, n.name), el('td', {}, n.mac || ''), el('td', {}, n.driver || ''), el('td', {}, n.speedMbps ? n.speedMbps + ' Mb/s' : ''),
    el('td', {}, n.link === undefined || n.link === null ? '' : n.link ? 'up' : 'down')))) : null);
}

// ---- rollout -------------------------------------------------------------------------------------

async function rolloutPage() {
  const select = el('select', { id: 'rollout-template' }, el('option', { value: '' }, 'every template'));
  const summary = el('div', { class: 'muted', id: 'rollout-summary' });
  const tiles = el('div', { class: 'tiles', id: 'rollout-stages' });
  const list = el('tbody', { id: 'rollout-machines' });
  const error = el('div', { class: 'error', id: 'page-error' });
  main().replaceChildren(el('h1', {}, 'Rollout'), el('div', { class: 'toolbar' }, el('label', { for: 'rollout-template' }, 'Template'), select,
    summary), error, tiles, el('h2', {}, 'Machines, failures first'),
  el('table', {}, el('thead', {}, el('tr', {}, ...['Name', 'Stage', 'Action', 'Progress', 'Power', 'Message', 'Since']
    .map(h => el('th', {}, h)))), list));
  const machines = new Map();
  const ORDER = { FAILED: 0, ACTION: 1, OS: 2, DHCP: 3, WAITING: 4, DONE: 5 };

  // a rollout of thousands redraws its counts and list at most four times a second
  const render = throttled(() => {
    const template = select.value;
    const known = new Set([...select.options].map(o => o.value));
    const inRollout = [];
    for (const m of machines.values()) {
      if (!m.workflow || m.stage === 'IDLE') continue;
      if (!known.has(m.workflow.template)) {
        select.append(el('option', { value: m.workflow.template }, m.workflow.template));
        known.add(m.workflow.template);
      }
      if (template === '' || m.workflow.template === template) inRollout.push(m);
    }
    // the boot flow's steps in order: waiting, DHCP, in-memory OS, each action by its place, done, failed
    const counts = new Map([['WAITING', 0], ['DHCP', 0], ['OS', 0]]);
    const actions = new Map();
    for (const m of inRollout) {
      if (m.stage === 'ACTION') {
        const key = 'ACTION:' + m.workflow.actionIndex + ':' + m.workflow.action;
        actions.set(key, (actions.get(key) || 0) + 1);
      } else {
        counts.set(m.stage, (counts.get(m.stage) || 0) + 1);
      }
    }
    const steps = [['WAITING', 'waiting'], ['DHCP', 'DHCP'], ['OS', 'in-memory OS']]
      .concat([...actions.keys()].sort((a, b) => Number(a.split(':')[1]) - Number(b.split(':')[1]) || a.localeCompare(b))
        .map(k => [k, k.split(':').slice(2).join(':')]))
      .concat([['DONE', 'done'], ['FAILED', 'failed']]);
    const total = inRollout.length;
    tiles.replaceChildren(...steps.map(([key, label]) => {
      const n = key.startsWith('ACTION:') ? actions.get(key) : (counts.get(key) || 0);
      const bar = el('progress', { max: Math.max(1, total) });
      bar.value = n;
      return el('div', { class: 'tile' + (key === 'FAILED' && n ? ' tile-failed' : '') + (key === 'DONE' ? ' tile-done' : ''),
        'data-stage': key.startsWith('ACTION:') ? 'ACTION' : key, 'data-label': label },
      el('div', { class: 'tile-count' }, n), el('div', { class: 'tile-label' }, label), bar);
    }));
    const failed = counts.get('FAILED') || 0;
    const done = counts.get('DONE') || 0;
    summary.textContent = total + ' machines: ' + done + ' done, ' + failed + ' failed, ' + (total - done - failed) + ' in progress';
    inRollout.sort((a, b) => (ORDER[a.stage] - ORDER[b.stage]) || a.name.localeCompare(b.name));
    const shown = inRollout.slice(0, 500);
    list.replaceChildren(...shown.map(m => el('tr', { 'data-machine': m.hardwareId, 'data-stage': m.stage },
      el('td', {}, el('a', { href: '#/machines/' + encodeURIComponent(m.hardwareId) }, m.name)),
      el('td', {}, m.stage === 'FAILED' ? stateCell(m.workflow.state) : stageText(m)), el('td', {}, m.workflow.action || ''),
      el('td', {}, progressOf(m.workflow)), el('td', {}, m.power || ''), el('td', {}, m.stage === 'FAILED' ? (m.workflow.message || '') : ''),
      el('td', {}, ago(m.workflow.updatedAt)))));
    if (inRollout.length > shown.length) {
      list.append(el('tr', {}, el('td', { colspan: 7, class: 'muted' }, (inRollout.length - shown.length) + ' more: filter the machines page')));
    }
  }, 250);
  select.addEventListener('change', render);
  await watchFleet(items => {
    machines.clear();
    for (const m of items) machines.set(m.hardwareId, m);
    render();
  }, m => {
    machines.set(m.hardwareId, m);
    render();
  }, id => {
    machines.delete(id);
    render();
  }, error);
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
    } }, 'Cancel'), el('button', { id: 'retry', type: 'button', onclick: async () => {
      try {
        const again = await api('POST', '/workflows/' + encodeURIComponent(id) + '/retry');
        location.hash = '#/workflows/' + encodeURIComponent(again.id);
      } catch (e) {
        error.textContent = 'Retry refused: ' + e.message;
      }
    } }, 'Retry'));
  }
  main().replaceChildren(title, toolbar, error, el('table', {}, el('thead', {}, el('tr', {},
    ...['#', 'Task', 'Action', 'Worker', 'State', 'Attempts', 'Started', 'Finished', 'Took', 'Progress', 'Message'].map(h => el('th', {}, h)))), body));

  async function render() {
    const w = await api('GET', '/workflows/' + encodeURIComponent(id));
    state.replaceChildren('State: ', stateCell(w.state), el('span', { class: 'muted' }, '  template ', w.templateId));
    const cancel = document.getElementById('cancel');
    if (cancel) cancel.hidden = TERMINAL.includes(w.state);
    const retry = document.getElementById('retry');
    if (retry) retry.hidden = !TERMINAL.includes(w.state) || w.state === 'SUCCESS';
    body.replaceChildren(...(w.actions || []).map((a, i) => {
      const bar = el('progress', { max: 1 });
      const p = a.progress;
      bar.value = a.state === 'SUCCESS' ? 1 : (p && p.total ? p.done / p.total : 0);
      const took = a.startedAt && a.finishedAt ? ((new Date(a.finishedAt) - new Date(a.startedAt)) / 1000).toFixed(1) + ' s' : '';
      return el('tr', { 'data-action': a.name }, el('td', {}, i), el('td', {}, a.task), el('td', {}, a.name), el('td', {}, a.worker),
        el('td', {}, stateCell(a.state)), el('td', {}, a.attempts), el('td', {}, when(a.startedAt)), el('td', {}, when(a.finishedAt)),
        el('td', {}, took), el('td', {}, bar), el('td', {}, a.message || ''));
    }));
    return w;
  }

  const w = await render();
  if (TERMINAL.includes(w.state)) return;
  // each event of the workflow's stream (Server-Sent Events) redraws it
  const redraw = batched(() => render().catch(e => { error.textContent = e.message; }));
  keepFollowing(() => '/workflows/' + encodeURIComponent(id) + '/events/stream', () => redraw(), redraw, error,
    async () => TERMINAL.includes((await render()).state));
  // progress is not a workflow event: the fleet feed brings it, for this workflow's machine only
  keepFollowing(() => '/fleet/stream?workflow=' + encodeURIComponent(id), type => { if (type === 'machine') redraw(); }, redraw, error);
}

// ---- templates -----------------------------------------------------------------------------------

async function templatesPage() {
  const templates = await all('/templates');
  main().replaceChildren(el('h1', {}, 'Templates'), table('templates', ['Template', 'Revision', 'Updated'], templates.map(t => el('tr', {},
    el('td', {}, el('a', { href: '#/templates/' + encodeURIComponent(t.name) }, t.name)), el('td', {}, t.revision),
    el('td', {}, when(t.updatedAt))))));
}

/** Lines of a and b as a diff: [kind, line of a, line of b, text], kind ' ', '-' or '+' (longest common subsequence). */
function diffLines(a, b) {
  const n = a.length;
  const m = b.length;
  if (n * m > 4000000) return [['!', null, null, 'too long to compare here (' + n + ' and ' + m + ' lines)']];
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) { out.push([' ', i + 1, j + 1, a[i]]); i++; j++; }
    else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) { out.push(['-', i + 1, null, a[i]]); i++; }
    else { out.push(['+', null, j + 1, b[j]]); j++; }
  }
  return out;
}

function numbered(lines, errorLine) {
  return el('pre', { class: 'code', id: 'draft-lines' }, ...lines.map((text, i) => el('div', {
    class: 'code-line' + (i + 1 === errorLine ? ' code-error' : ''), 'data-line': i + 1 },
  el('span', { class: 'ln' }, i + 1), text)));
}

async function templatePage(name) {
  const current = await api('GET', '/templates/' + encodeURIComponent(name));
  const revisions = Array.from({ length: current.revision }, (_, i) => i + 1);
  const from = el('select', { id: 'diff-from' }, ...revisions.map(r => el('option', { value: r }, 'revision ' + r)));
  const to = el('select', { id: 'diff-to' }, ...revisions.map(r => el('option', { value: r }, 'revision ' + r)));
  from.value = String(Math.max(1, current.revision - 1));
  to.value = String(current.revision);
  const diff = el('div', { id: 'diff' });
  const draft = el('textarea', { id: 'draft', rows: 18, spellcheck: 'false' });
  draft.value = current.data;
  const verdict = el('div', { id: 'draft-verdict' });
  const marked = el('div', { id: 'draft-marked' });
  const check = el('button', { type: 'button', id: 'check-draft', onclick: async () => {
    marked.replaceChildren();
    try {
      await api('POST', '/templates?dryRun=true&name=' + encodeURIComponent(name), draft.value, 'application/yaml');
      verdict.className = 'ok';
      verdict.textContent = 'Valid: it would be saved as revision ' + (current.revision + 1) + '.';
    } catch (e) {
      verdict.className = 'error';
      verdict.textContent = e.message;
      const m = /line (\d+)/.exec(e.message);
      if (m) {
        const pre = numbered(draft.value.split('\n'), Number(m[1]));
        marked.replaceChildren(pre);
        const bad = pre.querySelector('.code-error');
        if (bad) bad.scrollIntoView({ block: 'center' });
      }
    }
  } }, 'Check');
  main().replaceChildren(el('h1', {}, 'Template ', name), facts([['Revision', current.revision], ['Updated', when(current.updatedAt)]]),
    section('Revisions', el('div', { class: 'toolbar' }, 'Compare', from, 'with', to), diff),
    section('Check a change', el('p', { class: 'muted' }, 'Checked by the server as it would be saved; nothing is saved.'), draft,
      el('div', { class: 'toolbar' }, check), verdict, marked));

  async function showDiff() {
    const [a, b] = await Promise.all([from.value, to.value].map(r =>
      api('GET', '/templates/' + encodeURIComponent(name) + '?revision=' + r)));
    const lines = diffLines(a.data.split('\n'), b.data.split('\n'));
    const changed = lines.filter(l => l[0] === '+' || l[0] === '-').length;
    diff.replaceChildren(el('div', { class: 'muted', id: 'diff-summary' }, changed ? changed + ' lines changed' : 'the same text'),
      el('pre', { class: 'code diff' }, ...lines.map(([kind, la, lb, text]) => el('div', {
        class: 'code-line' + (kind === '+' ? ' added' : kind === '-' ? ' removed' : ''), 'data-kind': kind },
      el('span', { class: 'ln' }, la || ''), el('span', { class: 'ln' }, lb || ''), el('span', { class: 'mark' }, kind), text))));
  }
  from.addEventListener('change', showDiff);
  to.addEventListener('change', showDiff);
  await showDiff();
}

// ---- routing -------------------------------------------------------------------------------------

async function route() {
  for (const stop of leaving) stop();
  leaving = [];
  const hash = location.hash || '#/machines';
  if (!sessionStorage.getItem(TOKEN) || hash === '#/signin') {
    signInPage();
    return;
  }
  try {
    if (!who) who = await api('GET', '/whoami');
    document.getElementById('nav').hidden = false;
    document.getElementById('who').textContent = who.name + ' (' + who.role + ')';
    let m;
    if ((m = hash.match(/^#\/workflows\/(.+)$/))) await workflowPage(decodeURIComponent(m[1]));
    else if ((m = hash.match(/^#\/machines\/(.+)$/))) await machinePage(decodeURIComponent(m[1]));
    else if ((m = hash.match(/^#\/templates\/(.+)$/))) await templatePage(decodeURIComponent(m[1]));
    else if (hash === '#/workflows') await workflowsPage();
    else if (hash === '#/templates') await templatesPage();
    else if (hash === '#/rollout') await rolloutPage();
    else await machinesPage();
  } catch (e) {
    if (sessionStorage.getItem(TOKEN) && e.name !== 'AbortError') {
      main().replaceChildren(el('div', { class: 'error', id: 'page-error' }, e.message));
    }
  }
}

window.addEventListener('hashchange', route);
document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('signout').addEventListener('click', signOut);
  route();
});
