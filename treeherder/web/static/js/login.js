// The sign-in page: email + password, or the configured OpenID Connect provider.

import { currentUser, signIn, signOut } from './session.js';

function showUser(user) {
  const line = document.getElementById('signed-in-as');
  line.hidden = !user;
  line.textContent = user ? `Signed in as ${user.email}${user.is_staff ? ' (sheriff)' : ''}.` : '';
  document.getElementById('logout').hidden = !user;
  document.getElementById('login-form').hidden = Boolean(user);
}

async function main() {
  showUser(await currentUser());
  document.getElementById('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const error = document.getElementById('login-error');
    error.hidden = true;
    try {
      await signIn(document.getElementById('login-email').value, document.getElementById('login-password').value);
      const next = new URLSearchParams(window.location.search).get('next');
      // Only same-site paths: never bounce a freshly signed-in user to another site.
      window.location.assign(next && next.startsWith('/') && !next.startsWith('//') ? next : '/');
    } catch (failure) {
      error.textContent = failure.body && failure.body.detail ? failure.body.detail : String(failure);
      error.hidden = false;
    }
  });
  document.getElementById('logout').addEventListener('click', async () => {
    await signOut();
    showUser(null);
  });
  document.body.dataset.ready = 'true';
}

main();
