// Classifying failures from the jobs view: a pinboard of jobs (space or ctrl-click pins the selected job), one form
// that classifies every pinned job at once (classification + bug number and/or note; `c` opens it), and one-click
// bug links from a failure's bug suggestions. Writes go through the sheriffing API with the session's CSRF token.

import { api } from './api.js';
import { escapeHtml, notify } from './common.js';
import { currentUser, sendJSON } from './session.js';

const INTERMITTENT = 4;
const project = (repo) => `/api/project/${encodeURIComponent(repo)}`;

/** Classify jobs: a note with the classification (and text) on each, then the bug link if a bug is given. */
export async function classifyJobs(repo, jobIds, { classificationId, bugId = null, text = '' }) {
  for (const jobId of jobIds) {
    await sendJSON('POST', `${project(repo)}/note/`, { job_id: jobId, failure_classification_id: classificationId, text });
    if (bugId) await sendJSON('POST', `${project(repo)}/bug-job-map/`, { job_id: jobId, bug_id: bugId });
  }
}

/**
 * Wire the pinboard and the classification form. `view` gives: repo(), selectedJobId(), isPinned(id),
 * setPinned(ids), and refresh(jobIds) which reloads those jobs and redraws them.
 */
export function setupClassification(view) {
  const board = document.getElementById('pinboard');
  const form = document.getElementById('classify-form');
  const select = document.getElementById('classify-classification');
  const pinned = new Set();
  let user = null;
  currentUser().then((found) => {
    user = found;
    document.getElementById('pinboard-user').textContent = found ? found.email : '';
  });
  api.failureClassifications().then((items) => {
    select.innerHTML = items.filter((item) => item.id !== 1)
      .map((item) => `<option value="${item.id}"${item.id === INTERMITTENT ? ' selected' : ''}>${escapeHtml(item.name)}</option>`).join('');
  }).catch(() => {});

  function showBoard() {
    board.hidden = pinned.size === 0 && form.hidden;
    document.getElementById('pinboard-count').textContent = `${pinned.size} job${pinned.size === 1 ? '' : 's'} pinned`;
    view.setPinned(pinned);
  }

  function toggle(jobId) {
    if (jobId === null || jobId === undefined) return;
    if (pinned.has(jobId)) pinned.delete(jobId);
    else pinned.add(jobId);
    showBoard();
  }

  function open() {
    if (!pinned.size && view.selectedJobId() !== null) pinned.add(view.selectedJobId());
    if (!pinned.size) {
      notify('Select or pin failed jobs first (space pins the selected job)');
      return;
    }
    if (!user) {
      notify('Sign in as a sheriff to classify failures', { error: true });
      return;
    }
    form.hidden = false;
    showBoard();
    document.getElementById('classify-bug').focus();
  }

  function close() {
    form.hidden = true;
    showBoard();
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const bugText = document.getElementById('classify-bug').value.trim();
    const bugId = bugText ? Number(bugText.replace(/^bug\s*/i, '')) : null;
    if (bugText && !Number.isInteger(bugId)) {
      notify(`Not a bug number: ${bugText}`, { error: true });
      return;
    }
    const ids = [...pinned];
    try {
      await classifyJobs(view.repo(), ids, {
        classificationId: Number(select.value), bugId, text: document.getElementById('classify-text').value.trim(),
      });
    } catch (failure) {
      notify(`Classification failed: ${failure.message}`, { error: true });
      return;
    }
    notify(`Classified ${ids.length} job${ids.length === 1 ? '' : 's'}`);
    pinned.clear();
    form.reset();
    close();
    await view.refresh(ids);
  });
  document.getElementById('classify-cancel').addEventListener('click', close);
  document.getElementById('pinboard-clear').addEventListener('click', () => {
    pinned.clear();
    close();
  });
  document.getElementById('pinboard-classify').addEventListener('click', open);

  // One click turns a bug suggestion into a bug link (and an intermittent classification) of that job.
  document.addEventListener('click', async (event) => {
    const button = event.target.closest('.link-bug');
    if (!button) return;
    const jobId = Number(button.dataset.job);
    try {
      await classifyJobs(view.repo(), [jobId], { classificationId: INTERMITTENT, bugId: Number(button.dataset.bug) });
    } catch (failure) {
      notify(`Could not link the bug: ${failure.message}`, { error: true });
      return;
    }
    button.disabled = true;
    button.textContent = 'linked';
    await view.refresh([jobId]);
  });

  return {
    toggle,
    open,
    isOpen: () => !form.hidden,
    pinned: () => pinned,
  };
}
