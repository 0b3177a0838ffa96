// One listening server for many fake Dropbox accounts, as one Dropbox API host serves every
// account: each fake is mounted under /u/<name>, so every client talks to one origin (one HTTP
// connection pool), like a deployment whose users all call api.dropboxapi.com. The config's
// apiBaseUrl is the mount's URL: the connector maps the Dropbox hosts onto it, path prefix included.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeDropbox } from './server.js';

const MOUNT = /^\/u\/([^/]+)(\/.*)$/;

export class FakeDropboxHost {
  private readonly mounted = new Map<string, FakeDropbox>();
  private server?: http.Server;
  private url = '';

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const match = MOUNT.exec(req.url ?? '');
      const fake = match && this.mounted.get(decodeURIComponent(match[1]));
      if (!match || !fake) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('no such fake account');
        return;
      }
      req.url = match[2];
      fake.serve(req, res);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Serves `fake` under its own prefix; returns the apiBaseUrl for its user's config. */
  mount(name: string, fake: FakeDropbox): string {
    if (!this.server) throw new Error('FakeDropboxHost: start() before mount()');
    this.mounted.set(name, fake);
    return `${this.url}/u/${encodeURIComponent(name)}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.mounted.clear();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
