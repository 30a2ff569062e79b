/**
 * The webhook SSRF policy: the pure verdict (fast-check over hosts and schemes), the channel
 * against real local servers (a refused URL opens no connection, a redirect is not
 * followed), and the notify config refusing a bad fleet default at load.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import type { AlertEvent } from '@edgeflow/shared';
import fc from 'fast-check';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { channelFactory } from '../../src/adapters/channels/index.ts';
import {
  checkWebhookUrl,
  hostAllowed,
  isLoopbackHost,
  WebhookPolicy,
  type WebhookPolicyOptions,
} from '../../src/adapters/channels/webhook-policy.ts';
import { CloudErrorCodes } from '../../src/adapters/errors.ts';
import { notifyConfigFromEnv } from '../../src/functions/notify/config.ts';
import { ChannelError, type Notification } from '../../src/functions/notify/ports.ts';
import { waitFor } from '../support/wait.ts';

const PROD: WebhookPolicyOptions = {
  allowedHosts: ['hooks.slack.com', '*.acme.example'],
  allowLoopbackHttp: false,
};
const LOCAL: WebhookPolicyOptions = { allowedHosts: [], allowLoopbackHttp: true };

const refusal = (url: string, options: WebhookPolicyOptions) => {
  const v = checkWebhookUrl(url, options);
  return v.ok ? 'ok' : v.code;
};

describe('checkWebhookUrl', () => {
  it('passes https to a listed host or a subdomain of a wildcard entry', () => {
    expect(refusal('https://hooks.slack.com/services/T0/B0/x', PROD)).toBe('ok');
    expect(refusal('https://hooks.slack.com./services/x', PROD)).toBe('ok');
    expect(refusal('https://oncall.acme.example:8443/hook', PROD)).toBe('ok');
    expect(refusal('https://a.b.acme.example/hook', PROD)).toBe('ok');
  });

  it('refuses a host outside the allowlist, including look-alikes of listed ones', () => {
    for (const url of [
      'https://acme.example/hook',
      'https://evilacme.example/hook',
      'https://hooks.slack.com.evil.example/x',
      'https://169.254.169.254/computeMetadata/v1/',
      'https://127.0.0.1/hook',
      'https://localhost/hook',
      'https://[::1]/hook',
    ]) {
      expect(refusal(url, PROD), url).toBe(CloudErrorCodes.WEBHOOK_HOST_NOT_ALLOWED);
    }
  });

  it('refuses every scheme but https outside the local stack, loopback included', () => {
    for (const url of [
      'http://hooks.slack.com/services/x',
      'http://127.0.0.1:8080/hook',
      'http://localhost/hook',
      'ftp://hooks.slack.com/x',
      'file:///etc/passwd',
      'gopher://hooks.slack.com/x',
    ]) {
      expect(refusal(url, PROD), url).toBe(CloudErrorCodes.WEBHOOK_NOT_HTTPS);
    }
  });

  it('in the local stack passes http to loopback only, and nothing else unlisted', () => {
    expect(refusal('http://127.0.0.1:4000/hook', LOCAL)).toBe('ok');
    expect(refusal('http://127.9.8.7/hook', LOCAL)).toBe('ok');
    expect(refusal('http://localhost:4000/hook', LOCAL)).toBe('ok');
    expect(refusal('http://[::1]:4000/hook', LOCAL)).toBe('ok');
    expect(refusal('http://10.0.0.5/hook', LOCAL)).toBe(CloudErrorCodes.WEBHOOK_NOT_HTTPS);
    expect(refusal('https://hooks.slack.com/x', LOCAL)).toBe(CloudErrorCodes.WEBHOOK_HOST_NOT_ALLOWED);
    // A name that merely starts like loopback is not loopback.
    expect(refusal('http://127.0.0.1.evil.example/hook', LOCAL)).toBe(CloudErrorCodes.WEBHOOK_NOT_HTTPS);
  });

  it('refuses URLs that do not parse or carry credentials', () => {
    expect(refusal('not a url', PROD)).toBe(CloudErrorCodes.WEBHOOK_URL_INVALID);
    expect(refusal('https://user:pw@hooks.slack.com/x', PROD)).toBe(CloudErrorCodes.WEBHOOK_URL_INVALID);
    expect(refusal('https://hooks.slack.com@evil.example/x', PROD)).toBe(CloudErrorCodes.WEBHOOK_URL_INVALID);
  });

  it('never passes a host the allowlist does not name (any host, any scheme)', () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
    const host = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('.'));
    fc.assert(
      fc.property(
        fc.array(host, { maxLength: 4 }),
        host,
        fc.constantFrom('https', 'http', 'ftp', 'ws'),
        fc.boolean(),
        (allowed, target, scheme, local) => {
          const verdict = checkWebhookUrl(`${scheme}://${target}/hook`, {
            allowedHosts: allowed,
            allowLoopbackHttp: local,
          });
          if (!verdict.ok) return;
          const h = verdict.url.hostname;
          const listed = allowed.includes(h);
          expect(listed || (local && isLoopbackHost(h))).toBe(true);
          expect(verdict.url.protocol === 'https:' || (local && isLoopbackHost(h))).toBe(true);
        },
      ),
      { seed: 20261203, numRuns: 500 },
    );
  });

  it('matches a wildcard entry only below its domain', () => {
    expect(hostAllowed('x.acme.example', ['*.acme.example'])).toBe(true);
    expect(hostAllowed('acme.example', ['*.acme.example'])).toBe(false);
    expect(hostAllowed('xacme.example', ['*.acme.example'])).toBe(false);
  });

  it('counts refusals by code', () => {
    const policy = new WebhookPolicy(PROD);
    policy.check('http://hooks.slack.com/x');
    policy.check('https://evil.example/x');
    policy.check('https://evil.example/y');
    policy.check('https://hooks.slack.com/x');
    expect(policy.refused).toEqual({
      [CloudErrorCodes.WEBHOOK_URL_INVALID]: 0,
      [CloudErrorCodes.WEBHOOK_NOT_HTTPS]: 1,
      [CloudErrorCodes.WEBHOOK_HOST_NOT_ALLOWED]: 2,
    });
  });
});

const event: AlertEvent = {
  alertId: 'd1.temperature.temperature-high.1763892000000',
  kind: 'raised',
  deviceId: 'd1',
  metric: 'temperature',
  ruleId: 'temperature-high',
  ruleKind: 'threshold',
  severity: 'warning',
  value: 35,
  tsMs: 1763892000000,
  seq: 5,
  source: 'cloud',
  message: 'temperature above 30 for 10 s',
};
const notification: Notification = {
  type: 'alert',
  idempotencyKey: `${event.alertId}:raised:webhook_0`,
  event,
  deviceName: 'Freezer',
  site: 'plant-1',
  text: 'raised',
  suppressedBefore: 0,
};

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

async function listen(server: Server | TcpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** A TCP listener that only counts connections: proof of whether the channel dialled at all. */
async function connectionCounter(): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const server = createTcpServer((socket) => {
    connections++;
    socket.destroy();
  });
  const port = await listen(server);
  return { port, connections: () => connections };
}

function webhook(url: string, options: WebhookPolicyOptions) {
  const policy = new WebhookPolicy(options);
  const channel = channelFactory({
    smtpUrl: undefined,
    mailFrom: 'edgeflow@example.test',
    webhookTimeoutMs: 2_000,
    webhookPolicy: policy,
    logger: pino({ level: 'silent' }),
  })({ kind: 'webhook', url, format: 'json' }, 'webhook_0');
  return { channel, policy };
}

const failsWith =
  (code: string, retryable = false) =>
  (e: unknown) =>
    e instanceof ChannelError && e.code === code && e.retryable === retryable && e.message.startsWith(code);

describe('webhook channel under the policy (real sockets)', () => {
  it('does not follow a redirect: a permanent failure with a code, the target never hit', async () => {
    let targetHits = 0;
    const target = createHttpServer((_req, res) => {
      targetHits++;
      res.writeHead(204).end();
    });
    const targetPort = await listen(target);
    for (const status of [301, 302, 307, 308]) {
      const redirector = createHttpServer((_req, res) => {
        res.writeHead(status, { location: `http://127.0.0.1:${targetPort}/internal` }).end();
      });
      const port = await listen(redirector);
      const { channel } = webhook(`http://127.0.0.1:${port}/hook`, LOCAL);
      await expect(channel.send(notification)).rejects.toSatisfy(failsWith(CloudErrorCodes.WEBHOOK_REDIRECT));
    }
    expect(targetHits).toBe(0);
  });

  it('refuses http to a listening loopback server when not in the local stack, without dialling', async () => {
    const server = await connectionCounter();
    const { channel, policy } = webhook(`http://127.0.0.1:${server.port}/hook`, {
      allowedHosts: ['127.0.0.1'],
      allowLoopbackHttp: false,
    });
    await expect(channel.send(notification)).rejects.toSatisfy(failsWith(CloudErrorCodes.WEBHOOK_NOT_HTTPS));
    expect(policy.refused[CloudErrorCodes.WEBHOOK_NOT_HTTPS]).toBe(1);
    expect(server.connections()).toBe(0);
  });

  it('refuses a host outside the allowlist without dialling', async () => {
    const server = await connectionCounter();
    const { channel, policy } = webhook(`https://127.0.0.1:${server.port}/hook`, PROD);
    await expect(channel.send(notification)).rejects.toSatisfy(
      failsWith(CloudErrorCodes.WEBHOOK_HOST_NOT_ALLOWED),
    );
    expect(policy.refused[CloudErrorCodes.WEBHOOK_HOST_NOT_ALLOWED]).toBe(1);
    expect(server.connections()).toBe(0);
  });

  it('dials an allowed https URL (the TLS handshake reaches the listener)', async () => {
    const server = await connectionCounter();
    const { channel } = webhook(`https://127.0.0.1:${server.port}/hook`, {
      allowedHosts: ['127.0.0.1'],
      allowLoopbackHttp: false,
    });
    // The listener is no TLS server: the attempt fails as unreachable (retryable), after dialling.
    await expect(channel.send(notification)).rejects.toSatisfy(
      (e) => e instanceof ChannelError && e.retryable && e.code === undefined,
    );
    await waitFor(() => server.connections() === 1, { timeoutMs: 2_000, what: 'the TLS connection' });
  });

  it('delivers over http to loopback in the local stack', async () => {
    let hits = 0;
    const sink = createHttpServer((req, res) => {
      hits++;
      req.resume();
      res.writeHead(204).end();
    });
    const port = await listen(sink);
    const { channel } = webhook(`http://localhost:${port}/hook`, LOCAL);
    await channel.send(notification);
    expect(hits).toBe(1);
  });
});

describe('notify config', () => {
  const target = (url: string) => JSON.stringify([{ kind: 'webhook', url, format: 'json' }]);

  it('refuses at load a fleet default webhook the policy refuses, naming the code', () => {
    const load = () =>
      notifyConfigFromEnv({ EDGEFLOW_NOTIFY_DEFAULT_TARGETS: target('https://evil.example/hook') });
    expect(load).toThrow(/defaultTargets\/0\/url.*EDGEFLOW_WEBHOOK_HOST_NOT_ALLOWED/s);
    expect(load).toThrow(expect.objectContaining({ code: 'EDGEFLOW_CONFIG_INVALID' }));
    expect(() =>
      notifyConfigFromEnv({
        EDGEFLOW_NOTIFY_DEFAULT_TARGETS: target('http://hooks.slack.com/x'),
        EDGEFLOW_NOTIFY_WEBHOOK_ALLOWED_HOSTS: '["hooks.slack.com"]',
      }),
    ).toThrow(/EDGEFLOW_WEBHOOK_NOT_HTTPS/);
  });

  it('accepts a listed https default and rejects a malformed allowlist entry', () => {
    const config = notifyConfigFromEnv({
      EDGEFLOW_NOTIFY_DEFAULT_TARGETS: target('https://hooks.slack.com/services/x'),
      EDGEFLOW_NOTIFY_WEBHOOK_ALLOWED_HOSTS: '["hooks.slack.com","*.acme.example"]',
    });
    expect(config.webhookAllowedHosts).toEqual(['hooks.slack.com', '*.acme.example']);
    expect(() =>
      notifyConfigFromEnv({ EDGEFLOW_NOTIFY_WEBHOOK_ALLOWED_HOSTS: '["https://hooks.slack.com"]' }),
    ).toThrow(/webhookAllowedHosts/);
  });

  it('allows loopback http only when told to, or when the functions run on the emulator', () => {
    expect(notifyConfigFromEnv({}).webhookAllowLoopbackHttp).toBe(false);
    expect(notifyConfigFromEnv({ FIRESTORE_EMULATOR_HOST: '127.0.0.1:8080' }).webhookAllowLoopbackHttp).toBe(
      true,
    );
    expect(
      notifyConfigFromEnv({
        FIRESTORE_EMULATOR_HOST: '127.0.0.1:8080',
        EDGEFLOW_NOTIFY_WEBHOOK_ALLOW_LOOPBACK_HTTP: 'false',
      }).webhookAllowLoopbackHttp,
    ).toBe(false);
    expect(
      notifyConfigFromEnv({ EDGEFLOW_NOTIFY_WEBHOOK_ALLOW_LOOPBACK_HTTP: 'true' }).webhookAllowLoopbackHttp,
    ).toBe(true);
  });
});
