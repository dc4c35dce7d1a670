// Pieces every page shares: the top bar (repository picker, view links), escaping, formatting, notices.

import { api } from './api.js';
import { currentUser } from './session.js';

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe to put in HTML (element content or a quoted attribute). */
export function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** The page's query parameters. */
export function pageParams() {
  return new URLSearchParams(window.location.search);
}

/** Replace the page's query string without reloading (the URL always describes what is shown). */
export function replaceParams(params) {
  const text = params.toString();
  const url = `${window.location.pathname}${text ? `?${text}` : ''}${window.location.hash}`;
  window.history.replaceState(null, '', url);
}

export function formatTime(seconds) {
  if (!seconds) return '';
  const date = new Date(seconds * 1000);
  return date.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function formatDuration(seconds) {
  if (!seconds || seconds < 0) return '';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return h ? `${h} h ${m} min` : m ? `${m} min ${s} s` : `${s} s`;
}

let noticeTimer = null;

/** Show a message in the banner under the top bar (errors stay until the next message). */
export function notify(message, { error = false, timeout = 5000 } = {}) {
  const box = document.getElementById('notice');
  if (!box) return;
  box.textContent = message;
  box.classList.toggle('error', error);
  box.hidden = false;
  clearTimeout(noticeTimer);
  if (!error) noticeTimer = setTimeout(() => { box.hidden = true; }, timeout);
}

/** Put the signed-in user's email in place of "Sign in" (the link leads to the page where they can sign out). */
async function showSignedInUser() {
  const link = document.querySelector('.login-link');
  const user = link ? await currentUser().catch(() => null) : null;
  if (!user) return;
  link.textContent = user.email;
  link.title = user.is_staff ? 'Signed in as a sheriff: sign out' : 'Signed in: sign out';
  link.classList.add('signed-in');
}

/** Fill the repository picker and keep the view links on the current repository. */
export async function setupTopBar(currentRepo, { onChange } = {}) {
  const select = document.getElementById('repo-select');
  const updateLinks = (repo) => {
    for (const link of document.querySelectorAll('a[data-keep-repo]')) {
      const url = new URL(link.getAttribute('href'), window.location.origin);
      if (repo) url.searchParams.set('repo', repo);
      link.setAttribute('href', `${url.pathname}${url.search}`);
    }
  };
  showSignedInUser();
  const view = document.body.className.replace('-page', '');
  for (const link of document.querySelectorAll('a[data-view]')) link.classList.toggle('active', link.dataset.view === view);
  updateLinks(currentRepo);
  let repositories = [];
  try {
    repositories = await api.repositories();
  } catch (error) {
    notify(`Could not load the repositories: ${error.message}`, { error: true });
    return [];
  }
  const groups = new Map();
  for (const repo of repositories) {
    const name = repo.repository_group ? repo.repository_group.name : 'other';
    if (!groups.has(name)) groups.set(name, []);
    groups.get(name).push(repo);
  }
  const html = [];
  for (const [group, repos] of groups) {
    html.push(`<optgroup label="${escapeHtml(group)}">`);
    for (const repo of repos) {
      html.push(`<option value="${escapeHtml(repo.name)}"${repo.name === currentRepo ? ' selected' : ''}>${escapeHtml(repo.name)}</option>`);
    }
    html.push('</optgroup>');
  }
  select.innerHTML = html.join('');
  select.addEventListener('change', () => {
    updateLinks(select.value);
    if (onChange) onChange(select.value);
    else {
      const params = pageParams();
      params.set('repo', select.value);
      window.location.search = params.toString();
    }
  });
  return repositories;
}

/** The link to a revision in its repository's web interface (hg or GitHub). */
export function revisionUrl(repository, revision) {
  if (!repository || !repository.url) return null;
  const base = repository.url.replace(/\/$/, '');
  if (repository.dvcs_type === 'git') return `${base}/commit/${revision}`;
  return `${base}/rev/${revision}`;
}

/** Whether a URL is http(s) (anything else is not made into a link). */
export function isHttpUrl(value) {
  try {
    const url = new URL(value, window.location.origin);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
