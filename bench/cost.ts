/**
 * us-east-1 on-demand list prices, as published on the AWS pricing pages in mid-2025 (DynamoDB's
 * on-demand rates after the November 2024 reduction). Free tiers are left out: they do not scale.
 */
export const PRICES_AS_OF = '2025-06 (AWS us-east-1 list prices)';

export const PRICES = {
  lambdaArmGbSecond: { usd: 0.0000133334, unit: 'GB-second, Lambda arm64 (first 7.5 billion GB-s a month)' },
  lambdaRequest: { usd: 0.2 / 1e6, unit: 'Lambda request' },
  sqsRequest: { usd: 0.4 / 1e6, unit: 'SQS standard request (each 64 KiB of payload is one)' },
  dynamoWriteUnit: { usd: 0.625 / 1e6, unit: 'DynamoDB on-demand write request unit' },
  dynamoReadUnit: { usd: 0.125 / 1e6, unit: 'DynamoDB on-demand read request unit' },
  httpApiRequest: { usd: 1.0 / 1e6, unit: 'API Gateway HTTP API request (first 300 million a month)' },
  secretsCall: { usd: 0.05 / 1e4, unit: 'Secrets Manager API call' },
} as const;

export interface CostInputs {
  sessions: number;
  processorInvocations: number;
  processorMs: number;
  processorMemoryMb: number;
  ingestInvocations: number;
  ingestMs: number;
  ingestMemoryMb: number;
  sqsRequests: number;
  dynamoWriteUnits: number;
  dynamoReadUnits: number;
  secretsCalls: number;
}

export interface CostLine {
  item: string;
  quantityPerMillion: number;
  unitUsd: number;
  unit: string;
  usdPerMillion: number;
}

/**
 * Scales what the run counted to a million sessions. Lambda time is the measured handler time,
 * rounded up to the millisecond per invocation as Lambda bills it, times the configured memory.
 */
export function costPerMillion(c: CostInputs): { lines: CostLine[]; totalUsd: number } {
  const scale = 1e6 / c.sessions;
  const gbSeconds = (ms: number, mb: number) => (ms / 1000) * (mb / 1024);
  const line = (item: string, quantity: number, price: { usd: number; unit: string }): CostLine => ({
    item,
    quantityPerMillion: quantity * scale,
    unitUsd: price.usd,
    unit: price.unit,
    usdPerMillion: quantity * scale * price.usd,
  });
  const lines = [
    line('session-processor compute (GB-s)', gbSeconds(c.processorMs, c.processorMemoryMb), PRICES.lambdaArmGbSecond),
    line('session-processor invocations', c.processorInvocations, PRICES.lambdaRequest),
    line('webhook-ingest compute (GB-s)', gbSeconds(c.ingestMs, c.ingestMemoryMb), PRICES.lambdaArmGbSecond),
    line('webhook-ingest invocations', c.ingestInvocations, PRICES.lambdaRequest),
    line('API Gateway HTTP API requests', c.ingestInvocations, PRICES.httpApiRequest),
    line('SQS requests', c.sqsRequests, PRICES.sqsRequest),
    line('DynamoDB write units', c.dynamoWriteUnits, PRICES.dynamoWriteUnit),
    line('DynamoDB read units', c.dynamoReadUnits, PRICES.dynamoReadUnit),
    line('Secrets Manager calls', c.secretsCalls, PRICES.secretsCall),
  ];
  return { lines, totalUsd: lines.reduce((sum, l) => sum + l.usdPerMillion, 0) };
}
