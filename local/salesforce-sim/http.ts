import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, apiError } from './errors.ts';

export const JSON_TYPE = 'application/json;charset=UTF-8';
const MAX_BODY = 50 * 1024 * 1024;

export interface Reply {
  status: number;
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY) throw apiError(413, 'REQUEST_ENTITY_TOO_LARGE', 'Request body exceeds the maximum size');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function send(res: ServerResponse, reply: Reply): void {
  if (res.headersSent) return;
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  let payload = '';
  if (reply.body !== undefined && reply.status !== 204) {
    const contentType = reply.contentType ?? JSON_TYPE;
    payload = typeof reply.body === 'string' && contentType !== JSON_TYPE ? reply.body : JSON.stringify(reply.body);
    headers['Content-Type'] = contentType;
  }
  headers['Content-Length'] = String(Buffer.byteLength(payload));
  res.writeHead(reply.status, headers);
  res.end(payload);
}

export function errorReply(error: HttpError): Reply {
  return { status: error.status, body: error.body, contentType: error.contentType };
}

/** JSON body of a write call; Salesforce refuses other media types and broken JSON. */
export function parseJsonBody(req: IncomingMessage, raw: string): unknown {
  if (raw.trim() === '') return undefined;
  const type = String(req.headers['content-type'] ?? '');
  if (!/^application\/json\b/i.test(type)) {
    throw apiError(415, 'UNSUPPORTED_MEDIA_TYPE', `Content type '${type || 'none'}' not supported`);
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    throw apiError(400, 'JSON_PARSER_ERROR', `Unexpected character in JSON body: ${(error as Error).message}`);
  }
}

export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const notFound = (): HttpError => apiError(404, 'NOT_FOUND', 'The requested resource does not exist');
