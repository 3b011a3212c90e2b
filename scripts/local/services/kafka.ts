// The Kafka broker: single-node KRaft on loopback, from the Maven-resolved jars.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { LocalServicesError } from './errors';
import { kafkaClasspath } from './install';
import { KAFKA_HEAP_OPTS, newClusterId, renderLog4jProperties, renderServerProperties } from './kafka-config';
import { runKafkaTool } from './kafka-tools';
import { LOOPBACK } from './ports';
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
    fs.writeFileSync(f.serverProperties, renderServerProperties({ port, controllerPort, logDir: f.logDir }));
    fs.writeFileSync(f.log4j, renderLog4jProperties('INFO', 'System.out'));
    if (fs.existsSync(path.join(f.logDir, 'meta.properties'))) return; // a restart keeps the formatted storage
    const result = await runKafkaTool(
      'kafka.tools.StorageTool',
      ['format', '--ignore-formatted', '-t', newClusterId(crypto.randomBytes), '-c', f.serverProperties],
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
    const kafka = new Kafka({
      clientId: 'local-services-health',
      brokers: [`${LOOPBACK}:${ctx.ports[0]}`],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1_000,
      requestTimeout: 2_000,
      retry: { retries: 0 },
    });
    const admin = kafka.admin();
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

  endpoints(ctx) {
    return { kafka: { brokers: [`${LOOPBACK}:${ctx.ports[0]}`] } };
  },
};
