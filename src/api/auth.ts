import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { errors } from '../errors.ts';

/** The cookie the sign-in page sets, so the browser sends the token with the page's own requests. */
export const TOKEN_COOKIE = 'adw_token';
/** What anyone may fetch: liveness, and the sign-in page with what it needs. */
const OPEN = new Set([
  '/api/health',
  '/login',
  '/login.html',
  '/login.js',
  '/dashboard.css',
  '/api/login',
  '/api/logout',
]);

/** Sign-in attempts allowed per client address and window: enough for typos, far too few for guessing. */
export const SIGN_IN_LIMIT = { max: 10, timeWindow: 60_000 };

const digest = (s: string) => createHash('sha256').update(s).digest();

function tokenOf(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length);
  return req.cookies[TOKEN_COOKIE];
}

/**
 * Requires `token` on every route but the open ones: as a bearer header (scripts, Prometheus) or the cookie that
 * POST /api/login sets (the page). Pages redirect to the sign-in page; API calls get 401. Sign-in is rate-limited per
 * client; `secureCookie` (the server sits behind TLS) keeps the cookie off plain HTTP.
 */
export async function requireToken(app: FastifyInstance, token: string, secureCookie = false): Promise<void> {
  await app.register(cookie);
  // Only routes that ask for it are limited: scripts holding the token are never throttled.
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, context) =>
      errors.rateLimited(`too many sign-in attempts from this client: retry in ${context.after}`),
  });
  const want = digest(token);
  // Comparing digests keeps the comparison constant-time whatever the length given.
  const valid = (given: unknown) => typeof given === 'string' && timingSafeEqual(digest(given), want);
  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0]!;
    if (OPEN.has(path) || valid(tokenOf(req))) return;
    if (req.method === 'GET' && !path.startsWith('/api/') && path !== '/metrics')
      return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`);
    throw errors.unauthorized();
  });
  const cookieOptions = { path: '/', httpOnly: true, sameSite: 'strict', secure: secureCookie } as const;
  app.post('/api/login', { config: { rateLimit: SIGN_IN_LIMIT } }, async (req, reply) => {
    const given = (req.body as { token?: unknown } | undefined)?.token;
    if (!valid(given)) throw errors.unauthorized();
    return reply.setCookie(TOKEN_COOKIE, given as string, cookieOptions).send({ ok: true });
  });
  app.post('/api/logout', async (_req, reply) => reply.clearCookie(TOKEN_COOKIE, cookieOptions).send({ ok: true }));
}
