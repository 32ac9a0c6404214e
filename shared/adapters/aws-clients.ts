import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SchedulerClient } from '@aws-sdk/client-scheduler';

/**
 * One client of each kind per process, made on first use so that a test or the local run can
 * set AWS_ENDPOINT_URL (moto_server) before anything connects. The SDK reads that variable itself.
 */
let clients: {
  dynamo?: DynamoDBDocumentClient;
  sqs?: SQSClient;
  secrets?: SecretsManagerClient;
  events?: EventBridgeClient;
  scheduler?: SchedulerClient;
} = {};

export function dynamo(): DynamoDBDocumentClient {
  clients.dynamo ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return clients.dynamo;
}

export function sqs(): SQSClient {
  clients.sqs ??= new SQSClient({});
  return clients.sqs;
}

export function secretsManager(): SecretsManagerClient {
  clients.secrets ??= new SecretsManagerClient({});
  return clients.secrets;
}

export function eventBridge(): EventBridgeClient {
  clients.events ??= new EventBridgeClient({});
  return clients.events;
}

export function scheduler(): SchedulerClient {
  clients.scheduler ??= new SchedulerClient({});
  return clients.scheduler;
}

/** Forget every client, e.g. after a test switched AWS_ENDPOINT_URL to another moto_server. */
export function resetAwsClients(): void {
  clients = {};
}
