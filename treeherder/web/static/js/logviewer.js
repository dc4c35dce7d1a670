// The log viewer: a job's log with line numbers and its error lines highlighted. Only the lines in view are in the
// page (virtual scrolling over fixed-height lines); they are fetched from the server in chunks as you scroll, so a
// log of a million lines opens as fast as a short one.

import { api } from './api.js';
import { escapeHtml, notify, pageParams, replaceParams, setupTopBar } from './common.js';

const LINE_HEIGHT = 18; // px; must match .log-line in the CSS
const CHUNK = 1000; // lines per request
const OVERSCAN = 40; // lines rendered above and below the viewport
// Browsers cap element heights (about 33 million px in Chromium); longer logs scroll proportionally.
const MAX_SCROLL_PX = 15_000_000;

const view = {
  repo: null,
  jobId: null,
  logName: null, // which of the job's logs (default: the server's choice, the raw text log)
  total: 0,
  chunks: new Map(), // chunk index -> array of lines, or a Promise while loading
  errors: new Set(), // 0-based line numbers of error lines
  selected: null, // 0-based
  scheduled: false,
};

const scroller = () => document.getElementById('log-scroller');

function ratio() {
  const full = view.total * LINE_HEIGHT;
  const viewport = scroller().clientHeight;
  if (full <= MAX_SCROLL_PX) return 1;
  return (full - viewport) / (MAX_SCROLL_PX - viewport);
}

/** A promise of the lines of chunk `index` (fetched once). */
function loadChunk(index) {
  const known = view.chunks.get(index);
  if (known) return Promise.resolve(known);
  const start = index * CHUNK;
  const promise = api.logLines(view.repo, view.jobId, start, start + CHUNK, view.logName).then(
    (answer) => {
      view.chunks.set(index, answer.lines);
      if (answer.total_lines !== view.total) setTotal(answer.total_lines);
      schedule();
      return answer.lines;
    },
    (error) => {
      view.chunks.delete(index);
      notify(`Could not load the log: ${error.message}`, { error: true });
      throw error;
    },
  );
  view.chunks.set(index, promise);
  return promise;
}

function lineText(n) {
  const chunk = view.chunks.get(Math.floor(n / CHUNK));
  return Array.isArray(chunk) ? chunk[n % CHUNK] : null;
}

function setTotal(total) {
  view.total = total;
  document.getElementById('log-spacer').style.height = `${Math.min(total * LINE_HEIGHT, MAX_SCROLL_PX)}px`;
  document.getElementById('log-status').textContent = `${total.toLocaleString()} lines, ${view.errors.size} error line${view.errors.size === 1 ? '' : 's'}`;
}

function render() {
  view.scheduled = false;
  const box = scroller();
  const position = (box.scrollTop * ratio()) / LINE_HEIGHT;
  const first = Math.max(0, Math.floor(position) - OVERSCAN);
  const visible = Math.ceil(box.clientHeight / LINE_HEIGHT);
  const last = Math.min(view.total, Math.floor(position) + visible + OVERSCAN);
  const html = [];
  let missing = false;
  for (let n = first; n < last; n += 1) {
    const text = lineText(n);
    if (text === null) {
      missing = true;
      loadChunk(Math.floor(n / CHUNK)).catch(() => {});
    }
    let classes = 'log-line';
    if (view.errors.has(n)) classes += ' error';
    if (n === view.selected) classes += ' selected';
    html.push(`<div class="${classes}" data-line="${n}"><a class="ln" href="#L${n + 1}">${n + 1}</a><span class="lt">${text === null ? '' : escapeHtml(text)}</span></div>`);
  }
  const lines = document.getElementById('log-lines');
  lines.innerHTML = html.join('');
  // Place the rendered block where line `first` belongs in the scrolled content.
  const offset = box.scrollTop - (position - first) * LINE_HEIGHT;
  lines.style.transform = `translateY(${Math.max(0, offset)}px)`;
  lines.dataset.complete = missing ? 'false' : 'true';
}

function schedule() {
  if (view.scheduled) return;
  view.scheduled = true;
  requestAnimationFrame(render);
}

/** Scroll so that 0-based line `n` is a third of the way down the viewport, and select it. */
function goToLine(n) {
  if (!view.total) return;
  n = Math.max(0, Math.min(view.total - 1, n));
  view.selected = n;
  const box = scroller();
  box.scrollTop = Math.max(0, (n * LINE_HEIGHT) / ratio() - box.clientHeight / 3);
  const params = pageParams();
  params.set('line', String(n + 1));
  replaceParams(params);
  loadChunk(Math.floor(n / CHUNK)).catch(() => {});
  schedule();
}

function errorListHtml(errors) {
  if (!errors.length) return '<li class="muted">No error lines were found in this log.</li>';
  return errors.map((error) => `<li><a href="#L${error.line_number + 1}" data-line="${error.line_number}" class="error-jump">line ${error.line_number + 1}</a> <code>${escapeHtml(error.line)}</code></li>`).join('');
}

async function loadErrors() {
  let errors = [];
  try {
    errors = await api.textLogErrors(view.repo, view.jobId);
  } catch {
    try {
      const suggestions = await api.bugSuggestions(view.repo, view.jobId);
      errors = suggestions.filter((s) => s.line_number !== undefined).map((s) => ({ line_number: s.line_number, line: s.search }));
    } catch {
      errors = [];
    }
  }
  view.errors = new Set(errors.map((error) => error.line_number));
  document.getElementById('log-errors').innerHTML = errorListHtml(errors);
  return errors;
}

async function loadJobHeader() {
  try {
    const job = await api.job(view.repo, view.jobId);
    const status = job.state === 'completed' ? job.result : job.state;
    document.getElementById('log-job').innerHTML = `<span class="badge r-${escapeHtml(status)}">${escapeHtml(status)}</span> `
      + `<strong>${escapeHtml(job.job_type_name)}</strong> <span class="muted">${escapeHtml(job.platform)} ${escapeHtml(job.platform_option || '')}</span> `
      + `<a href="/jobs?repo=${encodeURIComponent(view.repo)}&amp;revision=${escapeHtml(job.push_revision || '')}&amp;job=${job.id}">back to the job</a>`;
    document.title = `Log: ${job.job_type_name}`;
    const logs = job.logs || [];
    const raw = logs.find((log) => log.name === view.logName) || logs[0];
    if (raw && /^https?:/i.test(raw.url)) document.getElementById('log-raw').href = raw.url;
    if (!job.push_revision && job.push_id) {
      // The detail endpoint may not carry the push revision; find it for the "back" link.
      api.pushes(view.repo, { id: job.push_id }).then((answer) => {
        const push = answer.results && answer.results[0];
        const back = document.querySelector('#log-job a');
        if (push && back) back.href = `/jobs?repo=${encodeURIComponent(view.repo)}&revision=${push.revision}&job=${job.id}`;
      }, () => {});
    }
  } catch (error) {
    notify(`Could not load the job: ${error.message}`, { error: true });
  }
}

function wire() {
  scroller().addEventListener('scroll', schedule, { passive: true });
  window.addEventListener('resize', schedule);
  document.getElementById('log-lines').addEventListener('click', (event) => {
    const number = event.target.closest('.ln');
    if (!number) return;
    event.preventDefault();
    goToLine(Number(number.closest('.log-line').dataset.line));
  });
  document.getElementById('log-errors').addEventListener('click', (event) => {
    const jump = event.target.closest('.error-jump');
    if (!jump) return;
    event.preventDefault();
    goToLine(Number(jump.dataset.line));
  });
  document.getElementById('log-goto').addEventListener('change', (event) => {
    const n = Number(event.target.value);
    if (n >= 1) goToLine(n - 1);
  });
  document.addEventListener('keydown', (event) => {
    if (event.target instanceof HTMLInputElement) return;
    const errors = [...view.errors].sort((a, b) => a - b);
    if (!errors.length) return;
    if (event.key === 'j' || event.key === 'n') {
      goToLine(errors.find((n) => n > (view.selected ?? -1)) ?? errors[0]);
    } else if (event.key === 'k' || event.key === 'p') {
      goToLine([...errors].reverse().find((n) => n < (view.selected ?? Infinity)) ?? errors[errors.length - 1]);
    }
  });
}

async function main() {
  const params = pageParams();
  view.repo = params.get('repo');
  view.jobId = Number(params.get('job_id'));
  view.logName = params.get('log');
  setupTopBar(view.repo);
  if (!view.repo || !view.jobId) {
    notify('Open the log viewer from a job: it needs ?repo=NAME&job_id=ID.', { error: true });
    return;
  }
  wire();
  loadJobHeader();
  const errorsLoaded = loadErrors();
  const requested = Number(params.get('line') || (window.location.hash.match(/^#L(\d+)$/) || [])[1]);
  const firstChunk = requested >= 1 ? Math.floor((requested - 1) / CHUNK) : 0;
  let lines;
  try {
    lines = await loadChunk(firstChunk);
  } catch {
    document.getElementById('log-status').textContent = 'The log could not be loaded.';
    return;
  }
  const errors = await errorsLoaded;
  setTotal(view.total);
  if (requested >= 1) goToLine(requested - 1);
  else if (errors.length) goToLine(errors[0].line_number);
  else schedule();
  document.body.dataset.ready = lines ? 'true' : 'false';
}

main();
