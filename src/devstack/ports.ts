// Free loopback ports for dev services, and a start loop that picks again when another process
// grabbed the port between the pick and the bind.
import fs from 'node:fs';
import net from 'node:net';

/** Ask the kernel for a free TCP port on 127.0.0.1 (racy by nature, but fine for local services). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export const isPortClash = (err: unknown): boolean => /address already in use/i.test(String((err as Error)?.message ?? err));

/**
 * Starts a server on freshly picked ports. freePort() is racy with other processes starting
 * servers, so on a port clash it picks again (3 attempts); on failure the temp dir is removed.
 */
export async function startOnFreePorts(
  pick: () => Promise<void>,
  start: () => Promise<void>,
  files: { logFile: string; tmpDir: string },
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await pick();
    fs.writeFileSync(files.logFile, '');
    try {
      await start();
      return;
    } catch (err) {
      if (attempt < 3 && isPortClash(err)) continue;
      fs.rmSync(files.tmpDir, { recursive: true, force: true });
      throw err;
    }
  }
}
