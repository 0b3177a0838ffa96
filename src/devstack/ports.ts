// Free loopback ports for dev services, a start loop that picks again when another process grabbed
// the port between the pick and the bind, and who holds a port (for refusals that name the holder).
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

/** Whether 127.0.0.1:`port` can be bound right now (a listener on 0.0.0.0 or [::] blocks it too). */
export function canBind(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(false) : reject(err)));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Inodes of the sockets listening on `port` on any local address (Linux /proc); undefined without /proc. */
export function listeningInodes(port: number): Set<string> | undefined {
  const tables = ['/proc/net/tcp', '/proc/net/tcp6'].filter((f) => fs.existsSync(f));
  if (tables.length === 0) return undefined;
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return new Set(
    tables
      .flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').slice(1))
      .map((line) => line.trim().split(/\s+/))
      // fields: sl local_address rem_address st ... inode; st 0A = LISTEN
      .filter((f) => f.length > 9 && f[1].endsWith(`:${hexPort}`) && f[3] === '0A')
      .map((f) => f[9]),
  );
}

/** Whether one of `pid`'s file descriptors is one of these sockets; undefined when its fds are unreadable. */
export function holdsSocket(pid: number, inodes: Set<string>): boolean | undefined {
  try {
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      const inode = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: 'utf8' }))?.[1];
      if (inode && inodes.has(inode)) return true;
    }
    return false;
  } catch {
    return undefined; // gone, or not ours to read
  }
}

/**
 * "pid 123 (temporal server start-dev --port 7233 …)" for the process listening on `port`, when /proc
 * tells (another user's processes may be unreadable); only called after a refusal, so the scan is rare.
 */
export function describePortHolder(port: number): string | undefined {
  const inodes = listeningInodes(port);
  if (!inodes?.size) return undefined;
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid || !holdsSocket(pid, inodes)) continue;
    let args = '';
    try {
      args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').replace(/\s+/g, ' ').trim();
    } catch {
      // exited meanwhile
    }
    return `pid ${pid}${args ? ` (${args.length > 120 ? `${args.slice(0, 117)}...` : args})` : ''}`;
  }
  return undefined;
}

/**
 * Starts a server on freshly picked ports. freePort() is racy with other processes starting
 * servers, so on a port clash it picks again (`attempts`, default 3; 1 when the caller fixed the
 * ports, where picking again changes nothing); on failure the temp dir is removed.
 */
export async function startOnFreePorts(
  pick: () => Promise<void>,
  start: () => Promise<void>,
  files: { logFile: string; tmpDir: string },
  attempts = 3,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await pick();
    fs.writeFileSync(files.logFile, '');
    try {
      await start();
      return;
    } catch (err) {
      if (attempt < attempts && isPortClash(err)) continue;
      fs.rmSync(files.tmpDir, { recursive: true, force: true });
      throw err;
    }
  }
}
