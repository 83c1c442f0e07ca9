import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import test from 'node:test';
import { freePort } from '../../src/stack/free-port.ts';

// A port in the range the kernel gives outgoing connections can be taken by any client between the pick and the bind.
test('free ports lie below the outgoing connections’ range, differ from each other, and can be bound', async () => {
  const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  const ports = [];
  // Enough picks that, drawn at random, some would repeat: the process remembers what it handed out.
  for (let i = 0; i < 1000; i++) ports.push(await freePort());
  assert.equal(new Set(ports).size, ports.length);
  for (const port of ports) {
    assert.ok(port >= 1024 && port < low, `${port} is not in [1024, ${low})`);
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
