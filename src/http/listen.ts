import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { errors } from '../errors.ts';

/**
 * Starts listening; a port in use is the user's mistake about `option`, reported in one line. Returns the bound port.
 */
export async function listenOn(app: FastifyInstance, port: number, host: string, option: string): Promise<number> {
  try {
    await app.listen({ port, host });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw errors.badOption(option, `port ${port} is in use (try 0 for a free one)`);
    throw e;
  }
  return (app.server.address() as AddressInfo).port;
}
