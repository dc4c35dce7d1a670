// The jobs view: pushes newest first, each with its commits and a matrix of platform rows holding job groups and
// job buttons coloured by state and result. One HTML string per push, one delegated click listener for all buttons.

import { allJobs, api } from './api.js';
import { escapeHtml, formatTime, notify, pageParams, replaceParams, revisionUrl, setupTopBar } from './common.js';
import { setupClassification } from './classify.js';
import { closeJobDetails, showJobDetails } from './details.js';
import { optionRank, platformName } from './platforms.js';

const PUSHES_PER_PAGE = 10;
const DEFAULT_POLL_MS = 15000;
// Jobs changed this long before the newest change seen are asked for again on each poll: a transaction that
// committed late can carry an older `last_modified` than one already seen.
const POLL_OVERLAP_MS = 30000;

export const STATUSES = ['success', 'testfailed', 'busted', 'exception', 'retry', 'usercancel', 'superseded', 'running', 'pending'];
const FAILURES = ['testfailed', 'busted', 'exception'];
const FAILURE_SET = new Set(FAILURES);
// "not classified" and "new failure not classified" are the classifications that still need a sheriff.
const UNCLASSIFIED_IDS = new Set([1, 6]);
const DEFAULT_TIERS = ['1', '2'];

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

const state = {
  repo: null,
  repository: null,
  revision: null,
  pushes: [], // newest first
  pushById: new Map(),
  jobsByPush: new Map(), // push id -> Map(job id -> job)
  jobById: new Map(),
  newestChange: '',
  filters: null,
  selectedJobId: null,
  loadingMore: false,
  pollMs: DEFAULT_POLL_MS,
  pinned: new Set(), // jobs on the pinboard, to classify together
};
let classification = null; // the pinboard and classification form (classify.js)

// --- filters --------------------------------------------------------------------------------------------------

function readFilters(params) {
  const results = params.get('result');
  const tiers = params.get('tier');
  return {
    results: new Set(results ? results.split(',').filter((r) => STATUSES.includes(r)) : STATUSES),
    tiers: new Set(tiers ? tiers.split(',') : DEFAULT_TIERS),
    text: (params.get('filter') || '').trim(),
    unclassified: params.get('unclassified') === '1',
  };
}

function writeFilters() {
  const params = pageParams();
  const { results, tiers, text, unclassified } = state.filters;
  if (results.size === STATUSES.length) params.delete('result');
  else params.set('result', STATUSES.filter((r) => results.has(r)).join(','));
  const tierList = ['1', '2', '3'].filter((tier) => tiers.has(tier));
  if (tierList.join(',') === DEFAULT_TIERS.join(',')) params.delete('tier');
  else params.set('tier', tierList.join(','));
  if (text) params.set('filter', text);
  else params.delete('filter');
  if (unclassified) params.set('unclassified', '1');
  else params.delete('unclassified');
  replaceParams(params);
}

function showFiltersInForm() {
  const { results, tiers, text, unclassified } = state.filters;
  for (const box of document.querySelectorAll('#filters input[name=result]')) box.checked = results.has(box.value);
  for (const box of document.querySelectorAll('#filters input[name=tier]')) box.checked = tiers.has(box.value);
  document.getElementById('filter-text').value = text;
  document.getElementById('filter-unclassified').checked = unclassified;
}

function textMatcher(text) {
  if (!text) return null;
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  return (job) => {
    const haystack = job.searchText;
    return words.every((word) => haystack.includes(word));
  };
}

// --- jobs -------------------------------------------------------------------------------------------------------

/** The colour status of a job: its result once completed, else its state. */
function statusOf(job) {
  return job.state === 'completed' ? job.result : job.state === 'unscheduled' ? 'pending' : job.state;
}

function isUnclassifiedFailure(job) {
  return FAILURE_SET.has(job.status) && UNCLASSIFIED_IDS.has(job.failure_classification_id);
}

/** Turn compact rows into job objects, given `job_property_names`. */
function rowsToJobs(names, rows) {
  const at = Object.fromEntries(names.map((name, index) => [name, index]));
  const field = (row, name) => (at[name] === undefined ? undefined : row[at[name]]);
  return rows.map((row) => {
    const job = {
      id: field(row, 'id'),
      push_id: field(row, 'push_id'),
      state: field(row, 'state'),
      result: field(row, 'result'),
      tier: field(row, 'tier'),
      platform: field(row, 'platform') || '',
      platform_option: field(row, 'platform_option') || '',
      job_group_name: field(row, 'job_group_name') || '',
      job_group_symbol: field(row, 'job_group_symbol') || '?',
      job_type_name: field(row, 'job_type_name') || '',
      job_type_symbol: field(row, 'job_type_symbol') || '',
      failure_classification_id: field(row, 'failure_classification_id'),
      last_modified: field(row, 'last_modified') || '',
      duration: field(row, 'duration'),
    };
    job.status = statusOf(job);
    job.platformName = platformName(job.platform);
    job.searchText = `${job.job_type_name} ${job.job_type_symbol} ${job.job_group_symbol} ${job.job_group_name} ${job.platform} ${job.platformName} ${job.platform_option}`.toLowerCase();
    return job;
  });
}

/** Store jobs; returns the ids of the pushes whose jobs changed. */
function addJobs(jobs) {
  const changed = new Set();
  for (const job of jobs) {
    if (job.last_modified > state.newestChange) state.newestChange = job.last_modified;
    const known = state.jobById.get(job.id);
    if (known && known.last_modified === job.last_modified && known.status === job.status
        && known.failure_classification_id === job.failure_classification_id) continue;
    let pushJobs = state.jobsByPush.get(job.push_id);
    if (!pushJobs) {
      pushJobs = new Map();
      state.jobsByPush.set(job.push_id, pushJobs);
    }
    pushJobs.set(job.id, job);
    state.jobById.set(job.id, job);
    changed.add(job.push_id);
  }
  return changed;
}

async function loadJobsOfPushes(pushIds) {
  if (!pushIds.length) return new Set();
  const { names, rows } = await allJobs({ push_id__in: pushIds.join(',') });
  return addJobs(rowsToJobs(names, rows));
}

// --- rendering --------------------------------------------------------------------------------------------------

function pushHeaderHtml(push) {
  const revisions = push.revisions || [];
  const revUrl = revisionUrl(state.repository, push.revision);
  const date = formatTime(push.push_timestamp);
  const commits = revisions.map((rev) => {
    const url = revisionUrl(state.repository, rev.revision);
    const short = escapeHtml(rev.revision.slice(0, 12));
    const comment = escapeHtml((rev.comments || '').split('\n')[0]);
    const author = escapeHtml((rev.author || '').replace(/\s*<.*>$/, ''));
    return `<li><a class="rev" href="${escapeHtml(url || '#')}" rel="noopener noreferrer" target="_blank">${short}</a>`
      + ` <span class="rev-author">${author}</span> <span class="rev-comment">${comment}</span></li>`;
  });
  const more = push.revision_count > revisions.length ? `<li class="muted">… and ${push.revision_count - revisions.length} more</li>` : '';
  return `<header class="push-head">
      <a class="push-date" href="/jobs?repo=${encodeURIComponent(state.repo)}&amp;revision=${escapeHtml(push.revision)}" title="Show only this push">${escapeHtml(date)}</a>
      <span class="push-author">${escapeHtml(push.author)}</span>
      <a class="push-rev" href="${escapeHtml(revUrl || '#')}" rel="noopener noreferrer" target="_blank">${escapeHtml(push.revision.slice(0, 12))}</a>
      <span class="spacer"></span>
      <span class="push-counts" data-counts-for="${push.id}"></span>
    </header>
    <ul class="revisions">${commits.join('')}${more}</ul>`;
}

function countsHtml(jobs) {
  const counts = new Map();
  for (const job of jobs) counts.set(job.status, (counts.get(job.status) || 0) + 1);
  const parts = [];
  for (const status of STATUSES) {
    const n = counts.get(status);
    if (n) parts.push(`<span class="count r-${status}" title="${status}">${status} ${n}</span>`);
  }
  const total = jobs.length;
  return `${parts.join('')}<span class="count total">${total} job${total === 1 ? '' : 's'}</span>`;
}

function compareRows(a, b) {
  return collator.compare(a.name, b.name) || a.optionRank - b.optionRank || collator.compare(a.options, b.options);
}

function compareJobs(a, b) {
  return collator.compare(a.job_type_symbol, b.job_type_symbol) || a.id - b.id;
}

/** The platform-row matrix of one push, as one HTML string, with the current filters applied. */
function jobsMatrixHtml(jobs) {
  const { results, tiers, unclassified } = state.filters;
  const matches = textMatcher(state.filters.text);
  const rows = new Map();
  for (const job of jobs) {
    if (!results.has(job.status) || !tiers.has(String(job.tier))) continue;
    if (unclassified && !isUnclassifiedFailure(job)) continue;
    if (matches && !matches(job)) continue;
    const key = `${job.platform}\u0000${job.platform_option}`;
    let row = rows.get(key);
    if (!row) {
      row = { name: job.platformName, platform: job.platform, options: job.platform_option, optionRank: optionRank(job.platform_option), groups: new Map() };
      rows.set(key, row);
    }
    let group = row.groups.get(job.job_group_symbol);
    if (!group) {
      group = { symbol: job.job_group_symbol, name: job.job_group_name, jobs: [] };
      row.groups.set(job.job_group_symbol, group);
    }
    group.jobs.push(job);
  }
  if (!rows.size) return jobs.length ? '<div class="muted empty">No jobs match the filters.</div>' : '<div class="muted empty">No jobs yet.</div>';
  const html = [];
  for (const row of [...rows.values()].sort(compareRows)) {
    html.push(`<div class="platform-row"><span class="platform" title="${escapeHtml(row.platform)}">${escapeHtml(row.name)} <span class="options">${escapeHtml(row.options)}</span></span><span class="job-list">`);
    const groups = [...row.groups.values()].sort((a, b) => (a.symbol === '?' ? -1 : b.symbol === '?' ? 1 : collator.compare(a.symbol, b.symbol)));
    for (const group of groups) {
      const grouped = group.symbol !== '?';
      if (grouped) html.push(`<span class="job-group" title="${escapeHtml(group.name)}"><span class="group-symbol">${escapeHtml(group.symbol)}(</span>`);
      group.jobs.sort(compareJobs);
      for (const job of group.jobs) html.push(jobButtonHtml(job));
      if (grouped) html.push('<span class="group-symbol">)</span></span>');
    }
    html.push('</span></div>');
  }
  return html.join('');
}

function jobButtonHtml(job) {
  let classes = `jb r-${job.status}`;
  if (job.tier > 1) classes += ` tier${job.tier}`;
  const failed = FAILURE_SET.has(job.status);
  let symbol = escapeHtml(job.job_type_symbol);
  if (failed) {
    if (UNCLASSIFIED_IDS.has(job.failure_classification_id)) classes += ' unclassified';
    else {
      classes += ' classified';
      symbol += '*';
    }
  }
  if (job.id === state.selectedJobId) classes += ' selected';
  if (state.pinned.has(job.id)) classes += ' pinned';
  const tier = job.tier > 1 ? ` (tier ${job.tier})` : '';
  return `<span class="${classes}" data-id="${job.id}" title="${escapeHtml(job.job_type_name)} - ${job.status}${tier}">${symbol}</span>`;
}

function renderPush(push) {
  const section = document.querySelector(`section.push[data-push-id="${push.id}"]`);
  if (!section) return;
  const jobs = [...(state.jobsByPush.get(push.id) || new Map()).values()];
  section.querySelector('.push-jobs').innerHTML = jobsMatrixHtml(jobs);
  section.querySelector('.push-counts').innerHTML = countsHtml(jobs);
}

/** Add sections for pushes (already in state.pushes) that are not on the page yet, in order. */
function placePushSections() {
  const container = document.getElementById('pushes');
  container.querySelector('.loading')?.remove();
  let previous = null;
  for (const push of state.pushes) {
    let section = container.querySelector(`section.push[data-push-id="${push.id}"]`);
    if (!section) {
      section = document.createElement('section');
      section.className = 'push';
      section.dataset.pushId = push.id;
      section.innerHTML = `${pushHeaderHtml(push)}<div class="push-jobs"></div>`;
      if (previous) previous.after(section);
      else container.prepend(section);
    }
    previous = section;
  }
}

function renderAll() {
  for (const push of state.pushes) renderPush(push);
}

function updatePushStatus() {
  const status = document.getElementById('push-status');
  const jobs = state.jobById.size;
  status.textContent = `${state.pushes.length} push${state.pushes.length === 1 ? '' : 'es'}, ${jobs} job${jobs === 1 ? '' : 's'}`;
}

// --- loading ----------------------------------------------------------------------------------------------------

function addPushes(pushes) {
  const added = [];
  for (const push of pushes) {
    if (state.pushById.has(push.id)) continue;
    state.pushById.set(push.id, push);
    state.pushes.push(push);
    added.push(push);
  }
  state.pushes.sort((a, b) => b.push_timestamp - a.push_timestamp || b.id - a.id);
  return added;
}

let lastLoad = null; // how long the last page of pushes took to fetch and to render (ms)

async function loadPushes(params) {
  const response = await api.pushes(state.repo, params);
  const added = addPushes(response.results);
  placePushSections();
  const fetched = performance.now();
  const changed = await loadJobsOfPushes(added.map((push) => push.id));
  const rendering = performance.now();
  for (const push of added) changed.add(push.id);
  for (const id of changed) {
    const push = state.pushById.get(id);
    if (push) renderPush(push);
  }
  updatePushStatus();
  lastLoad = { jobsFetch: rendering - fetched, render: performance.now() - rendering };
  return response.results;
}

async function loadMore() {
  if (state.loadingMore || !state.pushes.length) return;
  state.loadingMore = true;
  const button = document.getElementById('load-more');
  button.disabled = true;
  try {
    const oldest = state.pushes[state.pushes.length - 1];
    const got = await loadPushes({ count: PUSHES_PER_PAGE + 1, push_timestamp__lte: oldest.push_timestamp });
    if (got.length <= 1) button.textContent = 'No older pushes';
  } catch (error) {
    notify(`Could not load more pushes: ${error.message}`, { error: true });
  } finally {
    state.loadingMore = false;
    button.disabled = false;
  }
}

function isoMinus(iso, ms) {
  const date = new Date(`${iso}Z`);
  if (Number.isNaN(date.getTime())) return iso;
  return new Date(date.getTime() - ms).toISOString().replace('Z', '');
}

async function poll() {
  if (document.hidden) {
    // Nobody is looking: ask again when the tab is shown rather than loading the server for nothing.
    document.addEventListener('visibilitychange', poll, { once: true });
    return;
  }
  try {
    if (!state.revision) await loadPushes({ count: PUSHES_PER_PAGE });
    if (state.pushes.length && state.newestChange) {
      const ids = state.pushes.map((push) => push.id).join(',');
      const { names, rows } = await allJobs({ push_id__in: ids, last_modified__gte: isoMinus(state.newestChange, POLL_OVERLAP_MS) });
      const changed = addJobs(rowsToJobs(names, rows));
      for (const id of changed) renderPush(state.pushById.get(id));
      if (changed.size) updatePushStatus();
    }
  } catch (error) {
    notify(`Refresh failed: ${error.message}`, { error: true });
  } finally {
    setTimeout(poll, state.pollMs);
  }
}

// --- selection and keys -----------------------------------------------------------------------------------------

function selectJob(jobId, { scroll = false } = {}) {
  for (const old of document.querySelectorAll('.jb.selected')) old.classList.remove('selected');
  state.selectedJobId = jobId;
  const params = pageParams();
  if (jobId === null) {
    params.delete('job');
    replaceParams(params);
    closeJobDetails();
    return;
  }
  const button = document.querySelector(`.jb[data-id="${jobId}"]`);
  if (button) button.classList.add('selected');
  params.set('job', jobId);
  replaceParams(params);
  showJobDetails(state.repo, jobId, state.repository, { onClose: () => selectJob(null) });
  if (button && scroll) keepInView(button);
}

/** Scroll so that `element` sits in the part of the window not covered by the top bar and the details panel. */
function keepInView(element) {
  const top = document.querySelector('.topbar').getBoundingClientRect().bottom;
  const panel = document.getElementById('details');
  const bottom = panel.hidden ? window.innerHeight : panel.getBoundingClientRect().top;
  const rect = element.getBoundingClientRect();
  if (rect.top >= top + 4 && rect.bottom <= bottom - 4) return;
  window.scrollBy({ top: rect.top - (top + (bottom - top) / 3) });
}

/** Select the next (+1) or previous (-1) unclassified failure on the page, wrapping around. */
function stepUnclassified(direction) {
  const buttons = [...document.querySelectorAll('.jb.unclassified')];
  if (!buttons.length) {
    notify('No unclassified failures shown');
    return;
  }
  const current = buttons.findIndex((b) => Number(b.dataset.id) === state.selectedJobId);
  const next = current === -1 ? (direction > 0 ? 0 : buttons.length - 1) : (current + direction + buttons.length) % buttons.length;
  selectJob(Number(buttons[next].dataset.id), { scroll: true });
}

function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement) {
    if (event.key === 'Escape') target.blur();
    return;
  }
  if (event.key === ' ' && state.selectedJobId !== null) classification.toggle(state.selectedJobId);
  else if (event.key === 'c') classification.open();
  else if (event.key === 'u') {
    const box = document.getElementById('filter-unclassified');
    box.checked = !box.checked;
    onFiltersChanged();
  } else if (event.key === 'j' || event.key === 'n') stepUnclassified(1);
  else if (event.key === 'k' || event.key === 'p') stepUnclassified(-1);
  else if (event.key === 'l' && state.selectedJobId !== null) {
    window.location.href = `/logviewer?repo=${encodeURIComponent(state.repo)}&job_id=${state.selectedJobId}`;
  } else if (event.key === 'Escape') selectJob(null);
  else if (event.key === 'f') {
    event.preventDefault();
    document.getElementById('filter-text').focus();
  } else return;
  event.preventDefault();
}

// --- wiring -----------------------------------------------------------------------------------------------------

function onFiltersChanged() {
  const results = new Set([...document.querySelectorAll('#filters input[name=result]:checked')].map((box) => box.value));
  const tiers = new Set([...document.querySelectorAll('#filters input[name=tier]:checked')].map((box) => box.value));
  state.filters = {
    results,
    tiers,
    text: document.getElementById('filter-text').value.trim(),
    unclassified: document.getElementById('filter-unclassified').checked,
  };
  writeFilters();
  renderAll();
}

function wire() {
  document.getElementById('pushes').addEventListener('click', (event) => {
    const button = event.target.closest('.jb');
    if (!button) return;
    if (event.ctrlKey || event.metaKey) classification.toggle(Number(button.dataset.id));
    else selectJob(Number(button.dataset.id));
  });
  document.getElementById('load-more').addEventListener('click', loadMore);
  const form = document.getElementById('filters');
  form.addEventListener('change', onFiltersChanged);
  form.addEventListener('submit', (event) => event.preventDefault());
  let typing = null;
  document.getElementById('filter-text').addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(onFiltersChanged, 150);
  });
  document.getElementById('filter-failures').addEventListener('click', () => {
    state.filters = { ...state.filters, results: new Set(FAILURES) };
    showFiltersInForm();
    writeFilters();
    renderAll();
  });
  document.getElementById('filter-reset').addEventListener('click', () => {
    state.filters = readFilters(new URLSearchParams());
    showFiltersInForm();
    writeFilters();
    renderAll();
  });
  document.addEventListener('keydown', onKey);
  classification = setupClassification({
    repo: () => state.repo,
    selectedJobId: () => state.selectedJobId,
    setPinned: (ids) => {
      state.pinned = new Set(ids);
      for (const button of document.querySelectorAll('.jb')) button.classList.toggle('pinned', state.pinned.has(Number(button.dataset.id)));
    },
    refresh: refreshJobs,
  });
}

/** Reload the given jobs' pushes (after a classification) and redraw them; reopen the details of the selected job. */
async function refreshJobs(jobIds) {
  const pushIds = [...new Set(jobIds.map((id) => state.jobById.get(id)?.push_id).filter(Boolean))];
  const changed = await loadJobsOfPushes(pushIds);
  for (const id of changed) renderPush(state.pushById.get(id));
  if (state.selectedJobId !== null && jobIds.includes(state.selectedJobId)) selectJob(state.selectedJobId);
}

async function main() {
  const params = pageParams();
  state.repo = params.get('repo');
  state.revision = params.get('revision');
  const pollMs = Number(params.get('poll'));
  if (pollMs >= 500) state.pollMs = pollMs;
  state.filters = readFilters(params);
  showFiltersInForm();
  wire();
  const repositories = await setupTopBar(state.repo);
  if (!state.repo) {
    if (repositories.length) {
      params.set('repo', repositories[0].name);
      window.location.search = params.toString();
    }
    return;
  }
  state.repository = repositories.find((repo) => repo.name === state.repo) || null;
  document.title = `${state.repo} · Treeherder`;
  try {
    const pushes = await loadPushes(state.revision ? { revision: state.revision } : { count: PUSHES_PER_PAGE });
    if (!pushes.length) {
      const text = state.revision ? `No push with revision ${escapeHtml(state.revision)} in ${escapeHtml(state.repo)}.` : 'No pushes in this repository.';
      document.getElementById('pushes').innerHTML = `<div class="muted empty">${text}</div>`;
    }
  } catch (error) {
    notify(`Could not load pushes: ${error.message}`, { error: true });
    return;
  }
  document.body.dataset.ready = 'true';
  // How long the first screen took, for the record (the browser test reads it).
  window.treeherderTimings = { firstRender: performance.now(), ...lastLoad };
  if (state.revision) document.getElementById('load-more').hidden = true;
  const selected = Number(params.get('job'));
  if (selected) selectJob(selected, { scroll: true });
  setTimeout(poll, state.pollMs);
}

main();
