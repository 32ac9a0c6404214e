import { Aws, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { SECRET_PREFIX } from './constants.ts';

/** A wildcard ARN in the deploying account and region, with the finding id cdk-nag's IAM5 reports for it. */
export interface ArnPattern {
  readonly arn: string;
  readonly nagFinding: string;
}

export function regionalArn(service: string, resource: string): ArnPattern {
  return {
    arn: `arn:${Aws.PARTITION}:${service}:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}`,
    nagFinding: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:${service}:<AWS::Region>:<AWS::AccountId>:${resource}]`,
  };
}

// Secret ARNs end in "-" plus six random characters, but a request for a secret that does not
// exist (yet) is authorised against the bare name. A trailing "*" covers both, so the handlers get
// ResourceNotFoundException (which they treat as "not registered") rather than AccessDenied.
export function secretArn(nameUnderPrefix: string): ArnPattern {
  return regionalArn('secretsmanager', `secret:${SECRET_PREFIX}${nameUnderPrefix}`);
}

export const SECRETS = {
  groupWebhook: secretArn('group/*/webhook*'),
  orgSalesforce: secretArn('org/*/salesforce*'),
  groupGlance: secretArn('group/*/glance*'),
  all: secretArn('*'),
} as const;

/** Accepts cdk-nag's wildcard finding for exactly this pattern on this construct, and nothing broader. */
export function acceptWildcard(scope: IConstruct, pattern: ArnPattern, reason: string): void {
  Validations.of(scope).acknowledge({ id: pattern.nagFinding, reason });
}
