import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { errors } from '../errors.ts';

/** The cookie the sign-in page sets, so the browser sends the token with the page's own requests. */
export const TOKEN_COOKIE = 'adw_token';
/** What anyone may fetch: liveness, and the sign-in page with what it needs. */
const OPEN = new Set(['/api/health', '/login', '/login.html', '/login.js', '/dashboard.css', '/api/login', '/api/logout']);

const digest = (s: string) => createHash('sha256').update(s).digest();

function tokenOf(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length);
  return req.cookies[TOKEN_COOKIE];
}

/**
 * Requires `token` on every route but the open ones: as a bearer header (scripts, Prometheus) or the cookie that
 * POST /api/login sets (the page). Pages redirect to the sign-in page; API calls get 401.
 */
export async function requireToken(app: FastifyInstance, token: string): Promise<void> {
  await app.register(cookie);
  const want = digest(token);
  // Comparing digests keeps the comparison constant-time whatever the length given.
  const valid = (given: unknown) => typeof given === 'string' && timingSafeEqual(digest(given), want);
  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0]!;
    if (OPEN.has(path) || valid(tokenOf(req))) return;
    if (req.method === 'GET' && !path.startsWith('/api/') && path !== '/metrics') return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`);
    throw errors.unauthorized();
  });
  app.post('/api/login', async (req, reply) => {
    const given = (req.body as { token?: unknown } | undefined)?.token;
    if (!valid(given)) throw errors.unauthorized();
    return reply.setCookie(TOKEN_COOKIE, given as string, { path: '/', httpOnly: true, sameSite: 'strict' }).send({ ok: true });
  });
  app.post('/api/logout', async (_req, reply) => reply.clearCookie(TOKEN_COOKIE, { path: '/' }).send({ ok: true }));
}
