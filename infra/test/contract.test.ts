/**
 * The program and the functions agree: the variables the program sets are the ones cloud/
 * reads (run through cloud's own config readers), and the collections it indexes, exempts
 * and expires are the ones cloud/ writes.
 */
import { TOPOLOGY } from '@edgeflow/shared';
import * as pulumi from '@pulumi/pulumi';
import { describe, expect, it } from 'vitest';
import { Collections } from '../../cloud/src/adapters/firestore/client.ts';
import { ingestConfigFromEnv } from '../../cloud/src/functions/ingest/config.ts';
import { notifyConfigFromEnv } from '../../cloud/src/functions/notify/config.ts';
import { functionEnvironment, notifySecrets } from '../src/env.ts';
import { COLLECTIONS } from '../src/names.ts';
import { resolved } from './mocks.ts';

const inputs = {
  project: 'acme-iot-prod',
  topology: TOPOLOGY,
  retentionDays: 45,
  mailFrom: 'alerts@acme.example',
};

describe('function environment contract', () => {
  it('configures ingest: project, alerts topic and retention', () => {
    const cfg = ingestConfigFromEnv(functionEnvironment('ingest', inputs));
    expect(cfg.projectId).toBe('acme-iot-prod');
    expect(cfg.alertsTopic).toBe(TOPOLOGY.topics.alerts.name);
    expect(cfg.retentionMs).toBe(45 * 86_400_000);
  });

  it('configures notify: sender, fleet webhook as default targets, SMTP transport', async () => {
    const secrets = notifySecrets({
      webhookUrl: pulumi.output('https://hooks.slack.example/T0/B0/x'),
      webhookFormat: 'slack',
      smtpUrl: pulumi.output('smtps://u:p@smtp.example:465'),
    });
    const env: Record<string, string> = { ...functionEnvironment('notify', inputs) };
    for (const s of secrets) env[s.envVar] = await resolved(s.value);
    const cfg = notifyConfigFromEnv(env);
    expect(cfg.projectId).toBe('acme-iot-prod');
    expect(cfg.mailFrom).toBe('alerts@acme.example');
    expect(cfg.smtpUrl).toBe('smtps://u:p@smtp.example:465');
    expect(cfg.defaultTargets).toEqual([
      { kind: 'webhook', url: 'https://hooks.slack.example/T0/B0/x', format: 'slack' },
      { kind: 'log' },
    ]);
    for (const s of secrets) expect(await pulumi.isSecret(s.value), s.envVar).toBe(true);
  });

  it('names only collections the functions write', () => {
    const written = new Set<string>(Object.values(Collections));
    for (const name of Object.values(COLLECTIONS)) expect(written, name).toContain(name);
  });
});
