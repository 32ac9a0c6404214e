import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { STACK_NAME } from './constants.ts';
import { GlanceSalesforceSyncStack } from './stack.ts';

const app = new App();
new GlanceSalesforceSyncStack(app, STACK_NAME, {
  description: 'Glance sessions into Salesforce: webhooks, scheduled syncs, SQS and Lambda',
});
// cdk-nag 3 runs as a synthesis validation plugin (not an Aspect): any unacknowledged
// AwsSolutions finding fails `cdk synth`.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
