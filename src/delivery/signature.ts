import { createHmac } from 'node:crypto';

/** The Standard Webhooks headers for one attempt: `webhook-id`, `webhook-timestamp`, `webhook-signature`. */
export function signatureHeaders(messageId: string, body: string, secret: string, nowSeconds: number): Record<string, string> {
  const timestamp = String(nowSeconds);
  const signature = createHmac('sha256', secretKey(secret)).update(`${messageId}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': messageId, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}

/** The HMAC key of a secret: a `whsec_` secret is base64 after its prefix, any other is its UTF-8 bytes. */
export function secretKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
}
