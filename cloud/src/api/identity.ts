/**
 * Who is acting, for the alert history. In GCP the function is private (IAM invoker only):
 * Google's front end has verified the caller's ID token before the request reaches us, and
 * IAP, when in front, sets `X-Goog-Authenticated-User-Email`. We trust these only when
 * infra says the function runs behind that front end (EDGEFLOW_API_TRUST_GOOGLE_IDENTITY=1):
 * anywhere else a client could set any header, so the configured local operator is used.
 * The bearer token's payload is decoded, not verified: verification is the front end's job
 * (Cloud Run rejects an invalid token before the function runs).
 */
import type { IncomingHttpHeaders } from 'node:http';

const MAX_ACTOR_LENGTH = 200;

function emailFromIdToken(authorization: string | undefined): string | undefined {
  const m = /^Bearer\s+([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]*$/.exec(authorization ?? '');
  if (!m) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(m[2] as string, 'base64url').toString('utf8')) as {
      email?: unknown;
    };
    return typeof payload.email === 'string' ? payload.email : undefined;
  } catch {
    return undefined;
  }
}

export function actorOf(headers: IncomingHttpHeaders, trustGoogle: boolean, localOperator: string): string {
  if (!trustGoogle) return localOperator;
  const iap = headers['x-goog-authenticated-user-email'];
  // IAP's form is `accounts.google.com:user@example.com`.
  const fromIap = typeof iap === 'string' ? iap.slice(iap.indexOf(':') + 1) : undefined;
  const who = fromIap || emailFromIdToken(headers.authorization);
  return who ? who.slice(0, MAX_ACTOR_LENGTH) : localOperator;
}
