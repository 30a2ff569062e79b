/**
 * Where notify may send a webhook. A webhook URL can come from a device profile, so it is
 * untrusted input: without a policy, whoever can write a profile could make the notify
 * function POST alert data to any address it can reach (the metadata server, internal
 * services), which is server-side request forgery. The policy: https only, the host must
 * be on the configured allowlist, no credentials in the URL. The local stack alone (its
 * flag, see functions/notify/config.ts) may also use plain http to a loopback host.
 *
 * Checked once at config load (the fleet default targets) and again before every send (a
 * profile's targets). Redirects are refused by the channel itself (webhook.ts): a 3xx could
 * otherwise lead anywhere the allowlist does not.
 */
import { CloudErrorCodes } from '../errors.ts';

export interface WebhookPolicyOptions {
  /**
   * Hosts a webhook may be sent to: an exact name (`hooks.slack.com`), an IPv4 address, or
   * `*.example.com` for any name below example.com (not example.com itself). Empty: only the
   * local-stack loopback exception, if on, can pass.
   */
  readonly allowedHosts: readonly string[];
  /** Local stack only: http to a loopback host, and loopback hosts without listing them. */
  readonly allowLoopbackHttp: boolean;
}

export const WEBHOOK_REFUSALS = [
  CloudErrorCodes.WEBHOOK_URL_INVALID,
  CloudErrorCodes.WEBHOOK_NOT_HTTPS,
  CloudErrorCodes.WEBHOOK_HOST_NOT_ALLOWED,
] as const;
export type WebhookRefusalCode = (typeof WEBHOOK_REFUSALS)[number];

export type WebhookVerdict =
  | { readonly ok: true; readonly url: URL }
  | { readonly ok: false; readonly code: WebhookRefusalCode; readonly reason: string };

/** An allowlist entry: a lower-case DNS name or IPv4 address, optionally `*.`-prefixed. */
export const HOST_PATTERN_SOURCE =
  '^(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';

const LOOPBACK_V4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** `hostname` as WHATWG URL gives it: lower case, punycode, IPv6 in brackets. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || LOOPBACK_V4.test(hostname);
}

export function hostAllowed(hostname: string, allowedHosts: readonly string[]): boolean {
  // `example.com.` names the same host as `example.com`.
  const host = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  return allowedHosts.some((entry) =>
    entry.startsWith('*.') ? host.endsWith(entry.slice(1)) : host === entry,
  );
}

/** Pure: the verdict on one URL. Never resolves or fetches anything. */
export function checkWebhookUrl(raw: string, options: WebhookPolicyOptions): WebhookVerdict {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse(CloudErrorCodes.WEBHOOK_URL_INVALID, 'webhook URL does not parse');
  }
  if (url.username !== '' || url.password !== '') {
    return refuse(CloudErrorCodes.WEBHOOK_URL_INVALID, 'webhook URL carries credentials');
  }
  const loopback = options.allowLoopbackHttp && isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    // The scheme only: the rest of the URL may hold a token.
    return refuse(CloudErrorCodes.WEBHOOK_NOT_HTTPS, `webhook URL scheme ${url.protocol} is not https`);
  }
  if (!loopback && !hostAllowed(url.hostname, options.allowedHosts)) {
    return refuse(
      CloudErrorCodes.WEBHOOK_HOST_NOT_ALLOWED,
      `webhook host ${url.hostname} is not in the allowlist (EDGEFLOW_NOTIFY_WEBHOOK_ALLOWED_HOSTS)`,
    );
  }
  return { ok: true, url };
}

function refuse(code: WebhookRefusalCode, reason: string): WebhookVerdict {
  return { ok: false, code, reason };
}

/** The policy one notify instance applies, with its refusals counted by code. */
export class WebhookPolicy {
  readonly options: WebhookPolicyOptions;
  readonly refused: Record<WebhookRefusalCode, number> = {
    [CloudErrorCodes.WEBHOOK_URL_INVALID]: 0,
    [CloudErrorCodes.WEBHOOK_NOT_HTTPS]: 0,
    [CloudErrorCodes.WEBHOOK_HOST_NOT_ALLOWED]: 0,
  };

  constructor(options: WebhookPolicyOptions) {
    this.options = options;
  }

  check(raw: string): WebhookVerdict {
    const verdict = checkWebhookUrl(raw, this.options);
    if (!verdict.ok) this.refused[verdict.code]++;
    return verdict;
  }
}
