// Performance alerts: alert summaries of a repository, newest first, each with its alerts (test, platform,
// magnitude, confidence), filtered by status and framework; every alert links to its graph.

import { api } from './api.js';
import { escapeHtml, formatTime, notify, pageParams, replaceParams, setupTopBar } from './common.js';

const PAGE_SIZE = 10;
export const SUMMARY_STATUSES = ['untriaged', 'downstream', 'reassigned', 'invalid', 'improvement', 'investigating', "won't fix", 'fixed', 'backed out', 'infra'];
export const ALERT_STATUSES = ['untriaged', 'downstream', 'reassigned', 'invalid', 'acknowledged', 'infra'];

const view = { repo: null, repository: null, frameworks: new Map(), page: 1, id: null };

function readForm() {
  return {
    status: document.getElementById('alert-status').value,
    framework: document.getElementById('alert-framework').value,
    hideImprovements: document.getElementById('alert-hide-improvements').checked,
  };
}

function writeUrl(form) {
  const params = pageParams();
  if (view.repo) params.set('repo', view.repo);
  params.set('status', form.status);
  if (form.framework) params.set('framework', form.framework);
  else params.delete('framework');
  if (form.hideImprovements) params.set('hide_improvements', '1');
  else params.delete('hide_improvements');
  if (view.page > 1) params.set('page', view.page);
  else params.delete('page');
  replaceParams(params);
}

function alertRowHtml(summary, alert) {
  const sig = alert.series_signature || {};
  const name = [sig.suite, sig.test && sig.test !== sig.suite ? sig.test : ''].filter(Boolean).join(' ');
  const kind = alert.is_regression ? 'regression' : 'improvement';
  const pct = Number(alert.amount_pct);
  const graph = `/perf/graphs?repo=${encodeURIComponent(summary.repository)}&framework=${summary.framework}&series=${sig.id}`;
  return `<tr class="alert-row" data-alert-id="${alert.id}">
    <td><a href="${escapeHtml(graph)}">${escapeHtml(name || sig.signature_hash || '?')}</a></td>
    <td>${escapeHtml(sig.machine_platform || '')}</td>
    <td class="${kind}">${escapeHtml(kind)}</td>
    <td class="num ${kind}" title="absolute change ${escapeHtml(alert.amount_abs)}">${pct.toFixed(2)}%</td>
    <td class="num">${escapeHtml(alert.prev_value)} → ${escapeHtml(alert.new_value)}</td>
    <td class="num" title="t-value">${escapeHtml(alert.t_value)}</td>
    <td><span class="status-badge">${escapeHtml(ALERT_STATUSES[alert.status] || alert.status)}</span></td>
  </tr>`;
}

function summaryHtml(summary) {
  const framework = view.frameworks.get(summary.framework) || `framework ${summary.framework}`;
  const jobsUrl = `/jobs?repo=${encodeURIComponent(summary.repository)}&revision=${encodeURIComponent(summary.revision || '')}`;
  const bug = summary.bug_number ? ` · <a href="https://bugzilla.mozilla.org/show_bug.cgi?id=${encodeURIComponent(summary.bug_number)}" rel="noopener noreferrer" target="_blank">bug ${escapeHtml(summary.bug_number)}</a>` : '';
  const alerts = (summary.alerts || []).slice().sort((a, b) => Number(b.is_regression) - Number(a.is_regression) || Number(b.amount_pct) - Number(a.amount_pct));
  const created = summary.push_timestamp ? formatTime(summary.push_timestamp) : String(summary.created || '').replace('T', ' ').slice(0, 16);
  return `<section class="alert-summary" data-summary-id="${summary.id}">
    <header class="alert-summary-head">
      <strong>Alert #${summary.id}</strong>
      <span>${escapeHtml(summary.repository)} · ${escapeHtml(framework)}</span>
      <a href="${escapeHtml(jobsUrl)}">${escapeHtml((summary.revision || '').slice(0, 12))}</a>
      <span class="muted">${escapeHtml(created)}</span>
      <span class="status-badge">${escapeHtml(SUMMARY_STATUSES[summary.status] || summary.status)}</span>${bug}
      <span class="spacer"></span>
      <span class="muted">${alerts.length} alert${alerts.length === 1 ? '' : 's'}</span>
    </header>
    <table class="alert-table">
      <thead><tr><th>Test</th><th>Platform</th><th></th><th>Magnitude</th><th>Previous → new</th><th>Confidence</th><th>Status</th></tr></thead>
      <tbody>${alerts.map((alert) => alertRowHtml(summary, alert)).join('')}</tbody>
    </table>
  </section>`;
}

async function load() {
  const form = readForm();
  writeUrl(form);
  const params = { page: view.page, limit: PAGE_SIZE };
  if (view.id) params.id = view.id;
  if (form.status !== '') params.status = form.status;
  if (form.framework) params.framework = form.framework;
  if (form.hideImprovements) params.hide_improvements = 'true';
  if (view.repository) params.repository = view.repository.id;
  const status = document.getElementById('alerts-status');
  status.textContent = 'Loading…';
  let answer;
  try {
    answer = await api.alertSummaries(params);
  } catch (error) {
    status.textContent = '';
    notify(`Could not load alerts: ${error.message}`, { error: true });
    return;
  }
  const summaries = answer.results || [];
  document.getElementById('alert-summaries').innerHTML = summaries.length ? summaries.map(summaryHtml).join('') : '<div class="muted">No alerts match.</div>';
  const total = answer.count ?? summaries.length;
  status.textContent = `${total} alert summar${total === 1 ? 'y' : 'ies'}`;
  document.getElementById('alerts-page').textContent = `page ${view.page} of ${Math.max(1, Math.ceil(total / PAGE_SIZE))}`;
  document.getElementById('alerts-prev').disabled = !answer.previous;
  document.getElementById('alerts-next').disabled = !answer.next;
  document.body.dataset.ready = 'true';
}

async function main() {
  const params = pageParams();
  view.repo = params.get('repo');
  view.page = Math.max(1, Number(params.get('page')) || 1);
  view.id = params.get('id');
  if (params.has('status')) document.getElementById('alert-status').value = params.get('status');
  if (view.id) document.getElementById('alert-status').value = '';
  document.getElementById('alert-hide-improvements').checked = params.get('hide_improvements') === '1';
  const [repositories, frameworks] = await Promise.all([
    setupTopBar(view.repo),
    api.perfFrameworks().catch(() => []),
  ]);
  view.repository = repositories.find((repo) => repo.name === view.repo) || null;
  for (const framework of frameworks) view.frameworks.set(framework.id, framework.name);
  const select = document.getElementById('alert-framework');
  select.insertAdjacentHTML('beforeend', frameworks.map((f) => `<option value="${f.id}">${escapeHtml(f.name)}</option>`).join(''));
  if (params.get('framework')) select.value = params.get('framework');
  document.getElementById('alert-filters').addEventListener('change', () => {
    view.page = 1;
    view.id = null;
    load();
  });
  document.getElementById('alerts-prev').addEventListener('click', () => {
    view.page = Math.max(1, view.page - 1);
    load();
  });
  document.getElementById('alerts-next').addEventListener('click', () => {
    view.page += 1;
    load();
  });
  await load();
}

main();
