// Intermittent failures: the bugs with the most intermittent failures in a date range (with failures per day
// against pushes per day), and per bug the list of its failures. State lives in the URL: startday, endday, tree, bug.

import { api, getJSON } from './api.js';
import { drawChart } from './chart.js';
import { escapeHtml, notify, pageParams, replaceParams } from './common.js';

const DAY = 86400;

const isoDay = (date) => date.toISOString().slice(0, 10);

function defaultRange() {
  const end = new Date();
  const start = new Date(end.getTime() - 7 * DAY * 1000);
  return { startday: isoDay(start), endday: isoDay(end) };
}

function readState() {
  const params = pageParams();
  const range = defaultRange();
  return {
    startday: params.get('startday') || range.startday,
    endday: params.get('endday') || range.endday,
    tree: params.get('tree') || 'all',
    bug: params.get('bug') || '',
  };
}

function drawCounts(counts) {
  const toPoint = (key) => counts.map((day) => ({ x: Date.parse(`${day.date}T00:00:00Z`) / 1000, y: day[key], day }));
  drawChart(document.getElementById('failures-chart'), [
    { id: 'pushes', name: 'pushes', color: '#1e64c8', points: toPoint('test_runs'), alerts: [] },
    { id: 'failures', name: 'failures', color: '#d42020', points: toPoint('failure_count'), alerts: [] },
  ]);
}

function renderBugs(state, bugs, totalRuns) {
  document.getElementById('failures-title').textContent = 'Most frequent intermittent failures';
  document.getElementById('failures-head').innerHTML = '<tr><th>Bug</th><th>Failures</th><th>Failure rate (per push)</th></tr>';
  document.getElementById('failures-body').innerHTML = bugs.length
    ? bugs.map((bug) => {
      const rate = totalRuns ? (bug.bug_count / totalRuns).toFixed(2) : '—';
      const link = `?${new URLSearchParams({ ...state, bug: bug.bug_id })}`;
      return `<tr data-bug="${bug.bug_id}"><td><a class="bug-link" href="${escapeHtml(link)}">Bug ${bug.bug_id}</a></td>`
        + `<td class="bug-count">${bug.bug_count}</td><td>${rate}</td></tr>`;
    }).join('')
    : '<tr><td colspan="3" class="muted">No intermittent failures in this range.</td></tr>';
}

function renderBugFailures(state, rows) {
  document.getElementById('failures-title').textContent = `Failures of bug ${state.bug}`;
  document.getElementById('failures-head').innerHTML = '<tr><th>Push time</th><th>Tree</th><th>Revision</th><th>Platform</th>'
    + '<th>Build</th><th>Test suite</th><th>Job</th><th>Log</th></tr>';
  document.getElementById('failures-body').innerHTML = rows.length
    ? rows.map((row) => {
      const jobLink = `/jobs?${new URLSearchParams({ repo: row.tree, revision: row.revision, job: row.job_id })}`;
      const logLink = `/logviewer?${new URLSearchParams({ repo: row.tree, job_id: row.job_id })}`;
      const lines = row.lines.slice(0, 3).map((line) => `<div class="error-line">${escapeHtml(line)}</div>`).join('');
      return `<tr data-job="${row.job_id}"><td>${escapeHtml(row.push_time)}</td><td>${escapeHtml(row.tree)}</td>`
        + `<td class="revision">${escapeHtml(row.revision.slice(0, 12))}</td><td>${escapeHtml(row.platform)}</td>`
        + `<td>${escapeHtml(row.build_type)}</td><td>${escapeHtml(row.test_suite)}${lines}</td>`
        + `<td><a class="job-link" href="${escapeHtml(jobLink)}">${row.job_id}</a></td>`
        + `<td><a class="log-link" href="${escapeHtml(logLink)}">log</a></td></tr>`;
    }).join('')
    : '<tr><td colspan="8" class="muted">No failures of this bug in this range.</td></tr>';
}

async function load(state) {
  const status = document.getElementById('failures-status');
  status.textContent = 'Loading…';
  document.body.dataset.ready = 'false';
  const range = { startday: state.startday, endday: state.endday, tree: state.tree };
  try {
    const counts = await getJSON('/api/failurecount/', { ...range, bug: state.bug || undefined });
    drawCounts(counts);
    if (state.bug) {
      renderBugFailures(state, await getJSON('/api/failuresbybug/', { ...range, bug: state.bug }));
    } else {
      const totalRuns = counts.reduce((sum, day) => sum + day.test_runs, 0);
      renderBugs(state, await getJSON('/api/failures/', range), totalRuns);
    }
    status.textContent = '';
  } catch (failure) {
    status.textContent = '';
    notify(failure.body ? JSON.stringify(failure.body) : String(failure), { error: true });
  }
  document.body.dataset.ready = 'true';
}

async function main() {
  const state = readState();
  document.getElementById('failures-start').value = state.startday;
  document.getElementById('failures-end').value = state.endday;
  const tree = document.getElementById('failures-tree');
  try {
    const repositories = await api.repositories();
    for (const repo of repositories) tree.append(new Option(repo.name, repo.name));
  } catch (failure) {
    notify(String(failure), { error: true });
  }
  tree.value = state.tree;
  document.getElementById('failure-filters').addEventListener('submit', (event) => {
    event.preventDefault();
    Object.assign(state, {
      startday: document.getElementById('failures-start').value,
      endday: document.getElementById('failures-end').value,
      tree: tree.value,
      bug: '',
    });
    replaceParams(new URLSearchParams(Object.entries(state).filter(([, value]) => value)));
    load(state);
  });
  await load(state);
}

main();
