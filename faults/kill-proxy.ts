import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The wire between one processor process and a service it calls (moto_server, the Salesforce
 * simulator): every request passes through here, so the campaign can SIGKILL the process at the
 * exact moment a write is about to go out or has just landed, without any hook in the handler.
 */

/** Whether the process dies just before the request reaches the service, or just after the service applied it (the answer never arrives). */
export type KillWhen = 'before' | 'after';

export interface Exchange {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface ProxyHooks {
  /** Names a write ('sf upsert Lead', 'ddb ledger write', …) or null for a read, which is never a kill point. */
  classify(exchange: Exchange): string | null;
  /** Decides at each write whether the process dies there. */
  decide(op: string): KillWhen | null;
  /** Kills the process (SIGKILL); called before the service sees the request, or after it answered. */
  kill(point: string): void;
  /** May change the request before it goes out (e.g. strip an SQS DelaySeconds the campaign honours in virtual time). */
  rewriteRequest?(exchange: Exchange, op: string | null): string;
  /** Text replaced in answers (e.g. the service's own URL by the proxy's, so later calls come here too). */
  rewrites?: () => Array<[string, string]>;
  /** Told of every write that reached the service (whether or not a kill followed). */
  landed?(op: string, exchange: Exchange): void;
}

export interface KillProxy {
  url: string;
  /** Refuses everything until `revive`: the process is dead, anything still on its wire must not land. */
  severed: boolean;
  revive(): void;
  stop(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host']);

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function forward(target: URL, exchange: Exchange, body: string): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
  const headers = Object.fromEntries(Object.entries(exchange.headers).filter(([k]) => !HOP_BY_HOP.has(k.toLowerCase())));
  return new Promise((resolve, reject) => {
    const out = request(
      { host: target.hostname, port: target.port, method: exchange.method, path: exchange.path, headers: { ...headers, host: target.host, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        readAll(res).then((buf) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: buf }), reject);
      },
    );
    out.on('error', reject);
    out.end(body);
  });
}

/** Starts a reverse proxy to `target` (e.g. http://127.0.0.1:5000) on a free loopback port. */
export async function startKillProxy(target: string, hooks: ProxyHooks): Promise<KillProxy> {
  const to = new URL(target);
  const proxy: KillProxy = { url: '', severed: false, revive: () => void (proxy.severed = false), stop: async () => undefined };
  const sever = (res: ServerResponse) => res.socket?.destroy();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const raw = (await readAll(req)).toString('utf8');
      if (proxy.severed) return sever(res);
      const exchange: Exchange = { method: (req.method ?? 'GET').toUpperCase(), path: req.url ?? '/', headers: req.headers, body: raw };
      const op = hooks.classify(exchange);
      const when = op ? hooks.decide(op) : null;
      if (when === 'before') {
        proxy.severed = true;
        hooks.kill(`before ${op}`);
        return sever(res);
      }
      const body = hooks.rewriteRequest ? hooks.rewriteRequest(exchange, op) : raw;
      const answer = await forward(to, exchange, body);
      if (op) hooks.landed?.(op, exchange);
      // A kill decided while this call was in flight (another branch of the same batch): it landed, the answer is lost.
      if (proxy.severed) return sever(res);
      if (when === 'after') {
        proxy.severed = true;
        hooks.kill(`after ${op}`);
        return sever(res);
      }
      let text = answer.body;
      const swaps = hooks.rewrites?.() ?? [];
      const headers = { ...answer.headers };
      if (swaps.length) {
        let s = text.toString('utf8');
        const before = s;
        for (const [from, into] of swaps) s = s.split(from).join(into);
        if (s !== before) {
          text = Buffer.from(s, 'utf8');
          // A changed body no longer matches DynamoDB's checksum header; only non-DynamoDB answers carry the swapped URLs.
          delete headers['x-amz-crc32'];
        }
      }
      for (const h of Object.keys(headers)) if (HOP_BY_HOP.has(h.toLowerCase())) delete headers[h];
      res.writeHead(answer.status, { ...headers, 'content-length': text.length });
      res.end(text);
    })().catch(() => sever(res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
