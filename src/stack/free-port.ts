import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { errors } from '../errors.ts';

/**
 * The lowest port the kernel hands out for outgoing connections. A port picked inside that range can be taken by any
 * client's connection between the pick and the server's bind (CI saw Flink's blob server lose its port so).
 */
function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

/** Whether a server can listen on `port` on loopback right now. */
async function canListen(port: number): Promise<boolean> {
  const server = createServer();
  const bound = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false)).listen(port, '127.0.0.1', () => resolve(true));
  });
  if (bound) await new Promise<void>((resolve) => server.close(() => resolve()));
  return bound;
}

const handedOut = new Set<number>();

/**
 * A TCP port free on loopback right now, for a server that cannot bind port 0 itself and report it: below the range
 * of outgoing connections' ports, so that only another server can take it before it is bound, and never the same one
 * twice in a process.
 */
export async function freePort(): Promise<number> {
  const high = ephemeralLow() - 1;
  const low = Math.max(1024, high - 20_000);
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (!handedOut.has(port) && (await canListen(port))) {
      handedOut.add(port);
      return port;
    }
  }
  throw errors.stackUnavailable('ports', `no free port between ${low} and ${high} after 200 tries`);
}
