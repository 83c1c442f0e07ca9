// Exchanges the token for an HttpOnly cookie, then returns to the page that sent us here.
const form = document.getElementById('login');
form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const token = document.getElementById('token').value;
  const r = await fetch('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  if (r.ok) {
    const next = new URLSearchParams(location.search).get('next');
    // Only same-site paths: never an open redirect.
    location.href = next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
    return;
  }
  const err = document.getElementById('login-error');
  err.textContent = r.status === 401 ? 'That token is not valid.' : `Sign-in failed (HTTP ${r.status}).`;
  err.hidden = false;
});
