import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { eventBridge } from './aws-clients.ts';
import { DEFAULTS, optionalEnv } from '../config.ts';
import { PIPELINE_EVENT_SOURCE, type PipelineEvents } from '../pipeline-events.ts';

/** PutEvents takes at most 10 entries a call (EventBridge quotas). */
const PUT_EVENTS_LIMIT = 10;

/** The pipeline's events on its EventBridge bus; an entry EventBridge refuses is an error naming it. */
export function eventBridgePipelineEvents(eventBusName: string): PipelineEvents {
  return {
    async publish(events) {
      for (let i = 0; i < events.length; i += PUT_EVENTS_LIMIT) {
        const chunk = events.slice(i, i + PUT_EVENTS_LIMIT);
        const out = await eventBridge().send(
          new PutEventsCommand({
            Entries: chunk.map((e) => ({ EventBusName: eventBusName, Source: PIPELINE_EVENT_SOURCE, DetailType: e.detailType, Detail: JSON.stringify(e.detail) })),
          }),
        );
        if (out.FailedEntryCount) {
          const failed = (out.Entries ?? []).flatMap((entry, j) => (entry.ErrorCode ? [`${chunk[j]!.detailType}: ${entry.ErrorCode} ${entry.ErrorMessage ?? ''}`.trim()] : []));
          throw new Error(`EventBridge refused ${out.FailedEntryCount} pipeline event(s) on bus ${eventBusName}: ${failed.join('; ')}`);
        }
      }
    },
  };
}

/** The bus the stack (or the local run) put in the environment. */
export function pipelineEventsFromEnv(env: NodeJS.ProcessEnv = process.env): PipelineEvents {
  return eventBridgePipelineEvents(optionalEnv('pipelineEventBusName', DEFAULTS.pipelineEventBusName, env));
}
