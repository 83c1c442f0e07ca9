import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isAdwError } from '../errors.ts';

/** Maps every error to one JSON shape and an HTTP status: ADW errors by their table entry, the rest as 500. */
export function errorHandler(error: FastifyError | Error, _req: FastifyRequest, reply: FastifyReply): void {
  if (isAdwError(error)) {
    void reply.status(error.statusCode).send({ error: { code: error.code, message: error.message } });
    return;
  }
  const fe = error as FastifyError;
  if (fe.validation || (fe.statusCode && fe.statusCode < 500)) {
    void reply.status(fe.statusCode ?? 400).send({ error: { code: fe.code ?? 'ADW_ERR_BAD_REQUEST', message: fe.message } });
    return;
  }
  reply.log.error(error);
  void reply.status(500).send({ error: { code: 'ADW_ERR_INTERNAL', message: 'internal error' } });
}
