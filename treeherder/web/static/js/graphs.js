// Performance graphs: pick a framework and test/platform signatures of a repository, see their series over time
// with alerts marked; hover a point for its value and push, drag to zoom. The URL holds the whole view.

import { api } from './api.js';
import { drawChart, PALETTE } from './chart.js';
import { escapeHtml, formatTime, notify, pageParams, replaceParams, setupTopBar } from './common.js';

const MAX_LISTED = 400; // signatures listed at once (the filter narrows the rest)

const view = {
  repo: null,
  framework: null,
  interval: 7776000, // seconds back from now; 0 = all data
  signatures: [], // of the chosen framework
  selected: new Map(), // signature id -> {signature, points, alerts, color}
  optionNames: new Map(), // option collection hash -> "opt"
  xRange: null,
  pinned: false,
  autoInterval: true, // the time range was not chosen in the URL: widen it when it shows nothing
};

function signatureName(sig) {
  const options = view.optionNames.get(sig.option_collection_hash) || '';
  const test = sig.test && sig.test !== sig.suite ? ` ${sig.test}` : '';
  return `${sig.suite}${test} · ${sig.machine_platform}${options ? ` ${options}` : ''}`;
}

function writeUrl() {
  const params = pageParams();
  params.set('repo', view.repo);
  if (view.framework) params.set('framework', view.framework);
  params.set('interval', view.interval);
  if (view.selected.size) params.set('series', [...view.selected.keys()].join(','));
  else params.delete('series');
  if (view.xRange) params.set('zoom', view.xRange.join(','));
  else params.delete('zoom');
  replaceParams(params);
}

function renderSignatureList() {
  const filter = document.getElementById('signature-filter').value.trim().toLowerCase();
  const words = filter.split(/\s+/).filter(Boolean);
  const matching = view.signatures.filter((sig) => {
    const text = signatureName(sig).toLowerCase();
    return words.every((word) => text.includes(word));
  });
  const html = matching.slice(0, MAX_LISTED).map((sig) => `<li><label><input type="checkbox" value="${sig.id}"${view.selected.has(sig.id) ? ' checked' : ''}>`
    + `<span>${escapeHtml(signatureName(sig))}</span></label></li>`);
  if (matching.length > MAX_LISTED) html.push(`<li class="muted">${matching.length - MAX_LISTED} more: narrow the filter</li>`);
  if (!matching.length) html.push('<li class="muted">No signatures.</li>');
  document.getElementById('signature-list').innerHTML = html.join('');
}

function renderLegend() {
  const items = [...view.selected.entries()].map(([id, entry]) => `<li data-series="${id}"><span class="swatch" data-color="${entry.color}"></span>`
    + `${escapeHtml(signatureName(entry.signature))} <span class="muted">${entry.points.length} points, ${entry.alerts.length} alert${entry.alerts.length === 1 ? '' : 's'}</span>`
    + `<button type="button" class="remove-series" data-series="${id}" title="Remove">×</button></li>`);
  const legend = document.getElementById('series-legend');
  legend.innerHTML = items.join('');
  // Colours are set through the CSSOM (the CSP forbids inline style attributes).
  for (const swatch of legend.querySelectorAll('.swatch')) swatch.style.background = swatch.dataset.color;
}

function tooltipHtml(hit) {
  const { series, point, alert } = hit;
  const jobsUrl = `/jobs?repo=${encodeURIComponent(view.repo)}&revision=${encodeURIComponent(point.revision || '')}`;
  const lines = [
    `<div><strong>${escapeHtml(series.name)}</strong></div>`,
    `<div>value <strong>${escapeHtml(point.y)}</strong></div>`,
    `<div class="muted">${escapeHtml(formatTime(point.x))}</div>`,
  ];
  if (point.revision) lines.push(`<div>push <a href="${escapeHtml(jobsUrl)}">${escapeHtml(point.revision.slice(0, 12))}</a></div>`);
  if (point.jobId) lines.push(`<div><a href="/jobs?repo=${encodeURIComponent(view.repo)}&amp;revision=${encodeURIComponent(point.revision || '')}&amp;job=${point.jobId}">job ${point.jobId}</a></div>`);
  if (alert) {
    lines.push(`<div class="${alert.isRegression ? 'regression' : 'improvement'}">${alert.isRegression ? 'Regression' : 'Improvement'} ${escapeHtml(alert.label)}</div>`);
    lines.push(`<div><a href="/perf/alerts?repo=${encodeURIComponent(view.repo)}&amp;id=${alert.summaryId}">alert summary ${alert.summaryId}</a></div>`);
  }
  return lines.join('');
}

function showTooltip(hit, position) {
  const tip = document.getElementById('chart-tooltip');
  if (!hit) {
    if (!view.pinned) tip.hidden = true;
    return;
  }
  tip.innerHTML = tooltipHtml(hit);
  tip.hidden = false;
  // Only a pinned tooltip takes the mouse (for its links); a hover tooltip must not get in the way of dragging.
  tip.classList.toggle('pinned', view.pinned);
  const chart = document.getElementById('chart');
  const left = chart.offsetLeft + Math.min(position.x + 12, position.width - 220);
  const top = chart.offsetTop + Math.max(0, position.y - 20);
  tip.style.left = `${left}px`;
  tip.style.top = `${top}px`;
}

function redraw() {
  const series = [...view.selected.values()].map((entry) => ({
    id: entry.signature.id,
    name: signatureName(entry.signature),
    color: entry.color,
    points: entry.points,
    alerts: entry.alerts,
  }));
  drawChart(document.getElementById('chart'), series, {
    xRange: view.xRange,
    onZoom: (range) => {
      view.xRange = range;
      view.pinned = false;
      document.getElementById('zoom-reset').disabled = false;
      writeUrl();
      redraw();
    },
    onHover: (hit, position) => {
      if (!view.pinned) showTooltip(hit, position);
    },
    onPick: (hit, position) => {
      view.pinned = true;
      showTooltip(hit, position);
    },
  });
  document.getElementById('zoom-reset').disabled = !view.xRange;
  renderLegend();
  const points = series.reduce((n, s) => n + s.points.length, 0);
  document.getElementById('graph-status').textContent = series.length ? `${series.length} series, ${points} points` : 'Pick series on the left.';
}

function nextColor() {
  const used = new Set([...view.selected.values()].map((entry) => entry.color));
  return PALETTE.find((color) => !used.has(color)) || PALETTE[view.selected.size % PALETTE.length];
}

async function loadSeries(signature) {
  const color = nextColor();
  const entry = { signature, points: [], alerts: [], color };
  view.selected.set(signature.id, entry);
  const [data, summaries] = await Promise.all([
    api.perfData(view.repo, { signature_id: signature.id, interval: view.interval || undefined }),
    api.alertSummaries({ alerts__series_signature: signature.id, limit: 100 }).catch(() => ({ results: [] })),
  ]);
  const datums = Object.values(data).flat().filter((d) => d.signature_id === undefined || d.signature_id === signature.id);
  datums.sort((a, b) => a.push_timestamp - b.push_timestamp);
  entry.points = datums.map((d) => ({ x: d.push_timestamp, y: d.value, pushId: d.push_id, revision: d.revision, jobId: d.job_id }));
  for (const summary of summaries.results || []) {
    for (const alert of summary.alerts || []) {
      const sig = alert.series_signature || {};
      if (sig.id !== signature.id) continue;
      const point = entry.points.find((p) => p.pushId === summary.push_id);
      if (!point) continue;
      const pct = Number(alert.amount_pct);
      entry.alerts.push({
        id: alert.id,
        summaryId: summary.id,
        pushId: summary.push_id,
        x: point.x,
        y: point.y,
        isRegression: alert.is_regression,
        label: `${pct.toFixed(1)}% (${alert.prev_value} → ${alert.new_value}, confidence ${alert.t_value})`,
      });
    }
  }
}

async function addSeries(id) {
  let signature = view.signatures.find((sig) => sig.id === id);
  if (!signature) {
    const found = Object.values(await api.perfSignatures(view.repo, { id }));
    signature = found[0];
    if (!signature) {
      notify(`No performance signature ${id} in ${view.repo}`, { error: true });
      return;
    }
  }
  try {
    await loadSeries(signature);
  } catch (error) {
    view.selected.delete(signature.id);
    notify(`Could not load series ${id}: ${error.message}`, { error: true });
  }
}

async function loadSignatures() {
  document.getElementById('signature-list').innerHTML = '<li class="muted">Loading…</li>';
  try {
    const answer = await api.perfSignatures(view.repo, { framework: view.framework, interval: view.interval || undefined });
    view.signatures = Object.values(answer).sort((a, b) => signatureName(a).localeCompare(signatureName(b)));
    if (!view.signatures.length && view.autoInterval && view.interval !== 0) {
      // No recent data at all: offer every series of the framework instead of an empty list.
      view.interval = 0;
      document.getElementById('interval-select').value = '0';
      writeUrl();
      await loadSignatures();
      return;
    }
  } catch (error) {
    view.signatures = [];
    notify(`Could not load signatures: ${error.message}`, { error: true });
  }
  renderSignatureList();
}

function wire() {
  document.getElementById('signature-list').addEventListener('change', async (event) => {
    const box = event.target.closest('input[type=checkbox]');
    if (!box) return;
    const id = Number(box.value);
    if (box.checked) await addSeries(id);
    else view.selected.delete(id);
    writeUrl();
    redraw();
  });
  document.getElementById('series-legend').addEventListener('click', (event) => {
    const button = event.target.closest('.remove-series');
    if (!button) return;
    view.selected.delete(Number(button.dataset.series));
    writeUrl();
    renderSignatureList();
    redraw();
  });
  document.getElementById('signature-filter').addEventListener('input', renderSignatureList);
  document.getElementById('framework-select').addEventListener('change', async (event) => {
    view.framework = Number(event.target.value);
    writeUrl();
    await loadSignatures();
  });
  document.getElementById('interval-select').addEventListener('change', async (event) => {
    view.interval = Number(event.target.value);
    view.autoInterval = false;
    const ids = [...view.selected.keys()];
    view.selected.clear();
    view.xRange = null;
    for (const id of ids) await addSeries(id);
    writeUrl();
    redraw();
    await loadSignatures();
  });
  document.getElementById('zoom-reset').addEventListener('click', () => {
    view.xRange = null;
    view.pinned = false;
    writeUrl();
    redraw();
  });
  document.getElementById('chart').addEventListener('mouseleave', () => {
    if (!view.pinned) document.getElementById('chart-tooltip').hidden = true;
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      view.pinned = false;
      document.getElementById('chart-tooltip').hidden = true;
    }
  });
  let resizing = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizing);
    resizing = setTimeout(redraw, 100);
  });
}

async function main() {
  const params = pageParams();
  view.repo = params.get('repo') || 'mozilla-central';
  const askedInterval = params.get('interval');
  if (askedInterval !== null && Number.isFinite(Number(askedInterval))) {
    view.interval = Number(askedInterval);
    view.autoInterval = false;
  }
  const zoom = (params.get('zoom') || '').split(',').map(Number);
  if (zoom.length === 2 && zoom.every((n) => n > 0)) view.xRange = zoom;
  document.getElementById('interval-select').value = String(view.interval);
  wire();
  setupTopBar(view.repo);
  const [frameworks, optionHashes] = await Promise.all([
    api.perfFrameworks().catch((error) => {
      notify(`Could not load performance frameworks: ${error.message}`, { error: true });
      return [];
    }),
    api.optionCollectionHashes().catch(() => []),
  ]);
  for (const item of optionHashes) view.optionNames.set(item.option_collection_hash, item.options.map((o) => o.name).join(' '));
  const seriesIds = (params.get('series') || '').split(',').map(Number).filter(Boolean);
  for (const id of seriesIds) await addSeries(id);
  if (view.autoInterval && view.selected.size && [...view.selected.values()].every((entry) => !entry.points.length)) {
    // Nothing recent (an old dataset, a retired test): show the series' whole history rather than an empty graph.
    view.interval = 0;
    document.getElementById('interval-select').value = '0';
    view.selected.clear();
    for (const id of seriesIds) await addSeries(id);
  }
  const first = view.selected.values().next().value;
  view.framework = Number(params.get('framework')) || (first && first.signature.framework_id) || (frameworks[0] && frameworks[0].id) || null;
  document.getElementById('framework-select').innerHTML = frameworks.map((f) => `<option value="${f.id}"${f.id === view.framework ? ' selected' : ''}>${escapeHtml(f.name)}</option>`).join('');
  writeUrl();
  redraw();
  await loadSignatures();
  document.body.dataset.ready = 'true';
}

main();
