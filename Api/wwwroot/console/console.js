// FaceOrleans console: a thin page over the JSON API. No build step, no third-party code.
// The API key lives in sessionStorage only (this tab), and goes to this server only, in X-Api-Key.
'use strict';

const $ = (selector, root = document) => root.querySelector(selector);
const keyStore = window.sessionStorage;
const subjectsPerPage = 10;
let subjectsPage = 1;

class ApiError extends Error {
  constructor(status, body) {
    super(typeof body === 'object' && body ? body.detail || body.title : String(body || ''));
    this.status = status;
    this.body = body;
  }
}

function connection() {
  return { tenant: $('#tenant').value.trim(), key: $('#api-key').value.trim() };
}

/** Calls the API; a problem body (RFC 7807) or any other failure becomes an ApiError. */
async function api(method, path, body) {
  const { key } = connection();
  const headers = { 'X-Api-Key': key };
  if (body !== undefined && !(body instanceof FormData)) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body });
  const type = response.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await response.json() : await response.text();
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    error.retryAfter = response.headers.get('Retry-After');
    throw error;
  }
  return data;
}

/** The named fields of a form as the API's multipart routes take them; optional ones left empty are left out. */
function multipart(form, names) {
  const body = new FormData();
  for (const name of names) {
    const value = form.get(name);
    if (value !== null && value !== '') body.append(name, value);
  }
  return body;
}

function tenantPath(suffix = '') {
  return `/v1/${encodeURIComponent(connection().tenant)}${suffix}`;
}

function showProblem(error) {
  const box = $('#problem');
  box.replaceChildren();
  const body = error.body && typeof error.body === 'object' ? error.body : {};
  const heading = document.createElement('strong');
  heading.textContent = error.status ? `${error.status} ${body.title || 'Error'}` : 'Request failed';
  const detail = document.createElement('p');
  detail.textContent = body.detail || error.message || 'The server did not answer.';
  box.append(heading, detail);
  const facts = [];
  if (body.type) facts.push(['problem', body.type.split('/').pop()]);
  for (const name of ['field', 'image', 'slice']) if (body[name] !== undefined) facts.push([name, body[name]]);
  if (error.retryAfter) facts.push(['retry after', `${error.retryAfter} s`]);
  if (body.request_id) facts.push(['request id', body.request_id]);
  if (facts.length) {
    const list = document.createElement('p');
    list.className = 'facts';
    list.textContent = facts.map(([name, value]) => `${name}: ${value}`).join(' · ');
    box.append(list);
  }
  box.hidden = false;
}

function clearProblem() {
  $('#problem').hidden = true;
}

/** Runs a form's action with its button disabled; its previous result is hidden, errors are shown, not thrown. */
function onSubmit(form, result, action) {
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const button = $('button[type=submit]', form);
    button.disabled = true;
    form.classList.add('busy');
    result.hidden = true;
    clearProblem();
    try {
      await action(new FormData(form));
    } catch (error) {
      showProblem(error);
    } finally {
      button.disabled = false;
      form.classList.remove('busy');
    }
  });
}

/** The face compare uses: the largest box, then the higher score (the service's own rule). */
function mostProminent(faces) {
  let best = -1;
  faces.forEach((face, i) => {
    const area = face.box.width * face.box.height;
    const bestArea = best < 0 ? -1 : faces[best].box.width * faces[best].box.height;
    if (area > bestArea || (area === bestArea && face.score > faces[best].score)) best = i;
  });
  return best;
}

function svg(name, attributes) {
  const element = document.createElementNS('http://www.w3.org/2000/svg', name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  return element;
}

/**
 * Shows the uploaded file with every face's box and landmarks drawn over it. Photo and drawing share one SVG whose
 * coordinates are the image's own pixels (the API's), so they stay aligned at any displayed size.
 */
async function drawFaces(figure, file, faces, { highlight = () => '', labels = [] } = {}) {
  const url = URL.createObjectURL(file);
  const probe = new Image();
  probe.src = url;
  await probe.decode();
  const width = probe.naturalWidth;
  const height = probe.naturalHeight;
  const stroke = Math.max(2, Math.max(width, height) / 250);
  const picture = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${file.name} with ${faces.length} faces marked` });
  picture.style.setProperty('--width', `${width}px`);
  picture.style.setProperty('--aspect', width / height);
  picture.append(svg('image', { href: url, x: 0, y: 0, width, height }));
  faces.forEach((face, i) => {
    const highlighted = highlight(i);
    const group = svg('g', { class: highlighted ? `face ${highlighted}` : 'face', 'data-index': i });
    const { left, top, width: w, height: h } = face.box;
    group.append(svg('rect', { x: left, y: top, width: w, height: h, 'stroke-width': highlighted ? stroke * 2 : stroke }));
    for (const [x, y] of Object.values(face.landmarks)) {
      group.append(svg('circle', { cx: x, cy: y, r: stroke * 1.5, class: 'landmark' }));
    }
    const label = svg('text', { x: left, y: Math.max(top - stroke * 2, stroke * 7), 'font-size': stroke * 7 });
    label.textContent = labels[i] ?? `#${i + 1} ${face.score.toFixed(3)}`;
    group.append(label);
    picture.append(group);
  });
  const caption = document.createElement('figcaption');
  caption.textContent = `${file.name} · ${width}×${height} · ${faces.length} face${faces.length === 1 ? '' : 's'}`;
  figure.replaceChildren(picture, caption);
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const cell of cells) {
    const td = document.createElement('td');
    td.textContent = cell;
    tr.append(td);
  }
  return tr;
}

// --- connection and tenant state ---

async function loadTenant() {
  showTenant(await api('GET', tenantPath()));
}

function showTenant(state) {
  const where = $('#where');
  where.textContent = `Tenant ${state.tenant} runs on slice ${state.slice.slice_id} (${state.slice.device}) on silo ${state.slice.silo}` +
    (state.slice.is_standby ? ', its standby slice' : '');
  where.hidden = false;
  const facts = [
    ['tenant', state.tenant],
    ['display name', state.config.display_name ?? '—'],
    ['similarity threshold', state.config.similarity_threshold ?? 'default'],
    ['detection threshold', state.config.det_threshold ?? 'default'],
    ['max image pixels', state.config.max_image_pixels ?? 'default'],
    ['stores enrollment photos', state.config.store_enrollment_photos ? 'yes' : 'no'],
    ['slice', state.slice.slice_id],
    ['device', state.slice.device],
    ['silo', state.slice.silo],
    ['on standby slice', state.slice.is_standby ? 'yes' : 'no'],
    ['requests', Object.entries(state.requests).map(([op, n]) => `${op} ${n}`).join(', ') || 'none'],
    ['faces detected', state.faces_detected],
    ['errors', state.errors],
    ['latency (ms)', state.latency.count ? `mean ${state.latency.mean_milliseconds.toFixed(1)}, p50 ${state.latency.p50_milliseconds.toFixed(1)}, p95 ${state.latency.p95_milliseconds.toFixed(1)}` : '—'],
    ['last activity', state.last_activity ?? '—'],
  ];
  const list = $('#tenant-state');
  list.replaceChildren();
  for (const [name, value] of facts) {
    const dt = document.createElement('dt');
    dt.textContent = name;
    const dd = document.createElement('dd');
    dd.textContent = value;
    dd.dataset.fact = name;
    list.append(dt, dd);
  }
}

let connecting = 0;

async function connect() {
  const attempt = ++connecting;
  clearProblem();
  subjectsPage = 1;
  const { tenant, key } = connection();
  try {
    const state = await api('GET', tenantPath());
    if (attempt !== connecting) return;
    showTenant(state);
    // Only a key the server accepted is kept, and only for this tab.
    keyStore.setItem('faceorleans.key', key);
    keyStore.setItem('faceorleans.tenant', tenant);
  } catch (error) {
    if (attempt !== connecting) return;
    $('#where').hidden = true;
    showProblem(error);
  }
}

// --- views ---

function showView(name) {
  for (const tab of document.querySelectorAll('#tabs button')) tab.classList.toggle('active', tab.dataset.view === name);
  for (const view of document.querySelectorAll('.view')) view.hidden = view.id !== `view-${name}`;
  if (name === 'gallery') loadSubjects().catch(showProblem);
  if (name === 'tenant') loadTenant().catch(showProblem);
}

async function compare(form) {
  const result = await api('POST', tenantPath('/compare'), multipart(form, ['image1', 'image2', 'threshold']));
  const similarity = $('#compare-similarity');
  similarity.textContent = result.similarity.toFixed(3);
  similarity.dataset.value = result.similarity;
  const verdict = $('#compare-verdict');
  verdict.textContent = result.is_same_person ? 'same person' : 'different people';
  verdict.className = result.is_same_person ? 'badge same' : 'badge different';
  $('#compare-threshold').textContent = result.threshold.toFixed(3);
  $('#compare-timing').textContent = result.timing_ms.toFixed(0);
  $('#compare-slice').textContent = result.slice;
  $('#compare-message').textContent = result.message;
  for (const field of ['image1', 'image2']) {
    const chosen = mostProminent(result.faces[field]);
    await drawFaces($(`#compare-${field}`), form.get(field), result.faces[field], { highlight: i => (i === chosen ? 'chosen' : '') });
  }
  $('#compare-result').hidden = false;
}

async function detect(form) {
  const result = await api('POST', tenantPath('/detect'), multipart(form, ['image', 'det_threshold']));
  $('#detect-count').textContent = result.count;
  $('#detect-timing').textContent = result.timing_ms.toFixed(0);
  $('#detect-slice').textContent = result.slice;
  await drawFaces($('#detect-image'), form.get('image'), result.faces);
  $('#detect-faces tbody').replaceChildren(...result.faces.map((face, i) =>
    row([`#${i + 1}`, face.score.toFixed(3), face.box.left.toFixed(0), face.box.top.toFixed(0), face.box.width.toFixed(0), face.box.height.toFixed(0)])));
  $('#detect-result').hidden = false;
}

async function loadSubjects() {
  const page = await api('GET', tenantPath(`/subjects?page=${subjectsPage}&size=${subjectsPerPage}`));
  const pages = Math.max(1, Math.ceil(page.total / page.size));
  $('#subjects tbody').replaceChildren(...page.items.map(s =>
    row([s.id, s.display_name ?? '', s.face_count, new Date(s.created_utc).toLocaleString()])));
  $('#subjects-total').textContent = `(${page.total})`;
  $('#subjects-page').textContent = `page ${page.page} of ${pages}`;
  $('#subjects-prev').disabled = page.page <= 1;
  $('#subjects-next').disabled = page.page >= pages;
}

async function enroll(form) {
  const subject = form.get('subject').trim();
  try {
    await api('POST', tenantPath('/subjects'), { id: subject, display_name: form.get('display_name') || null });
  } catch (error) {
    // Enrolling another photo of an existing subject is the usual case.
    if (!(error instanceof ApiError && error.body?.type?.endsWith('/subject-exists'))) throw error;
  }
  const result = await api('POST', tenantPath(`/subjects/${encodeURIComponent(subject)}/faces`), multipart(form, ['image', 'largest']));
  const message = $('#enroll-result');
  message.textContent = `Enrolled face ${result.face_id} for ${result.subject_id} (detection score ${result.face.score.toFixed(3)}).`;
  message.hidden = false;
  await loadSubjects();
}

async function identify(form) {
  const result = await api('POST', tenantPath('/identify'), multipart(form, ['image', 'top_k']));
  $('#identify-gallery').textContent = result.gallery_size;
  $('#identify-threshold').textContent = result.threshold.toFixed(3);
  $('#identify-timing').textContent = result.timing_ms.toFixed(0);
  const faces = result.faces.map(f => f.face);
  await drawFaces($('#identify-image'), form.get('image'), faces, {
    highlight: i => (result.faces[i].match === 'unknown' ? '' : 'matched'),
    labels: result.faces.map((f, i) => `#${i + 1} ${f.match}`),
  });
  $('#identify-faces tbody').replaceChildren(...result.faces.map((f, i) => {
    const tr = row([`#${i + 1}`, f.match, f.candidates.map(c => `${c.subject}: ${c.similarity.toFixed(3)}`).join(', ') || 'none']);
    tr.dataset.match = f.match;
    return tr;
  }));
  $('#identify-result').hidden = false;
}

// --- wiring ---

document.addEventListener('DOMContentLoaded', () => {
  $('#tenant').value = keyStore.getItem('faceorleans.tenant') || $('#tenant').value;
  $('#api-key').value = keyStore.getItem('faceorleans.key') || '';
  $('#connect').addEventListener('submit', event => {
    event.preventDefault();
    connect();
  });
  $('#forget').addEventListener('click', () => {
    keyStore.removeItem('faceorleans.key');
    $('#api-key').value = '';
    $('#where').hidden = true;
  });
  for (const tab of document.querySelectorAll('#tabs button')) tab.addEventListener('click', () => showView(tab.dataset.view));
  $('#subjects-prev').addEventListener('click', () => { subjectsPage--; loadSubjects().catch(showProblem); });
  $('#subjects-next').addEventListener('click', () => { subjectsPage++; loadSubjects().catch(showProblem); });
  $('#tenant-refresh').addEventListener('click', () => loadTenant().catch(showProblem));
  onSubmit($('#compare-form'), $('#compare-result'), compare);
  onSubmit($('#detect-form'), $('#detect-result'), detect);
  onSubmit($('#enroll-form'), $('#enroll-result'), enroll);
  onSubmit($('#identify-form'), $('#identify-result'), identify);
  if ($('#api-key').value) connect();
});
