/** Names of the secrets the pipeline reads; values never leave Secrets Manager except into memory. */
export const secretNames = {
  groupWebhook: (prefix: string, groupId: number) => `${prefix}group/${groupId}/webhook`,
  orgSalesforce: (prefix: string, orgId: string) => `${prefix}org/${orgId}/salesforce`,
  /** The group's Glance CRR credentials (service username, password, API key): see shared/sync/glance-credentials.ts. */
  groupGlance: (prefix: string, groupId: number) => `${prefix}group/${groupId}/glance`,
};
