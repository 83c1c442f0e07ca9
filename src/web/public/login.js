// Exchanges the token for an HttpOnly cookie, then returns to the page that sent us here.
// It cannot import the dashboard's modules (they are behind the sign-in), so it states its elements' types itself.
const form = /** @type {HTMLFormElement} */ (document.getElementById('login'));
form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const token = /** @type {HTMLInputElement} */ (document.getElementById('token')).value;
  const r = await fetch('/api/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  if (r.ok) {
    location.href = nextPlace();
    return;
  }
  const err = /** @type {HTMLElement} */ (document.getElementById('login-error'));
  err.textContent = r.status === 401 ? 'That token is not valid.' : `Sign-in failed (HTTP ${r.status}).`;
  err.hidden = false;
});

/**
 * Where to go after signing in: only a place on this server, resolved as the browser would (it reads "/\host" as
 * "//host"), never an open redirect.
 * @returns {string}
 */
function nextPlace() {
  try {
    const next = new URL(new URLSearchParams(location.search).get('next') ?? '/', location.origin);
    return next.origin === location.origin ? next.pathname + next.search + next.hash : '/';
  } catch {
    return '/';
  }
}
