import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * Security headers on every answer. The page runs only its own files: no inline script, handler or style sheet (uPlot
 * styles through the DOM, which CSP allows), never inside a frame, and sends no referrer. HSTS and
 * upgrade-insecure-requests only when the server sits behind TLS: over plain HTTP they would break the page.
 */
export async function securityHeaders(app: FastifyInstance, behindTls: boolean): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        'style-src': ["'self'"],
        'frame-ancestors': ["'none'"],
        'upgrade-insecure-requests': behindTls ? [] : null,
      },
    },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: behindTls,
  });
}
