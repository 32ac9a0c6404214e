import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { acceptWebhook } from '../../shared/webhook-intake.ts';
import { dynamoOrgRegistry } from '../../shared/adapters/org-registry.ts';
import { sqsEventsQueue } from '../../shared/adapters/events-queue.ts';
import { cachedSecretReader } from '../../shared/adapters/secrets.ts';
import { dynamoWebhookActivity, type WebhookActivityStore } from '../../shared/adapters/webhook-activity.ts';
import { secretNames } from '../../shared/secret-names.ts';
import { DEFAULTS, METRIC_NAMES, METRICS_NAMESPACE, optionalEnv, requireEnv } from '../../shared/config.ts';

const logger = new Logger({ serviceName: 'webhook-ingest' });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'webhook-ingest' });
const secrets = cachedSecretReader();
// Module scope, so a warm Lambda writes each group's "last accepted" at most every few minutes.
let activity: { table: string; store: WebhookActivityStore } | null = null;

/**
 * Rejections are counted, not only logged: a rotated or wrong secret turns every webhook into a
 * 401 that nobody sees, and an org on syncFrequency=never never pulls those sessions back. The
 * alarms (infra/alarms.ts) watch these totals.
 */
function countAnswer(status: number): void {
  if (status === 202) {
    metrics.addMetric(METRIC_NAMES.webhookAccepted, MetricUnit.Count, 1);
    return;
  }
  metrics.addMetric(METRIC_NAMES.webhookRejected, MetricUnit.Count, 1);
  if (status === 401) metrics.addMetric(METRIC_NAMES.webhookUnauthorized, MetricUnit.Count, 1);
  // Which answer, for the dashboard; the alarms use the totals above (no status dimension).
  const byStatus = metrics.singleMetric();
  byStatus.addDimension('status', String(status));
  byStatus.addMetric(METRIC_NAMES.webhookRejected, MetricUnit.Count, 1);
}

function publishAnswer(status: number): void {
  countAnswer(status);
  // Published here rather than by middleware, so every answer (also in tests and the local run) is counted.
  metrics.publishStoredMetrics();
}

export async function ingest(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const registry = dynamoOrgRegistry(requireEnv('orgsTable'));
  const queue = sqsEventsQueue(requireEnv('eventsQueueUrl'));
  const prefix = optionalEnv('secretPrefix', DEFAULTS.secretPrefix);
  if (activity?.table !== requireEnv('orgsTable')) activity = { table: requireEnv('orgsTable'), store: dynamoWebhookActivity(requireEnv('orgsTable')) };
  const webhookActivity = activity.store;
  const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const body = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';

  const answer = await acceptWebhook(
    { groupIdParam: event.pathParameters?.groupId, headers, body },
    {
      async groupSecrets(groupId, options = {}) {
        const group = await registry.getGroup(groupId);
        if (!group) return { known: false, secrets: null };
        const name = secretNames.groupWebhook(prefix, groupId);
        // The previous version still verifies while a rotation is under way (glance-sync groups rotate-secret).
        const [current, previous] = await Promise.all([
          secrets.read(name, options),
          secrets.read(name, { ...options, stage: 'AWSPREVIOUS' }),
        ]);
        const all = [current, previous].filter((v): v is string => v !== null);
        return { known: true, secrets: all.length ? all.join(' ') : null };
      },
      enqueue: (sessionEvent) => queue.send(sessionEvent),
      noteAccepted: (groupId, at) =>
        webhookActivity.noteAccepted(groupId, at).catch((error: Error) => logger.warn('could not note the accepted webhook', { groupId, error: error.message })),
      now: () => new Date(),
    },
  );
  // The webhook-id is the sender's idempotency key: safe to log, and it ties a rejection to a delivery.
  publishAnswer(answer.status);
  const context = { status: answer.status, webhookId: headers['webhook-id']?.slice(0, 200), groupId: event.pathParameters?.groupId };
  // One count per answer code (webhooks_202, webhooks_401, …): a spike of 401s is a key or clock problem.
  metrics.addMetric(`webhooks_${answer.status}`, MetricUnit.Count, 1);
  if (answer.status === 202) logger.info('webhook accepted', context);
  else logger.warn('webhook rejected', { ...context, error: 'error' in answer.body ? answer.body.error : undefined });
  return { statusCode: answer.status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(answer.body) };
}

export const handler = middy(ingest).use(injectLambdaContext(logger));
