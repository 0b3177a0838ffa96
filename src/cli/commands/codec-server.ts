// `docsync codec-server`: the Temporal Web UI's remote codec endpoint (POST /encode, /decode) for payloads
// encrypted under DOCSYNC_PAYLOAD_KEY, so operators can read inputs and statuses in the UI.
import http from 'node:http';
import type { Command } from 'commander';
import { fromJson, payloadCodecFromEnv, toJson, type AesGcmPayloadCodec, type JsonPayload } from '../../workers/payload-codec.js';
import { CliError, EXIT } from '../context.js';

function handler(codec: AesGcmPayloadCodec, origin: string): http.RequestListener {
  return (req, res) => {
    // The UI calls from the browser: allow exactly its origin.
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
    res.setHeader('access-control-allow-headers', 'content-type, x-namespace, authorization');
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    const op = req.url?.split('?')[0];
    if (req.method !== 'POST' || (op !== '/encode' && op !== '/decode')) return void res.writeHead(404).end('POST /encode or /decode\n');
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', async () => {
      try {
        const payloads = (JSON.parse(body) as { payloads: JsonPayload[] }).payloads.map(fromJson);
        const out = op === '/encode' ? await codec.encode(payloads) : await codec.decode(payloads);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ payloads: out.map(toJson) }));
      } catch (err) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`);
      }
    });
  };
}

export function registerCodecServerCommand(program: Command): void {
  program
    .command('codec-server')
    .description('serve /encode and /decode for the Web UI (--codec-endpoint) with DOCSYNC_PAYLOAD_KEY')
    .option('--port <port>', 'port to listen on', '8888')
    .option('--origin <url>', 'the Web UI origin allowed to call it', 'http://localhost:8233')
    .action(async (flags: { port: string; origin: string }) => {
      const codec = payloadCodecFromEnv();
      if (!codec)
        throw new CliError("DOCSYNC_PAYLOAD_KEY is not set: the codec server decrypts with the workers' payload key", EXIT.config);
      const server = http.createServer(handler(codec, flags.origin));
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(Number(flags.port), '127.0.0.1', resolve));
      console.log(`codec server on http://127.0.0.1:${(server.address() as { port: number }).port} (key ${codec.keyId}); Ctrl-C stops it`);
      await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
}
