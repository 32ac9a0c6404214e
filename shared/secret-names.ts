/** Names of the secrets the pipeline reads; values never leave Secrets Manager except into memory. */
export const secretNames = {
  groupWebhook: (prefix: string, groupId: number) => `${prefix}group/${groupId}/webhook`,
  orgSalesforce: (prefix: string, orgId: string) => `${prefix}org/${orgId}/salesforce`,
  orgGlance: (prefix: string, orgId: string) => `${prefix}org/${orgId}/glance`,
};
