/**
 * The program and the functions agree: the variables the program sets are the ones cloud/
 * reads (run through cloud's own config readers), and the collections it indexes, exempts
 * and expires are the ones cloud/ writes.
 */
import { SHARED_TOPICS, telemetryTopicName, topologyFor } from '@edgeflow/shared';
import * as pulumi from '@pulumi/pulumi';
import { describe, expect, it } from 'vitest';
import { toDoc as alertDoc } from '../../cloud/src/adapters/firestore/alerts.ts';
import { Collections } from '../../cloud/src/adapters/firestore/client.ts';
import { ingestConfigFromEnv } from '../../cloud/src/functions/ingest/config.ts';
import { notifyConfigFromEnv } from '../../cloud/src/functions/notify/config.ts';
import type { AlertRecord } from '../../cloud/src/functions/notify/record.ts';
import { deadLetterDoc } from '../../cloud/src/functions/triage/dead-letter.ts';
import { COMPOSITE_INDEXES, INDEX_EXEMPTIONS } from '../src/components/storage.ts';
import { functionEnvironment, notifySecrets } from '../src/env.ts';
import { COLLECTIONS } from '../src/names.ts';
import { resolved } from './mocks.ts';

const inputs = {
  project: 'acme-iot-prod',
  topology: topologyFor(['site-a']),
  retentionDays: 45,
  mailFrom: 'alerts@acme.example',
  webhookAllowedHosts: ['hooks.slack.example', '*.acme.example'],
};

describe('function environment contract', () => {
  it('configures ingest: project, alerts topic and retention', () => {
    const cfg = ingestConfigFromEnv(functionEnvironment('ingest', inputs));
    expect(cfg.projectId).toBe('acme-iot-prod');
    expect(cfg.alertsTopic).toBe(SHARED_TOPICS.alerts.name);
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

  it('hands notify the webhook allowlist and keeps the local http exception off', () => {
    // Even with an emulator variable in the environment, the deployed flag wins.
    const env = { ...functionEnvironment('notify', inputs), FIRESTORE_EMULATOR_HOST: '127.0.0.1:8080' };
    const cfg = notifyConfigFromEnv(env);
    expect(cfg.webhookAllowedHosts).toEqual(['hooks.slack.example', '*.acme.example']);
    expect(cfg.webhookAllowLoopbackHttp).toBe(false);
  });

  it('names only collections the functions write', () => {
    const written = new Set<string>(Object.values(Collections));
    for (const name of Object.values(COLLECTIONS)) expect(written, name).toContain(name);
  });

  it('indexes and exempts fields the functions actually write', () => {
    const alert = alertDoc(
      { state: 'open', raisedAtMs: 1_700_000_000_000, clearedAtMs: null } as AlertRecord,
      0,
    );
    const { doc: deadLetter } = deadLetterDoc({
      source: 'triage',
      messageId: 'm-1',
      sourceTopic: telemetryTopicName('site-a'),
      subscription: null,
      deliveryAttempt: 5,
      code: 'EDGEFLOW_MAX_DELIVERY_ATTEMPTS',
      reason: 'max delivery attempts exceeded',
      attributes: {},
      data: new Uint8Array([1, 2, 3]),
      publishTimeMs: null,
      recordedAtMs: 1_700_000_000_000,
    });
    const written: Record<string, object> = { alerts: alert, deadLetters: deadLetter };
    for (const index of COMPOSITE_INDEXES) {
      for (const f of index.fields)
        expect(written[index.collection], `${index.collection}.${f.fieldPath}`).toHaveProperty(f.fieldPath);
    }
    for (const e of INDEX_EXEMPTIONS.filter((x) => x.collection in written)) {
      expect(written[e.collection], `${e.collection}.${e.field}`).toHaveProperty(e.field);
    }
  });
});
