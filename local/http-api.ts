import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export type HttpApiHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** The event API Gateway (HTTP API, payload 2.0) hands the webhook Lambda for `POST /webhooks/glance/{groupId}`. */
export function webhookApiEvent(groupId: string, body: string, headers: Record<string, string>): APIGatewayProxyEventV2 {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const now = new Date();
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/glance/{groupId}',
    rawPath: `/webhooks/glance/${groupId}`,
    rawQueryString: '',
    headers: lower,
    pathParameters: { groupId },
    isBase64Encoded: false,
    body,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method: 'POST', path: `/webhooks/glance/${groupId}`, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: lower['user-agent'] ?? '' },
      requestId: `local-${now.getTime()}-${Math.random().toString(36).slice(2)}`,
      routeKey: 'POST /webhooks/glance/{groupId}',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
  };
}

async function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    // Keep reading past the limit so the answer is a clean 413, but stop storing.
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return size > limit ? null : Buffer.concat(chunks).toString('utf8');
}

/**
 * A stand-in for API Gateway on loopback for the local run: routes the webhook path to the
 * handler exactly as the HTTP API would, and answers 404 for anything else.
 */
export async function startLocalHttpApi(handler: HttpApiHandler, port = 0): Promise<{ url: string; server: Server; stop(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    const match = /^\/webhooks\/glance\/([^/?]+)$/.exec((req.url ?? '').split('?')[0] ?? '');
    if (req.method !== 'POST' || !match) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Not Found' }));
      return;
    }
    // API Gateway itself refuses payloads over 10 MB; the Lambda enforces the 256 KiB contract.
    const body = await readBody(req, 10 * 1024 * 1024);
    if (body === null) {
      res.writeHead(413, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Request Entity Too Large' }));
      return;
    }
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
    try {
      const result = await handler(webhookApiEvent(decodeURIComponent(match[1]!), body, headers));
      res.writeHead(result.statusCode ?? 200, (result.headers as Record<string, string>) ?? {}).end(result.body ?? '');
    } catch {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Internal Server Error' }));
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
  return { url, server, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}
