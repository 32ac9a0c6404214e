import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { startMoto, useLocalAws, type MotoServer } from '../../local/moto.ts';
import { createLocalResources, type LocalResources } from '../../local/aws-resources.ts';
import { eventBridge, resetAwsClients, sqs } from '../../shared/adapters/aws-clients.ts';
import { dynamoOrgPauses } from '../../shared/adapters/org-pauses.ts';
import { eventBridgePipelineEvents } from '../../shared/adapters/pipeline-events.ts';
import { orgPaused, orgResumed, PIPELINE_EVENT_SOURCE, syncRunCompleted } from '../../shared/pipeline-events.ts';
import type { OrgPause } from '../../shared/processing/session-processing.ts';

const ORG = '00D5g000000AbCdEAK';

let moto: MotoServer;
let resources: LocalResources;
let watchUrl: string;

/** What a customer does: a rule on the pipeline's bus, matching its source, sending to a queue of theirs. */
async function routeToQueue(): Promise<string> {
  const queue = await sqs().send(new CreateQueueCommand({ QueueName: 'customer-watch' }));
  const arn = (await sqs().send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl!, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  await eventBridge().send(new PutRuleCommand({ Name: 'watch', EventBusName: resources.pipelineEventBusName, EventPattern: JSON.stringify({ source: [PIPELINE_EVENT_SOURCE] }) }));
  await eventBridge().send(new PutTargetsCommand({ Rule: 'watch', EventBusName: resources.pipelineEventBusName, Targets: [{ Id: 'q', Arn: arn }] }));
  return queue.QueueUrl!;
}

async function received(): Promise<Array<{ source: string; 'detail-type': string; detail: Record<string, unknown> }>> {
  const out = await sqs().send(new ReceiveMessageCommand({ QueueUrl: watchUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  return (out.Messages ?? []).map((m) => JSON.parse(m.Body!));
}

beforeAll(async () => {
  moto = await startMoto();
  useLocalAws(moto.endpoint);
  resetAwsClients();
  resources = await createLocalResources();
  watchUrl = await routeToQueue();
});

afterAll(async () => {
  await moto?.stop();
});

describe('pipeline events on the bus', () => {
  it('reach a customer rule with the documented source, detail types and detail shapes', async () => {
    const run = {
      orgId: ORG,
      runId: 'run-1',
      trigger: 'schedule' as const,
      status: 'succeeded' as const,
      requestedAt: '2026-11-23T14:14:00.000Z',
      startedAt: '2026-11-23T14:14:01.000Z',
      endedAt: '2026-11-23T14:14:09.000Z',
      counts: { fetched: 12, queued: 10, alreadyKnown: 2, failed: 0 },
      error: null,
      watermarkBefore: null,
      watermarkAfter: '2026-11-23T14:13:00.000Z',
    };
    const events = eventBridgePipelineEvents(resources.pipelineEventBusName);
    await events.publish([
      syncRunCompleted(run),
      orgPaused(ORG, '2026-11-23T15:00:00.000Z', 'Salesforce API usage 91000/100000 is at or above 90% of the daily allowance'),
      orgResumed(ORG, '2026-11-23T15:00:00.000Z', 'usage', new Date('2026-11-23T15:00:05Z')),
    ]);
    const got = await received();
    expect(got.map((e) => [e.source, e['detail-type']]).sort()).toEqual([
      [PIPELINE_EVENT_SOURCE, 'Org Paused'],
      [PIPELINE_EVENT_SOURCE, 'Org Resumed'],
      [PIPELINE_EVENT_SOURCE, 'Sync Run Completed'],
    ]);
    // Sync History's own record, without the internal watermarks.
    expect(got.find((e) => e['detail-type'] === 'Sync Run Completed')!.detail).toEqual({
      orgId: ORG,
      runId: 'run-1',
      trigger: 'schedule',
      status: 'succeeded',
      requestedAt: run.requestedAt,
      startedAt: run.startedAt,
      endedAt: run.endedAt,
      counts: run.counts,
      error: null,
    });
    expect(got.find((e) => e['detail-type'] === 'Org Paused')!.detail).toEqual({ orgId: ORG, until: '2026-11-23T15:00:00.000Z', reason: expect.stringMatching(/90%/) });
    expect(got.find((e) => e['detail-type'] === 'Org Resumed')!.detail).toEqual({ orgId: ORG, pausedUntil: '2026-11-23T15:00:00.000Z', reason: 'usage', resumedAt: '2026-11-23T15:00:05.000Z' });
  });

  it('a bus that does not exist is an error naming it', async () => {
    await expect(eventBridgePipelineEvents('no-such-bus').publish([orgPaused(ORG, '2026-11-23T15:00:00.000Z', 'x')])).rejects.toThrow(/no-such-bus/);
  });
});

describe('an org pause ending', () => {
  it('is announced once, when the org answers again (its probe succeeds), not while it lasts nor merely because it ran out', async () => {
    let now = Date.parse('2026-11-23T14:00:00Z');
    const resumed: Array<[string, OrgPause]> = [];
    const reader = () => dynamoOrgPauses(resources.orgsTable, () => now, { onResumed: async (orgId, pause) => void resumed.push([orgId, pause]) });
    await reader().pause(ORG, { until: '2026-11-23T15:00:00.000Z', reason: 'limit' });
    expect([...(await reader().pausedOrgs([ORG]))]).toEqual([[ORG, expect.objectContaining({ until: '2026-11-23T15:00:00.000Z', reason: 'limit' })]]);
    expect(resumed).toEqual([]);
    // Run out: no longer paused, but the breaker is half-open until a probe succeeds.
    now = Date.parse('2026-11-23T15:00:01Z');
    expect(await reader().pausedOrgs([ORG])).toEqual(new Map());
    expect(resumed).toEqual([]);
    // Two invocations see the org answer at once: one DeleteItem removes the pause, one announcement.
    await Promise.all([reader().recover(ORG), reader().recover(ORG)]);
    expect(resumed).toEqual([[ORG, { until: '2026-11-23T15:00:00.000Z', reason: 'limit' }]]);
    expect((await reader().health([ORG])).size).toBe(0);
  });

  it('is not announced when the org only had failed writes that never paused it', async () => {
    const resumed: string[] = [];
    const pauses = dynamoOrgPauses(resources.orgsTable, Date.now, { onResumed: async (orgId) => void resumed.push(orgId) });
    await pauses.recordFailure(ORG, 'HTTP 503');
    await pauses.recover(ORG);
    expect(resumed).toEqual([]);
  });
});
