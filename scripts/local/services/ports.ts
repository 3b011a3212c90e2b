// Port choice: a configured port must be free (else a clear error), otherwise the kernel picks a free one.
import net from 'node:net';
import { portBusyError } from './errors';

export const LOOPBACK = '127.0.0.1';

/** Resolves true when nothing listens on host:port (we can bind it ourselves). */
export function isPortFree(port: number, host: string = LOOPBACK): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') resolve(false);
      else reject(err);
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the kernel says is free right now; `avoid` keeps ports already handed out in this run distinct. */
export async function findFreePort(avoid: ReadonlySet<number> = new Set(), host: string = LOOPBACK): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen({ port: 0, host, exclusive: true }, () => {
        const address = server.address();
        const chosen = typeof address === 'object' && address !== null ? address.port : 0;
        server.close(() => resolve(chosen));
      });
    });
    if (port > 0 && !avoid.has(port)) return port;
  }
  throw new Error('could not obtain a free port from the kernel after 20 attempts');
}

export function validatePort(service: string, port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`port for ${service} must be an integer between 1 and 65535, got ${String(port)}`);
  }
}

/** The configured port if it is free (error naming the service otherwise), or a free one. */
export async function choosePort(service: string, configured: number | undefined, taken: Set<number>): Promise<number> {
  if (configured !== undefined) {
    validatePort(service, configured);
    if (taken.has(configured) || !(await isPortFree(configured))) throw portBusyError(service, configured);
    taken.add(configured);
    return configured;
  }
  const port = await findFreePort(taken);
  taken.add(port);
  return port;
}
