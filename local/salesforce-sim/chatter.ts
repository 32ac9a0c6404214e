import type { CallContext } from './context.ts';
import { apiError, type ApiError } from './errors.ts';
import { isPlainObject, type Reply } from './http.ts';
import { normalizeId } from './ids.ts';
import type { SObjectDef } from './schemas.ts';
import { methodNotAllowed } from './sobjects.ts';

const MAX_BATCH = 500;
const MAX_BODY = 10_000;
const INPUT_KEYS = new Set(['feedElementType', 'subjectId', 'body', 'capabilities', 'visibility']);
const SEGMENT_KEYS = new Set(['type', 'text', 'url', 'id', 'markupType', 'altText']);

type Outcome = { ok: true; status: 201; element: Record<string, unknown> } | { ok: false; status: number; errors: ApiError[] };

const refuse = (status: number, errorCode: string, message: string): Outcome => ({ ok: false, status, errors: [{ errorCode, message }] });

interface Segment {
  type: string;
  text: string;
  extra: Record<string, unknown>;
}

function readSegments(ctx: CallContext, body: unknown): Segment[] | Outcome {
  if (!isPlainObject(body) || !Array.isArray(body.messageSegments) || body.messageSegments.length === 0) {
    return refuse(400, 'INVALID_API_INPUT', 'body.messageSegments: a non-empty array of message segments is required');
  }
  const out: Segment[] = [];
  for (const raw of body.messageSegments) {
    if (!isPlainObject(raw)) return refuse(400, 'JSON_PARSER_ERROR', 'a message segment must be a JSON object');
    const unknown = Object.keys(raw).find((k) => !SEGMENT_KEYS.has(k));
    if (unknown) return refuse(400, 'JSON_PARSER_ERROR', `Unrecognized field "${unknown}" in message segment`);
    if (raw.type === 'Text' && typeof raw.text === 'string') out.push({ type: 'Text', text: raw.text, extra: {} });
    else if (raw.type === 'Link' && typeof raw.url === 'string' && /^https?:\/\//i.test(raw.url)) {
      out.push({ type: 'Link', text: raw.url, extra: { url: raw.url } });
    } else if (raw.type === 'Mention' && typeof raw.id === 'string') {
      const user = ctx.store.get(ctx.org, raw.id);
      if (!user || user.def.name !== 'User') return refuse(400, 'INVALID_ID_FIELD', `Mention id is not a user of this org: ${raw.id}`);
      const name = ctx.store.read(ctx.org, user.def, user.row).Name;
      out.push({ type: 'Mention', text: `@${String(name)}`, extra: { name, record: { id: user.row.Id } } });
    } else if ((raw.type === 'MarkupBegin' || raw.type === 'MarkupEnd') && typeof raw.markupType === 'string') {
      out.push({ type: raw.type, text: '', extra: { markupType: raw.markupType } });
    } else {
      return refuse(400, 'JSON_PARSER_ERROR', `Invalid message segment: ${JSON.stringify(raw)}`);
    }
  }
  return out;
}

function linkOf(capabilities: unknown): string | undefined | Outcome {
  if (capabilities === undefined) return undefined;
  const link = isPlainObject(capabilities) ? capabilities.link : undefined;
  if (link === undefined && isPlainObject(capabilities)) return undefined;
  if (!isPlainObject(link) || typeof link.url !== 'string') return refuse(400, 'JSON_PARSER_ERROR', 'capabilities.link.url must be a string');
  return link.url;
}

/** Validates one feed-element input and stores its FeedItem. */
function post(ctx: CallContext, input: unknown): Outcome {
  if (!isPlainObject(input)) return refuse(400, 'JSON_PARSER_ERROR', 'The feed element input must be a JSON object');
  const unknown = Object.keys(input).find((k) => !INPUT_KEYS.has(k));
  if (unknown) return refuse(400, 'JSON_PARSER_ERROR', `Unrecognized field "${unknown}"`);
  if (input.feedElementType !== 'FeedItem') return refuse(400, 'INVALID_API_INPUT', 'feedElementType must be FeedItem');
  if (typeof input.subjectId !== 'string') return refuse(400, 'INVALID_API_INPUT', 'Missing required input parameter: subjectId');
  const subjectId = input.subjectId === 'me' ? ctx.org.userId : normalizeId(input.subjectId);
  const subject = subjectId ? ctx.store.get(ctx.org, subjectId) : undefined;
  if (!subject) return refuse(404, 'NOT_FOUND', 'The requested resource does not exist');
  const segments = readSegments(ctx, input.body);
  if (!Array.isArray(segments)) return segments;
  const link = linkOf(input.capabilities);
  if (typeof link === 'object') return link;
  const text = segments.map((s) => s.text).join('');
  if (text.trim() === '') return refuse(400, 'INVALID_API_INPUT', 'The post body must not be empty');
  if (text.length > MAX_BODY) return refuse(400, 'INVALID_API_INPUT', `Your post can't have more than ${MAX_BODY} characters`);
  const fields: Record<string, unknown> = {
    ParentId: subject.row.Id,
    Body: text,
    Type: link ? 'LinkPost' : 'TextPost',
    LinkUrl: link ?? null,
  };
  const fault = ctx.faults.errorFor('create', fields);
  if (fault) return refuse(400, fault.statusCode, fault.message);
  const feedItemDef = ctx.org.schema.findObject('FeedItem') as SObjectDef;
  const id = ctx.store.insert(ctx.org, feedItemDef, fields);
  const stored = ctx.store.read(ctx.org, feedItemDef, ctx.store.get(ctx.org, id)?.row ?? {});
  const created = new Date().toISOString();
  return {
    ok: true,
    status: 201,
    element: {
      id,
      feedElementType: 'FeedItem',
      type: stored.Type,
      createdDate: created,
      modifiedDate: created,
      url: `/services/data/v${ctx.version}/chatter/feed-elements/${id}`,
      parent: { id: subject.row.Id, type: subject.def.name },
      actor: { id: ctx.org.userId, type: 'User' },
      visibility: input.visibility ?? 'InternalUsers',
      body: {
        isRichText: false,
        text,
        messageSegments: segments.map((s) => ({ type: s.type, text: s.text, ...s.extra })),
      },
      capabilities: link ? { link: { url: link } } : {},
    },
  };
}

function single(ctx: CallContext): Reply {
  const outcome = post(ctx, ctx.body);
  if (outcome.ok) return { status: 201, body: outcome.element };
  return { status: outcome.status, body: outcome.errors };
}

/**
 * `POST /chatter/feed-elements/batch`, as documented (Connect REST API Developer Guide, "Feed
 * Elements, Batch Post"; request body "Batch Collection Input", each "Batch Input" a `richInput`
 * Feed Item Input; response "Batch Results"): up to 500 inputs; 200 unless an error affects the
 * whole request (a parsing failure), each input's own outcome in `results[i].statusCode` with the
 * feed item or the error list as `result`, in the order of the inputs; `hasErrors` when any failed.
 * Where the documentation is silent, not guessed beyond this: the error code and wording for an
 * empty list or more than 500 inputs (we answer 400 INVALID_API_INPUT with a plain message), and
 * how a batch counts against the daily API allowance (we count it as one call, as every REST
 * request is counted once).
 */
function batch(ctx: CallContext): Reply {
  const inputs = isPlainObject(ctx.body) ? ctx.body.inputs : undefined;
  if (!Array.isArray(inputs) || inputs.length === 0) throw apiError(400, 'INVALID_API_INPUT', 'inputs: a non-empty array is required');
  if (inputs.length > MAX_BATCH) throw apiError(400, 'INVALID_API_INPUT', `You can't post more than ${MAX_BATCH} feed elements in one batch`);
  const results = inputs.map((item: unknown) => {
    const rich = isPlainObject(item) ? item.richInput : undefined;
    const outcome = rich === undefined ? refuse(400, 'INVALID_API_INPUT', 'Each input needs a richInput') : post(ctx, rich);
    return outcome.ok ? { statusCode: 201, result: outcome.element } : { statusCode: outcome.status, result: outcome.errors };
  });
  return { status: 200, body: { hasErrors: results.some((r) => r.statusCode >= 400), results } };
}

const HOUR_MS = 3_600_000;

/**
 * Chatter REST API resources have a per user, per application, per hour rate limit; past it they
 * answer 503 Service Unavailable (Connect REST API Developer Guide, "Connect REST API Limits").
 * The number and the error body are undocumented: the number is the org's `chatterHourlyLimit`
 * (none by default) and the body an error array in the documented 503 wording.
 */
function overHourlyLimit(ctx: CallContext): Reply | undefined {
  const limit = ctx.org.config.chatterHourlyLimit;
  if (limit === undefined) return undefined;
  const now = Date.now();
  ctx.org.chatterRequests = ctx.org.chatterRequests.filter((at) => at > now - HOUR_MS);
  if (ctx.org.chatterRequests.length >= limit) {
    return { status: 503, body: [{ errorCode: 'SERVICE_UNAVAILABLE', message: 'Too many requests in an hour: the Chatter rate limit for this user and application was exceeded' }] };
  }
  ctx.org.chatterRequests.push(now);
  return undefined;
}

/** Everything under `chatter/`. */
export function chatterRoute(ctx: CallContext, segments: string[]): Reply {
  const path = segments.join('/');
  if (path !== 'feed-elements' && path !== 'feed-elements/batch') {
    throw apiError(404, 'NOT_FOUND', 'The requested resource does not exist');
  }
  if (ctx.method !== 'POST') return methodNotAllowed(ctx.method, ['POST']);
  const limited = overHourlyLimit(ctx);
  if (limited) return limited;
  return path === 'feed-elements' ? single(ctx) : batch(ctx);
}
