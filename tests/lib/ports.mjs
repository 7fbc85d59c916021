// Helpers shared by the end-to-end suites.
import { createServer } from 'node:net';

/** freePort asks the kernel for a port that is free on 127.0.0.1. */
export async function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}
