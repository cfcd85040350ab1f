/*
 * The shared Kafka client behind one `kafka broker` config node: one kafkajs client and one lazily connected
 * producer, reference-counted by the kafka in / kafka out nodes that use it and closed when the last one lets go.
 */
import * as fs from 'fs';
import { Kafka, Partitioners, Producer } from 'kafkajs';
import { buildClientConfig, BrokerCredentials, BrokerSettings } from '../../lib/kafka/client-config';
import { kafkaClientLogging, type KafkaLogSink } from '../../lib/kafka/kafkajs-log';

import type { Node } from '../shared/red';

/** The config node as kafka in / kafka out see it (RED.nodes.getNode(config.broker)). */
export interface KafkaBrokerNode extends Node<BrokerCredentials> {
  client: BrokerClient;
}

export type LogSink = KafkaLogSink;

export class BrokerClient {
  private kafka: Kafka | null = null;
  private users = new Set<string>();
  private producerPromise: Promise<Producer> | null = null;

  constructor(private readonly settings: BrokerSettings, private readonly credentials: BrokerCredentials, private readonly log: LogSink) {}

  get userCount(): number {
    return this.users.size;
  }

  /** Registers a user node and returns the shared kafkajs client (throws on a bad configuration). */
  acquire(userId: string): Kafka {
    if (!this.kafka) {
      const config = buildClientConfig(this.settings, this.credentials, (p) => fs.readFileSync(p, 'utf8'));
      // kafkajs logs through the one adapter (warn and above, retried conditions demoted, worded for a person).
      this.kafka = new Kafka({ ...config, ...kafkaClientLogging(this.log) });
    }
    this.users.add(userId);
    return this.kafka;
  }

  /** The shared producer, connected on first use; a failed connect is retried by the next caller. */
  producer(): Promise<Producer> {
    if (!this.kafka) return Promise.reject(new Error('kafka client is closed'));
    if (!this.producerPromise) {
      // The default partitioner named explicitly: kafkajs then prints no partitioner-change warning.
      const producer = this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true, retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5000 } });
      this.producerPromise = producer.connect().then(() => producer, (err) => {
        this.producerPromise = null;
        throw err;
      });
    }
    return this.producerPromise;
  }

  /** Forgets a broken producer so the next send connects a fresh one. */
  async resetProducer(): Promise<void> {
    const p = this.producerPromise;
    this.producerPromise = null;
    if (p) await p.then((prod) => prod.disconnect(), () => undefined).catch(() => undefined);
  }

  /** A user node is done with the client; the last one closes the producer. */
  async release(userId: string): Promise<void> {
    if (!this.users.delete(userId) || this.users.size > 0) return;
    await this.close();
  }

  async close(): Promise<void> {
    this.users.clear();
    await this.resetProducer();
    this.kafka = null;
  }
}
