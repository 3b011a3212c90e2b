// The Kafka broker: single-node KRaft on loopback, from the Maven-resolved jars.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { LocalServicesError } from './errors';
import { kafkaClasspath } from './install';
import { KAFKA_HEAP_OPTS, newClusterId, renderLog4jProperties, renderServerProperties, scramFormatArgs } from './kafka-config';
import { runKafkaTool } from './kafka-tools';
import { LOOPBACK } from './ports';
import { kafkaAcls, kafkaClientAuth } from './security';
import type { ServiceContext, ServiceSpec } from './service-spec';

const files = (ctx: ServiceContext) => ({
  serverProperties: path.join(ctx.dir, 'server.properties'),
  log4j: path.join(ctx.dir, 'log4j.properties'),
  logDir: path.join(ctx.dir, 'data'),
});

export const kafkaService: ServiceSpec = {
  name: 'kafka',
  extraPorts: 1,
  startTimeoutMs: 90_000,
  stopGraceMs: 20_000,

  async prepare(ctx) {
    const f = files(ctx);
    const [port, controllerPort] = ctx.ports as [number, number];
    fs.mkdirSync(f.logDir, { recursive: true });
    const security = ctx.security;
    const secure = security && {
      keystore: security.tls.keystore,
      truststore: security.tls.truststore,
      storePassword: security.tls.storePassword,
      brokerDn: security.tls.brokerDn,
      admin: security.kafka.admin,
    };
    // Holds the stores' and the admin's passwords in the secured mode: readable by the owner only.
    fs.writeFileSync(f.serverProperties, renderServerProperties({ port, controllerPort, logDir: f.logDir, secure }), { mode: 0o600 });
    fs.writeFileSync(f.log4j, renderLog4jProperties('INFO', 'System.out'));
    if (fs.existsSync(path.join(f.logDir, 'meta.properties'))) return; // a restart keeps the formatted storage
    // The SCRAM users exist from the first start (KIP-900): the broker needs its own to talk to itself.
    const users = security ? scramFormatArgs([security.kafka.admin, security.kafka.producer, security.kafka.consumer]) : [];
    const result = await runKafkaTool(
      'kafka.tools.StorageTool',
      // `--cluster-id=<id>` in one argument: an id starting with '-' (1 in 64) would otherwise be read as a flag.
      ['format', '--ignore-formatted', `--cluster-id=${newClusterId(crypto.randomBytes)}`, '-c', f.serverProperties, ...users],
      { baseDir: ctx.baseDir, timeoutMs: 60_000 },
    );
    if (result.code !== 0) {
      throw new LocalServicesError(
        'START_FAILED',
        `formatting the Kafka storage failed (exit ${String(result.code)}${result.timedOut ? ', timed out' : ''}):\n${result.stdout}${result.stderr}`,
        { retryable: result.timedOut },
      );
    }
  },

  command(ctx) {
    const f = files(ctx);
    return {
      cmd: 'java',
      args: [
        ...KAFKA_HEAP_OPTS,
        '-XX:+UseG1GC',
        '-Djava.awt.headless=true',
        `-Dlog4j.configuration=file:${f.log4j}`,
        '-cp',
        kafkaClasspath(ctx.baseDir),
        'kafka.Kafka',
        f.serverProperties,
      ],
    };
  },

  async isHealthy(ctx) {
    const admin = adminClient(ctx, 'local-services-health', 'probe').admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      // Metadata answered and the controller is elected: the broker can take topic creation and transactions.
      return cluster.brokers.length > 0 && cluster.controller !== null && cluster.controller >= 0;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  },

  // Topics and ACLs live in the cluster metadata, so a restart finds them; creating them again changes nothing.
  async afterStart(ctx) {
    const security = ctx.security;
    if (!security) return;
    const admin = adminClient(ctx, 'local-services-setup', 'setup').admin();
    await admin.connect();
    try {
      const acls = kafkaAcls(security);
      if (acls.length > 0) await admin.createAcls({ acl: acls });
      const existing = new Set(await admin.listTopics());
      const missing = security.kafka.topics.filter((t) => !existing.has(t));
      if (missing.length > 0) {
        await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: security.kafka.partitions })) });
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  },

  endpoints(ctx) {
    return { kafka: { brokers: [`${LOOPBACK}:${ctx.ports[0]}`] } };
  },
};

/**
 * A kafkajs client of the broker; in the secured mode it connects as the admin (a super user) over SASL_SSL.
 * The health probe fails fast (it is polled); the set-up after start waits and retries like any client.
 */
function adminClient(ctx: ServiceContext, clientId: string, mode: 'probe' | 'setup'): Kafka {
  const probe = mode === 'probe';
  return new Kafka({
    clientId,
    brokers: [`${LOOPBACK}:${ctx.ports[0]}`],
    logLevel: logLevel.NOTHING,
    connectionTimeout: probe ? 1_000 : 5_000,
    requestTimeout: probe ? 2_000 : 10_000,
    retry: { retries: probe ? 0 : 3 },
    ...(ctx.security ? kafkaClientAuth(ctx.security, ctx.security.kafka.admin) : {}),
  });
}
