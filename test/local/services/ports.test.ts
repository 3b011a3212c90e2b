import net from 'node:net';
import { choosePort, findFreePort, isPortFree } from '../../../scripts/local/services/ports';
import { LocalServicesError } from '../../../scripts/local/services/errors';

function listen(): Promise<{ port: number; close: () => Promise<void> }> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({ port, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

describe('port choice', () => {
  it('picks a port that is free and not among those already handed out', async () => {
    const first = await findFreePort();
    const second = await findFreePort(new Set([first]));
    expect(second).not.toBe(first);
    expect(await isPortFree(second)).toBe(true);
  });

  it('reports a port with a listener as busy', async () => {
    const server = await listen();
    try {
      expect(await isPortFree(server.port)).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('keeps a configured free port and records it as taken', async () => {
    const port = await findFreePort();
    const taken = new Set<number>();
    expect(await choosePort('mlflow', port, taken)).toBe(port);
    expect(taken.has(port)).toBe(true);
  });

  it('refuses a busy configured port with an error naming the service, the port and the fix', async () => {
    const server = await listen();
    try {
      const err = await choosePort('kafka', server.port, new Set()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LocalServicesError);
      expect((err as LocalServicesError).code).toBe('PORT_BUSY');
      expect((err as Error).message).toContain(`port ${server.port} configured for kafka is already in use`);
      expect((err as Error).message).toContain('leave the port unset');
    } finally {
      await server.close();
    }
  });

  it('refuses the same configured port for two services', async () => {
    const port = await findFreePort();
    const taken = new Set<number>();
    await choosePort('mlflow', port, taken);
    await expect(choosePort('aws', port, taken)).rejects.toMatchObject({ code: 'PORT_BUSY' });
  });

  it('rejects a port number outside 1..65535', async () => {
    await expect(choosePort('aws', 70000, new Set())).rejects.toThrow('port for aws must be an integer between 1 and 65535');
  });
});
