import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const DROPPED = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'content-encoding', 'keep-alive']);

/**
 * Puts a fixed delay in front of the Salesforce simulator, for both runs alike: on loopback a call
 * costs milliseconds, from AWS to a real org it costs a round trip and Salesforce's own time. The
 * token answer names the instance URL, so it is rewritten to keep every later call on the proxy.
 */
export async function startLatencyProxy(targetUrl: string, latencyMs: number): Promise<{ url: string; stop(): Promise<void> }> {
  let url = '';
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      try {
        await new Promise((r) => setTimeout(r, latencyMs));
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(([k, v]) => !DROPPED.has(k) && typeof v === 'string') as Array<[string, string]>,
        );
        const body = chunks.length ? Buffer.concat(chunks) : undefined;
        const upstream = await fetch(`${targetUrl}${req.url ?? '/'}`, { method: req.method, headers, body });
        let payload = Buffer.from(await upstream.arrayBuffer());
        if ((req.url ?? '').startsWith('/services/oauth2/token')) payload = Buffer.from(payload.toString('utf8').replaceAll(targetUrl, url));
        const out: Record<string, string> = {};
        upstream.headers.forEach((v, k) => {
          if (!DROPPED.has(k)) out[k] = v;
        });
        res.writeHead(upstream.status, { ...out, 'content-length': String(payload.byteLength) }).end(payload);
      } catch (error) {
        res.writeHead(502, { 'content-type': 'text/plain' }).end(`latency proxy: ${(error as Error).message}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
