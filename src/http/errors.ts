import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type AdwError, errors, isAdwError } from '../errors.ts';

/** The ADW error for each client-error status fastify or its plugins raise with their own codes (FST_ERR_*). */
const byStatus: Record<number, (why: string) => AdwError> = {
  400: errors.badRequest,
  404: errors.notFound,
  408: errors.requestTimeout,
  413: errors.bodyTooLarge,
  415: errors.unsupportedMediaType,
  429: errors.rateLimited,
  431: errors.headersTooLarge,
};

/**
 * Any error as an ADW error: ADW errors as they are, client errors by their status (other 4xx as 400), the rest as
 * internal.
 */
export function toAdwError(error: unknown): AdwError {
  if (isAdwError(error)) return error;
  const fe = error as Partial<FastifyError>;
  const status = fe.validation ? 400 : (fe.statusCode ?? 500);
  if (status >= 400 && status < 500)
    return (byStatus[status] ?? errors.badRequest)(String(fe.message ?? STATUS_CODES[status]));
  return errors.internal();
}

/** The one JSON shape of every error answer. */
function body(e: AdwError): { error: { code: string; message: string } } {
  return { error: { code: e.code, message: e.message } };
}

/** Maps every error to one JSON shape and an HTTP status: ADW errors by their table entry, the rest as above. */
export function errorHandler(error: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void {
  const e = toAdwError(error);
  // The client sees only "internal error"; whoever runs the server needs the cause, so it goes to stderr.
  if (e.statusCode >= 500 && !isAdwError(error))
    process.stderr.write(
      `adw: internal error answering ${req.method} ${req.url.slice(0, 200)}: ${error.stack ?? error.message}\n`,
    );
  void reply.status(e.statusCode).send(body(e));
}

/** Answers a route that does not exist (and a static file that is not there) in the same shape. */
export function notFoundHandler(req: FastifyRequest, reply: FastifyReply): void {
  const e = errors.notFound(`${req.method} ${req.url.slice(0, 200)}`);
  void reply.status(e.statusCode).send(body(e));
}

/**
 * Answers, in the same shape, a request Node's HTTP parser refused before fastify saw it: oversized headers (431),
 * headers or body not received in time (408), malformed HTTP (400). The connection is then closed. Returns the
 * error answered, or null when the client had already gone.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): AdwError | null {
  if (err.code === 'ECONNRESET' || socket.destroyed) return null;
  const e =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? errors.headersTooLarge(`over ${maxHeaderSize} bytes`)
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? errors.requestTimeout('the request was not received in time')
        : errors.badRequest('malformed HTTP request');
  if (socket.writable) {
    const json = JSON.stringify(body(e));
    socket.write(
      `HTTP/1.1 ${e.statusCode} ${STATUS_CODES[e.statusCode]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy();
  return e;
}

/**
 * Fastify options that route fastify's own refusals (bad URL, see `frameworkErrors`) and Node's (see `clientError`)
 * to the handlers above; `onClientError` hears of each refusal on the socket, to count it.
 */
export function adwErrorOptions(onClientError?: (e: AdwError) => void) {
  return {
    frameworkErrors: errorHandler,
    clientErrorHandler(err: Error, socket: Duplex) {
      const e = answerClientError(err, socket);
      if (e) onClientError?.(e);
    },
  };
}

/** Installs the error and not-found handlers on a root instance, before any plugin, so every plugin inherits them. */
export function useAdwErrors(app: FastifyInstance): void {
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
}
