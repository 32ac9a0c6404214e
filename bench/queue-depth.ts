import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';

// Not the shared singleton: the benchmark's own watching must not count as the pipeline's SQS requests.
let watcher: SQSClient | undefined;

/** Visible, in-flight and delayed messages together: zero only once every message was deleted. */
export async function queueDepth(queueUrl: string): Promise<number> {
  watcher ??= new SQSClient({});
  const out = await watcher.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  const a = out.Attributes ?? {};
  return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(a.ApproximateNumberOfMessagesDelayed ?? 0);
}

/** Resolves once the queue has stayed empty for two looks in a row. */
export async function waitForEmpty(queueUrl: string, pollMs = 250): Promise<void> {
  let emptyLooks = 0;
  while (emptyLooks < 2) {
    emptyLooks = (await queueDepth(queueUrl)) === 0 ? emptyLooks + 1 : 0;
    if (emptyLooks < 2) await new Promise((r) => setTimeout(r, pollMs));
  }
}
