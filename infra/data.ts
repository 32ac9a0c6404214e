import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { OUTBOX_DUE_INDEX } from '../shared/adapters/outbox-store.ts';
import { Construct } from 'constructs';

export class DataTables extends Construct {
  /** Org records, group pairings, sync runs and history, leases, watermarks: pk + sk. */
  readonly orgs: Table;
  /** Idempotency records (event ids, claimed side effects), expired by DynamoDB TTL. */
  readonly dedupe: Table;
  /** Debug Mode's per-session decision traces, per org newest first; expired by TTL after a week. */
  readonly traces: Table;
  /** Each org's outbox: shares waiting to be written to Salesforce, and a sparse index of due orgs. */
  readonly outbox: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    this.orgs = new Table(this, 'OrgsTable', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      // Only short-lived items carry it (an org's pause history, org-pauses.ts); settings never expire.
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Org settings and sync history are customer configuration; a stack teardown must not lose them.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.dedupe = new Table(this, 'DedupeTable', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Losing claimed side effects would let a redelivered event create a second Lead or post.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.traces = new Table(this, 'DebugTracesTable', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Traces are short-lived diagnostics; nothing is lost with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.outbox = new Table(this, 'OutboxTable', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Shares in an outbox are acknowledged on the queue: the outbox is their only copy.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Only an org with waiting shares carries dueShard, so the one-minute sweep reads just those.
    this.outbox.addGlobalSecondaryIndex({
      indexName: OUTBOX_DUE_INDEX,
      partitionKey: { name: 'dueShard', type: AttributeType.STRING },
      sortKey: { name: 'dueAt', type: AttributeType.NUMBER },
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: ['orgId'],
    });
  }
}
