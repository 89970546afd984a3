import { createServer } from 'node:net';

/** A 127.0.0.1 port nothing listens on now (bound on port 0, then closed): for a server to start on, or to find nothing. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolvePort(port) : reject(new Error('no port from the OS'))));
    });
  });
}
