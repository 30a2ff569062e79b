/** Channel adapters against real sockets: an HTTP sink for webhooks, a minimal SMTP sink for nodemailer. */
import { createServer as createHttpServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import type { AlertEvent } from '@edgeflow/shared';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { channelFactory } from '../../src/adapters/channels/index.ts';
import { WebhookPolicy } from '../../src/adapters/channels/webhook-policy.ts';
import { ChannelError, type Notification } from '../../src/functions/notify/ports.ts';

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
  text: '[WARNING] raised: Freezer (d1) at plant-1: temperature above 30 for 10 s',
  suppressedBefore: 0,
};

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

async function listen(server: Server | TcpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

interface Hit {
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

async function httpSink(status: number): Promise<{ url: string; hits: Hit[] }> {
  const hits: Hit[] = [];
  const server = createHttpServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    hits.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString()) });
    res.writeHead(status).end();
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/hook`, hits };
}

/** Just enough SMTP for nodemailer: records each message; `rcptCode` answers RCPT TO. */
async function smtpSink(rcptCode = 250): Promise<{ url: string; messages: string[] }> {
  const messages: string[] = [];
  const server = createTcpServer((socket) => {
    let buffer = '';
    let inData = false;
    let data = '';
    socket.write('220 sink ESMTP\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      for (let i = buffer.indexOf('\r\n'); i >= 0; i = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            messages.push(data);
            data = '';
            socket.write('250 queued\r\n');
          } else data += `${line}\n`;
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') socket.write('250 sink\r\n');
        else if (verb === 'MAIL') socket.write('250 ok\r\n');
        else if (verb === 'RCPT') socket.write(rcptCode === 250 ? '250 ok\r\n' : `${rcptCode} no\r\n`);
        else if (verb === 'DATA') {
          inData = true;
          socket.write('354 go\r\n');
        } else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('250 ok\r\n');
      }
    });
    socket.on('error', () => socket.destroy());
  });
  const port = await listen(server);
  return { url: `smtp://127.0.0.1:${port}`, messages };
}

const settings = {
  mailFrom: 'edgeflow@example.test',
  webhookTimeoutMs: 2_000,
  // The sinks here are plain http on loopback: the local stack's exception.
  webhookPolicy: new WebhookPolicy({ allowedHosts: [], allowLoopbackHttp: true }),
  logger: pino({ level: 'silent' }),
};

describe('webhook channel', () => {
  it('posts JSON with an idempotency key', async () => {
    const sink = await httpSink(204);
    const channel = channelFactory({ ...settings, smtpUrl: undefined })(
      { kind: 'webhook', url: sink.url, format: 'json' },
      'webhook_0',
    );
    await channel.send(notification);
    expect(sink.hits).toHaveLength(1);
    expect(sink.hits[0]?.headers['idempotency-key']).toBe(notification.idempotencyKey);
    expect(sink.hits[0]?.body).toMatchObject({
      type: 'edgeflow.alert',
      alert: event,
      device: { id: 'd1', name: 'Freezer', site: 'plant-1' },
    });
  });

  it('posts the Slack-compatible text form', async () => {
    const sink = await httpSink(200);
    const channel = channelFactory({ ...settings, smtpUrl: undefined })(
      { kind: 'webhook', url: sink.url, format: 'slack' },
      'webhook_0',
    );
    await channel.send(notification);
    expect(sink.hits[0]?.body).toEqual({ text: notification.text });
  });

  it('classifies failures: 5xx and unreachable are retryable, 4xx permanent', async () => {
    const make = (url: string) =>
      channelFactory({ ...settings, smtpUrl: undefined })({ kind: 'webhook', url, format: 'json' }, 'w');
    const down = await httpSink(503);
    await expect(make(down.url).send(notification)).rejects.toSatisfy(
      (e) => e instanceof ChannelError && e.retryable,
    );
    const rejecting = await httpSink(400);
    await expect(make(rejecting.url).send(notification)).rejects.toSatisfy(
      (e) => e instanceof ChannelError && !e.retryable,
    );
    // A port freed just now: nothing listens there, the connection is refused.
    const port = await listen(createTcpServer());
    await closers.pop()?.();
    const unreachable = make(`http://127.0.0.1:${port}/gone`);
    await expect(unreachable.send(notification)).rejects.toSatisfy(
      (e) => e instanceof ChannelError && e.retryable,
    );
  });
});

describe('email channel (nodemailer over SMTP)', () => {
  it('sends a message whose Message-ID derives from the idempotency key', async () => {
    const smtp = await smtpSink();
    const channel = channelFactory({ ...settings, smtpUrl: smtp.url })(
      { kind: 'email', to: ['ops@example.test'] },
      'email_1',
    );
    await channel.send({ ...notification, idempotencyKey: `${event.alertId}:raised:email_1` });
    expect(smtp.messages).toHaveLength(1);
    const message = smtp.messages[0] as string;
    expect(message).toMatch(/^Subject: \[WARNING\] raised: Freezer/m);
    expect(message).toMatch(/^To: ops@example\.test/m);
    expect(message).toMatch(
      /^Message-ID:\s+<d1\.temperature\.temperature-high\.1763892000000_raised_email_1@edgeflow>/m,
    );
  });

  it('treats a 5xx SMTP refusal as permanent and a 4xx as retryable', async () => {
    const refusing = await smtpSink(550);
    const permanent = channelFactory({ ...settings, smtpUrl: refusing.url })(
      { kind: 'email', to: ['x@example.test'] },
      'e',
    );
    await expect(permanent.send(notification)).rejects.toSatisfy(
      (e) => e instanceof ChannelError && !e.retryable,
    );
    const busy = await smtpSink(451);
    const later = channelFactory({ ...settings, smtpUrl: busy.url })(
      { kind: 'email', to: ['x@example.test'] },
      'e',
    );
    await expect(later.send(notification)).rejects.toSatisfy((e) => e instanceof ChannelError && e.retryable);
  });

  it('fails permanently, with a reason, when no SMTP server is configured', async () => {
    const channel = channelFactory({ ...settings, smtpUrl: undefined })(
      { kind: 'email', to: ['x@example.test'] },
      'e',
    );
    await expect(channel.send(notification)).rejects.toThrow(/EDGEFLOW_SMTP_URL/);
  });
});
