import type { MiddlewareStack } from '@smithy/types';
import { dynamo, secretsManager, sqs } from '../shared/adapters/aws-clients.ts';
import { busyTracker, type BusyTracker } from './busy-time.ts';

/** What one process asked of AWS, in the units AWS bills. */
export interface AwsCounts {
  /** Requests by `Service.Command`. */
  requests: Record<string, number>;
  /** SQS requests as billed: each 64 KiB of payload counts as one. Receives that found nothing are kept apart. */
  sqsBilled: number;
  sqsEmptyReceives: number;
  dynamoWriteUnits: number;
  dynamoReadUnits: number;
  /** Requests the SDK had to send again (a dropped connection, a throttle), by `Service.Command`. */
  sdkRetries: Record<string, number>;
  /** Wall time with a DynamoDB request outstanding. */
  dynamoBusyMs: number;
}

export const emptyCounts = (): AwsCounts => ({
  requests: {},
  sqsBilled: 0,
  sqsEmptyReceives: 0,
  dynamoWriteUnits: 0,
  dynamoReadUnits: 0,
  sdkRetries: {},
  dynamoBusyMs: 0,
});

const merge = (a: Record<string, number>, b: Record<string, number>) => {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
};

export function addCounts(a: AwsCounts, b: AwsCounts): AwsCounts {
  return {
    requests: merge(a.requests, b.requests),
    sdkRetries: merge(a.sdkRetries, b.sdkRetries),
    sqsBilled: a.sqsBilled + b.sqsBilled,
    sqsEmptyReceives: a.sqsEmptyReceives + b.sqsEmptyReceives,
    dynamoWriteUnits: a.dynamoWriteUnits + b.dynamoWriteUnits,
    dynamoReadUnits: a.dynamoReadUnits + b.dynamoReadUnits,
    dynamoBusyMs: a.dynamoBusyMs + b.dynamoBusyMs,
  };
}

const KIB = 1024;
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value ?? null));
const chunks64 = (n: number) => Math.max(1, Math.ceil(n / (64 * KIB)));

// SDK inputs and outputs differ per command; only a few fields are read, each checked where used.
type Input = Record<string, any>;

/**
 * On-demand capacity as DynamoDB bills it: a write per started KiB of item (a failed conditional
 * write still costs), a strongly consistent read per started 4 KiB, half that when eventually
 * consistent. Item sizes are estimated from the request's JSON, which is a little above the real size.
 */
function dynamoUnits(command: string, input: Input, output: Input): { write: number; read: number } {
  const readUnit = (consistent: boolean | undefined, size: number) => (consistent ? 1 : 0.5) * Math.max(1, Math.ceil(size / (4 * KIB)));
  switch (command) {
    case 'PutItemCommand':
      return { write: Math.max(1, Math.ceil(bytes(input.Item) / KIB)), read: 0 };
    case 'UpdateItemCommand':
    case 'DeleteItemCommand':
      return { write: Math.max(1, Math.ceil(bytes([input.Key, input.ExpressionAttributeValues]) / KIB)), read: 0 };
    case 'BatchWriteItemCommand':
      return { write: Object.values(input.RequestItems ?? {}).reduce((n: number, list) => n + (list as unknown[]).length, 0), read: 0 };
    case 'TransactWriteItemsCommand':
      return { write: 2 * (input.TransactItems?.length ?? 0), read: 0 };
    case 'GetItemCommand':
      return { write: 0, read: readUnit(input.ConsistentRead, bytes(output.Item)) };
    case 'BatchGetItemCommand': {
      // Every requested key is read, found or not.
      const tables = Object.values(input.RequestItems ?? {}) as Input[];
      return { write: 0, read: tables.reduce((n, t) => n + (t.Keys?.length ?? 0) * readUnit(t.ConsistentRead, 0), 0) };
    }
    case 'QueryCommand':
    case 'ScanCommand':
      return { write: 0, read: readUnit(input.ConsistentRead, bytes(output.Items)) };
    default:
      return { write: 0, read: 0 };
  }
}

function sqsBilled(command: string, input: Input, output: Input): { billed: number; empty: number } {
  if (command === 'ReceiveMessageCommand') {
    const messages = (output.Messages ?? []) as unknown[];
    return messages.length === 0 ? { billed: 0, empty: 1 } : { billed: chunks64(bytes(messages)), empty: 0 };
  }
  if (command === 'SendMessageCommand') return { billed: chunks64(bytes([input.MessageBody, input.MessageAttributes])), empty: 0 };
  if (command === 'SendMessageBatchCommand') return { billed: chunks64(bytes(input.Entries)), empty: 0 };
  return { billed: 1, empty: 0 };
}

type Stack = MiddlewareStack<any, any>;

function observe(
  stack: Stack,
  service: string,
  onCall: (command: string, input: Input, output: Input, attempts: number) => void,
  busy?: BusyTracker,
): void {
  stack.add(
    (next, context) => async (args) => {
      let output: Input = {};
      let attempts = 1;
      busy?.start();
      try {
        const result = await next(args);
        output = (result.output ?? {}) as Input;
        attempts = output.$metadata?.attempts ?? 1;
        return result;
      } catch (error) {
        attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
        throw error;
      } finally {
        busy?.end();
        // Refused requests are billed too (a failed conditional write still consumes its unit).
        onCall(String(context.commandName), args.input as Input, output, attempts);
      }
    },
    { step: 'initialize', name: `bench-count-${service}`, override: true },
  );
}

/**
 * Counts every AWS request this process makes through the shared client singletons, from the
 * outside (middleware on the same clients the handlers use), so nothing in shared/ changes.
 */
export function installAwsCounters(): () => AwsCounts {
  const counts = emptyCounts();
  const dynamoBusy = busyTracker();
  const bump = (key: string, attempts: number) => {
    counts.requests[key] = (counts.requests[key] ?? 0) + 1;
    if (attempts > 1) counts.sdkRetries[key] = (counts.sdkRetries[key] ?? 0) + attempts - 1;
  };
  observe(dynamo().middlewareStack as Stack, 'dynamodb', (command, input, output, attempts) => {
    bump(`DynamoDB.${command.replace(/Command$/, '')}`, attempts);
    const units = dynamoUnits(command, input, output);
    counts.dynamoWriteUnits += units.write;
    counts.dynamoReadUnits += units.read;
  }, dynamoBusy);
  observe(sqs().middlewareStack as Stack, 'sqs', (command, input, output, attempts) => {
    bump(`SQS.${command.replace(/Command$/, '')}`, attempts);
    const billed = sqsBilled(command, input, output);
    counts.sqsBilled += billed.billed;
    counts.sqsEmptyReceives += billed.empty;
  });
  observe(secretsManager().middlewareStack as Stack, 'secrets', (command, _input, _output, attempts) =>
    bump(`SecretsManager.${command.replace(/Command$/, '')}`, attempts),
  );
  return () => ({ ...structuredClone(counts), dynamoBusyMs: dynamoBusy.totalMs() });
}
