/*
 * The shared Kafka client behind one `kafka broker` config node: one kafkajs client and one lazily connected
 * producer, reference-counted by the kafka in / kafka out nodes that use it and closed when the last one lets go.
 */
import * as fs from 'fs';
import { Kafka, Partitioners, Producer } from 'kafkajs';
import { buildClientConfig, BrokerCredentials, BrokerSettings } from './client-config';
import { kafkaClientLogging, type KafkaLogSink } from './kafkajs-log';
import { RefCounted } from '../ref-count';

export type LogSink = KafkaLogSink;

export class BrokerClient {
  private readonly kafka: RefCounted<Kafka>;
  private producerPromise: Promise<Producer> | null = null;

  constructor(settings: BrokerSettings, credentials: BrokerCredentials, log: LogSink) {
    this.kafka = new RefCounted(
      () => {
        const config = buildClientConfig(settings, credentials, (p) => fs.readFileSync(p, 'utf8'));
        // kafkajs logs through the one adapter (warn and above, retried conditions demoted, worded for a person).
        return new Kafka({ ...config, ...kafkaClientLogging(log) });
      },
      () => this.resetProducer(),
    );
  }

  /** Registers a user node and returns the shared kafkajs client (throws on a bad configuration). */
  acquire(userId: string): Kafka {
    return this.kafka.acquire(userId);
  }

  /** The shared producer, connected on first use; a failed connect is retried by the next caller. */
  producer(): Promise<Producer> {
    const kafka = this.kafka.current;
    if (!kafka) return Promise.reject(new Error('kafka client is closed'));
    if (!this.producerPromise) {
      // The default partitioner named explicitly: kafkajs then prints no partitioner-change warning.
      const producer = kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: true,
        retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5000 },
      });
      const connected = producer.connect().then(
        () => producer,
        (err) => {
          if (this.producerPromise === connected) this.producerPromise = null;
          throw err;
        },
      );
      // A producer that disconnected refuses every send ("The producer is disconnected"): the next send gets a new one.
      producer.on(producer.events.DISCONNECT, () => {
        if (this.producerPromise === connected) this.producerPromise = null;
      });
      this.producerPromise = connected;
    }
    return this.producerPromise;
  }

  /** Forgets a broken producer so the next send connects a fresh one. */
  async resetProducer(): Promise<void> {
    const p = this.producerPromise;
    this.producerPromise = null;
    if (p)
      await p
        .then(
          (prod) => prod.disconnect(),
          () => undefined,
        )
        .catch(() => undefined);
  }

  /** A user node is done with the client; the last one closes the producer. */
  release(userId: string): Promise<void> {
    return this.kafka.release(userId);
  }

  async close(): Promise<void> {
    await this.kafka.close();
  }
}
