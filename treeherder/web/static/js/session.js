// The signed-in user and the writes a sheriff makes: JSON requests that carry the session's CSRF token.

import { ApiError } from './api.js';

/** The value of a cookie, or '' (the CSRF token is in the readable `csrftoken` cookie). */
function cookie(name) {
  const found = document.cookie.split('; ').find((item) => item.startsWith(`${name}=`));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : '';
}

/** Send a write (POST/DELETE...) with a JSON body and the X-CSRFToken header; throws ApiError when refused. */
export async function sendJSON(method, path, body) {
  const headers = { Accept: 'application/json', 'X-CSRFToken': cookie('csrftoken') };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const type = response.headers.get('content-type') || '';
  const answer = type.includes('json') ? await response.json() : await response.text();
  if (!response.ok) throw new ApiError(response.status, answer, path);
  return answer;
}

/** The signed-in user ({username, email, is_staff, is_superuser}) or null. */
export async function currentUser() {
  const response = await fetch('/api/user/', { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
  const users = response.ok ? await response.json() : [];
  return users.length ? users[0] : null;
}

export const signIn = (email, password) => sendJSON('POST', '/api/auth/login/', { email, password });
export const signOut = () => sendJSON('POST', '/api/auth/logout/');
