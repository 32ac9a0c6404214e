import { z } from 'zod';

/**
 * An org's Salesforce credentials as stored in Secrets Manager (never in a table or a log).
 * JWT bearer for server-to-server (a connected app with a certificate), or a refresh token.
 */
export const salesforceCredentialsSchema = z.discriminatedUnion('authType', [
  z.strictObject({
    authType: z.literal('jwt'),
    loginUrl: z.url(),
    clientId: z.string().min(1),
    username: z.string().min(1),
    privateKey: z.string().includes('PRIVATE KEY'),
  }),
  z.strictObject({
    authType: z.literal('refresh_token'),
    loginUrl: z.url(),
    clientId: z.string().min(1),
    clientSecret: z.string().optional(),
    refreshToken: z.string().min(1),
  }),
]);
export type SalesforceCredentials = z.infer<typeof salesforceCredentialsSchema>;
