// The job details panel: what ran where and when, its logs, "Job Info", the failure summary with bug suggestions,
// performance data, notes and classification. Each section fills in as its request answers.

import { api } from './api.js';
import { escapeHtml, formatDuration, formatTime, isHttpUrl } from './common.js';
import { looksLikeHtml, sanitizeHtml } from './sanitize.js';

const BUGZILLA = 'https://bugzilla.mozilla.org/show_bug.cgi?id=';
let classifications = null;
let current = 0; // generation counter: answers for a job that is no longer shown are dropped
let closeHandler = null;
let closeWired = false;

function panel() {
  return document.getElementById('details');
}

export function closeJobDetails() {
  current += 1;
  panel().hidden = true;
  document.body.classList.remove('with-details');
}

function section(name, title) {
  return `<section class="detail-section" data-section="${name}"><h3>${title}</h3><div class="section-body muted">Loading…</div></section>`;
}

function fill(name, html) {
  const body = document.querySelector(`#details [data-section="${name}"] .section-body`);
  if (!body) return null;
  body.classList.remove('muted');
  if (typeof html === 'string') body.innerHTML = html;
  else {
    body.textContent = '';
    body.append(html);
  }
  return body;
}

function unavailable(name, error) {
  const text = error && error.status === 404 ? 'None.' : `Not available (${escapeHtml(error ? error.message : 'error')}).`;
  const body = fill(name, text);
  if (body) body.classList.add('muted');
}

function logViewerUrl(repo, jobId, line, logName) {
  let url = `/logviewer?repo=${encodeURIComponent(repo)}&job_id=${jobId}`;
  if (logName) url += `&log=${encodeURIComponent(logName)}`;
  return line === undefined || line === null ? url : `${url}&line=${line + 1}`;
}

function link(url, text) {
  if (!url || !isHttpUrl(url)) return escapeHtml(text);
  return `<a href="${escapeHtml(url)}" rel="noopener noreferrer" target="_blank">${escapeHtml(text)}</a>`;
}

function row(label, value) {
  return value === '' || value === null || value === undefined ? '' : `<tr><th>${label}</th><td>${value}</td></tr>`;
}

function summaryHtml(job, repository) {
  const status = job.state === 'completed' ? job.result : job.state;
  const duration = job.end_timestamp && job.start_timestamp ? formatDuration(job.end_timestamp - job.start_timestamp) : '';
  const group = job.job_group_symbol && job.job_group_symbol !== '?' ? `${job.job_group_symbol}(${job.job_type_symbol})` : job.job_type_symbol;
  const taskId = job.task_id || (job.taskcluster_metadata && job.taskcluster_metadata.task_id);
  const tcRoot = repository && repository.tc_root_url;
  const task = taskId ? (tcRoot ? link(`${tcRoot.replace(/\/$/, '')}/tasks/${taskId}`, taskId) : escapeHtml(taskId)) : '';
  return `<table class="kv">
    ${row('Result', `<span class="badge r-${escapeHtml(status)}">${escapeHtml(status)}</span>${job.tier > 1 ? ` <span class="badge tier">tier ${job.tier}</span>` : ''}`)}
    ${row('Job', escapeHtml(job.job_type_name))}
    ${row('Symbol', escapeHtml(group))}
    ${row('Platform', `${escapeHtml(job.platform)} ${escapeHtml(job.platform_option || '')}`)}
    ${row('Machine', escapeHtml(job.machine_name))}
    ${row('Requested', escapeHtml(formatTime(job.submit_timestamp)))}
    ${row('Started', escapeHtml(formatTime(job.start_timestamp)))}
    ${row('Ended', escapeHtml(formatTime(job.end_timestamp)))}
    ${row('Duration', escapeHtml(duration))}
    ${row('Reason', escapeHtml(job.reason))}
    ${row('Who', escapeHtml(job.who))}
    ${row('Task', task)}
  </table>`;
}

function logsHtml(repo, job) {
  const logs = job.logs || [];
  if (!logs.length) return '<span class="muted">No logs.</span>';
  const items = logs.map((log) => `<li>${escapeHtml(log.name)}: <a href="${escapeHtml(logViewerUrl(repo, job.id, null, log.name))}" class="open-log">log viewer</a> · ${link(log.url, 'raw')}</li>`);
  return `<ul class="plain">${items.join('')}</ul>`;
}

function bugLinks(bugs, jobId) {
  return bugs.map((bug) => {
    const id = bug.id ?? bug.internal_id;
    const label = bug.id ? link(`${BUGZILLA}${bug.id}`, String(bug.id)) : `internal ${escapeHtml(id)}`;
    const resolution = bug.resolution ? ` <span class="muted">${escapeHtml(bug.resolution)}</span>` : '';
    // One click links the bug to the job (classify.js handles the button).
    const linkButton = bug.id ? ` <button type="button" class="link-bug" data-job="${Number(jobId)}" data-bug="${Number(bug.id)}" title="Link this bug and classify the job as intermittent">link</button>` : '';
    return `<li class="bug">${label} <span class="bug-summary">${escapeHtml(bug.summary)}</span>${resolution}${linkButton}</li>`;
  }).join('');
}

const PARSE_STATUS_TEXT = {
  pending: 'The log has not been parsed yet.',
  failed: 'The log could not be parsed.',
  'skipped-size': 'The log is too large to be parsed.',
};

function failureSummaryHtml(repo, jobId, suggestions, logStatuses = []) {
  if (!suggestions.length) {
    const unparsed = logStatuses.map((status) => PARSE_STATUS_TEXT[status]).find(Boolean);
    return `<span class="muted">${unparsed || 'No error lines.'}</span>`;
  }
  const items = suggestions.map((item) => {
    const open = (item.bugs && item.bugs.open_recent) || [];
    const others = (item.bugs && item.bugs.all_others) || [];
    const lineNumber = item.line_number;
    const where = lineNumber === undefined ? '' : `<a class="error-line-link" href="${escapeHtml(logViewerUrl(repo, jobId, lineNumber))}" title="Open the log at this line">line ${lineNumber + 1}</a> `;
    const isNew = item.failure_new_in_rev ? ' <span class="badge new">new</span>' : '';
    const bugs = open.length || others.length
      ? `<ul class="bugs">${bugLinks(open, jobId)}${others.length ? `<li class="muted">other bugs:</li>${bugLinks(others, jobId)}` : ''}</ul>`
      : '<div class="muted no-bugs">No bug suggestions.</div>';
    return `<li class="error-item">${where}<code class="error-line">${escapeHtml(item.search)}</code>${isNew}${bugs}</li>`;
  });
  return `<ol class="failure-summary">${items.join('')}</ol>`;
}

function jobInfoFragment(details) {
  const fragment = document.createDocumentFragment();
  if (!details.length) {
    fragment.append('No job info.');
    return fragment;
  }
  const list = document.createElement('dl');
  list.className = 'job-info';
  for (const item of details) {
    const term = document.createElement('dt');
    term.textContent = item.title || 'info';
    const value = document.createElement('dd');
    const text = String(item.value ?? '');
    if (item.url && isHttpUrl(item.url)) {
      const anchor = document.createElement('a');
      anchor.href = item.url;
      anchor.rel = 'noopener noreferrer';
      anchor.target = '_blank';
      anchor.textContent = text || item.url;
      value.append(anchor);
    } else if (looksLikeHtml(text)) {
      value.append(sanitizeHtml(text));
    } else {
      value.textContent = text;
    }
    list.append(term, value);
  }
  fragment.append(list);
  return fragment;
}

function perfHtml(repo, data) {
  const rows = (data && data.data) || [];
  if (!rows.length) return '<span class="muted">No performance data.</span>';
  const items = rows.map((datum) => {
    const sig = datum.signature_data || {};
    const name = [sig.suite, sig.test].filter(Boolean).join(' ');
    const url = `/perf/graphs?repo=${encodeURIComponent(repo)}&series=${sig.id}`;
    const unit = sig.measurement_unit ? ` ${escapeHtml(sig.measurement_unit)}` : '';
    return `<tr><td><a href="${escapeHtml(url)}">${escapeHtml(name || sig.signature_hash || '?')}</a></td><td class="num">${escapeHtml(datum.value)}${unit}</td></tr>`;
  });
  return `<table class="perf-data">${items.join('')}</table>`;
}

function classificationHtml(job, notes, bugs) {
  const names = new Map((classifications || []).map((c) => [c.id, c.name]));
  const parts = [`<div>Classification: <strong>${escapeHtml(names.get(job.failure_classification_id) || String(job.failure_classification_id))}</strong></div>`];
  if (bugs && bugs.length) {
    parts.push(`<div>Bugs: ${bugs.map((b) => link(`${BUGZILLA}${b.bug_id}`, String(b.bug_id))).join(', ')}</div>`);
  }
  if (notes && notes.length) {
    const items = notes.map((note) => `<li><span class="muted">${escapeHtml(note.created)} ${escapeHtml(note.who)}</span> <strong>${escapeHtml(names.get(note.failure_classification_id) || '')}</strong> ${escapeHtml(note.text)}</li>`);
    parts.push(`<ul class="notes">${items.join('')}</ul>`);
  } else if (notes) parts.push('<div class="muted">No notes.</div>');
  return parts.join('');
}

/** Open the panel for a job (in repository `repo`) and load everything about it. */
export async function showJobDetails(repo, jobId, repository, { onClose } = {}) {
  const generation = ++current;
  const live = () => generation === current;
  const box = panel();
  box.hidden = false;
  document.body.classList.add('with-details');
  const title = document.getElementById('details-title');
  title.textContent = `Job ${jobId}`;
  const logLink = document.getElementById('details-log');
  logLink.href = logViewerUrl(repo, jobId);
  const rawLink = document.getElementById('details-raw-log');
  rawLink.hidden = true;
  closeHandler = onClose || closeJobDetails;
  if (!closeWired) {
    document.getElementById('details-close').addEventListener('click', () => closeHandler());
    closeWired = true;
  }
  document.getElementById('details-body').innerHTML = [
    section('summary', 'Job'),
    section('failures', 'Failure summary'),
    section('logs', 'Logs'),
    section('info', 'Job Info'),
    section('perf', 'Performance'),
    section('classification', 'Classification and notes'),
  ].join('');

  if (!classifications) classifications = api.failureClassifications().catch(() => []);
  const jobRequest = api.job(repo, jobId);
  const notesRequest = api.notes(repo, jobId).catch(() => null);
  const bugsRequest = api.bugJobMap(repo, jobId).catch(() => null);

  let job;
  try {
    job = await jobRequest;
  } catch (error) {
    if (live()) for (const name of ['summary', 'failures', 'logs', 'info', 'perf', 'classification']) unavailable(name, error);
    return;
  }
  if (!live()) return;
  title.textContent = `${job.job_type_symbol} · ${job.job_type_name}`;
  fill('summary', summaryHtml(job, repository));
  fill('logs', logsHtml(repo, job));
  const raw = (job.logs || []).find((log) => isHttpUrl(log.url));
  if (raw) {
    rawLink.href = raw.url;
    rawLink.hidden = false;
  }

  const failed = job.state === 'completed' && ['testfailed', 'busted', 'exception'].includes(job.result);
  if (failed) {
    Promise.all([api.bugSuggestions(repo, jobId), api.jobLogUrls(repo, jobId).catch(() => [])]).then(
      ([items, logs]) => live() && fill('failures', failureSummaryHtml(repo, jobId, items, logs.map((log) => log.parse_status))),
      (error) => live() && unavailable('failures', error),
    );
  } else {
    fill('failures', '<span class="muted">The job did not fail.</span>');
  }
  api.jobDetails(jobId).then(
    (page) => live() && fill('info', jobInfoFragment(page.results || page)),
    (error) => live() && unavailable('info', error),
  );
  api.perfJobData(repo, jobId).then(
    (data) => live() && fill('perf', perfHtml(repo, data)),
    (error) => live() && (error.status === 400 ? fill('perf', '<span class="muted">No performance data.</span>') : unavailable('perf', error)),
  );
  classifications = await classifications;
  const [notes, bugs] = await Promise.all([notesRequest, bugsRequest]);
  if (live()) fill('classification', classificationHtml(job, notes, bugs));
}
